use super::*;

/// 2026-11-23T13:05:00Z, a Monday (winter: Paris is UTC+1).
const WINTER: i64 = 1_795_439_100;
/// 2026-07-14T10:00:00Z, a Tuesday (summer: Paris is UTC+2).
const SUMMER: i64 = 1_784_023_200;

fn alert() -> AlertFacts {
    AlertFacts {
        to: "camille@example.org".into(),
        platform_name: "FranceConnect".into(),
        service_name: "Impôts".into(),
        fi_name: "La Poste".into(),
        at: WINTER,
        history_url: "https://fc.example/historique".into(),
        report_url: "https://fc.example/signaler?ref=E1".into(),
        new_device: false,
    }
}

fn prefs() -> PreferencesFacts {
    PreferencesFacts {
        to: "camille@example.org".into(),
        platform_name: "FranceConnect".into(),
        at: SUMMER,
        blocked: vec!["Ameli".into(), "MSA".into()],
        allowed: vec!["La Poste".into()],
        alerts_on: None,
        settings_url: "https://fc.example/preferences".into(),
        report_url: "https://fc.example/signaler".into(),
    }
}

fn report() -> ReportFacts {
    ReportFacts {
        support_address: "support@fc.example".into(),
        contact_email: "camille@example.org".into(),
        platform_name: "FranceConnect".into(),
        reference: "SIG-42".into(),
        at: WINTER,
        message: "Je ne me suis pas connectée <b>hier</b>.".into(),
        connection: Some(ConnectionSummary {
            service_name: "Ameli".into(),
            fi_name: "La Poste".into(),
            at: SUMMER,
            event_reference: "EVT-7".into(),
        }),
    }
}

#[test]
fn dates_are_french_in_paris_time() {
    assert_eq!(french_datetime(WINTER), "le lundi 23 novembre 2026 à 14:05");
    assert_eq!(french_datetime(SUMMER), "le mardi 14 juillet 2026 à 12:00");
    // 2026-12-01T08:30Z: the first of the month.
    assert_eq!(
        french_datetime(1_796_113_800),
        "le mardi 1er décembre 2026 à 09:30"
    );
    // Around the switch to summer time (2026-03-29T01:00Z).
    assert_eq!(
        french_datetime(1_774_745_940),
        "le dimanche 29 mars 2026 à 01:59"
    );
    assert_eq!(
        french_datetime(1_774_747_800),
        "le dimanche 29 mars 2026 à 03:30"
    );
}

#[test]
fn connection_alert_tells_what_where_when() {
    let m = connection_alert(&alert());
    assert_eq!(m.kind, KIND_CONNECTION_ALERT);
    assert_eq!(m.recipient, "camille@example.org");
    assert_eq!(
        m.subject,
        "Alerte de connexion au service Impôts avec FranceConnect"
    );
    for body in [&m.text, &m.html] {
        assert!(body.contains("Impôts"), "{body}");
        assert!(body.contains("le lundi 23 novembre 2026 à 14:05"), "{body}");
        assert!(body.contains("Ce n'est pas vous ?"), "{body}");
        assert!(!body.contains("jamais utilisé"), "{body}");
    }
    assert!(m.text.contains("avec votre compte La Poste"));
    assert!(
        m.html
            .contains("avec votre compte <strong>La Poste</strong>")
    );
    assert!(m.text.contains("https://fc.example/historique"));
    assert!(m.text.contains("https://fc.example/signaler?ref=E1"));
    // minijinja escapes '/' in HTML; mail clients decode it.
    assert!(
        m.html
            .contains(r#"href="https:&#x2f;&#x2f;fc.example&#x2f;historique""#)
    );
    assert!(
        m.html
            .contains(r#"href="https:&#x2f;&#x2f;fc.example&#x2f;signaler?ref=E1""#)
    );
    assert!(m.html.starts_with("<!DOCTYPE html>"));
    assert!(m.html.contains("<html lang=\"fr\">"));
}

#[test]
fn connection_alert_mentions_a_new_device() {
    let m = connection_alert(&AlertFacts {
        new_device: true,
        ..alert()
    });
    let sentence = "depuis un appareil que vous n'aviez encore jamais utilisé";
    assert!(m.text.contains(sentence), "{}", m.text);
    assert!(m.html.contains(sentence), "{}", m.html);
}

#[test]
fn partner_names_are_escaped_in_html() {
    let m = connection_alert(&AlertFacts {
        service_name: "<script>alert(1)</script>".into(),
        fi_name: "A & B".into(),
        ..alert()
    });
    assert!(!m.html.contains("<script>"), "{}", m.html);
    assert!(
        m.html
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
    assert!(m.html.contains("A &amp; B"));
    // Plain text and the subject are not HTML: shown as they are.
    assert!(m.text.contains("<script>alert(1)</script>"));
    assert!(m.subject.contains("<script>alert(1)</script>"));
}

#[test]
fn subjects_stay_on_one_line() {
    let m = connection_alert(&AlertFacts {
        service_name: "Impôts\r\nBcc: x@evil.example".into(),
        ..alert()
    });
    assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
    assert!(m.subject.contains("Impôts  Bcc"));
}

#[test]
fn preferences_changed_lists_the_changes() {
    let m = preferences_changed(&prefs());
    assert_eq!(m.kind, KIND_PREFERENCES_CHANGED);
    assert_eq!(m.recipient, "camille@example.org");
    assert_eq!(m.subject, "Modification de vos préférences FranceConnect");
    assert!(m.text.contains("le mardi 14 juillet 2026 à 12:00"));
    assert!(
        m.text
            .contains("Vous ne pourrez plus vous connecter avec :\n  - Ameli\n  - MSA\n"),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("Vous pouvez de nouveau vous connecter avec :\n  - La Poste\n"),
        "{}",
        m.text
    );
    assert!(m.html.contains("<li>Ameli</li>\n<li>MSA</li>"));
    assert!(m.html.contains("<li>La Poste</li>"));
    assert!(m.text.contains("https://fc.example/preferences"));
    assert!(m.text.contains("https://fc.example/signaler"));
    // The alert setting did not change: nothing said about it.
    assert!(!m.text.contains("chaque connexion"));
    assert!(!m.html.contains("chaque connexion"));
}

#[test]
fn preferences_changed_tells_the_alert_setting() {
    let on = preferences_changed(&PreferencesFacts {
        blocked: vec![],
        allowed: vec![],
        alerts_on: Some(true),
        ..prefs()
    });
    assert!(
        on.text
            .contains("Vous recevrez désormais un e-mail à chaque connexion.")
    );
    assert!(
        on.html
            .contains("Vous recevrez désormais un e-mail à chaque connexion.")
    );
    assert!(!on.text.contains("Vous ne pourrez plus"));
    assert!(!on.text.contains("de nouveau"));
    let off = preferences_changed(&PreferencesFacts {
        alerts_on: Some(false),
        ..prefs()
    });
    assert!(
        off.text
            .contains("Vous ne recevrez plus d'e-mail à chaque connexion.")
    );
    assert!(
        off.html
            .contains("Vous ne recevrez plus d'e-mail à chaque connexion.")
    );
}

#[test]
fn support_gets_the_whole_report() {
    let m = fraud_report_to_support(&report());
    assert_eq!(m.kind, KIND_FRAUD_REPORT);
    assert_eq!(m.recipient, "support@fc.example");
    assert!(m.subject.contains("SIG-42"));
    for needle in [
        "SIG-42",
        "camille@example.org",
        "le lundi 23 novembre 2026 à 14:05",
        "Ameli",
        "La Poste",
        "le mardi 14 juillet 2026 à 12:00",
        "EVT-7",
    ] {
        assert!(m.text.contains(needle), "{needle}: {}", m.text);
        assert!(m.html.contains(needle), "{needle}: {}", m.html);
    }
    assert!(m.text.contains("Je ne me suis pas connectée <b>hier</b>."));
    assert!(
        m.html
            .contains("Je ne me suis pas connectée &lt;b&gt;hier&lt;&#x2f;b&gt;.")
    );

    let none = fraud_report_to_support(&ReportFacts {
        connection: None,
        ..report()
    });
    assert!(
        none.text
            .contains("Aucune connexion précise n'est désignée.")
    );
    assert!(!none.text.contains("EVT-7"));
    assert!(none.html.contains("Aucune connexion précise"));
}

#[test]
fn the_ack_quotes_the_reference_only() {
    let m = fraud_report_ack(&report());
    assert_eq!(m.kind, KIND_FRAUD_REPORT_ACK);
    assert_eq!(m.recipient, "camille@example.org");
    assert!(m.subject.contains("SIG-42"));
    for body in [&m.text, &m.html] {
        assert!(body.contains("SIG-42"), "{body}");
        assert!(body.contains("vous répondra"), "{body}");
        assert!(body.contains("le lundi 23 novembre 2026 à 14:05"), "{body}");
        assert!(!body.contains("connectée"), "{body}");
        assert!(!body.contains("EVT-7"), "{body}");
        assert!(!body.contains("support@fc.example"), "{body}");
    }
}

#[test]
fn every_template_parses() {
    for (name, _) in TEMPLATES {
        assert!(ENV.get_template(name).is_ok(), "{name}");
    }
}
