//! OAuth scopes and the identity claims each one grants.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Identity scopes every platform knows. Data-provider scopes (`dgfip_rfr`…)
/// are defined by the broker's registry.
pub const KNOWN_IDENTITY_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "birth",
    "identite_pivot",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "idp_birthdate",
    "amr",
    "idp_id",
];

/// Scopes of the "high" platform only: the civil registry's identity next to
/// the identity provider's (`rnipp_given_name`… or all six with
/// `rnipp_identite_pivot`).
pub const RNIPP_SCOPES: &[&str] = &[
    "rnipp_identite_pivot",
    "rnipp_given_name",
    "rnipp_family_name",
    "rnipp_birthdate",
    "rnipp_gender",
    "rnipp_birthplace",
    "rnipp_birthcountry",
];

/// Whether `scope` is one of [`RNIPP_SCOPES`].
pub fn is_rnipp_scope(scope: &str) -> bool {
    RNIPP_SCOPES.contains(&scope)
}

/// A set of scopes, kept sorted and without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a `scope` parameter: values separated by ASCII whitespace;
    /// duplicates collapse.
    pub fn parse(scope: &str) -> ScopeSet {
        ScopeSet(scope.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// Adds a scope; returns whether it was new.
    pub fn insert(&mut self, scope: impl Into<String>) -> bool {
        self.0.insert(scope.into())
    }

    /// The scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The scopes in sorted order, space separated (the `scope` wire form).
    pub fn to_string_sorted(&self) -> String {
        self.iter().collect::<Vec<_>>().join(" ")
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Scopes present in both sets.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// Removes every scope that is not in [`KNOWN_IDENTITY_SCOPES`] and
    /// returns the removed ones, sorted.
    pub fn retain_known(&mut self) -> Vec<String> {
        let unknown = self.unknown();
        self.0.retain(|scope| is_known_identity_scope(scope));
        unknown
    }

    /// Scopes that are not in [`KNOWN_IDENTITY_SCOPES`], sorted.
    pub fn unknown(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|scope| !is_known_identity_scope(scope))
            .cloned()
            .collect()
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_string_sorted())
    }
}

impl<S: Into<String>> FromIterator<S> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().map(Into::into).collect())
    }
}

/// Whether `scope` is one of [`KNOWN_IDENTITY_SCOPES`].
pub fn is_known_identity_scope(scope: &str) -> bool {
    KNOWN_IDENTITY_SCOPES.contains(&scope)
}

/// The claims a scope grants; empty for an unknown scope.
pub fn claims_for_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "profile" => &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "preferred_username",
        ],
        "birth" => &["birthplace", "birthcountry"],
        "identite_pivot" => &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "birthplace",
            "birthcountry",
        ],
        "given_name" => &["given_name"],
        "family_name" => &["family_name"],
        "birthdate" => &["birthdate"],
        "gender" => &["gender"],
        "birthplace" => &["birthplace"],
        "birthcountry" => &["birthcountry"],
        "email" => &["email"],
        "preferred_username" => &["preferred_username"],
        "idp_birthdate" => &["idp_birthdate"],
        "amr" => &["amr"],
        "idp_id" => &["idp_id"],
        "rnipp_identite_pivot" => &[
            "rnipp_given_name",
            "rnipp_family_name",
            "rnipp_birthdate",
            "rnipp_gender",
            "rnipp_birthplace",
            "rnipp_birthcountry",
        ],
        "rnipp_given_name" => &["rnipp_given_name"],
        "rnipp_family_name" => &["rnipp_family_name"],
        "rnipp_birthdate" => &["rnipp_birthdate"],
        "rnipp_gender" => &["rnipp_gender"],
        "rnipp_birthplace" => &["rnipp_birthplace"],
        "rnipp_birthcountry" => &["rnipp_birthcountry"],
        _ => &[],
    }
}

/// The union of the claims granted by each scope.
pub fn claims_for_scopes(scopes: &ScopeSet) -> BTreeSet<&'static str> {
    scopes
        .iter()
        .flat_map(|scope| claims_for_scope(scope).iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_and_dedupes() {
        let s = ScopeSet::parse("  openid\tprofile openid\nemail ");
        assert_eq!(s.len(), 3);
        assert_eq!(s.to_string_sorted(), "email openid profile");
        assert_eq!(s.to_string(), "email openid profile");
        assert!(s.contains("openid"));
        assert!(!s.contains("birth"));
        assert!(ScopeSet::parse(" ").is_empty());
    }

    #[test]
    fn serializes_as_sorted_array() {
        let s = ScopeSet::parse("profile openid");
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"["openid","profile"]"#
        );
        let back: ScopeSet = serde_json::from_str(r#"["profile","openid"]"#).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn intersection() {
        let a = ScopeSet::parse("openid profile email");
        let b = ScopeSet::parse("email birth openid");
        assert_eq!(a.intersection(&b).to_string_sorted(), "email openid");
    }

    #[test]
    fn unknown_and_retain_known() {
        let mut s = ScopeSet::parse("openid dgfip_rfr email zzz");
        assert_eq!(s.unknown(), vec!["dgfip_rfr".to_owned(), "zzz".to_owned()]);
        assert_eq!(
            s.retain_known(),
            vec!["dgfip_rfr".to_owned(), "zzz".to_owned()]
        );
        assert_eq!(s.to_string_sorted(), "email openid");
        assert!(s.unknown().is_empty());
    }

    #[test]
    fn every_known_scope_grants_claims() {
        for scope in KNOWN_IDENTITY_SCOPES {
            assert!(!claims_for_scope(scope).is_empty(), "{scope}");
        }
        assert!(claims_for_scope("dgfip_rfr").is_empty());
    }

    #[test]
    fn scope_to_claims() {
        assert_eq!(claims_for_scope("openid"), ["sub"]);
        assert_eq!(claims_for_scope("birth"), ["birthplace", "birthcountry"]);
        assert_eq!(claims_for_scope("identite_pivot").len(), 6);
        let claims = claims_for_scopes(&ScopeSet::parse("openid profile birth"));
        assert_eq!(
            claims.into_iter().collect::<Vec<_>>(),
            [
                "birthcountry",
                "birthdate",
                "birthplace",
                "family_name",
                "gender",
                "given_name",
                "preferred_username",
                "sub"
            ]
        );
    }
}
