//! Data-provider (FD) scopes: one scope per datum ("revenu fiscal de
//! référence"), each served by exactly one provider and shown to the citizen
//! as "label (PROVIDER)" on the consent page.

use serde::{Deserialize, Serialize};

use crate::scope::{ScopeSet, is_known_identity_scope, is_rnipp_scope};

/// Longest accepted data-scope name.
pub const MAX_SCOPE_LEN: usize = 64;
/// Longest accepted label.
pub const MAX_LABEL_LEN: usize = 120;

/// One datum a data provider serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataScope {
    /// The scope, e.g. `dgfip_rfr`.
    pub scope: String,
    /// What the citizen sees, in French, e.g. "revenu fiscal de référence".
    pub label: String,
}

/// Why a data scope cannot be registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataScopeError {
    /// Not `[a-z0-9_]`, starting with a letter, at most [`MAX_SCOPE_LEN`].
    #[error(
        "data scope `{0}` must be lowercase letters, digits and `_`, starting with a letter, at most 64 characters"
    )]
    Syntax(String),
    /// An identity or `rnipp_*` scope cannot be a datum.
    #[error("`{0}` is an identity scope, not a data scope")]
    Reserved(String),
    /// Empty or over-long label.
    #[error("the label of `{0}` must be 1 to 120 characters")]
    Label(String),
    /// The same scope twice in one registration.
    #[error("data scope `{0}` is listed twice")]
    Duplicate(String),
}

impl DataScope {
    /// Builds a checked data scope.
    ///
    /// # Errors
    /// See [`DataScopeError`].
    pub fn new(scope: &str, label: &str) -> Result<Self, DataScopeError> {
        let ok = !scope.is_empty()
            && scope.len() <= MAX_SCOPE_LEN
            && scope.starts_with(|c: char| c.is_ascii_lowercase())
            && scope
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(DataScopeError::Syntax(scope.to_owned()));
        }
        if is_known_identity_scope(scope) || is_rnipp_scope(scope) {
            return Err(DataScopeError::Reserved(scope.to_owned()));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_LEN {
            return Err(DataScopeError::Label(scope.to_owned()));
        }
        Ok(Self {
            scope: scope.to_owned(),
            label: label.to_owned(),
        })
    }

    /// Parses the command-line form `scope=label`.
    ///
    /// # Errors
    /// See [`DataScopeError`]; a missing `=` is a label error.
    pub fn parse_assignment(s: &str) -> Result<Self, DataScopeError> {
        match s.split_once('=') {
            Some((scope, label)) => Self::new(scope.trim(), label),
            None => Err(DataScopeError::Label(s.to_owned())),
        }
    }

    /// Checks a provider's whole list (each entry, no duplicates).
    ///
    /// # Errors
    /// The first problem found.
    pub fn check_list(list: &[DataScope]) -> Result<(), DataScopeError> {
        let mut seen = ScopeSet::default();
        for d in list {
            Self::new(&d.scope, &d.label)?;
            if !seen.insert(d.scope.clone()) {
                return Err(DataScopeError::Duplicate(d.scope.clone()));
            }
        }
        Ok(())
    }
}

/// A datum as the citizen sees it on the consent page: which provider
/// serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRequest {
    /// The scope.
    pub scope: String,
    /// The datum, e.g. "revenu fiscal de référence".
    pub label: String,
    /// The provider's id (its client id).
    pub provider_id: String,
    /// The provider's short name, e.g. "DGFIP".
    pub provider_name: String,
}

impl DataRequest {
    /// "revenu fiscal de référence (DGFIP)".
    pub fn display(&self) -> String {
        format!("{} ({})", self.label, self.provider_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_data_scopes() {
        let d = DataScope::new("dgfip_rfr", " revenu fiscal de référence ").unwrap();
        assert_eq!(d.label, "revenu fiscal de référence");
        assert!(DataScope::new("cnam_medecin_traitant", "médecin traitant").is_ok());
    }

    #[test]
    fn refuses_bad_names_reserved_scopes_and_labels() {
        for bad in [
            "",
            "Dgfip",
            "1abc",
            "dgfip-rfr",
            "dgfip rfr",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(DataScope::new(bad, "x"), Err(DataScopeError::Syntax(_))),
                "{bad}"
            );
        }
        for reserved in ["openid", "email", "rnipp_given_name", "identite_pivot"] {
            assert!(matches!(
                DataScope::new(reserved, "x"),
                Err(DataScopeError::Reserved(_))
            ));
        }
        assert!(matches!(
            DataScope::new("dgfip_rfr", "  "),
            Err(DataScopeError::Label(_))
        ));
        assert!(matches!(
            DataScope::new("dgfip_rfr", &"é".repeat(121)),
            Err(DataScopeError::Label(_))
        ));
    }

    #[test]
    fn parses_assignments_and_lists() {
        let d = DataScope::parse_assignment("dgfip_nbpart=nombre de parts").unwrap();
        assert_eq!(d.scope, "dgfip_nbpart");
        assert_eq!(d.label, "nombre de parts");
        assert!(DataScope::parse_assignment("dgfip_nbpart").is_err());
        let twice = vec![d.clone(), d];
        assert_eq!(
            DataScope::check_list(&twice),
            Err(DataScopeError::Duplicate("dgfip_nbpart".into()))
        );
    }

    #[test]
    fn displays_label_and_provider() {
        let r = DataRequest {
            scope: "dgfip_rfr".into(),
            label: "revenu fiscal de référence".into(),
            provider_id: "dgfip".into(),
            provider_name: "DGFIP".into(),
        };
        assert_eq!(r.display(), "revenu fiscal de référence (DGFIP)");
    }
}
