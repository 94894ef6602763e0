//! The demo identity providers and what makes each one's login form look
//! like the real one (labels, hints, identifier format), the ID-card
//! provider in the style of France Identité, plus a test-only provider
//! asserting `eidas3`.

use pivot_proto::{eidas::Eidas, interaction::LoginMethod};
use serde::{Deserialize, Serialize};

use super::keys::SignAlg;

/// Which identity provider a demo FI imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FiKind {
    /// impots.gouv.fr (DGFiP): numéro fiscal + mot de passe.
    Impots,
    /// ameli.fr (Assurance Maladie): numéro de sécurité sociale + mot de passe.
    Ameli,
    /// L'Identité Numérique La Poste: adresse e-mail + mot de passe.
    LaPoste,
    /// MSA (Mutualité sociale agricole): numéro de sécurité sociale + mot de passe.
    Msa,
    /// In the style of France Identité: the citizen's ID card signs a
    /// challenge in the app (`pivot_proto::card_auth`); no password form.
    /// Its accounts are tied to the sandbox's test cards.
    #[serde(rename = "france-identite")]
    FranceIdentite,
    /// A test-only provider asserting `eidas2` and `eidas3` after a password
    /// and a one-time code; it accepts the citizens' La Poste accounts (see
    /// [`super::demo_login`]). Not in [`FiKind::ALL`]: the default sandbox
    /// does not show it.
    #[serde(rename = "test-eidas3")]
    TestHigh,
}

/// How the login identifier of an FI is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFormat {
    /// Exactly 13 digits (numéro fiscal); spaces are ignored.
    FiscalNumber,
    /// 13 characters (NIR without its key, `2A`/`2B` allowed for Corsica);
    /// spaces are ignored.
    SocialSecurityNumber,
    /// An e-mail address, compared case-insensitively.
    Email,
}

impl FiKind {
    /// Every kind with a login form (identifier and password), in display
    /// order.
    pub const ALL: [FiKind; 4] = [FiKind::Impots, FiKind::Ameli, FiKind::LaPoste, FiKind::Msa];

    /// Kinds whose login is the ID card, started by the default sandbox
    /// after [`FiKind::ALL`].
    pub const CARD: [FiKind; 1] = [FiKind::FranceIdentite];

    /// Kinds that only tests start (never shown by the default sandbox).
    pub const TEST_ONLY: [FiKind; 1] = [FiKind::TestHigh];

    /// Stable identifier used in URLs, configuration and `sub` derivation.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            FiKind::Impots => "impots",
            FiKind::Ameli => "ameli",
            FiKind::LaPoste => "laposte",
            FiKind::Msa => "msa",
            FiKind::FranceIdentite => "france-identite",
            FiKind::TestHigh => "test-eidas3",
        }
    }

    /// Parses [`FiKind::id`] (card and test-only kinds included).
    #[must_use]
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain(Self::CARD)
            .chain(Self::TEST_ONLY)
            .find(|k| k.id() == id)
    }

    /// The eIDAS levels the sandbox lets this FI assert, lowest first:
    /// `eidas1` for impots.gouv, ameli and MSA; `eidas1` and `eidas2` for La
    /// Poste; `eidas2` and `eidas3` for the test provider; `eidas3` alone
    /// for France Identité, whose only login is the ID card (so it is
    /// offered on the high platform only).
    #[must_use]
    pub const fn default_levels(self) -> &'static [Eidas] {
        match self {
            FiKind::Impots | FiKind::Ameli | FiKind::Msa => &[Eidas::Eidas1],
            FiKind::LaPoste => &[Eidas::Eidas1, Eidas::Eidas2],
            FiKind::TestHigh => &[Eidas::Eidas2, Eidas::Eidas3],
            FiKind::FranceIdentite => &[Eidas::Eidas3],
        }
    }

    /// Name shown to citizens.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            FiKind::Impots => "impots.gouv.fr",
            FiKind::Ameli => "ameli.fr",
            FiKind::LaPoste => "L'Identité Numérique La Poste",
            FiKind::Msa => "MSA",
            FiKind::FranceIdentite => "France Identité",
            FiKind::TestHigh => "Fournisseur d'identité de test (eidas3)",
        }
    }

    /// Tagline under the name in the page header.
    #[must_use]
    pub const fn tagline(self) -> &'static str {
        match self {
            FiKind::Impots => "Espace particulier",
            FiKind::Ameli => "Compte ameli — l'Assurance Maladie",
            FiKind::LaPoste => "Votre identité numérique",
            FiKind::Msa => "Mon espace privé — Mutualité sociale agricole",
            FiKind::FranceIdentite => "L'identité numérique avec votre carte d'identité",
            FiKind::TestHigh => "Niveau eIDAS élevé, réservé aux tests",
        }
    }

    /// Heading of the login page.
    #[must_use]
    pub const fn login_heading(self) -> &'static str {
        match self {
            FiKind::Impots => "Connexion à votre espace particulier",
            FiKind::Ameli => "Connexion à mon compte ameli",
            FiKind::LaPoste => "Connexion à L'Identité Numérique La Poste",
            FiKind::Msa => "Connexion à mon espace privé MSA",
            FiKind::FranceIdentite => "Connexion avec France Identité",
            FiKind::TestHigh => "Connexion au fournisseur d'identité de test (eidas3)",
        }
    }

    /// How the citizen logs in: a form, or the ID card.
    #[must_use]
    pub const fn login_method(self) -> LoginMethod {
        match self {
            FiKind::FranceIdentite => LoginMethod::Card,
            _ => LoginMethod::Web,
        }
    }

    /// Shape of the login identifier (France Identité has no form: its
    /// accounts are named by their e-mail address).
    #[must_use]
    pub const fn login_format(self) -> LoginFormat {
        match self {
            FiKind::Impots => LoginFormat::FiscalNumber,
            FiKind::Ameli | FiKind::Msa => LoginFormat::SocialSecurityNumber,
            FiKind::LaPoste | FiKind::TestHigh | FiKind::FranceIdentite => LoginFormat::Email,
        }
    }

    /// Label of the identifier field.
    #[must_use]
    pub const fn login_label(self) -> &'static str {
        match self.login_format() {
            LoginFormat::FiscalNumber => "Numéro fiscal",
            LoginFormat::SocialSecurityNumber => "Numéro de sécurité sociale",
            LoginFormat::Email => "Adresse e-mail",
        }
    }

    /// Help text under the identifier label.
    #[must_use]
    pub const fn login_hint(self) -> &'static str {
        match self {
            FiKind::Impots => "Votre numéro fiscal est composé de 13 chiffres.",
            FiKind::Ameli => {
                "13 caractères (disponible sur vos relevés de remboursement). Exemple : 1 48 05 99 999 356"
            }
            FiKind::LaPoste | FiKind::TestHigh | FiKind::FranceIdentite => {
                "Format attendu : nom@domaine.fr"
            }
            FiKind::Msa => "13 caractères, sans la clé (figure sur votre carte Vitale).",
        }
    }

    /// `type` attribute of the identifier input.
    #[must_use]
    pub const fn login_input_type(self) -> &'static str {
        match self.login_format() {
            LoginFormat::Email => "email",
            _ => "text",
        }
    }

    /// `inputmode` attribute of the identifier input.
    #[must_use]
    pub const fn login_input_mode(self) -> &'static str {
        match self.login_format() {
            LoginFormat::FiscalNumber => "numeric",
            LoginFormat::SocialSecurityNumber => "text",
            LoginFormat::Email => "email",
        }
    }

    /// Label of the password field.
    #[must_use]
    pub const fn password_label(self) -> &'static str {
        "Mot de passe"
    }

    /// Help text under the password label.
    #[must_use]
    pub const fn password_hint(self) -> &'static str {
        match self {
            FiKind::Ameli => "Votre mot de passe ameli (anciennement « code personnel »).",
            _ => "Respectez les majuscules et les minuscules.",
        }
    }

    /// French message shown when the identifier has the wrong shape.
    #[must_use]
    pub const fn login_format_error(self) -> &'static str {
        match self.login_format() {
            LoginFormat::FiscalNumber => "Le numéro fiscal doit comporter 13 chiffres.",
            LoginFormat::SocialSecurityNumber => {
                "Le numéro de sécurité sociale doit comporter 13 caractères."
            }
            LoginFormat::Email => {
                "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr."
            }
        }
    }

    /// Signature algorithm the sandbox gives this FI by default (the real
    /// ones differ too: the broker must accept both).
    #[must_use]
    pub const fn default_sign_alg(self) -> SignAlg {
        match self {
            FiKind::Impots | FiKind::Msa => SignAlg::Rs256,
            FiKind::Ameli | FiKind::LaPoste | FiKind::TestHigh | FiKind::FranceIdentite => {
                SignAlg::Es256
            }
        }
    }

    /// Canonical form of a typed identifier, or `None` when it does not have
    /// the expected shape. Numbers ignore spaces; e-mail addresses ignore
    /// case and surrounding blanks.
    #[must_use]
    pub fn normalize_login(self, raw: &str) -> Option<String> {
        match self.login_format() {
            LoginFormat::FiscalNumber => {
                let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                (s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
            }
            LoginFormat::SocialSecurityNumber => {
                let s: String = raw
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                let ok = s.len() == 13
                    && s.bytes()
                        .enumerate()
                        .all(|(i, b)| b.is_ascii_digit() || (i == 6 && (b == b'A' || b == b'B')));
                ok.then_some(s)
            }
            LoginFormat::Email => {
                let s = raw.trim().to_lowercase();
                let valid = s
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
                (valid && !s.chars().any(char::is_whitespace)).then_some(s)
            }
        }
    }
}

impl std::fmt::Display for FiKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
