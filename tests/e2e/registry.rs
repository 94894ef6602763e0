//! The civil-registry (RNIPP) check, end to end: every outcome of the
//! sandbox registry reached by logging in as the test citizen made for it.

use anyhow::Result;
use pivot_broker::sandbox::registry::RegistryBehaviour;
use pivot_proto::{
    identity::{Gender, PivotIdentity},
    sub::{identity_hash, pairwise_sub},
};
use pivot_tests::{
    AuthRequest, Stage, TestSandbox,
    journey::{drive, start_login},
    login,
};

/// The mairie's entity, as the sandbox registers it.
const MAIRIE_ENTITY: &str = "sandbox-entity-mairie";

fn registry_identity(given: &str, family: &str, birthdate: &str, place: &str) -> PivotIdentity {
    PivotIdentity {
        given_name: given.into(),
        family_name: family.into(),
        birthdate: birthdate.into(),
        gender: Gender::Female,
        birthplace: place.into(),
        birthcountry: "99100".into(),
    }
}

#[tokio::test]
async fn a_missing_middle_given_name_is_corrected_by_the_registry() -> Result<()> {
    // Given Sophie LEFEBVRE, whose La Poste account only knows "Sophie"
    let sb = TestSandbox::start().await?;
    let b = sb.browser();

    // When she logs in on the mairie
    let r = login(&sb, &b, "mairie", "laposte", "sophie-lefebvre").await?;

    // Then the confirmation page showed the registry's identity, with the
    // birth place by name
    let confirm = r
        .journey
        .hops
        .iter()
        .find(|p| p.has("#welcome"))
        .expect("a confirmation page");
    let welcome = confirm.text("#welcome").unwrap_or_default();
    assert!(welcome.contains("Sophie Anne Claire"), "{welcome}");
    let birth = confirm.text("#birth").unwrap_or_default();
    assert!(birth.contains("Lille, FRANCE"), "{birth}");
    // And the mairie received the corrected given names
    assert_eq!(r.userinfo("given_name"), Some("Sophie Anne Claire"));
    assert_eq!(r.userinfo("family_name"), Some("LEFEBVRE"));
    // And its sub is computed from the registry's identity, not the FI's
    let corrected = registry_identity("Sophie Anne Claire", "LEFEBVRE", "1985-04-17", "59350");
    let fi_sent = registry_identity("Sophie", "LEFEBVRE", "1985-04-17", "59350");
    let secret = sb.sub_secret()?;
    let expected = pairwise_sub(MAIRIE_ENTITY, &identity_hash(&corrected), &secret);
    let from_fi = pairwise_sub(MAIRIE_ENTITY, &identity_hash(&fi_sent), &secret);
    assert_eq!(r.sub(), expected.as_str());
    assert_ne!(r.sub(), from_fi.as_str());
    Ok(())
}

#[tokio::test]
async fn accents_case_and_spacing_are_corrected_by_the_registry() -> Result<()> {
    // Given Françoise LE GOFF, sent by impots.gouv as "Francoise" "Le Goff"
    let sb = TestSandbox::start().await?;
    let b = sb.browser();

    // When she logs in on the médiathèque
    let r = login(&sb, &b, "mediatheque", "impots", "francoise-le-goff").await?;

    // Then the service receives the civil-registry spelling
    assert_eq!(r.userinfo("given_name"), Some("Françoise"));
    assert_eq!(r.userinfo("family_name"), Some("LE GOFF"));
    assert_eq!(r.userinfo("birthplace"), Some("29019"));
    Ok(())
}

/// Logs `citizen` in on the mairie through `fi` and checks the refusal:
/// the broker's page with `code`, then, on "Revenir sur …", the mairie gets
/// `access_denied` with `state` and `iss`, and no code.
async fn refused(fi: &str, citizen: &str, code: &str) -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;

    // When the citizen logs in at the FI
    let j = drive(&sb, &b, start, fi, citizen, |_| false).await?;

    // Then the login stops on the broker's page for this outcome
    let page = j.last();
    assert_eq!(
        Stage::of(&sb, page),
        Stage::BrokerError,
        "{citizen}: {}",
        j.describe()
    );
    assert_eq!(page.error_code().as_deref(), Some(code), "{citizen}");
    assert_eq!(page.status, reqwest::StatusCode::FORBIDDEN, "{citizen}");
    assert!(!j.saw(Stage::Confirm), "{citizen}: {}", j.describe());
    // And going back to the service tells it why, with its state and our issuer
    let back = page
        .link("#error-action")
        .expect("a way back to the service");
    let reply = b.get(back.as_str()).await?;
    let to = reply.location().expect("a redirect to the service");
    assert!(to.as_str().starts_with(req.redirect_uri()), "{to}");
    let q = |k: &str| pivot_tests::browser::query_param(&to, k);
    assert_eq!(q("error").as_deref(), Some("access_denied"), "{citizen}");
    assert_eq!(q("state").as_deref(), Some(req.state()));
    assert_eq!(q("iss").as_deref(), Some(sb.issuer()));
    assert!(q("code").is_none());
    assert!(
        q("error_description").is_some_and(|d| d.contains("civil registry")),
        "{to}"
    );
    // And the broker kept no login: the next request shows the chooser again
    let again = AuthRequest::mairie(&sb).send(&sb, &b).await?;
    let j = drive(&sb, &b, again, fi, citizen, |p| p.has("#chooser-title")).await?;
    assert!(j.last().has("#chooser-title"), "{}", j.describe());
    Ok(())
}

#[tokio::test]
async fn an_identity_unknown_to_the_registry_is_refused() -> Result<()> {
    refused("ameli", "julien-rousseau", "Y010001").await
}

#[tokio::test]
async fn a_married_name_sent_as_family_name_is_refused() -> Result<()> {
    refused("msa", "nathalie-petit", "Y010002").await
}

#[tokio::test]
async fn a_deceased_person_cannot_log_in() -> Result<()> {
    refused("impots", "robert-girard", "Y010003").await
}

#[tokio::test]
async fn a_query_the_registry_rejects_stops_the_login() -> Result<()> {
    refused("laposte", "lea-roux", "Y010004").await
}

#[tokio::test]
async fn a_slow_registry_gets_a_retry_page_not_a_hang() -> Result<()> {
    // Given a registry whose record for Yasmine EL AMRANI answers after 3 s,
    // and brokers that wait 1 s
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;

    // When she logs in with ameli
    let began = std::time::Instant::now();
    let j = drive(&sb, &b, start, "ameli", "yasmine-el-amrani", |_| false).await?;

    // Then she gets the retry page quickly
    let page = j.last();
    assert!(page.has("#registry-retry"), "{}", j.describe());
    assert_eq!(page.status, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.error_code().as_deref(), Some("Y010005"));
    assert!(
        began.elapsed() < std::time::Duration::from_secs(3),
        "the broker waited for the slow registry: {:?}",
        began.elapsed()
    );
    // And giving up returns to the service with temporarily_unavailable
    let back = page.link("#registry-give-up").expect("a way back");
    let reply = b.get(back.as_str()).await?;
    let to = reply.location().expect("a redirect to the service");
    assert_eq!(
        pivot_tests::browser::query_param(&to, "error").as_deref(),
        Some("temporarily_unavailable")
    );
    assert_eq!(
        pivot_tests::browser::query_param(&to, "state").as_deref(),
        Some(req.state())
    );
    Ok(())
}

#[tokio::test]
async fn retrying_after_the_registry_is_back_finishes_the_login_without_the_fi() -> Result<()> {
    // Given a registry that is down
    let sb = TestSandbox::start().await?;
    sb.sb.registry.set(RegistryBehaviour::Unavailable);
    let b = sb.browser();

    // When Eric MERCIER logs in on the mairie
    let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // Then he is asked to retry
    let page = j.last();
    assert!(page.has("#registry-retry"), "{}", j.describe());

    // When the registry is back and he retries
    sb.sb.registry.set(RegistryBehaviour::Normal);
    let retry = page.form("form[action$='/registry/retry']")?;
    let next = b.submit(&retry).await?;
    let j2 = drive(&sb, &b, next, "ameli", "eric-mercier", |_| false).await?;

    // Then he reaches the confirmation page and the mairie without seeing
    // ameli again
    assert!(!j2.saw(Stage::FiLogin), "{}", j2.describe());
    assert!(j2.saw(Stage::Confirm), "{}", j2.describe());
    assert!(j2.last().has("#logged-in"), "{}", j2.describe());
    Ok(())
}

#[tokio::test]
async fn a_retry_with_a_forged_form_is_refused() -> Result<()> {
    let sb = TestSandbox::start().await?;
    sb.sb.registry.set(RegistryBehaviour::Unavailable);
    let b = sb.browser();
    let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let retry = j
        .last()
        .form("form[action$='/registry/retry']")?
        .set("csrf", "forged");
    sb.sb.registry.set(RegistryBehaviour::Normal);
    let page = b.submit(&retry).await?;
    assert_eq!(page.status, reqwest::StatusCode::FORBIDDEN);
    assert_eq!(page.error_code().as_deref(), Some("Y000403"));
    Ok(())
}

#[tokio::test]
async fn sso_does_not_ask_the_registry_again() -> Result<()> {
    // Given Eric logged in on the mairie (checked by the registry)
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let first = login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // When the registry goes down and he logs in on the médiathèque
    sb.sb.registry.set(RegistryBehaviour::Unavailable);
    let second = login(&sb, &b, "mediatheque", "ameli", "eric-mercier").await?;

    // Then SSO went straight to the confirmation page, and the same
    // (registry) identity reached the second service
    assert_eq!(
        second.journey.stages,
        [Stage::Confirm, Stage::Service],
        "{}",
        second.journey.describe()
    );
    assert_eq!(second.userinfo("given_name"), first.userinfo("given_name"));
    Ok(())
}
