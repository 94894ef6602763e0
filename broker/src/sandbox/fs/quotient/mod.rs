//! The family-quotient feature of a demo service ("Ville de Lyon — calcul
//! du quotient familial municipal"), switched on by [`QuotientSpec`].
//!
//! Mode "Simplifié — Par FranceConnect": the year is sent with `POST
//! /login`; right after the login, while the 60 s access token is valid,
//! the callback asks the tax data provider for that year's revenu fiscal de
//! référence and nombre de parts, but only for what the citizen granted
//! (the token response's `scope`, or the requested scopes when it has
//! none). Whatever could not be obtained leads to the manual form,
//! pre-filled, with the reason ([`Fallback`]).
//!
//! Mode "Manuel": `POST /quotient` with the values of the avis
//! d'imposition.
//!
//! Layout: [`calc`] computes and formats (pure), [`tax_api`] calls the
//! data provider, [`view`] prepares the page; this file holds the session
//! record and the decisions.

pub(crate) mod calc;
pub(crate) mod tax_api;
pub(crate) mod view;

#[cfg(test)]
mod tests;

use openidconnect::AccessToken;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use url::Url;

use calc::{FieldError, Parts, Rfr};
use tax_api::TaxApiError;

/// Scope of the revenu fiscal de référence (DGFiP).
pub const SCOPE_RFR: &str = "dgfip_rfr";
/// Scope of the nombre de parts (DGFiP).
pub const SCOPE_NBPART: &str = "dgfip_nbpart";
/// Income years offered.
const YEARS_OFFERED: i32 = 3;

/// The family-quotient feature of a demo service. The tax scopes it asks
/// ([`SCOPE_RFR`], [`SCOPE_NBPART`]) are read from the service's
/// [`super::FsSpec::scopes`].
#[derive(Clone, Debug)]
pub struct QuotientSpec {
    /// Base URL of the tax data provider's API, e.g.
    /// `http://127.0.0.1:7400`: income is read at
    /// `{tax_api}/api/v1/revenus/{annee}`.
    pub tax_api: Url,
}

/// The income years offered at `now`: the last [`YEARS_OFFERED`] years
/// before the current one, newest first (in 2025: 2024, 2023, 2022).
pub(crate) fn offered_years(now: OffsetDateTime) -> Vec<i32> {
    let current = now.year();
    (1..=YEARS_OFFERED).map(|back| current - back).collect()
}

/// The year chosen in a form: one of `offered`, else the newest.
pub(crate) fn chosen_year(input: Option<&str>, offered: &[i32]) -> i32 {
    let newest = offered.first().copied().unwrap_or_default();
    input
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|y| offered.contains(y))
        .unwrap_or(newest)
}

/// Where the values of a quotient come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The tax data provider, after a FranceConnect login.
    FranceConnect,
    /// Typed by the citizen.
    Manuel,
}

impl Source {
    /// The stable code (`/me.json`, `data-source`).
    pub fn code(self) -> &'static str {
        match self {
            Self::FranceConnect => "franceconnect",
            Self::Manuel => "manuel",
        }
    }
}

/// Why the data could not all be obtained through FranceConnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// The service asks no tax scope.
    NotRequested,
    /// The citizen refused every tax datum: the data provider was not
    /// called.
    Refused,
    /// The citizen refused one of the two data.
    PartlyRefused,
    /// The data provider has no tax return for this citizen and year (404).
    NotFound,
    /// The data provider refused the token (401, 403), is unavailable
    /// (503), unreachable, or answered something unexpected.
    Unavailable,
    /// The data provider left out a datum that was granted.
    Incomplete,
}

impl Fallback {
    /// The stable code (`/me.json`, `data-fallback`).
    pub fn code(self) -> &'static str {
        match self {
            Self::NotRequested => "not_requested",
            Self::Refused => "refused",
            Self::PartlyRefused => "partly_refused",
            Self::NotFound => "not_found",
            Self::Unavailable => "unavailable",
            Self::Incomplete => "incomplete",
        }
    }

    /// What the citizen reads above the pre-filled manual form.
    pub fn message(self, record: &Record) -> String {
        match self {
            Self::NotRequested => {
                "Ce service ne demande pas vos données fiscales à FranceConnect : saisissez-les ci-dessous.".to_owned()
            }
            Self::Refused => {
                "Vous avez refusé la transmission de vos données fiscales : saisissez-les ci-dessous.".to_owned()
            }
            Self::PartlyRefused => {
                let what = if record.rfr.is_none() {
                    "votre revenu fiscal de référence"
                } else {
                    "votre nombre de parts"
                };
                format!("Vous avez refusé la transmission de {what} : saisissez-le ci-dessous.")
            }
            Self::NotFound => format!(
                "Le service des impôts ne dispose d’aucune déclaration de vos revenus {} : saisissez vos données fiscales ci-dessous, d’après votre avis d’imposition.",
                record.annee
            ),
            Self::Unavailable => {
                "Le service des impôts n’a pas pu être joint : saisissez vos données fiscales ci-dessous, d’après votre avis d’imposition.".to_owned()
            }
            Self::Incomplete => {
                "Le service des impôts n’a pas transmis toutes vos données fiscales : complétez-les ci-dessous.".to_owned()
            }
        }
    }
}

/// The family-quotient step of a session: what was obtained or typed, and
/// for which year.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// Where the values come from.
    pub source: Source,
    /// The income year.
    pub annee: i32,
    /// The revenu fiscal de référence, when known.
    pub rfr: Option<Rfr>,
    /// The nombre de parts, when known.
    pub parts: Option<Parts>,
    /// The scopes the broker granted at the login (empty without login).
    pub granted_scopes: Vec<String>,
    /// Why FranceConnect did not give everything; kept after a manual
    /// entry that followed it.
    pub fallback: Option<Fallback>,
}

impl Record {
    /// The quotient in cents, when both values are known.
    pub fn quotient_cents(&self) -> Option<i64> {
        Some(calc::quotient_cents(self.rfr?, self.parts?))
    }

    /// The record as `/me.json` shows it (amounts in euros).
    pub fn to_json(&self) -> Value {
        json!({
            "source": self.source.code(),
            "annee": self.annee,
            "revenu_fiscal_de_reference": self.rfr.map(rfr_json),
            "nombre_de_parts": self.parts.map(Parts::as_f64),
            "quotient_familial": self.quotient_cents().map(calc::cents_to_f64),
            "granted_scopes": self.granted_scopes,
            "fallback_reason": self.fallback.map(Fallback::code),
        })
    }
}

/// A revenu fiscal de référence for JSON: an integer when in whole euros.
fn rfr_json(rfr: Rfr) -> Value {
    if rfr.cents() % 100 == 0 {
        json!(rfr.cents() / 100)
    } else {
        json!(rfr.euros())
    }
}

/// What the citizen allowed for one datum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grant {
    /// The service does not ask this datum.
    NotRequested,
    /// Asked, and refused on the consent page.
    Refused,
    /// Asked and granted.
    Granted,
}

fn grant(scope: &str, requested: &[String], granted: &[String]) -> Grant {
    if !requested.iter().any(|s| s == scope) {
        Grant::NotRequested
    } else if granted.iter().any(|s| s == scope) {
        Grant::Granted
    } else {
        Grant::Refused
    }
}

/// The outcome of a FranceConnect login for the quotient: calls the tax
/// data provider for `annee` with the login's access token, for the data
/// granted only (not at all when none is).
pub(crate) async fn after_login(
    spec: &QuotientSpec,
    http: &reqwest::Client,
    requested: &[String],
    granted: &[String],
    access_token: &AccessToken,
    annee: i32,
) -> Record {
    let rfr_grant = grant(SCOPE_RFR, requested, granted);
    let parts_grant = grant(SCOPE_NBPART, requested, granted);
    let mut record = Record {
        source: Source::FranceConnect,
        annee,
        rfr: None,
        parts: None,
        granted_scopes: granted.to_vec(),
        fallback: None,
    };
    if rfr_grant != Grant::Granted && parts_grant != Grant::Granted {
        record.fallback = Some(
            if rfr_grant == Grant::Refused || parts_grant == Grant::Refused {
                Fallback::Refused
            } else {
                Fallback::NotRequested
            },
        );
        return record;
    }
    match tax_api::fetch(http, &spec.tax_api, annee, access_token).await {
        Ok(data) => {
            // Never use a datum that was not granted, even if sent.
            record.rfr = data.rfr.filter(|_| rfr_grant == Grant::Granted);
            record.parts = data.parts.filter(|_| parts_grant == Grant::Granted);
            record.fallback = completeness(&record, rfr_grant, parts_grant);
        }
        Err(TaxApiError::NotFound) => record.fallback = Some(Fallback::NotFound),
        Err(e) => {
            tracing::warn!(annee, error = %e, "tax data provider gave no data");
            record.fallback = Some(Fallback::Unavailable);
        }
    }
    record
}

/// Why a successful answer still leaves something to type, if it does.
fn completeness(record: &Record, rfr: Grant, parts: Grant) -> Option<Fallback> {
    let grants = [(rfr, record.rfr.is_some()), (parts, record.parts.is_some())];
    if grants.iter().any(|(g, _)| *g == Grant::Refused) {
        Some(Fallback::PartlyRefused)
    } else if grants
        .iter()
        .any(|(g, obtained)| *g == Grant::Granted && !obtained)
    {
        Some(Fallback::Incomplete)
    } else if grants.iter().any(|(g, _)| *g == Grant::NotRequested) {
        Some(Fallback::NotRequested)
    } else {
        None
    }
}

/// The manual form, as posted.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ManualForm {
    /// The session's anti-CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The income year.
    #[serde(default)]
    pub annee: String,
    /// The revenu fiscal de référence, in euros, as typed.
    #[serde(default)]
    pub revenu_fiscal_de_reference: String,
    /// The nombre de parts, as typed.
    #[serde(default)]
    pub nombre_de_parts: String,
}

/// What is wrong with a manual form, field by field (French messages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FormErrors {
    /// The year is not one of those offered.
    pub annee: Option<&'static str>,
    /// The revenu fiscal de référence.
    pub rfr: Option<&'static str>,
    /// The nombre de parts.
    pub parts: Option<&'static str>,
}

/// Checks a manual form: the year among `offered`, a non-negative amount,
/// a positive multiple of 0.25 parts.
pub(crate) fn validate(
    form: &ManualForm,
    offered: &[i32],
) -> Result<(i32, Rfr, Parts), FormErrors> {
    let annee = form
        .annee
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| offered.contains(y));
    let rfr = calc::parse_rfr(&form.revenu_fiscal_de_reference);
    let parts = calc::parse_parts(&form.nombre_de_parts);
    match (annee, rfr, parts) {
        (Some(a), Ok(r), Ok(p)) => Ok((a, r, p)),
        (annee, rfr, parts) => Err(FormErrors {
            annee: annee
                .is_none()
                .then_some("Choisissez l’année de vos revenus dans la liste."),
            rfr: rfr.err().map(FieldError::rfr_message),
            parts: parts.err().map(FieldError::parts_message),
        }),
    }
}

/// The record of a valid manual entry. The reason FranceConnect did not
/// give everything is kept from `previous`.
pub(crate) fn manual_record(
    (annee, rfr, parts): (i32, Rfr, Parts),
    previous: Option<&Record>,
    granted_scopes: Vec<String>,
) -> Record {
    Record {
        source: Source::Manuel,
        annee,
        rfr: Some(rfr),
        parts: Some(parts),
        granted_scopes,
        fallback: previous.and_then(|p| p.fallback),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn scopes(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn years_are_the_three_before_now() {
        let now = time::macros::datetime!(2025-06-15 10:00 UTC);
        let years = offered_years(now);
        assert_eq!(years, [2024, 2023, 2022]);
        assert_eq!(chosen_year(Some("2023"), &years), 2023);
        assert_eq!(chosen_year(Some("2025"), &years), 2024);
        assert_eq!(chosen_year(Some("x"), &years), 2024);
        assert_eq!(chosen_year(None, &years), 2024);
    }

    #[test]
    fn a_datum_is_granted_only_when_asked_and_granted() {
        let requested = scopes("openid email dgfip_rfr dgfip_nbpart");
        assert_eq!(
            grant(SCOPE_RFR, &requested, &scopes("openid")),
            Grant::Refused
        );
        assert_eq!(grant(SCOPE_RFR, &requested, &requested), Grant::Granted);
        assert_eq!(
            grant(SCOPE_RFR, &scopes("openid"), &scopes("openid dgfip_rfr")),
            Grant::NotRequested
        );
    }

    fn record(rfr: Option<i64>, parts: Option<f64>) -> Record {
        Record {
            source: Source::FranceConnect,
            annee: 2024,
            rfr: rfr.and_then(Rfr::from_euros),
            parts: parts.and_then(Parts::from_f64),
            granted_scopes: Vec::new(),
            fallback: None,
        }
    }

    #[test]
    fn what_is_missing_after_an_answer_is_explained() {
        use Grant::*;
        let both = record(Some(38_450), Some(2.5));
        assert_eq!(completeness(&both, Granted, Granted), None);
        let rfr_only = record(Some(38_450), None);
        assert_eq!(
            completeness(&rfr_only, Granted, Refused),
            Some(Fallback::PartlyRefused)
        );
        assert_eq!(
            completeness(&rfr_only, Granted, Granted),
            Some(Fallback::Incomplete)
        );
        assert_eq!(
            completeness(&rfr_only, Granted, NotRequested),
            Some(Fallback::NotRequested)
        );
        let m = Fallback::PartlyRefused.message(&rfr_only);
        assert!(m.contains("nombre de parts"), "{m}");
        let m = Fallback::PartlyRefused.message(&record(None, Some(1.0)));
        assert!(m.contains("revenu fiscal de référence"), "{m}");
        assert!(Fallback::NotFound.message(&both).contains("revenus 2024"));
    }

    #[test]
    fn the_record_shows_in_json_in_euros() {
        let mut r = record(Some(38_450), Some(2.5));
        r.granted_scopes = scopes("openid dgfip_rfr dgfip_nbpart");
        assert_eq!(
            r.to_json(),
            json!({
                "source": "franceconnect", "annee": 2024,
                "revenu_fiscal_de_reference": 38450, "nombre_de_parts": 2.5,
                "quotient_familial": 1281.67,
                "granted_scopes": ["openid", "dgfip_rfr", "dgfip_nbpart"],
                "fallback_reason": null,
            })
        );
        let mut partial = record(None, Some(1.5));
        partial.fallback = Some(Fallback::PartlyRefused);
        let j = partial.to_json();
        assert_eq!(j["revenu_fiscal_de_reference"], Value::Null);
        assert_eq!(j["quotient_familial"], Value::Null);
        assert_eq!(j["fallback_reason"], "partly_refused");
        let cents = Record {
            rfr: calc::parse_rfr("1000,5").ok(),
            ..record(None, Some(1.0))
        };
        assert_eq!(cents.to_json()["revenu_fiscal_de_reference"], 1000.5);
    }

    #[test]
    fn manual_forms_are_checked_field_by_field() {
        let years = [2024, 2023, 2022];
        let form = |annee: &str, rfr: &str, parts: &str| ManualForm {
            csrf: String::new(),
            annee: annee.into(),
            revenu_fiscal_de_reference: rfr.into(),
            nombre_de_parts: parts.into(),
        };
        let (annee, rfr, parts) = validate(&form("2023", "38 450", "2,5"), &years).unwrap();
        assert_eq!(annee, 2023);
        assert_eq!(calc::quotient_cents(rfr, parts), 128_167);

        let errors = validate(&form("2019", "-3", "0"), &years).unwrap_err();
        assert!(errors.annee.is_some());
        assert_eq!(errors.rfr, Some(FieldError::Negative.rfr_message()));
        assert_eq!(errors.parts, Some(FieldError::Zero.parts_message()));

        let errors = validate(&form("2024", "abc", "1,3"), &years).unwrap_err();
        assert_eq!(errors.annee, None);
        assert_eq!(errors.rfr, Some(FieldError::NotANumber.rfr_message()));
        assert_eq!(errors.parts, Some(FieldError::NotAQuarter.parts_message()));
    }

    #[test]
    fn a_manual_entry_keeps_the_reason_it_was_needed() {
        let mut previous = record(None, None);
        previous.fallback = Some(Fallback::Unavailable);
        let values = (
            2024,
            Rfr::from_euros(100).unwrap(),
            Parts::from_f64(1.0).unwrap(),
        );
        let r = manual_record(values, Some(&previous), Vec::new());
        assert_eq!(r.source, Source::Manuel);
        assert_eq!(r.fallback, Some(Fallback::Unavailable));
        assert_eq!(manual_record(values, None, Vec::new()).fallback, None);
    }
}
