//! The citizen-space mails, queued in the durable outbox (never sent
//! inline: a login does not wait for SMTP, and a mail server that is down
//! only delays the mail).

use crate::{
    citizen::{preferences::Change, report::Reported, space::Citizen},
    mail::compose::{
        AlertFacts, ConnectionSummary, PreferencesFacts, ReportFacts, connection_alert,
        fraud_report_ack, fraud_report_to_support, preferences_changed,
    },
    session::SsoLogin,
    state::AppState,
    storage::{FraudReportRecord, NewMail},
};

impl AppState {
    /// Queues a mail; without a mail configuration the mail is dropped
    /// with a warning. Errors are logged, never returned.
    pub async fn queue_mail(&self, mail: NewMail) {
        let Some(outbox) = &self.outbox else {
            tracing::warn!(kind = %mail.kind, "no [mail] configured: mail not sent");
            return;
        };
        if let Err(e) = outbox.queue(mail).await {
            tracing::error!(error = %e, "mail not queued");
        }
    }

    /// The connection alert of a login.
    pub(crate) async fn queue_alert(
        &self,
        login: &SsoLogin,
        service: &str,
        reference: &str,
        new_device: bool,
    ) {
        let mail = connection_alert(&AlertFacts {
            to: login.identity.email.clone(),
            platform_name: self.cfg.platform_name.clone(),
            service_name: service.to_owned(),
            fi_name: self.fis.name(&login.fi_id),
            at: self.now(),
            history_url: self.cfg.url("/espace"),
            report_url: self.cfg.url(&format!("/signaler?ref={reference}")),
            new_device,
        });
        self.queue_mail(mail).await;
    }

    /// The mail confirming a change of preferences.
    pub(crate) async fn mail_preferences_changed(&self, c: &Citizen, change: &Change) {
        let names = |ids: &[String]| ids.iter().map(|i| self.fis.name(i)).collect();
        let mail = preferences_changed(&PreferencesFacts {
            to: c.email.clone(),
            platform_name: self.cfg.platform_name.clone(),
            at: self.now(),
            blocked: names(&change.blocked),
            allowed: names(&change.allowed),
            alerts_on: change.alerts,
            settings_url: self.cfg.url("/espace/preferences"),
            report_url: self.cfg.url("/signaler"),
        });
        self.queue_mail(mail).await;
    }

    /// The report to support and the acknowledgement to the contact.
    pub(crate) async fn mail_report(&self, r: &FraudReportRecord, reported: &Reported) {
        let Some(outbox) = &self.outbox else {
            tracing::warn!("no [mail] configured: fraud report not mailed");
            return;
        };
        let connection = reported
            .entry
            .as_ref()
            .map(|e| ConnectionSummary {
                service_name: e.service.clone(),
                fi_name: e.identity_provider.clone().unwrap_or_default(),
                at: e.at,
                event_reference: e.reference.clone(),
            })
            .or_else(|| {
                reported.context.as_ref().map(|c| ConnectionSummary {
                    service_name: c.client_name.clone(),
                    fi_name: self.fis.name(&c.fi_id),
                    at: c.at,
                    // Reported from the confirmation page: no connection was made.
                    event_reference: String::new(),
                })
            });
        let facts = ReportFacts {
            support_address: outbox.config().support_address.clone(),
            contact_email: r.contact_email.clone(),
            platform_name: self.cfg.platform_name.clone(),
            reference: r.reference.clone(),
            at: r.created_at,
            message: r.message.clone(),
            connection,
        };
        self.queue_mail(fraud_report_to_support(&facts)).await;
        self.queue_mail(fraud_report_ack(&facts)).await;
    }
}
