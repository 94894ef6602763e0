//! The pivot identity and the validation of the claims an identity provider
//! (FI) returns from its userinfo endpoint.
//!
//! Validation checks the shape of every claim (lengths, real dates, INSEE
//! COG code formats), then that the birth commune and country codes exist in
//! the INSEE reference data of [`crate::cog`]: current codes, and former
//! codes too, so that a person born in a commune since merged, or in a
//! country that no longer exists, is accepted.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::cog;

/// INSEE COG country code of France.
pub const FRANCE_COG: &str = "99100";

/// Maximum length, in characters, of a name claim.
pub const NAME_MAX_CHARS: usize = 256;

/// Maximum length, in bytes, of an e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// Gender as carried by the `gender` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// `male`.
    Male,
    /// `female`.
    Female,
}

impl Gender {
    /// The claim value: `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

impl std::fmt::Display for Gender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The six claims that identify a person (the "identité pivot").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PivotIdentity {
    /// Given names, space separated.
    pub given_name: String,
    /// Birth name.
    pub family_name: String,
    /// Birth date, normalised as `YYYY-MM-DD`.
    pub birthdate: String,
    /// Gender.
    pub gender: Gender,
    /// INSEE COG commune code of the birth place; empty when born abroad.
    pub birthplace: String,
    /// INSEE COG country code of the birth country (`99100` = France).
    pub birthcountry: String,
}

impl PivotIdentity {
    /// The birth date in the French format `DD/MM/YYYY` ("12/03/1966").
    ///
    /// Returns the stored value unchanged if it is not a `YYYY-MM-DD` date.
    pub fn birthdate_fr(&self) -> String {
        let mut parts = self.birthdate.splitn(3, '-');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
            _ => self.birthdate.clone(),
        }
    }

    /// Whether the birth country is France (`99100`).
    pub fn born_in_france(&self) -> bool {
        self.birthcountry == FRANCE_COG
    }
}

/// Identity claims as an FI's userinfo endpoint returns them, before any
/// validation. Unknown fields are ignored and every field may be null.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RawIdentityClaims {
    /// `given_name`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `family_name`.
    #[serde(default)]
    pub family_name: Option<String>,
    /// `birthdate`: `YYYY-MM-DD`, or presumed `YYYY-MM` / `YYYY`.
    #[serde(default)]
    pub birthdate: Option<String>,
    /// `gender`: `male` or `female`.
    #[serde(default)]
    pub gender: Option<String>,
    /// `birthplace`: INSEE COG commune code.
    #[serde(default)]
    pub birthplace: Option<String>,
    /// `birthcountry`: INSEE COG country code.
    #[serde(default)]
    pub birthcountry: Option<String>,
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `preferred_username`: usage name.
    #[serde(default)]
    pub preferred_username: Option<String>,
}

/// A validated identity received from an FI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiIdentity {
    /// The pivot identity.
    pub pivot: PivotIdentity,
    /// E-mail address.
    pub email: String,
    /// Usage name, when the FI knows one.
    pub preferred_username: Option<String>,
}

impl FiIdentity {
    /// Validates the claims returned by an FI.
    ///
    /// `today` is the current date (in Europe/Paris): birth dates after it
    /// are rejected. Values are trimmed; empty values count as absent. The
    /// birth commune and country must exist in the INSEE COG ([`crate::cog`]),
    /// former codes included.
    pub fn validate(raw: RawIdentityClaims, today: Date) -> Result<FiIdentity, IdentityError> {
        let given_name = validate_name("given_name", raw.given_name)?;
        let family_name = validate_name("family_name", raw.family_name)?;
        let birthdate = validate_birthdate(raw.birthdate, today)?;
        let gender = validate_gender(raw.gender)?;
        let birthcountry = validate_birthcountry(raw.birthcountry)?;
        let birthplace = validate_birthplace(raw.birthplace, &birthcountry)?;
        let email = validate_email(raw.email)?;
        let preferred_username = match non_empty(raw.preferred_username) {
            Some(value) => Some(validate_name("preferred_username", Some(value))?),
            None => None,
        };
        Ok(FiIdentity {
            pivot: PivotIdentity {
                given_name,
                family_name,
                birthdate,
                gender,
                birthplace,
                birthcountry,
            },
            email,
            preferred_username,
        })
    }
}

/// Trims a claim value; empty or blank values count as absent.
fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `given_name`, `family_name`, `preferred_username`: 1 to 256 characters
/// once trimmed, no control characters.
fn validate_name(claim: &'static str, value: Option<String>) -> Result<String, IdentityError> {
    let value = non_empty(value).ok_or(IdentityError::MissingClaim(claim))?;
    if value.chars().count() > NAME_MAX_CHARS || value.chars().any(char::is_control) {
        return Err(IdentityError::InvalidName(claim));
    }
    Ok(value)
}

/// `birthdate`: a real calendar date, not after `today`. Presumed dates
/// `YYYY-MM` and `YYYY` become `YYYY-MM-01` and `YYYY-01-01`.
fn validate_birthdate(value: Option<String>, today: Date) -> Result<String, IdentityError> {
    let value = non_empty(value).ok_or(IdentityError::MissingClaim("birthdate"))?;
    let date = parse_birthdate(&value).ok_or(IdentityError::InvalidBirthdate)?;
    if date > today {
        return Err(IdentityError::BirthdateInFuture);
    }
    Ok(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

/// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (ASCII digits only).
fn parse_birthdate(value: &str) -> Option<Date> {
    let mut parts = value.split('-');
    let year = parse_digits(parts.next()?, 4)?;
    let month = match parts.next() {
        Some(m) => parse_digits(m, 2)?,
        None => 1,
    };
    let day = match parts.next() {
        Some(d) => parse_digits(d, 2)?,
        None => 1,
    };
    if parts.next().is_some() {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// Parses exactly `len` ASCII digits.
fn parse_digits(s: &str, len: usize) -> Option<u32> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `gender`: exactly `male` or `female`.
fn validate_gender(value: Option<String>) -> Result<Gender, IdentityError> {
    match non_empty(value)
        .ok_or(IdentityError::MissingClaim("gender"))?
        .as_str()
    {
        "male" => Ok(Gender::Male),
        "female" => Ok(Gender::Female),
        _ => Err(IdentityError::InvalidGender),
    }
}

/// `birthcountry`: an INSEE COG country code, five digits starting with `99`,
/// known to the COG (current or former).
fn validate_birthcountry(value: Option<String>) -> Result<String, IdentityError> {
    let value = non_empty(value).ok_or(IdentityError::MissingClaim("birthcountry"))?;
    if !is_country_code(&value) {
        Err(IdentityError::InvalidBirthcountry)
    } else if !cog::is_known_country(&value) {
        Err(IdentityError::UnknownBirthcountry)
    } else {
        Ok(value)
    }
}

/// Whether `code` has the shape of an INSEE COG country code.
pub fn is_country_code(code: &str) -> bool {
    code.len() == 5 && code.starts_with("99") && code.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` has the shape of an INSEE COG commune code: a department
/// (two digits, or `2A` / `2B` for Corsica) then three digits. Overseas
/// codes (`971xx`…) have the same shape; `99xxx` are country codes.
pub fn is_commune_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 5 || code.starts_with("99") {
        return false;
    }
    let department_ok = match (bytes[0], bytes[1]) {
        (b'2', b'A' | b'B') => true,
        (a, b) => a.is_ascii_digit() && b.is_ascii_digit(),
    };
    department_ok && bytes[2..].iter().all(u8::is_ascii_digit)
}

/// `birthplace`: a commune code known to the COG (current or former),
/// required when born in France, empty or absent when born abroad.
fn validate_birthplace(value: Option<String>, birthcountry: &str) -> Result<String, IdentityError> {
    let value = non_empty(value);
    if birthcountry != FRANCE_COG {
        return match value {
            None => Ok(String::new()),
            Some(_) => Err(IdentityError::BirthplaceNotEmptyAbroad),
        };
    }
    let value = value.ok_or(IdentityError::BirthplaceRequired)?;
    if !is_commune_code(&value) {
        Err(IdentityError::InvalidBirthplace)
    } else if !cog::is_known_commune(&value) {
        Err(IdentityError::UnknownBirthplace)
    } else {
        Ok(value)
    }
}

/// `email`: required, at most 254 bytes, exactly one `@` with non-empty
/// local and domain parts, no whitespace or control characters.
/// Whether `value` looks like an e-mail address: one `@` between a
/// non-empty local part and domain, no spaces or control characters, at
/// most 254 characters. Deliverability is the mail server's business.
#[must_use]
pub fn is_plausible_email(value: &str) -> bool {
    value.len() <= EMAIL_MAX_LEN
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(value.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

fn validate_email(value: Option<String>) -> Result<String, IdentityError> {
    let value = non_empty(value).ok_or(IdentityError::MissingClaim("email"))?;
    if is_plausible_email(&value) {
        Ok(value)
    } else {
        Err(IdentityError::InvalidEmail)
    }
}

/// Why an FI's identity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A required claim is absent, null or blank; carries the claim name.
    #[error("the identity provider did not send the required claim `{0}`")]
    MissingClaim(&'static str),
    /// A name claim is longer than 256 characters or holds control
    /// characters; carries the claim name.
    #[error("the claim `{0}` is not a valid name (1 to 256 characters, no control characters)")]
    InvalidName(&'static str),
    /// `birthdate` is not a real `YYYY-MM-DD`, `YYYY-MM` or `YYYY` date.
    #[error("the claim `birthdate` is not a valid date")]
    InvalidBirthdate,
    /// `birthdate` is after the current date.
    #[error("the claim `birthdate` is in the future")]
    BirthdateInFuture,
    /// `gender` is neither `male` nor `female`.
    #[error("the claim `gender` must be `male` or `female`")]
    InvalidGender,
    /// `birthcountry` is not an INSEE COG country code (`99` + 3 digits).
    #[error("the claim `birthcountry` is not an INSEE country code")]
    InvalidBirthcountry,
    /// `birthcountry` has the shape of a country code but the INSEE COG
    /// knows no such country, current or former.
    #[error("the claim `birthcountry` is not a country of the INSEE reference data")]
    UnknownBirthcountry,
    /// `birthplace` is not an INSEE COG commune code.
    #[error("the claim `birthplace` is not an INSEE commune code")]
    InvalidBirthplace,
    /// `birthplace` has the shape of a commune code but the INSEE COG knows
    /// no such commune, current or former.
    #[error("the claim `birthplace` is not a commune of the INSEE reference data")]
    UnknownBirthplace,
    /// `birthplace` is absent although the person was born in France.
    #[error("the claim `birthplace` is required when born in France")]
    BirthplaceRequired,
    /// `birthplace` is not empty although the person was born abroad.
    #[error("the claim `birthplace` must be empty when born abroad")]
    BirthplaceNotEmptyAbroad,
    /// `email` is not a plausible e-mail address.
    #[error("the claim `email` is not a valid e-mail address")]
    InvalidEmail,
}

impl IdentityError {
    /// The claim at fault.
    pub fn claim(&self) -> &'static str {
        match self {
            IdentityError::MissingClaim(claim) | IdentityError::InvalidName(claim) => claim,
            IdentityError::InvalidBirthdate | IdentityError::BirthdateInFuture => "birthdate",
            IdentityError::InvalidGender => "gender",
            IdentityError::InvalidBirthcountry | IdentityError::UnknownBirthcountry => {
                "birthcountry"
            }
            IdentityError::InvalidBirthplace
            | IdentityError::UnknownBirthplace
            | IdentityError::BirthplaceRequired
            | IdentityError::BirthplaceNotEmptyAbroad => "birthplace",
            IdentityError::InvalidEmail => "email",
        }
    }

    /// A short French sentence for the citizen's error page.
    pub fn message_fr(&self) -> &'static str {
        match self {
            IdentityError::MissingClaim(claim) => missing_claim_fr(claim),
            IdentityError::InvalidName("given_name") => {
                "Les prénoms transmis par votre fournisseur d'identité ne sont pas valides."
            }
            IdentityError::InvalidName("family_name") => {
                "Le nom de naissance transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::InvalidName("preferred_username") => {
                "Le nom d'usage transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::InvalidName(_) => {
                "Un nom transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::InvalidBirthdate => {
                "La date de naissance transmise par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::BirthdateInFuture => {
                "La date de naissance transmise par votre fournisseur d'identité est dans le futur."
            }
            IdentityError::InvalidGender => {
                "Le sexe transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::InvalidBirthcountry => {
                "Le pays de naissance transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::UnknownBirthcountry => {
                "Le pays de naissance transmis par votre fournisseur d'identité ne figure pas dans le référentiel des pays de l'Insee."
            }
            IdentityError::InvalidBirthplace => {
                "Le lieu de naissance transmis par votre fournisseur d'identité n'est pas valide."
            }
            IdentityError::UnknownBirthplace => {
                "La commune de naissance transmise par votre fournisseur d'identité ne figure pas dans le référentiel des communes de l'Insee."
            }
            IdentityError::BirthplaceRequired => {
                "Votre fournisseur d'identité n'a pas transmis votre lieu de naissance, obligatoire pour une naissance en France."
            }
            IdentityError::BirthplaceNotEmptyAbroad => {
                "Votre fournisseur d'identité a transmis une commune de naissance française pour une naissance à l'étranger."
            }
            IdentityError::InvalidEmail => {
                "L'adresse électronique transmise par votre fournisseur d'identité n'est pas valide."
            }
        }
    }
}

/// French sentence for a missing claim.
fn missing_claim_fr(claim: &str) -> &'static str {
    match claim {
        "given_name" => "Votre fournisseur d'identité n'a pas transmis vos prénoms.",
        "family_name" => "Votre fournisseur d'identité n'a pas transmis votre nom de naissance.",
        "birthdate" => "Votre fournisseur d'identité n'a pas transmis votre date de naissance.",
        "gender" => "Votre fournisseur d'identité n'a pas transmis votre sexe.",
        "birthplace" => "Votre fournisseur d'identité n'a pas transmis votre lieu de naissance.",
        "birthcountry" => "Votre fournisseur d'identité n'a pas transmis votre pays de naissance.",
        "email" => "Votre fournisseur d'identité n'a pas transmis votre adresse électronique.",
        "preferred_username" => "Votre fournisseur d'identité n'a pas transmis votre nom d'usage.",
        _ => "Votre fournisseur d'identité n'a pas transmis toutes les informations nécessaires.",
    }
}

#[cfg(test)]
mod tests;
