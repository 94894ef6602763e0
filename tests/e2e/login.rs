//! Full logins through the demo services, for citizens whose identities
//! exercise the pivot identity rules.

use anyhow::Result;
use pivot_broker::sandbox::citizens::find_citizen;
use pivot_proto::{
    identity::{Gender, PivotIdentity},
    sub::{identity_hash, pairwise_sub},
};
use pivot_tests::{Stage, TestSandbox, journey::start_login, login};

/// The pivot identity of a sandbox citizen as the broker delivers it
/// (presumed birth dates completed).
fn pivot_of(key: &str, birthdate: &str) -> PivotIdentity {
    let c = find_citizen(key).expect("citizen");
    PivotIdentity {
        given_name: c.given_name.to_owned(),
        family_name: c.family_name.to_owned(),
        birthdate: birthdate.to_owned(),
        gender: if c.gender == "female" {
            Gender::Female
        } else {
            Gender::Male
        },
        birthplace: c.birthplace.to_owned(),
        birthcountry: c.birthcountry.to_owned(),
    }
}

fn is_pairwise_sub(sub: &str) -> bool {
    sub.len() == 66
        && sub.ends_with("v1")
        && sub[..64]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[tokio::test]
async fn eric_mercier_logs_in_on_the_mairie_with_ameli() -> Result<()> {
    // Given a sandbox and a fresh browser
    let sb = TestSandbox::start().await?;
    let b = sb.browser();

    // When Eric MERCIER logs in on the mairie with his ameli account
    let r = login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // Then he saw the chooser, ameli's form and the confirmation page
    assert_eq!(
        r.journey.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::Confirm,
            Stage::Service
        ],
        "{}",
        r.journey.describe()
    );
    // And the mairie received his pivot identity and e-mail
    let u = &r.me["userinfo"];
    assert_eq!(u["given_name"], "Eric");
    assert_eq!(u["family_name"], "MERCIER");
    assert_eq!(u["birthdate"], "1966-03-12");
    assert_eq!(u["gender"], "male");
    assert_eq!(u["birthplace"], "75056");
    assert_eq!(u["birthcountry"], "99100");
    assert_eq!(u["email"], "eric.mercier@example.fr");
    assert_eq!(u["idp_id"], "ameli", "the mairie asks the idp_id scope");
    // And an ID token at eIDAS 1 with a pairwise sub, amr and idp_id
    assert_eq!(r.id_token("acr"), "eidas1");
    assert!(is_pairwise_sub(r.sub()), "sub {}", r.sub());
    assert_eq!(
        u["sub"],
        r.sub(),
        "userinfo and ID token name the same subject"
    );
    assert_eq!(
        r.id_token("amr"),
        &serde_json::json!(["pwd"]),
        "the mairie asks the amr scope"
    );
    assert_eq!(r.id_token("idp_id"), "ameli");
    assert_eq!(r.id_token("aud"), "sandbox-mairie");
    assert_eq!(r.id_token("iss"), sb.issuer());
    // And the authorization response carried the broker's issuer (RFC 9207)
    let back = r
        .journey
        .redirect_to(&sb.callback("mairie"))
        .expect("redirect to the mairie");
    let q = |n: &str| {
        back.query_pairs()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("iss").as_deref(), Some(sb.issuer()));
    assert!(q("code").is_some());
    Ok(())
}

#[tokio::test]
async fn the_sub_is_pairwise_stable_and_computed_as_franceconnect_does() -> Result<()> {
    // Given a sandbox
    let sb = TestSandbox::start().await?;

    // When Eric logs in twice on the mairie (two browsers, two full logins)
    // and once on the médiathèque, another entity
    let first = login(&sb, &sb.browser(), "mairie", "ameli", "eric-mercier").await?;
    let second = login(&sb, &sb.browser(), "mairie", "impots", "eric-mercier").await?;
    let other = login(&sb, &sb.browser(), "mediatheque", "ameli", "eric-mercier").await?;

    // Then the mairie always sees the same sub, whatever the FI
    assert_eq!(first.sub(), second.sub());
    // And the médiathèque sees another one
    assert_ne!(first.sub(), other.sub());
    assert!(is_pairwise_sub(other.sub()));
    // And both are hex(SHA-256(entity + identityHash + secret)) + "v1"
    let secret = sb.sub_secret()?;
    let hash = identity_hash(&pivot_of("eric-mercier", "1966-03-12"));
    assert_eq!(
        first.sub(),
        pairwise_sub("sandbox-entity-mairie", &hash, &secret).as_str()
    );
    assert_eq!(
        other.sub(),
        pairwise_sub("sandbox-entity-mediatheque", &hash, &secret).as_str()
    );
    Ok(())
}

#[tokio::test]
async fn carmen_garcia_born_abroad_logs_in_with_la_poste() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let r = login(&sb, &b, "mediatheque", "laposte", "carmen-garcia").await?;
    let u = &r.me["userinfo"];
    assert_eq!(u["given_name"], "Carmen Isabel");
    assert_eq!(u["family_name"], "GARCIA");
    assert_eq!(u["birthdate"], "1981-05-23");
    assert_eq!(u["gender"], "female");
    assert_eq!(u["birthcountry"], "99134", "born in Spain");
    assert!(
        u.get("birthplace").is_none_or(|p| p == ""),
        "no commune for someone born abroad: {}",
        u["birthplace"]
    );
    // The serial leaves the birthplace out when born abroad.
    let hash = identity_hash(&pivot_of("carmen-garcia", "1981-05-23"));
    let expected = pairwise_sub("sandbox-entity-mediatheque", &hash, &sb.sub_secret()?);
    assert_eq!(r.sub(), expected.as_str());
    Ok(())
}

#[tokio::test]
async fn accented_and_hyphenated_names_survive_the_whole_chain() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let r = login(
        &sb,
        &b,
        "mairie",
        "msa",
        "marie-helene-de-la-fontaine-eloise",
    )
    .await?;
    let u = &r.me["userinfo"];
    assert_eq!(u["given_name"], "Marie-Hélène Élodie");
    assert_eq!(u["family_name"], "DE LA FONTAINE-ÉLOÏSE");
    assert_eq!(
        u["preferred_username"], "MARTIN-DUBOIS",
        "the mairie asks the usage name"
    );
    assert_eq!(u["birthplace"], "69123");
    assert_eq!(u["gender"], "female");
    // The identity hash runs over latin1 bytes: accents included.
    let hash = identity_hash(&pivot_of(
        "marie-helene-de-la-fontaine-eloise",
        "1988-11-07",
    ));
    let expected = pairwise_sub("sandbox-entity-mairie", &hash, &sb.sub_secret()?);
    assert_eq!(r.sub(), expected.as_str());
    Ok(())
}

#[tokio::test]
async fn a_presumed_birthdate_is_completed_to_the_first_of_the_month() -> Result<()> {
    // Ahmed BENALI's FI knows only his birth month (1950-06).
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let r = login(&sb, &b, "mediatheque", "impots", "ahmed-benali").await?;
    let u = &r.me["userinfo"];
    assert_eq!(u["birthdate"], "1950-06-01");
    assert_eq!(u["birthcountry"], "99352");
    let hash = identity_hash(&pivot_of("ahmed-benali", "1950-06-01"));
    let expected = pairwise_sub("sandbox-entity-mediatheque", &hash, &sb.sub_secret()?);
    assert_eq!(r.sub(), expected.as_str());
    Ok(())
}

#[tokio::test]
async fn the_mediatheque_gets_exactly_the_claims_of_its_scopes() -> Result<()> {
    // The médiathèque asks `openid profile birth email`: no idp_id, no amr.
    let sb = TestSandbox::start().await?;
    let r = login(
        &sb,
        &sb.browser(),
        "mediatheque",
        "impots",
        "vincent-berdot",
    )
    .await?;
    let u = &r.me["userinfo"];
    assert_eq!(u["given_name"], "Vincent Maurice Jean");
    assert_eq!(u["birthplace"], "75114");
    assert!(u.get("idp_id").is_none(), "idp_id not asked: {u}");
    assert!(r.me["id_token"].get("idp_id").is_none());
    assert!(r.me["id_token"].get("amr").is_none(), "amr not asked");
    Ok(())
}

#[tokio::test]
async fn the_confirmation_page_shows_the_identity_and_the_fi() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let confirm = j
        .hops
        .iter()
        .find(|p| Stage::of(&sb, p) == Stage::Confirm)
        .expect("a confirmation page");
    assert_eq!(
        confirm.text("#welcome").as_deref(),
        Some("Bienvenue Eric MERCIER")
    );
    let birth = confirm.text("#birth").unwrap_or_default();
    assert!(birth.contains("né le 12/03/1966"), "{birth}");
    // The birth place by name, from the INSEE reference data.
    assert!(birth.contains("à Paris, FRANCE"), "{birth}");
    assert_eq!(confirm.text("#fi-name").as_deref(), Some("ameli.fr"));

    let j = start_login(&sb, &sb.browser(), "mairie", "laposte", "carmen-garcia").await?;
    let confirm = j
        .hops
        .iter()
        .find(|p| Stage::of(&sb, p) == Stage::Confirm)
        .expect("a confirmation page");
    let birth = confirm.text("#birth").unwrap_or_default();
    assert!(birth.starts_with("née le 23/05/1981"), "{birth}");
    // Born abroad: the country by name.
    assert!(birth.contains("pays de naissance : ESPAGNE"), "{birth}");
    Ok(())
}

#[tokio::test]
async fn subs_and_keys_survive_a_broker_restart() -> Result<()> {
    // Given a data directory shared by two successive sandboxes
    let shared = tempfile::tempdir()?;
    let dir = shared.path().join("data");
    let (sub, kids) = {
        let sb = TestSandbox::start_with(|o| o.data_dir = dir.clone()).await?;
        let r = login(&sb, &sb.browser(), "mairie", "ameli", "eric-mercier").await?;
        let kids: Vec<String> = pivot_tests::oidc::jwks(&sb)
            .await?
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(str::to_owned))
            .collect();
        (r.sub().to_owned(), kids)
    };
    // When the broker starts again on the same data directory
    let sb = TestSandbox::start_with(|o| o.data_dir = dir.clone()).await?;
    let r = login(&sb, &sb.browser(), "mairie", "ameli", "eric-mercier").await?;
    // Then the service sees the same sub and the same keys are published
    assert_eq!(r.sub(), sub);
    let again: Vec<String> = pivot_tests::oidc::jwks(&sb)
        .await?
        .keys()
        .iter()
        .filter_map(|k| k.key_id().map(str::to_owned))
        .collect();
    assert_eq!(again, kids);
    Ok(())
}

#[tokio::test]
async fn clients_of_one_entity_share_the_sub() -> Result<()> {
    // Given two client ids registered for the same entity, and a third one
    let toml = r#"
[[clients]]
client_id = "portail-web"
client_secret = "portail-web-secret-0123456789"
name = "Portail (web)"
redirect_uris = ["http://127.0.0.1:9/web"]
entity_id = "entite-portail"

[[clients]]
client_id = "portail-mobile"
client_secret = "portail-mobile-secret-0123456789"
name = "Portail (mobile)"
redirect_uris = ["http://127.0.0.1:9/mobile"]
entity_id = "entite-portail"

[[clients]]
client_id = "autre-service"
client_secret = "autre-service-secret-0123456789"
name = "Autre service"
redirect_uris = ["http://127.0.0.1:9/autre"]
"#;
    let sb = TestSandbox::start_with_clients(toml).await?;
    let b = sb.browser();
    let mut subs = Vec::new();
    for (client, cb) in [
        ("portail-web", "/web"),
        ("portail-mobile", "/mobile"),
        ("autre-service", "/autre"),
    ] {
        // When Eric logs in on each
        let cb = format!("http://127.0.0.1:9{cb}");
        let req = pivot_tests::AuthRequest::new(client, &cb, "openid");
        let code = pivot_tests::oidc::authorize(&sb, &b, &req, "ameli", "eric-mercier")
            .await?
            .code()?
            .to_owned();
        let auth = pivot_tests::oidc::ClientAuth::Basic(
            client.into(),
            format!("{client}-secret-0123456789"),
        );
        let t = pivot_tests::oidc::Tokens::from_reply(
            &pivot_tests::oidc::token(&sb, &auth, &code, &cb, &[]).await?,
        )?;
        let claims = pivot_tests::oidc::verify_jwt(&sb, &t.id_token)
            .await?
            .claims;
        subs.push(claims["sub"].as_str().unwrap_or_default().to_owned());
    }
    // Then the two clients of the entity see one sub, the other service another
    assert_eq!(subs[0], subs[1]);
    assert_ne!(subs[0], subs[2]);
    let hash = identity_hash(&pivot_of("eric-mercier", "1966-03-12"));
    assert_eq!(
        subs[0],
        pairwise_sub("entite-portail", &hash, &sb.sub_secret()?).as_str()
    );
    assert_eq!(
        subs[2],
        pairwise_sub("autre-service", &hash, &sb.sub_secret()?).as_str(),
        "entity defaults to the client id"
    );
    Ok(())
}
