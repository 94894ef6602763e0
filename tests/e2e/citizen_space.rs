//! The citizen space end to end: connection alerts through the sandbox's
//! real SMTP receiver (once per service per session, trusted and new
//! devices, SMTP down then back), the web space (history, preferences,
//! blocked providers hidden from the chooser) and fraud reports.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use pivot_broker::{
    sandbox::mailbox::ReceivedMail,
    storage::{EventFilter, OutboxStats},
};
use pivot_proto::citizen::{EventCode, Preferences};
use pivot_tests::{
    AuthRequest, Browser, Page, Stage, TestSandbox,
    journey::{drive, start_login},
    login,
    oidc::authorize,
};

const ERIC: &str = "eric.mercier@example.fr";
const WAIT: Duration = Duration::from_secs(20);

async fn mail_to(sb: &TestSandbox, to: &str, subject_has: &str) -> Result<ReceivedMail> {
    sb.sb
        .mailbox
        .wait_for(|m| m.is_for(to) && m.subject.contains(subject_has), WAIT)
        .await
        .with_context(|| {
            format!(
                "no mail to {to} about {subject_has}; mailbox: {:?}",
                sb.sb
                    .mailbox
                    .messages()
                    .iter()
                    .map(|m| (&m.to, &m.subject))
                    .collect::<Vec<_>>()
            )
        })
}

async fn alerts_queued(sb: &TestSandbox, client_id: &str) -> Result<Vec<String>> {
    Ok(sb
        .sb
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcAlertQueued),
            client_id: Some(client_id.to_owned()),
            limit: 100,
            ..EventFilter::default()
        })
        .await?
        .into_iter()
        .filter_map(|e| e.details)
        .collect())
}

/// The outbox's counts once `sent` mails are marked sent (the worker marks
/// a mail after the server answered, a moment after the mailbox has it).
async fn outbox_once_sent(sb: &TestSandbox, sent: i64) -> Result<OutboxStats> {
    let mut stats = sb.sb.state.store.outbox_stats().await?;
    for _ in 0..50 {
        if stats.sent >= sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        stats = sb.sb.state.store.outbox_stats().await?;
    }
    Ok(stats)
}

/// Logs in on `service` and, at the confirmation page, ticks "Faire
/// confiance à cet appareil".
async fn login_trusting(
    sb: &TestSandbox,
    b: &Browser,
    service: &str,
    fi: &str,
    citizen: &str,
) -> Result<Page> {
    let url = sb.service(service).url.clone();
    let home = b.get(&format!("{url}/")).await?;
    let start = b.submit(&home.form("form[action='/login']")?).await?;
    let j = drive(sb, b, start, fi, citizen, |p| p.has("#trust-device")).await?;
    let confirm = j.last().clone();
    if !confirm.has("#trust-device") {
        bail!("no confirmation page:\n{}", j.describe());
    }
    let form = confirm
        .form("form[action$='/confirm']")?
        .set("trust_device", "yes");
    let after = b.submit(&form).await?;
    let rest = drive(sb, b, after, fi, citizen, |_| false).await?;
    if !rest.last().has("#logged-in") {
        bail!("not logged in:\n{}", rest.describe());
    }
    Ok(rest.last().clone())
}

#[tokio::test]
async fn an_alert_is_mailed_once_per_service_per_session() -> Result<()> {
    // Given Eric logs in on the mairie with impots.gouv.fr,
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    login(&sb, &b, "mairie", "impots", "eric-mercier").await?;

    // then the sandbox's SMTP receiver gets the alert, in French, with the
    // service, the provider, the Paris time and the history link.
    let mail = mail_to(&sb, ERIC, "Mairie de Pivotville").await?;
    assert_eq!(
        mail.subject,
        "Alerte de connexion au service Mairie de Pivotville avec FranceConnect"
    );
    assert!(mail.text.contains("impots.gouv.fr"), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("{}/espace", sb.sb.broker_url)),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("/signaler?ref="), "{}", mail.text);
    assert!(
        mail.text.contains("jamais utilisé"),
        "a first login from this browser: {}",
        mail.text
    );
    let html = mail.html.as_deref().unwrap_or_default();
    assert!(html.contains("Mairie de Pivotville"), "{html}");

    // When he logs in on the mairie again in the same session, no second
    // alert; on the médiathèque, one.
    let again = authorize(&sb, &b, &AuthRequest::mairie(&sb), "impots", "eric-mercier").await?;
    assert_eq!(
        again.journey.stages,
        [Stage::Confirm],
        "{}",
        again.journey.describe()
    );
    login(&sb, &b, "mediatheque", "impots", "eric-mercier").await?;
    mail_to(&sb, ERIC, "Médiathèque de Pivotville").await?;
    assert_eq!(alerts_queued(&sb, "sandbox-mairie").await?.len(), 1);
    assert_eq!(alerts_queued(&sb, "sandbox-mediatheque").await?.len(), 1);
    let to_eric = sb
        .sb
        .mailbox
        .messages()
        .iter()
        .filter(|m| m.is_for(ERIC))
        .count();
    assert_eq!(to_eric, 2);
    // And the outbox kept no address once the mails were sent.
    let stats = outbox_once_sent(&sb, 2).await?;
    assert_eq!((stats.pending, stats.sent), (0, 2));
    Ok(())
}

#[tokio::test]
async fn a_trusted_device_is_not_alerted_a_new_one_always_is() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    // Given Eric logs in from a new browser and trusts it: the first login
    // from a device new to him is still alerted,
    login_trusting(&sb, &b, "mairie", "impots", "eric-mercier").await?;
    let first = mail_to(&sb, ERIC, "Mairie").await?;
    assert!(first.text.contains("jamais utilisé"), "{}", first.text);

    // when the same device logs in again in a new session (only the device
    // cookie carried over), no alert;
    let same_device = Browser::new();
    same_device.carry_cookie(&b, &sb.sb.broker_url, "pivot_session_device");
    login(&sb, &same_device, "mediatheque", "impots", "eric-mercier").await?;
    assert_eq!(
        alerts_queued(&sb, "sandbox-mediatheque").await?,
        Vec::<String>::new()
    );

    // and with alerts turned off, a device new to him is alerted anyway.
    let hash = sb
        .sb
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcRedirectedToSp),
            limit: 1,
            ..EventFilter::default()
        })
        .await?
        .remove(0)
        .identity_hash
        .context("connection without citizen")?;
    sb.sb
        .state
        .store
        .set_preferences(
            &hash,
            &Preferences {
                connection_alerts: false,
                ..Preferences::default()
            },
        )
        .await?;
    let other_device = Browser::new();
    login(&sb, &other_device, "mediatheque", "impots", "eric-mercier").await?;
    let forced = mail_to(&sb, ERIC, "Médiathèque").await?;
    assert!(forced.text.contains("jamais utilisé"), "{}", forced.text);
    // A known, untrusted device with alerts off: nothing.
    let again = Browser::new();
    again.carry_cookie(&other_device, &sb.sb.broker_url, "pivot_session_device");
    login(&sb, &again, "mairie", "impots", "eric-mercier").await?;
    assert_eq!(alerts_queued(&sb, "sandbox-mairie").await?.len(), 1);
    assert_eq!(
        sb.sb
            .mailbox
            .messages()
            .iter()
            .filter(|m| m.is_for(ERIC))
            .count(),
        2
    );
    Ok(())
}

#[tokio::test]
async fn with_smtp_down_the_login_succeeds_and_the_mail_follows() -> Result<()> {
    // Given the mail server is down,
    let sb = TestSandbox::start().await?;
    sb.sb.smtp.stop().await;
    // the login still succeeds, its alert waiting in the outbox,
    let b = sb.browser();
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let stats = sb.sb.state.store.outbox_stats().await?;
    assert_eq!(stats.pending, 1, "{stats:?} {:?}", sb.sb.mailbox.messages());
    assert!(sb.sb.mailbox.is_empty());
    // and once the server is back, the alert is delivered.
    sb.sb.smtp.restart().await?;
    let mail = mail_to(&sb, ERIC, "Mairie de Pivotville").await?;
    assert!(mail.text.contains("ameli.fr"), "{}", mail.text);
    let stats = outbox_once_sent(&sb, 1).await?;
    assert_eq!((stats.pending, stats.failed), (0, 0));
    Ok(())
}

/// Opens the web space: login through the chooser and the FI.
async fn open_space(sb: &TestSandbox, b: &Browser, fi: &str, citizen: &str) -> Result<Page> {
    let start = b.get(&format!("{}/espace", sb.sb.broker_url)).await?;
    let j = drive(sb, b, start, fi, citizen, |p| p.has("#history-title")).await?;
    let last = j.last().clone();
    if !last.has("#history-title") {
        bail!("space not reached:\n{}", j.describe());
    }
    Ok(last)
}

#[tokio::test]
async fn the_web_space_shows_the_history_and_blocks_providers() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    // Given Eric logged in on the mairie with impots.gouv.fr,
    login(&sb, &b, "mairie", "impots", "eric-mercier").await?;
    // when he opens his space (a fresh login at ameli.fr),
    let history = open_space(&sb, &b, "ameli", "eric-mercier").await?;
    // then his history lists the mairie connection and the space's own.
    let services = history.texts(".history-service");
    assert!(
        services.iter().any(|s| s.contains("Mairie de Pivotville")),
        "{services:?}"
    );
    assert!(
        history
            .texts(".history-fi")
            .iter()
            .any(|f| f == "impots.gouv.fr")
    );

    // Blocking the provider in use is refused with a message,
    let prefs = b
        .get(&format!("{}/espace/preferences", sb.sb.broker_url))
        .await?;
    let form = prefs.form("#preferences-form")?;
    let refused = b
        .submit(
            &form
                .clone()
                .without("allow")
                .add("allow", "impots")
                .add("allow", "laposte")
                .add("allow", "msa"),
        )
        .await?;
    assert_eq!(refused.status, reqwest::StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text("#preferences-error")
            .unwrap_or_default()
            .contains("ameli.fr")
    );
    // blocking another is saved and confirmed by mail,
    let saved = b
        .submit(
            &form
                .without("allow")
                .add("allow", "ameli")
                .add("allow", "laposte")
                .add("allow", "msa")
                .add("alerts", "on"),
        )
        .await?;
    let saved = b.follow(saved).await?.into_last();
    assert!(saved.has("#preferences-saved"), "{}", saved.summary());
    let mail = mail_to(&sb, ERIC, "préférences").await?;
    assert!(mail.text.contains("impots.gouv.fr"), "{}", mail.text);

    // and the blocked provider disappears from this browser's chooser.
    let other = sb.browser();
    other.carry_cookie(&b, &sb.sb.broker_url, "pivot_session_device");
    let j = start_login(&sb, &other, "mediatheque", "ameli", "eric-mercier").await?;
    let chooser = j
        .hops
        .iter()
        .find(|p| p.has("#chooser-title"))
        .context("no chooser")?;
    let offered = chooser.texts("form[action$='/fi'] button");
    assert!(
        !offered.iter().any(|t| t.contains("impots.gouv.fr")),
        "{offered:?}"
    );
    assert!(
        offered.iter().any(|t| t.contains("ameli.fr")),
        "{offered:?}"
    );
    assert!(j.saw(Stage::Service));
    Ok(())
}

#[tokio::test]
async fn ce_n_est_pas_vous_files_a_fraud_report() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    // Given a login stopped at the confirmation page,
    let url = sb.service("mairie").url.clone();
    let home = b.get(&format!("{url}/")).await?;
    let start = b.submit(&home.form("form[action='/login']")?).await?;
    let j = drive(&sb, &b, start, "impots", "eric-mercier", |p| {
        p.has("#not-me")
    })
    .await?;
    let confirm = j.last().clone();
    // when the citizen says it is not them and reports it,
    let not_me = b
        .get(confirm.link("#not-me").context("link")?.as_str())
        .await?;
    let form_page = b
        .get(not_me.link("#report").context("report link")?.as_str())
        .await?;
    assert!(
        form_page
            .text("#report-connection")
            .unwrap_or_default()
            .contains("Mairie de Pivotville")
    );
    // (a bad address is refused and the message kept)
    let bad = b
        .submit(
            &form_page
                .form("#report-form")?
                .set("contact_email", "nope")
                .set("message", "Pas moi"),
        )
        .await?;
    assert_eq!(bad.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(bad.text("#report-message").as_deref(), Some("Pas moi"));
    let ack = b
        .submit(
            &bad.form("#report-form")?
                .set("contact_email", "eric.secours@example.fr")
                .set("message", "Je ne me suis pas connecté."),
        )
        .await?;
    // then the report is acknowledged, stored, mailed to support and to him.
    let reference = ack.text("#report-reference").context("reference")?;
    let stored = sb.sb.state.store.reports(10).await?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].reference, reference);
    assert_eq!(stored[0].source, "confirmation");
    assert!(stored[0].identity_hash.is_some());
    let support = mail_to(&sb, "support@franceconnect.sandbox", &reference).await?;
    assert!(
        support.text.contains("Je ne me suis pas connecté."),
        "{}",
        support.text
    );
    assert!(
        support.text.contains("Mairie de Pivotville"),
        "{}",
        support.text
    );
    let acknowledgement = mail_to(&sb, "eric.secours@example.fr", &reference).await?;
    assert!(!acknowledgement.text.is_empty());
    // Nothing went to the service.
    assert!(!j.saw(Stage::Service));
    Ok(())
}

#[tokio::test]
async fn every_step_is_an_event_and_the_data_check_reaches_the_history() -> Result<()> {
    use pivot_tests::journey::{Consent, start_login_consenting};
    // Given Vincent logs in on the Ville de Lyon and shares his tax data,
    // which the service then fetches from the tax provider, and logs out,
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let j = start_login_consenting(
        &sb,
        &b,
        "lyon",
        "impots",
        "vincent-berdot",
        &Consent::AcceptAll,
    )
    .await?;
    assert!(j.saw(Stage::Service), "{}", j.describe());
    let lyon = sb.service("lyon").url.clone();
    let home = b.get(&format!("{lyon}/")).await?;
    b.follow(b.submit(&home.form("form[action='/logout']")?).await?)
        .await?;

    // then operators see every step, in order,
    let mut events = sb
        .sb
        .state
        .store
        .events(&EventFilter {
            limit: 100,
            ..EventFilter::default()
        })
        .await?;
    events.reverse();
    let codes: Vec<EventCode> = events.iter().map(|e| e.code).collect();
    let expected = [
        EventCode::FcAuthorizeInitiated,
        EventCode::FcIdpChosen,
        EventCode::FcVerified,
        EventCode::FcConsentData,
        EventCode::FcRedirectedToSp,
        EventCode::FcAlertQueued,
        EventCode::SpRequestedUserinfo,
        EventCode::FdCheckedToken,
        EventCode::FcSessionTerminated,
    ];
    let mut at = 0;
    for code in expected {
        let found = codes[at..].iter().position(|c| *c == code);
        assert!(
            found.is_some(),
            "{code} missing after position {at}: {codes:?}"
        );
        at += found.unwrap_or_default() + 1;
    }
    // the consent and the data check name the data,
    let consent = events
        .iter()
        .find(|e| e.code == EventCode::FcConsentData)
        .context("consent")?;
    let scopes: Vec<&str> = consent.data.iter().map(|d| d.scope.as_str()).collect();
    assert_eq!(scopes, ["dgfip_rfr", "dgfip_nbpart"]);
    let check = events
        .iter()
        .find(|e| e.code == EventCode::FdCheckedToken)
        .context("check")?;
    assert_eq!(check.client_id.as_deref(), Some("sandbox-lyon"));
    assert!(
        check.data.iter().all(|d| d.provider == "DGFIP"),
        "{:?}",
        check.data
    );

    // and Vincent's space shows the connection and the data check.
    let space = sb.browser();
    let history = open_space(&sb, &space, "impots", "vincent-berdot").await?;
    let kinds: Vec<String> = history.attrs(".history-row", "data-kind");
    assert!(kinds.contains(&"data_check".to_owned()), "{kinds:?}");
    let rows = history.texts(".history-service");
    assert!(
        rows.iter()
            .any(|r| r.contains("DGFIP") && r.contains("Ville de Lyon")),
        "{rows:?}"
    );
    let data = history.texts(".history-data");
    assert!(
        data.iter()
            .any(|d| d.contains("revenu fiscal de référence (DGFIP)")),
        "{data:?}"
    );
    Ok(())
}
