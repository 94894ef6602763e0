//! The interface's strings, in French (default) and English.

use serde::{Deserialize, Serialize};

mod card;

pub use card::{
    card_field_error, card_field_hint, card_field_label, card_issue, reader_status, tries_left,
};

/// A language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute value.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The other language (the switch offers it).
    #[must_use]
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The language's own name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }
}

/// A fixed string of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K {
    AppName,
    Tagline,
    NavHome,
    NavHistory,
    NavPreferences,
    NavDevices,
    NavReport,
    NavMain,
    SignIn,
    SignOut,
    SignInTitle,
    SignInIntro,
    HomeTitle,
    HomeSignedIn,
    HomeSignedOut,
    HomeCheckRequest,
    LoginRequestTitle,
    LoginRequestService,
    LoginRequestLevel,
    LoginRequestData,
    LoginRequestNoData,
    Continue,
    Cancel,
    ChooseFiTitle,
    ChooseFiIntro,
    FiUnavailable,
    LoginRequestIntro,
    LoginRequestIdentity,
    ServicePublic,
    ServicePrivate,
    DataFrom,
    FiLoginTitle,
    FiLoginIntro,
    FiWindowClosed,
    FiReopen,
    CardTitle,
    CardIntro,
    CardReader,
    CardReaderHint,
    CardSubmit,
    CardReading,
    CardUnblocking,
    CardUnblockOpen,
    CardUnblockTitle,
    CardUnblockIntro,
    CardUnblockSubmit,
    CardUnblockBack,
    CardUnblocked,
    CardOtherMethod,
    CardPresent,
    CardAbsent,
    CardMute,
    CardInUse,
    RegistryTitle,
    RegistryIntro,
    RetryWait,
    Seconds,
    Retry,
    ConfirmTitle,
    ConfirmVia,
    BornMale,
    BornFemale,
    BornAt,
    Agreement,
    AgreementHint,
    TrustDeviceHint,
    ConfirmAction,
    RefusedCode,
    BackToService,
    DoneTitle,
    DoneSuccess,
    DoneCancelled,
    DoneHint,
    DoneExpiredHint,
    BackHome,
    Hello,
    ResumeRequest,
    ConsentTitle,
    ConsentIntro,
    ConsentAcceptAll,
    ConsentAcceptTicked,
    ConsentRefuseAll,
    ConsentNote,
    HistoryTitle,
    HistoryIntro,
    HistoryEmpty,
    HistoryNoMatch,
    FilterService,
    FilterFi,
    FilterFrom,
    FilterTo,
    FilterAll,
    FilterClear,
    KindConnection,
    KindDataCheck,
    ColDate,
    ColKind,
    ColService,
    ColFi,
    ColLevel,
    ColData,
    NotYou,
    PreferencesTitle,
    PreferencesFis,
    PreferencesFisHint,
    InUseReason,
    Alerts,
    AlertsHint,
    Save,
    DevicesTitle,
    DevicesEmpty,
    DeviceCurrent,
    DeviceFirstSeen,
    DeviceLastSeen,
    DeviceTrustedUntil,
    DeviceNotTrusted,
    Forget,
    TrustThis,
    ReportTitle,
    ReportIntro,
    ReportReference,
    ReportContact,
    ReportContactHint,
    ReportMessage,
    ReportMessageHint,
    Send,
    Busy,
    Offline,
    NotInApp,
    Expired,
    Saved,
    DeviceForgotten,
    DeviceTrusted,
    ReportSent,
    Dismiss,
    InUseCannotBlock,
    ErrorTitle,
    LanguageSwitch,
    Loading,
}

/// The name of an eIDAS level.
#[must_use]
pub fn level(lang: Lang, level: pivot_proto::eidas::Eidas) -> &'static str {
    use pivot_proto::eidas::Eidas;
    match (lang, level) {
        (Lang::Fr, Eidas::Eidas1) => "faible (eidas1)",
        (Lang::Fr, Eidas::Eidas2) => "substantiel (eidas2)",
        (Lang::Fr, Eidas::Eidas3) => "élevé (eidas3, carte d'identité)",
        (Lang::En, Eidas::Eidas1) => "low (eidas1)",
        (Lang::En, Eidas::Eidas2) => "substantial (eidas2)",
        (Lang::En, Eidas::Eidas3) => "high (eidas3, ID card)",
    }
}

/// The message of a fraud-report validation error.
#[must_use]
pub fn report_error(lang: Lang, error: &pivot_proto::citizen::FraudReportError) -> &'static str {
    use pivot_proto::citizen::FraudReportError;
    match (lang, error) {
        (Lang::Fr, FraudReportError::Contact) => {
            "Saisissez une adresse électronique valide, par exemple nom@domaine.fr."
        }
        (Lang::Fr, FraudReportError::Message) => {
            "Décrivez ce qui s'est passé en 4000 caractères au plus."
        }
        (Lang::En, FraudReportError::Contact) => {
            "Enter a valid e-mail address, for example name@domain.fr."
        }
        (Lang::En, FraudReportError::Message) => {
            "Describe what happened in at most 4000 characters."
        }
    }
}

/// The string `key` in `lang`.
#[must_use]
pub fn t(lang: Lang, key: K) -> &'static str {
    let (fr, en) = pair(key);
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn pair(key: K) -> (&'static str, &'static str) {
    match key {
        K::AppName => ("Pivot", "Pivot"),
        K::Tagline => ("Votre identité numérique", "Your digital identity"),
        K::NavHome => ("Accueil", "Home"),
        K::NavHistory => ("Historique", "History"),
        K::NavPreferences => ("Préférences", "Preferences"),
        K::NavDevices => ("Appareils", "Devices"),
        K::NavReport => ("Signaler", "Report"),
        K::NavMain => ("Menu principal", "Main menu"),
        K::SignIn => ("Se connecter", "Sign in"),
        K::SignOut => ("Se déconnecter", "Sign out"),
        K::SignInTitle => ("Connexion à Mon espace", "Sign in to My space"),
        K::SignInIntro => (
            "Connectez-vous avec l'un de vos comptes pour consulter votre historique, vos préférences et vos appareils.",
            "Sign in with one of your accounts to see your history, preferences and devices.",
        ),
        K::HomeTitle => ("Mon espace", "My space"),
        K::HomeSignedIn => (
            "Vous êtes connecté. Consultez vos connexions, bloquez un compte ou signalez une connexion suspecte.",
            "You are signed in. Review your connections, block an account or report a suspicious connection.",
        ),
        K::HomeSignedOut => (
            "Connectez-vous pour consulter votre historique et gérer vos préférences.",
            "Sign in to see your history and manage your preferences.",
        ),
        K::HomeCheckRequest => (
            "Vérifier une demande de connexion",
            "Check for a login request",
        ),
        K::LoginRequestTitle => ("Demande de connexion", "Login request"),
        K::LoginRequestService => ("Service", "Service"),
        K::LoginRequestLevel => ("Niveau de garantie demandé", "Level of assurance asked"),
        K::LoginRequestData => ("Données demandées", "Data asked"),
        K::LoginRequestNoData => (
            "Aucune donnée en plus de votre identité.",
            "No data besides your identity.",
        ),
        K::Continue => ("Continuer", "Continue"),
        K::Cancel => ("Annuler", "Cancel"),
        K::ChooseFiTitle => ("Choisir un compte", "Choose an account"),
        K::ChooseFiIntro => (
            "Choisissez le compte avec lequel vous connecter.",
            "Choose the account to sign in with.",
        ),
        K::FiUnavailable => (
            "Ce compte n'offre pas le niveau de garantie demandé par le service.",
            "This account does not offer the level of assurance the service asks for.",
        ),
        K::LoginRequestIntro => (
            "Un service vous demande de vous connecter. Vérifiez qui le demande et ce qui lui sera transmis.",
            "A service asks you to log in. Check who asks and what it will receive.",
        ),
        K::LoginRequestIdentity => ("Identité transmise", "Identity sent"),
        K::ServicePublic => ("administration publique", "public administration"),
        K::ServicePrivate => ("entreprise privée", "private company"),
        K::DataFrom => ("fournie par", "provided by"),
        K::FiLoginTitle => ("Connexion en cours chez", "Logging in with"),
        K::FiLoginIntro => (
            "Une fenêtre s'est ouverte : connectez-vous-y. Elle se fermera d'elle-même à la fin.",
            "A window opened: log in there. It closes by itself at the end.",
        ),
        K::FiWindowClosed => (
            "Vous avez fermé la fenêtre de connexion avant la fin.",
            "You closed the login window before the end.",
        ),
        K::FiReopen => (
            "Rouvrir la fenêtre de connexion",
            "Open the login window again",
        ),
        K::CardTitle => (
            "Connexion avec votre carte d'identité",
            "Log in with your ID card",
        ),
        K::CardIntro => (
            "Posez votre carte d'identité sur le lecteur, puis saisissez le numéro d'accès à la carte et votre code PIN.",
            "Put your ID card on the reader, then type the card access number and your PIN.",
        ),
        K::CardReader => ("Lecteur de carte", "Card reader"),
        K::CardReaderHint => (
            "Plusieurs lecteurs sont branchés : choisissez celui où est posée votre carte.",
            "Several readers are plugged in: choose the one your card is on.",
        ),
        K::CardSubmit => ("Valider avec ma carte", "Confirm with my card"),
        K::CardReading => (
            "Lecture de la carte… ne la retirez pas.",
            "Reading the card… do not remove it.",
        ),
        K::CardUnblocking => (
            "Déblocage du code PIN… ne retirez pas la carte.",
            "Unblocking the PIN… do not remove the card.",
        ),
        K::CardUnblockOpen => (
            "Débloquer mon code PIN avec le PUK",
            "Unblock my PIN with the PUK",
        ),
        K::CardUnblockTitle => ("Débloquer votre code PIN", "Unblock your PIN"),
        K::CardUnblockIntro => (
            "Le code PUK figure sur le courrier reçu avec votre carte. Choisissez ensuite un nouveau code PIN.",
            "The PUK is on the letter you received with your card. Then choose a new PIN.",
        ),
        K::CardUnblockSubmit => ("Débloquer le code PIN", "Unblock the PIN"),
        K::CardUnblockBack => (
            "Revenir à la connexion par code PIN",
            "Back to the login with the PIN",
        ),
        K::CardUnblocked => (
            "Code PIN débloqué : connectez-vous avec votre nouveau code.",
            "PIN unblocked: log in with your new code.",
        ),
        K::CardOtherMethod => (
            "Choisir un autre moyen de connexion",
            "Choose another way to log in",
        ),
        K::CardPresent => ("carte détectée", "card detected"),
        K::CardAbsent => ("pas de carte", "no card"),
        K::CardMute => ("carte illisible", "card not answering"),
        K::CardInUse => (
            "carte utilisée par un autre programme",
            "card used by another program",
        ),
        K::RegistryTitle => (
            "Votre identité ne peut pas être vérifiée pour le moment",
            "Your identity cannot be checked right now",
        ),
        K::RegistryIntro => (
            "Le registre de l'état civil ne répond pas. Réessayez dans quelques instants.",
            "The civil registry does not answer. Try again in a moment.",
        ),
        K::RetryWait => ("Vous pourrez réessayer dans", "You can try again in"),
        K::Seconds => ("secondes", "seconds"),
        K::Retry => ("Réessayer", "Try again"),
        K::ConfirmTitle => ("Vérifiez votre identité", "Check your identity"),
        K::ConfirmVia => ("Identité transmise par", "Identity provided by"),
        K::BornMale => ("né le", "born on"),
        K::BornFemale => ("née le", "born on"),
        K::BornAt => ("à", "in"),
        K::Agreement => (
            "J'accepte que mon identité soit transmise à ce service.",
            "I agree that my identity is sent to this service.",
        ),
        K::AgreementHint => (
            "Ce service est une entreprise privée : votre accord est nécessaire.",
            "This service is a private company: your agreement is needed.",
        ),
        K::TrustDeviceHint => (
            "Plus d'alerte de connexion depuis cet appareil pendant 90 jours.",
            "No connection alert from this device for 90 days.",
        ),
        K::ConfirmAction => ("Continuer", "Continue"),
        K::RefusedCode => ("Code de l'erreur", "Error code"),
        K::BackToService => ("Revenir sur le service", "Back to the service"),
        K::DoneTitle => ("Retournez sur votre navigateur", "Go back to your browser"),
        K::DoneSuccess => ("Vous êtes connecté à", "You are logged in to"),
        K::DoneCancelled => (
            "La connexion n'a pas abouti ; le service en a été informé :",
            "The login did not complete; the service was told:",
        ),
        K::DoneHint => (
            "Votre navigateur affiche de nouveau le service. Vous pouvez revenir à l'accueil.",
            "Your browser shows the service again. You may go back home.",
        ),
        K::DoneExpiredHint => (
            "Retournez sur le service dans votre navigateur et recommencez la connexion.",
            "Go back to the service in your browser and start the login again.",
        ),
        K::BackHome => ("Retour à l'accueil", "Back home"),
        K::Hello => ("Bonjour", "Hello"),
        K::ResumeRequest => (
            "Reprendre la demande de connexion",
            "Resume the login request",
        ),
        K::ConsentTitle => ("Données demandées", "Data asked"),
        K::ConsentIntro => (
            "Ces données seront transmises directement par l'administration qui les détient. Vous pouvez refuser : vous serez quand même connecté.",
            "These data are sent directly by the administration that holds them. You may refuse: you will still be signed in.",
        ),
        K::ConsentAcceptAll => ("Tout accepter", "Accept all"),
        K::ConsentAcceptTicked => (
            "Accepter seulement les données cochées",
            "Accept only the ticked data",
        ),
        K::ConsentRefuseAll => ("Tout refuser", "Refuse all"),
        K::ConsentNote => (
            "Votre choix ne vaut que pour cette connexion.",
            "Your choice applies to this login only.",
        ),
        K::HistoryTitle => ("Historique", "History"),
        K::HistoryIntro => (
            "Vos connexions et les vérifications de données des six derniers mois.",
            "Your connections and data checks of the last six months.",
        ),
        K::HistoryEmpty => (
            "Aucune connexion sur cette période.",
            "No connection in this period.",
        ),
        K::HistoryNoMatch => (
            "Aucune ligne ne correspond aux filtres.",
            "No entry matches the filters.",
        ),
        K::FilterService => ("Service", "Service"),
        K::FilterFi => ("Compte utilisé", "Account used"),
        K::FilterFrom => ("Du", "From"),
        K::FilterTo => ("Au", "To"),
        K::FilterAll => ("Tous", "All"),
        K::FilterClear => ("Effacer les filtres", "Clear filters"),
        K::KindConnection => ("Connexion", "Connection"),
        K::KindDataCheck => ("Vérification de données", "Data check"),
        K::ColDate => ("Date (UTC)", "Date (UTC)"),
        K::ColKind => ("Type", "Kind"),
        K::ColService => ("Service", "Service"),
        K::ColFi => ("Compte", "Account"),
        K::ColLevel => ("Niveau", "Level"),
        K::ColData => ("Données", "Data"),
        K::NotYou => ("Ce n'est pas vous ?", "Not you?"),
        K::PreferencesTitle => ("Préférences", "Preferences"),
        K::PreferencesFis => ("Comptes autorisés", "Allowed accounts"),
        K::PreferencesFisHint => (
            "Décochez un compte pour empêcher toute connexion avec lui.",
            "Untick an account to prevent any login with it.",
        ),
        K::InUseReason => (
            "Compte utilisé pour cette connexion : il ne peut pas être bloqué.",
            "Account used for this session: it cannot be blocked.",
        ),
        K::Alerts => (
            "Alertes de connexion par courriel",
            "Connection alerts by e-mail",
        ),
        K::AlertsHint => (
            "Un nouvel appareil reçoit toujours une alerte.",
            "A new device always gets an alert.",
        ),
        K::Save => ("Enregistrer", "Save"),
        K::DevicesTitle => ("Appareils", "Devices"),
        K::DevicesEmpty => ("Aucun appareil connu.", "No known device."),
        K::DeviceCurrent => ("Cet appareil", "This device"),
        K::DeviceFirstSeen => ("Première connexion", "First login"),
        K::DeviceLastSeen => ("Dernière connexion", "Latest login"),
        K::DeviceTrustedUntil => ("De confiance jusqu'au", "Trusted until"),
        K::DeviceNotTrusted => ("Pas de confiance", "Not trusted"),
        K::Forget => ("Oublier", "Forget"),
        K::TrustThis => ("Faire confiance à cet appareil", "Trust this device"),
        K::ReportTitle => ("Signaler une connexion", "Report a connection"),
        K::ReportIntro => (
            "Une connexion ne vient pas de vous ? Décrivez-la : le support vous répondra.",
            "A connection was not yours? Describe it: support will answer you.",
        ),
        K::ReportReference => ("Référence de la connexion", "Connection reference"),
        K::ReportContact => ("Adresse électronique de contact", "Contact e-mail address"),
        K::ReportContactHint => (
            "Format attendu : nom@domaine.fr",
            "Expected format: name@domain.fr",
        ),
        K::ReportMessage => ("Ce qui s'est passé", "What happened"),
        K::ReportMessageHint => ("4000 caractères au plus", "At most 4000 characters"),
        K::Send => ("Envoyer", "Send"),
        K::Busy => ("Chargement en cours…", "Loading…"),
        K::Offline => (
            "Le service est injoignable. Vérifiez votre connexion puis réessayez.",
            "The service cannot be reached. Check your connection and try again.",
        ),
        K::NotInApp => (
            "Cette page fonctionne dans l'application Pivot : ouvrez l'application.",
            "This page works inside the Pivot app: open the app.",
        ),
        K::Expired => (
            "Votre session a expiré : connectez-vous à nouveau.",
            "Your session expired: sign in again.",
        ),
        K::Saved => ("Préférences enregistrées.", "Preferences saved."),
        K::DeviceForgotten => ("Appareil oublié.", "Device forgotten."),
        K::DeviceTrusted => (
            "Cet appareil est désormais de confiance.",
            "This device is now trusted.",
        ),
        K::ReportSent => ("Signalement envoyé. Référence :", "Report sent. Reference:"),
        K::Dismiss => ("Fermer le message", "Close the message"),
        K::InUseCannotBlock => (
            "Le compte utilisé pour cette connexion ne peut pas être bloqué.",
            "The account used for this session cannot be blocked.",
        ),
        K::ErrorTitle => ("Erreur", "Error"),
        K::LanguageSwitch => ("Langue", "Language"),
        K::Loading => ("Chargement…", "Loading…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_is_the_default_and_both_languages_differ_where_expected() {
        assert_eq!(Lang::default(), Lang::Fr);
        assert_eq!(t(Lang::Fr, K::SignIn), "Se connecter");
        assert_eq!(t(Lang::En, K::SignIn), "Sign in");
        assert_ne!(t(Lang::Fr, K::Expired), t(Lang::En, K::Expired));
        assert!(level(Lang::Fr, pivot_proto::eidas::Eidas::Eidas2).contains("substantiel"));
    }
}
