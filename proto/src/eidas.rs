//! eIDAS levels of assurance, used as `acr` values, and the selection of the
//! level for an authorization request from its `acr_values`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An eIDAS level of assurance, ordered from lowest to highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Eidas {
    /// `eidas1`: low (FranceConnect).
    Eidas1,
    /// `eidas2`: substantial (FranceConnect+).
    Eidas2,
    /// `eidas3`: high (FranceConnect+).
    Eidas3,
}

impl Eidas {
    /// Every level, lowest first.
    pub const ALL: [Eidas; 3] = [Eidas::Eidas1, Eidas::Eidas2, Eidas::Eidas3];

    /// The `acr` value: `eidas1`, `eidas2` or `eidas3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Eidas::Eidas1 => "eidas1",
            Eidas::Eidas2 => "eidas2",
            Eidas::Eidas3 => "eidas3",
        }
    }

    /// Whether an authentication at this level meets `required`.
    pub fn satisfies(self, required: Eidas) -> bool {
        self >= required
    }
}

impl std::fmt::Display for Eidas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Eidas {
    type Err = AcrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Eidas::ALL
            .into_iter()
            .find(|level| level.as_str() == s)
            .ok_or(AcrError::Unknown)
    }
}

/// Why no level could be selected from `acr_values`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcrError {
    /// The lowest requested level is not allowed on this platform.
    #[error("the acr value `{0}` is not supported by this platform")]
    NotAllowed(Eidas),
    /// `acr_values` holds no known value.
    #[error("acr_values holds no known acr value")]
    Unknown,
    /// The platform allows no level at all (a configuration error).
    #[error("no acr value is allowed on this platform")]
    NoneAllowed,
}

/// Selects the level of an authorization request.
///
/// `acr_values` is space separated; unknown values are ignored. The lowest
/// known value is kept and must be in `allowed`. When `acr_values` is absent
/// or blank, the highest allowed level is used.
pub fn select_acr(acr_values: Option<&str>, allowed: &[Eidas]) -> Result<Eidas, AcrError> {
    let requested = acr_values.unwrap_or("");
    if requested.trim_ascii().is_empty() {
        return allowed.iter().copied().max().ok_or(AcrError::NoneAllowed);
    }
    let lowest = requested
        .split_ascii_whitespace()
        .filter_map(|value| value.parse::<Eidas>().ok())
        .min()
        .ok_or(AcrError::Unknown)?;
    if allowed.contains(&lowest) {
        Ok(lowest)
    } else {
        Err(AcrError::NotAllowed(lowest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: &[Eidas] = &[Eidas::Eidas1];
    const HIGH: &[Eidas] = &[Eidas::Eidas2, Eidas::Eidas3];

    #[test]
    fn strings_round_trip() {
        for level in Eidas::ALL {
            assert_eq!(level.as_str().parse::<Eidas>(), Ok(level));
            assert_eq!(level.to_string(), level.as_str());
            assert_eq!(
                serde_json::to_string(&level).unwrap(),
                format!("\"{}\"", level.as_str())
            );
        }
        assert_eq!("EIDAS1".parse::<Eidas>(), Err(AcrError::Unknown));
    }

    #[test]
    fn ordering_and_satisfies() {
        assert!(Eidas::Eidas1 < Eidas::Eidas2 && Eidas::Eidas2 < Eidas::Eidas3);
        assert!(Eidas::Eidas3.satisfies(Eidas::Eidas2));
        assert!(Eidas::Eidas2.satisfies(Eidas::Eidas2));
        assert!(!Eidas::Eidas1.satisfies(Eidas::Eidas2));
    }

    #[test]
    fn lowest_known_value_wins() {
        assert_eq!(select_acr(Some("eidas3 eidas2"), HIGH), Ok(Eidas::Eidas2));
        assert_eq!(select_acr(Some("foo eidas3  bar"), HIGH), Ok(Eidas::Eidas3));
        assert_eq!(select_acr(Some("eidas1"), LOW), Ok(Eidas::Eidas1));
    }

    #[test]
    fn lowest_value_not_allowed() {
        assert_eq!(
            select_acr(Some("eidas1 eidas2"), HIGH),
            Err(AcrError::NotAllowed(Eidas::Eidas1))
        );
        assert_eq!(
            select_acr(Some("eidas2"), LOW),
            Err(AcrError::NotAllowed(Eidas::Eidas2))
        );
    }

    #[test]
    fn absent_or_blank_gives_highest_allowed() {
        assert_eq!(select_acr(None, HIGH), Ok(Eidas::Eidas3));
        assert_eq!(select_acr(Some("  "), LOW), Ok(Eidas::Eidas1));
        assert_eq!(select_acr(None, &[]), Err(AcrError::NoneAllowed));
    }

    #[test]
    fn only_unknown_values() {
        assert_eq!(
            select_acr(Some("loa1 https://eidas.europa.eu/LoA/high"), HIGH),
            Err(AcrError::Unknown)
        );
    }
}
