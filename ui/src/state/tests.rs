use pivot_proto::citizen::{FiPreference, HistoryKind, SharedDatum};
use pivot_proto::eidas::Eidas;

use super::*;
use crate::i18n::{K, t};

fn signed_in() -> State {
    State::default().apply(Action::SignedIn(Session {
        given_name: Some("Angela".into()),
    }))
}

fn with_request() -> State {
    signed_in().apply(Action::PendingLoaded(Some(login::tests::choose_fi_view())))
}

fn entry(reference: &str, at: i64, service: &str, fi: Option<&str>) -> HistoryEntry {
    HistoryEntry {
        reference: reference.into(),
        kind: if fi.is_some() {
            HistoryKind::Connection
        } else {
            HistoryKind::DataCheck
        },
        at,
        service: service.into(),
        identity_provider: fi.map(Into::into),
        acr: Some(Eidas::Eidas1),
        data: vec![SharedDatum {
            scope: "dgfip_rfr".into(),
            label: "revenu fiscal de référence".into(),
            provider: "DGFIP".into(),
        }],
        data_provider: None,
    }
}

/// 2025-03-01 .. 2025-03-03, midnight UTC.
const MAR1: i64 = 1_740_787_200;
const MAR2: i64 = MAR1 + DAY_SECS;
const MAR3: i64 = MAR2 + DAY_SECS;

fn with_history() -> State {
    signed_in().apply(Action::HistoryLoaded(HistoryPage {
        entries: vec![
            entry("r3", MAR3 + 100, "Mairie de Lyon", Some("impots.gouv.fr")),
            entry("r2", MAR2 + 5000, "CAF", None),
            entry("r1", MAR1 + 10, "CAF", Some("ameli.fr")),
        ],
        since: 0,
    }))
}

fn prefs(in_use: &str) -> PreferencesView {
    PreferencesView {
        identity_providers: ["impots", "ameli", "laposte"]
            .into_iter()
            .map(|id| FiPreference {
                id: id.into(),
                name: id.into(),
                blocked: false,
                in_use: id == in_use,
            })
            .collect(),
        connection_alerts: true,
    }
}

fn with_prefs() -> State {
    signed_in().apply(Action::PreferencesLoaded {
        view: prefs("impots"),
        saved: false,
    })
}

fn device(id: &str, current: bool, trusted_until: Option<i64>) -> DeviceView {
    DeviceView {
        id: id.into(),
        label: format!("Firefox {id}"),
        first_seen: MAR1,
        last_seen: MAR2,
        trusted_until,
        current,
    }
}

fn blocked_ids(s: &State) -> Vec<String> {
    s.preferences_update().unwrap().blocked_fis.unwrap()
}

// --- Start, language, navigation ---------------------------------------------

#[test]
fn starts_on_home_in_french_signed_out() {
    let s = State::default();
    assert_eq!(s.screen, Screen::Home);
    assert_eq!(s.lang, Lang::Fr);
    assert!(s.session.is_none());
    assert!(!s.busy);
    assert!(s.banner.is_none());
}

#[test]
fn language_switch_changes_only_the_language() {
    let s = with_history().apply(Action::Navigate(Screen::History));
    let en = s.clone().apply(Action::SetLang(Lang::En));
    assert_eq!(en.lang, Lang::En);
    assert_eq!(en.screen, Screen::History);
    assert_eq!(en.history, s.history);
    assert_eq!(t(en.lang, K::NavHistory), "History");
    let fr = en.apply(Action::SetLang(Lang::Fr));
    assert_eq!(t(fr.lang, K::NavHistory), "Historique");
    assert_eq!(Lang::Fr.other(), Lang::En);
    assert_eq!(Lang::En.code(), "en");
}

#[test]
fn citizen_space_screens_need_a_session() {
    for screen in [
        Screen::History,
        Screen::Preferences,
        Screen::Devices,
        Screen::Report,
    ] {
        let s = State::default().apply(Action::Navigate(screen));
        assert_eq!(s.screen, Screen::SignIn, "{screen:?}");
        let s = signed_in().apply(Action::Navigate(screen));
        assert_eq!(s.screen, screen);
    }
}

#[test]
fn login_screens_need_a_login() {
    for screen in [Screen::LoginRequest, Screen::Login, Screen::LoginDone] {
        let s = signed_in().apply(Action::Navigate(screen));
        assert_eq!(s.screen, Screen::Home, "{screen:?}");
    }
    let s = with_request().apply(Action::Navigate(Screen::Login));
    assert_eq!(s.screen, Screen::Login);
}

#[test]
fn home_and_sign_in_are_always_reachable() {
    let s = State::default().apply(Action::Navigate(Screen::SignIn));
    assert_eq!(s.screen, Screen::SignIn);
    let s = s.apply(Action::Navigate(Screen::Home));
    assert_eq!(s.screen, Screen::Home);
}

#[test]
fn navigation_clears_screen_messages_but_not_connectivity_ones() {
    let s = with_prefs()
        .apply(Action::Navigate(Screen::Preferences))
        .apply(Action::PreferencesLoaded {
            view: prefs("impots"),
            saved: true,
        });
    assert_eq!(s.banner, Some(Banner::PreferencesSaved));
    let s = s.apply(Action::Navigate(Screen::History));
    assert_eq!(s.banner, None);
    let s = s
        .apply(Action::Failed(BridgeError::Offline))
        .apply(Action::Navigate(Screen::Devices));
    assert_eq!(s.banner, Some(Banner::Offline));
}

// --- Busy, errors, sign in/out -------------------------------------------------

#[test]
fn busy_until_the_result_arrives() {
    let s = signed_in().apply(Action::Busy);
    assert!(s.busy);
    let s = s.apply(Action::SetLang(Lang::En));
    assert!(s.busy, "a local change does not end a call");
    let s = s.apply(Action::DevicesLoaded(vec![]));
    assert!(!s.busy);
    let s = s
        .apply(Action::Busy)
        .apply(Action::Failed(BridgeError::Offline));
    assert!(!s.busy);
}

#[test]
fn offline_and_not_in_app_show_their_banner_and_keep_the_screen() {
    let s = with_history().apply(Action::Navigate(Screen::History));
    let off = s.clone().apply(Action::Failed(BridgeError::Offline));
    assert_eq!(off.banner, Some(Banner::Offline));
    assert_eq!(off.screen, Screen::History);
    assert!(off.history.is_some());
    let out = s.apply(Action::Failed(BridgeError::NotInApp));
    assert_eq!(out.banner, Some(Banner::NotInApp));
    assert!(out.banner.as_ref().unwrap().is_problem());
}

#[test]
fn expiry_sends_to_sign_in_and_drops_personal_data() {
    let s = with_history()
        .apply(Action::DevicesLoaded(vec![device("d1", true, None)]))
        .apply(Action::Navigate(Screen::History))
        .apply(Action::Failed(BridgeError::SessionExpired));
    assert_eq!(s.screen, Screen::SignIn);
    assert_eq!(s.banner, Some(Banner::SessionExpired));
    assert!(s.session.is_none());
    assert!(s.history.is_none());
    assert!(s.devices.is_none());
    // Signing in again clears the banner and goes home.
    let s = s.apply(Action::SignedIn(Session { given_name: None }));
    assert_eq!(s.screen, Screen::Home);
    assert_eq!(s.banner, None);
}

#[test]
fn other_errors_show_their_message() {
    let s = signed_in().apply(Action::Failed(BridgeError::Refused("compte bloqué".into())));
    assert_eq!(s.banner, Some(Banner::Error("compte bloqué".into())));
    let s = s.apply(Action::DismissBanner);
    assert_eq!(s.banner, None);
}

#[test]
fn sign_out_forgets_personal_data_but_keeps_language_and_pending_login() {
    let s = with_history()
        .apply(Action::SetLang(Lang::En))
        .apply(Action::PendingLoaded(Some(login::tests::choose_fi_view())))
        .apply(Action::SignedOut);
    assert!(s.session.is_none());
    assert!(s.history.is_none());
    assert_eq!(s.lang, Lang::En);
    assert!(s.login.is_some());
    assert_eq!(s.screen, Screen::Home);
}

// --- History ---------------------------------------------------------------------

#[test]
fn history_without_filters_shows_everything_newest_first() {
    let s = with_history();
    let refs: Vec<_> = s
        .filtered_history()
        .iter()
        .map(|e| e.reference.as_str())
        .collect();
    assert_eq!(refs, ["r3", "r2", "r1"]);
    assert!(s.filter.is_empty());
    assert!(State::default().filtered_history().is_empty());
}

#[test]
fn history_filter_options_are_sorted_and_unique() {
    let s = with_history();
    assert_eq!(s.history_services(), ["CAF", "Mairie de Lyon"]);
    assert_eq!(
        s.history_identity_providers(),
        ["ameli.fr", "impots.gouv.fr"]
    );
}

fn refs_with(filter: HistoryFilter) -> Vec<String> {
    with_history()
        .apply(Action::SetFilter(filter))
        .filtered_history()
        .iter()
        .map(|e| e.reference.clone())
        .collect()
}

#[test]
fn history_filters_by_service() {
    let f = HistoryFilter {
        service: Some("CAF".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(f), ["r2", "r1"]);
}

#[test]
fn history_filters_by_fi() {
    let f = HistoryFilter {
        identity_provider: Some("ameli.fr".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(f), ["r1"]);
}

#[test]
fn history_filters_by_whole_days() {
    let only_mar2 = HistoryFilter {
        from: Some(MAR2),
        to: Some(MAR2),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(only_mar2), ["r2"]);
    let from_mar2 = HistoryFilter {
        from: Some(MAR2),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(from_mar2), ["r3", "r2"]);
    let to_mar1 = HistoryFilter {
        to: Some(MAR1),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(to_mar1), ["r1"]);
}

#[test]
fn history_filters_combine() {
    let f = HistoryFilter {
        service: Some("CAF".into()),
        from: Some(MAR2),
        ..HistoryFilter::default()
    };
    assert_eq!(refs_with(f), ["r2"]);
    let none = HistoryFilter {
        service: Some("Mairie de Lyon".into()),
        identity_provider: Some("ameli.fr".into()),
        ..HistoryFilter::default()
    };
    assert!(refs_with(none).is_empty());
}

#[test]
fn clearing_filters_shows_everything_again() {
    let s = with_history()
        .apply(Action::SetFilter(HistoryFilter {
            service: Some("CAF".into()),
            ..HistoryFilter::default()
        }))
        .apply(Action::SetFilter(HistoryFilter::default()));
    assert_eq!(s.filtered_history().len(), 3);
}

// --- Preferences ---------------------------------------------------------------

#[test]
fn the_fi_in_use_can_never_be_blocked() {
    let s = with_prefs().apply(Action::ToggleFiBlocked("impots".into()));
    let fi = &s.preferences.as_ref().unwrap().identity_providers[0];
    assert!(fi.in_use);
    assert!(!fi.blocked);
    assert_eq!(s.banner, Some(Banner::InUseCannotBlock));
    assert!(!s.preferences_dirty);
    assert!(blocked_ids(&s).is_empty());
}

#[test]
fn the_fi_in_use_is_never_sent_as_blocked() {
    // Even if the broker's view says so, the update leaves it out.
    let mut view = prefs("impots");
    view.identity_providers[0].blocked = true;
    let s = signed_in().apply(Action::PreferencesLoaded { view, saved: false });
    assert!(blocked_ids(&s).is_empty());
    // And toggling it repairs the view instead of flipping it.
    let s = s.apply(Action::ToggleFiBlocked("impots".into()));
    assert!(!s.preferences.unwrap().identity_providers[0].blocked);
}

#[test]
fn other_fis_toggle_between_blocked_and_allowed() {
    let s = with_prefs().apply(Action::ToggleFiBlocked("ameli".into()));
    assert!(s.preferences_dirty);
    assert_eq!(blocked_ids(&s), ["ameli"]);
    let s = s.apply(Action::ToggleFiBlocked("laposte".into()));
    assert_eq!(blocked_ids(&s), ["ameli", "laposte"]);
    let s = s.apply(Action::ToggleFiBlocked("ameli".into()));
    assert_eq!(blocked_ids(&s), ["laposte"]);
    let unchanged = s.clone().apply(Action::ToggleFiBlocked("nope".into()));
    assert_eq!(unchanged, s);
}

#[test]
fn alerts_switch_and_save() {
    let s = with_prefs().apply(Action::SetAlerts(false));
    assert!(s.preferences_dirty);
    let update = s.preferences_update().unwrap();
    assert_eq!(update.connection_alerts, Some(false));
    let mut saved = prefs("impots");
    saved.connection_alerts = false;
    let s = s.apply(Action::PreferencesLoaded {
        view: saved,
        saved: true,
    });
    assert!(!s.preferences_dirty);
    assert_eq!(s.banner, Some(Banner::PreferencesSaved));
    assert!(State::default().preferences_update().is_none());
    let nothing = State::default().apply(Action::SetAlerts(false));
    assert!(!nothing.preferences_dirty);
}

// --- Devices ---------------------------------------------------------------------

#[test]
fn devices_load_forget_and_trust() {
    let s = signed_in().apply(Action::DevicesLoaded(vec![
        device("d1", true, None),
        device("d2", false, Some(MAR3)),
    ]));
    let s = s.apply(Action::DeviceForgotten("d2".into()));
    assert_eq!(s.devices.as_ref().unwrap().len(), 1);
    assert_eq!(s.banner, Some(Banner::DeviceForgotten));
    let s = s.apply(Action::DeviceTrusted(device("d1", true, Some(MAR3))));
    let devices = s.devices.as_ref().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].trusted_until, Some(MAR3));
    assert_eq!(s.banner, Some(Banner::DeviceTrusted));
}

#[test]
fn trusting_an_unlisted_device_adds_it() {
    let s = signed_in().apply(Action::DeviceTrusted(device("d9", true, Some(MAR3))));
    assert_eq!(s.devices.unwrap().len(), 1);
    let s = signed_in()
        .apply(Action::DevicesLoaded(vec![device("d1", false, None)]))
        .apply(Action::DeviceTrusted(device("d9", true, Some(MAR3))));
    assert_eq!(s.devices.unwrap().len(), 2);
}

// --- Fraud report -----------------------------------------------------------------

#[test]
fn reporting_from_a_history_entry_quotes_its_reference() {
    let s = with_history().apply(Action::StartReport(Some("r2".into())));
    assert_eq!(s.screen, Screen::Report);
    assert_eq!(s.report.reference.as_deref(), Some("r2"));
    let s = State::default().apply(Action::StartReport(Some("r2".into())));
    assert_eq!(s.screen, Screen::SignIn);
}

#[test]
fn report_form_validates_with_the_proto_rules() {
    let s = signed_in().apply(Action::StartReport(None));
    assert_eq!(s.report.to_request(), Err(FraudReportError::Contact));
    let s = s.apply(Action::EditReport(
        ReportField::Contact,
        " angela@example.fr ".into(),
    ));
    assert_eq!(s.report.to_request(), Err(FraudReportError::Message));
    let s = s.apply(Action::EditReport(
        ReportField::Message,
        "x".repeat(pivot_proto::citizen::MAX_REPORT_MESSAGE + 1),
    ));
    assert_eq!(s.report.to_request(), Err(FraudReportError::Message));
    let s = s.apply(Action::EditReport(
        ReportField::Message,
        "  Je ne me suis pas connectée.  ".into(),
    ));
    let req = s.report.to_request().unwrap();
    assert_eq!(req.contact_email, "angela@example.fr");
    assert_eq!(req.message, "Je ne me suis pas connectée.");
    assert_eq!(req.reference, None);
}

#[test]
fn report_errors_show_until_the_field_is_edited() {
    let s = signed_in()
        .apply(Action::StartReport(None))
        .apply(Action::ReportInvalid(FraudReportError::Contact));
    assert_eq!(s.report.error, Some(FraudReportError::Contact));
    let s = s.apply(Action::EditReport(ReportField::Contact, "a@b.fr".into()));
    assert_eq!(s.report.error, None);
}

#[test]
fn a_sent_report_clears_the_form_and_shows_its_reference() {
    let s = signed_in()
        .apply(Action::StartReport(Some("r1".into())))
        .apply(Action::EditReport(ReportField::Contact, "a@b.fr".into()))
        .apply(Action::EditReport(ReportField::Message, "pas moi".into()))
        .apply(Action::Busy)
        .apply(Action::ReportSent(FraudReportAck {
            reference: "SIG-42".into(),
            received_at: MAR3,
        }));
    assert!(!s.busy);
    assert_eq!(
        s.banner,
        Some(Banner::ReportSent {
            reference: "SIG-42".into()
        })
    );
    assert_eq!(s.report.message, "");
    assert_eq!(s.report.ack.as_ref().unwrap().reference, "SIG-42");
}

// --- Reducer ---------------------------------------------------------------------

#[test]
fn reduce_applies_through_rc() {
    let s = Rc::new(State::default());
    let s = s.reduce(Action::SetLang(Lang::En));
    assert_eq!(s.lang, Lang::En);
}
