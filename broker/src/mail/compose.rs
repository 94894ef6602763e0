//! The French mails, each with a plain-text and an HTML part.
//!
//! Bodies are rendered from the templates of `templates/`; HTML templates
//! are auto-escaped, so names coming from partners (a service called
//! `<script>`) are shown, never interpreted. Dates are written in
//! Europe/Paris time, the French way: "le lundi 23 novembre 2026 à 14:05".

use std::sync::LazyLock;

use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::storage::NewMail;

/// Kind of a connection alert.
pub const KIND_CONNECTION_ALERT: &str = "connection_alert";
/// Kind of a preferences-changed notice.
pub const KIND_PREFERENCES_CHANGED: &str = "preferences_changed";
/// Kind of a fraud report forwarded to support.
pub const KIND_FRAUD_REPORT: &str = "fraud_report";
/// Kind of the acknowledgement of a fraud report.
pub const KIND_FRAUD_REPORT_ACK: &str = "fraud_report_ack";

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    (
        "connection_alert.txt",
        include_str!("templates/connection_alert.txt"),
    ),
    (
        "connection_alert.html",
        include_str!("templates/connection_alert.html"),
    ),
    (
        "preferences_changed.txt",
        include_str!("templates/preferences_changed.txt"),
    ),
    (
        "preferences_changed.html",
        include_str!("templates/preferences_changed.html"),
    ),
    (
        "fraud_report.txt",
        include_str!("templates/fraud_report.txt"),
    ),
    (
        "fraud_report.html",
        include_str!("templates/fraud_report.html"),
    ),
    (
        "fraud_report_ack.txt",
        include_str!("templates/fraud_report_ack.txt"),
    ),
    (
        "fraud_report_ack.html",
        include_str!("templates/fraud_report_ack.html"),
    ),
];

/// The mail templates: `.html` ones are auto-escaped, `.txt` ones are not.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "mail template does not parse");
        }
    }
    env
});

/// Renders a template. The templates are fixed and every branch is tested,
/// so a failure is a programming error: it is logged and gives an empty
/// body rather than taking the caller down.
fn render(name: &str, ctx: &Value) -> String {
    match ENV.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(template = name, error = %e, "mail template failed");
            String::new()
        }
    }
}

/// Builds a mail from the `{base}.txt` and `{base}.html` templates.
fn mail(kind: &str, to: &str, subject: String, base: &str, ctx: &Value) -> NewMail {
    let ctx = context! { subject => &subject, ..ctx.clone() };
    NewMail {
        kind: kind.to_owned(),
        recipient: to.to_owned(),
        text: render(&format!("{base}.txt"), &ctx),
        html: render(&format!("{base}.html"), &ctx),
        subject,
    }
}

/// A subject line: control characters (a newline in a partner's name)
/// become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A Unix time in Paris, in French: "le lundi 23 novembre 2026 à 14:05"
/// ("le mardi 1er décembre 2026 à 09:30" on the first of a month).
#[must_use]
pub fn french_datetime(at: i64) -> String {
    format!("le {}", crate::citizen::time_fr::paris_datetime(at))
}

/// What a connection alert tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertFacts {
    /// The citizen's address.
    pub to: String,
    /// "FranceConnect".
    pub platform_name: String,
    /// The service logged in to.
    pub service_name: String,
    /// The identity provider used.
    pub fi_name: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The citizen's connection history.
    pub history_url: String,
    /// Where to report a connection that was not theirs.
    pub report_url: String,
    /// The connection came from a device not used before.
    pub new_device: bool,
}

/// The mail sent after each connection, when the citizen asked for it.
#[must_use]
pub fn connection_alert(f: &AlertFacts) -> NewMail {
    let subject = one_line(&format!(
        "Alerte de connexion au service {} avec {}",
        f.service_name, f.platform_name
    ));
    let ctx = context! {
        platform => &f.platform_name,
        service => &f.service_name,
        fi => &f.fi_name,
        date => french_datetime(f.at),
        new_device => f.new_device,
        history_url => &f.history_url,
        report_url => &f.report_url,
    };
    mail(
        KIND_CONNECTION_ALERT,
        &f.to,
        subject,
        "connection_alert",
        &ctx,
    )
}

/// What changed in a citizen's preferences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreferencesFacts {
    /// The citizen's address.
    pub to: String,
    /// "FranceConnect".
    pub platform_name: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Identity providers now blocked (names).
    pub blocked: Vec<String>,
    /// Identity providers now allowed again (names).
    pub allowed: Vec<String>,
    /// The new connection-alert setting, when it changed.
    pub alerts_on: Option<bool>,
    /// The preferences page.
    pub settings_url: String,
    /// Where to report a change that was not theirs.
    pub report_url: String,
}

/// The mail confirming a change of preferences.
#[must_use]
pub fn preferences_changed(f: &PreferencesFacts) -> NewMail {
    let subject = one_line(&format!(
        "Modification de vos préférences {}",
        f.platform_name
    ));
    let ctx = context! {
        platform => &f.platform_name,
        date => french_datetime(f.at),
        blocked => &f.blocked,
        allowed => &f.allowed,
        alerts_changed => f.alerts_on.is_some(),
        alerts_on => f.alerts_on.unwrap_or(false),
        settings_url => &f.settings_url,
        report_url => &f.report_url,
    };
    mail(
        KIND_PREFERENCES_CHANGED,
        &f.to,
        subject,
        "preferences_changed",
        &ctx,
    )
}

/// The connection a fraud report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// The service.
    pub service_name: String,
    /// The identity provider.
    pub fi_name: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The history entry's public reference.
    pub event_reference: String,
}

/// A fraud report, for support and for the citizen's acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    /// Support's address.
    pub support_address: String,
    /// Where support answers the citizen.
    pub contact_email: String,
    /// "FranceConnect".
    pub platform_name: String,
    /// The report's public reference.
    pub reference: String,
    /// Received at (Unix seconds).
    pub at: i64,
    /// The citizen's words.
    pub message: String,
    /// The connection concerned, when one was designated.
    pub connection: Option<ConnectionSummary>,
}

#[derive(Serialize)]
struct ConnectionCtx<'a> {
    service_name: &'a str,
    fi_name: &'a str,
    date: String,
    event_reference: &'a str,
}

/// The report as support receives it: everything the citizen gave.
#[must_use]
pub fn fraud_report_to_support(f: &ReportFacts) -> NewMail {
    let subject = one_line(&format!(
        "[{}] Signalement d'usurpation {}",
        f.platform_name, f.reference
    ));
    let connection = f.connection.as_ref().map(|c| ConnectionCtx {
        service_name: &c.service_name,
        fi_name: &c.fi_name,
        date: french_datetime(c.at),
        event_reference: &c.event_reference,
    });
    let ctx = context! {
        platform => &f.platform_name,
        reference => &f.reference,
        date => french_datetime(f.at),
        contact_email => &f.contact_email,
        message => &f.message,
        connection => connection,
    };
    mail(
        KIND_FRAUD_REPORT,
        &f.support_address,
        subject,
        "fraud_report",
        &ctx,
    )
}

/// The acknowledgement sent to the citizen: the reference and what comes
/// next, nothing of what they wrote.
#[must_use]
pub fn fraud_report_ack(f: &ReportFacts) -> NewMail {
    let subject = one_line(&format!(
        "Votre signalement {} a bien été reçu",
        f.reference
    ));
    let ctx = context! {
        platform => &f.platform_name,
        reference => &f.reference,
        date => french_datetime(f.at),
    };
    mail(
        KIND_FRAUD_REPORT_ACK,
        &f.contact_email,
        subject,
        "fraud_report_ack",
        &ctx,
    )
}

#[cfg(test)]
mod tests;
