use super::*;
use time::macros::date;

const TODAY: Date = date!(2025 - 06 - 15);

fn raw() -> RawIdentityClaims {
    RawIdentityClaims {
        given_name: Some("Eric".into()),
        family_name: Some("MERCIER".into()),
        birthdate: Some("1966-03-12".into()),
        gender: Some("male".into()),
        birthplace: Some("75056".into()),
        birthcountry: Some("99100".into()),
        email: Some("eric.mercier@example.fr".into()),
        preferred_username: None,
    }
}

fn err(raw: RawIdentityClaims) -> IdentityError {
    FiIdentity::validate(raw, TODAY).unwrap_err()
}

#[test]
fn valid_identity() {
    let id = FiIdentity::validate(raw(), TODAY).unwrap();
    assert_eq!(id.pivot.given_name, "Eric");
    assert_eq!(id.pivot.birthdate, "1966-03-12");
    assert_eq!(id.pivot.gender, Gender::Male);
    assert_eq!(id.pivot.birthdate_fr(), "12/03/1966");
    assert!(id.pivot.born_in_france());
    assert_eq!(id.email, "eric.mercier@example.fr");
    assert_eq!(id.preferred_username, None);
}

#[test]
fn raw_claims_ignore_unknown_fields_and_accept_null() {
    let raw: RawIdentityClaims = serde_json::from_str(
        r#"{"sub":"abc","given_name":"Eric","family_name":null,"extra":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(raw.given_name.as_deref(), Some("Eric"));
    assert_eq!(raw.family_name, None);
    assert_eq!(raw.email, None);
}

#[test]
fn names_are_trimmed_and_counted_in_chars() {
    let mut r = raw();
    r.given_name = Some("  Éloïse  ".into());
    r.family_name = Some("É".repeat(256));
    let id = FiIdentity::validate(r, TODAY).unwrap();
    assert_eq!(id.pivot.given_name, "Éloïse");
    assert_eq!(id.pivot.family_name.chars().count(), 256);
}

#[test]
fn missing_or_blank_name_is_rejected() {
    let mut r = raw();
    r.given_name = None;
    assert_eq!(err(r), IdentityError::MissingClaim("given_name"));
    let mut r = raw();
    r.family_name = Some("   ".into());
    assert_eq!(err(r), IdentityError::MissingClaim("family_name"));
}

#[test]
fn too_long_name_is_rejected() {
    let mut r = raw();
    r.family_name = Some("A".repeat(257));
    assert_eq!(err(r), IdentityError::InvalidName("family_name"));
}

#[test]
fn control_chars_in_name_are_rejected() {
    let mut r = raw();
    r.given_name = Some("Eric\u{0}Jean".into());
    assert_eq!(err(r), IdentityError::InvalidName("given_name"));
    let mut r = raw();
    r.given_name = Some("Eric\nJean".into());
    assert_eq!(err(r), IdentityError::InvalidName("given_name"));
}

#[test]
fn preferred_username_is_optional_but_checked() {
    let mut r = raw();
    r.preferred_username = Some("  ".into());
    assert_eq!(
        FiIdentity::validate(r, TODAY).unwrap().preferred_username,
        None
    );
    let mut r = raw();
    r.preferred_username = Some(" DUPONT ".into());
    assert_eq!(
        FiIdentity::validate(r, TODAY)
            .unwrap()
            .preferred_username
            .as_deref(),
        Some("DUPONT")
    );
    let mut r = raw();
    r.preferred_username = Some("x".repeat(257));
    assert_eq!(err(r), IdentityError::InvalidName("preferred_username"));
}

#[test]
fn presumed_dates_are_completed() {
    for (input, expected) in [("1966-03", "1966-03-01"), ("1966", "1966-01-01")] {
        let mut r = raw();
        r.birthdate = Some(input.into());
        assert_eq!(
            FiIdentity::validate(r, TODAY).unwrap().pivot.birthdate,
            expected
        );
    }
}

#[test]
fn leap_days() {
    let mut r = raw();
    r.birthdate = Some("2000-02-29".into());
    assert!(FiIdentity::validate(r, TODAY).is_ok());
    let mut r = raw();
    r.birthdate = Some("1900-02-29".into());
    assert_eq!(err(r), IdentityError::InvalidBirthdate);
}

#[test]
fn malformed_dates_are_rejected() {
    for bad in [
        "1966-13-01",
        "1966-00-10",
        "1966-03-32",
        "1966-03-00",
        "1966-3-12",
        "66-03-12",
        "12/03/1966",
        "1966-03-12T00:00:00Z",
        "1966-03-12-",
        "+1966-03-12",
        "１９６６",
        "abcd",
    ] {
        let mut r = raw();
        r.birthdate = Some(bad.into());
        assert_eq!(err(r), IdentityError::InvalidBirthdate, "{bad}");
    }
}

#[test]
fn missing_birthdate_is_rejected() {
    let mut r = raw();
    r.birthdate = None;
    assert_eq!(err(r), IdentityError::MissingClaim("birthdate"));
}

#[test]
fn future_birthdate_is_rejected() {
    let mut r = raw();
    r.birthdate = Some("2025-06-16".into());
    assert_eq!(err(r), IdentityError::BirthdateInFuture);
    let mut r = raw();
    r.birthdate = Some("2025-06-15".into());
    assert!(FiIdentity::validate(r, TODAY).is_ok());
    let mut r = raw();
    r.birthdate = Some("2026".into());
    assert_eq!(err(r), IdentityError::BirthdateInFuture);
}

#[test]
fn gender_must_be_male_or_female() {
    let mut r = raw();
    r.gender = Some("female".into());
    assert_eq!(
        FiIdentity::validate(r, TODAY).unwrap().pivot.gender,
        Gender::Female
    );
    for bad in ["M", "F", "Male", "other", "homme"] {
        let mut r = raw();
        r.gender = Some(bad.into());
        assert_eq!(err(r), IdentityError::InvalidGender, "{bad}");
    }
    let mut r = raw();
    r.gender = None;
    assert_eq!(err(r), IdentityError::MissingClaim("gender"));
}

#[test]
fn birthcountry_must_be_a_country_code() {
    for bad in ["France", "75056", "9910", "991000", "99A00", "FR"] {
        let mut r = raw();
        r.birthcountry = Some(bad.into());
        assert_eq!(err(r), IdentityError::InvalidBirthcountry, "{bad}");
    }
    let mut r = raw();
    r.birthcountry = None;
    assert_eq!(err(r), IdentityError::MissingClaim("birthcountry"));
}

#[test]
fn birthplace_accepts_commune_code_shapes() {
    for good in ["75056", "2A004", "2B033", "97411", "01001"] {
        let mut r = raw();
        r.birthplace = Some(good.into());
        assert_eq!(
            FiIdentity::validate(r, TODAY).unwrap().pivot.birthplace,
            good
        );
    }
}

#[test]
fn birthplace_rejects_other_shapes() {
    for bad in [
        "7505", "750560", "2C004", "2a004", "A2004", "99100", "75O56", "Paris",
    ] {
        let mut r = raw();
        r.birthplace = Some(bad.into());
        assert_eq!(err(r), IdentityError::InvalidBirthplace, "{bad}");
    }
}

#[test]
fn birthplace_accepts_arrondissements_and_former_codes() {
    // Paris 14e; Octeville, merged in 2000; Afa under Corsica's pre-1976
    // code; Annecy-le-Vieux, commune déléguée of Annecy.
    for good in ["75114", "69381", "13201", "50383", "20001", "74011"] {
        let mut r = raw();
        r.birthplace = Some(good.into());
        assert_eq!(
            FiIdentity::validate(r, TODAY).unwrap().pivot.birthplace,
            good
        );
    }
}

#[test]
fn birthplace_must_exist_in_the_cog() {
    for unknown in ["75999", "00000", "2A999", "97999", "75100"] {
        let mut r = raw();
        r.birthplace = Some(unknown.into());
        assert_eq!(err(r), IdentityError::UnknownBirthplace, "{unknown}");
    }
}

#[test]
fn birthcountry_must_exist_in_the_cog() {
    for unknown in ["99999", "99000", "99199"] {
        let mut r = raw();
        r.birthcountry = Some(unknown.into());
        r.birthplace = None;
        assert_eq!(err(r), IdentityError::UnknownBirthcountry, "{unknown}");
    }
    // A former country (the GDR) is still a valid birth country.
    let mut r = raw();
    r.birthcountry = Some("99141".into());
    r.birthplace = None;
    assert_eq!(
        FiIdentity::validate(r, TODAY).unwrap().pivot.birthcountry,
        "99141"
    );
    // The country is checked before the birthplace rules that depend on it.
    let mut r = raw();
    r.birthcountry = Some("99999".into());
    assert_eq!(err(r), IdentityError::UnknownBirthcountry);
}

#[test]
fn birthplace_required_in_france() {
    let mut r = raw();
    r.birthplace = None;
    assert_eq!(err(r), IdentityError::BirthplaceRequired);
    let mut r = raw();
    r.birthplace = Some(String::new());
    assert_eq!(err(r), IdentityError::BirthplaceRequired);
}

#[test]
fn birthplace_empty_abroad() {
    let mut r = raw();
    r.birthcountry = Some("99134".into());
    r.birthplace = Some(String::new());
    let id = FiIdentity::validate(r, TODAY).unwrap();
    assert_eq!(id.pivot.birthplace, "");
    assert!(!id.pivot.born_in_france());
    let mut r = raw();
    r.birthcountry = Some("99134".into());
    r.birthplace = None;
    assert!(FiIdentity::validate(r, TODAY).is_ok());
    let mut r = raw();
    r.birthcountry = Some("99134".into());
    assert_eq!(err(r), IdentityError::BirthplaceNotEmptyAbroad);
}

#[test]
fn email_rules() {
    for bad in [
        "eric",
        "@example.fr",
        "eric@",
        "eric@@example.fr",
        "er@ic@example.fr",
        "eric mercier@example.fr",
        "eric\t@example.fr",
    ] {
        let mut r = raw();
        r.email = Some(bad.into());
        assert_eq!(err(r), IdentityError::InvalidEmail, "{bad}");
    }
    let mut r = raw();
    r.email = Some(format!("{}@example.fr", "a".repeat(244)));
    assert_eq!(err(r), IdentityError::InvalidEmail);
    let mut r = raw();
    r.email = Some(format!("{}@example.fr", "a".repeat(243)));
    assert!(FiIdentity::validate(r, TODAY).is_ok());
    let mut r = raw();
    r.email = None;
    assert_eq!(err(r), IdentityError::MissingClaim("email"));
}

#[test]
fn errors_name_their_claim_and_speak_french() {
    let all = [
        IdentityError::MissingClaim("birthdate"),
        IdentityError::InvalidName("given_name"),
        IdentityError::InvalidBirthdate,
        IdentityError::BirthdateInFuture,
        IdentityError::InvalidGender,
        IdentityError::InvalidBirthcountry,
        IdentityError::UnknownBirthcountry,
        IdentityError::InvalidBirthplace,
        IdentityError::UnknownBirthplace,
        IdentityError::BirthplaceRequired,
        IdentityError::BirthplaceNotEmptyAbroad,
        IdentityError::InvalidEmail,
    ];
    for e in &all {
        assert!(e.to_string().contains(e.claim()), "{e}");
        assert!(e.message_fr().ends_with('.'));
    }
    assert_eq!(
        IdentityError::MissingClaim("birthdate").message_fr(),
        "Votre fournisseur d'identité n'a pas transmis votre date de naissance."
    );
    assert_eq!(IdentityError::BirthplaceRequired.claim(), "birthplace");
    assert_eq!(IdentityError::UnknownBirthplace.claim(), "birthplace");
    assert_eq!(IdentityError::UnknownBirthcountry.claim(), "birthcountry");
    assert_eq!(
        IdentityError::UnknownBirthplace.message_fr(),
        "La commune de naissance transmise par votre fournisseur d'identité ne figure pas dans le référentiel des communes de l'Insee."
    );
}

#[test]
fn birthdate_fr_leaves_unexpected_values() {
    let mut id = FiIdentity::validate(raw(), TODAY).unwrap().pivot;
    id.birthdate = "unknown".into();
    assert_eq!(id.birthdate_fr(), "unknown");
}

#[test]
fn gender_serde() {
    assert_eq!(
        serde_json::to_string(&Gender::Female).unwrap(),
        r#""female""#
    );
    assert_eq!(Gender::Male.as_str(), "male");
}
