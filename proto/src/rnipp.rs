//! The civil-registry (RNIPP) check: the query the broker sends to the
//! registry service, the registry's answer on the wire, the outcome the
//! broker acts on, and the name normalisation used for matching.
//!
//! The registry is asked about the pivot identity an identity provider (FI)
//! returned. It answers with one of six outcomes ([`RnippOutcome`]); only
//! [`RnippOutcome::Found`] and [`RnippOutcome::Corrected`] let a login go on,
//! and in both cases the registry's identity is the one to use from then on.
//!
//! # Wire format
//!
//! `POST` [`SEARCH_PATH`] with the API key in the [`API_KEY_HEADER`] header
//! and a JSON [`RnippQuery`] body; the answer is a JSON [`RnippResponse`]:
//!
//! ```text
//! {"outcome":"found","identity":{…}}
//! {"outcome":"corrected","identity":{…},"corrected":["given_name"]}
//! {"outcome":"not_found"}
//! {"outcome":"married_name_only"}
//! {"outcome":"deceased"}
//! {"outcome":"rejected","reason":"…"}
//! ```

use serde::{Deserialize, Serialize};

use crate::identity::{Gender, PivotIdentity};

/// Path of the registry's search endpoint, relative to its base URL.
pub const SEARCH_PATH: &str = "/rnipp/v1/search";

/// Header carrying the caller's API key (lower case, as HTTP/2 sends it).
pub const API_KEY_HEADER: &str = "x-api-key";

/// What the broker asks the registry: the identity an FI returned, claim for
/// claim, unnormalised, so that the registry can tell what it corrected.
///
/// `birthplace` is the INSEE commune code for a birth in France and empty
/// when born abroad; `birthcountry` is the INSEE country code (`99100` =
/// France).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RnippQuery {
    /// Given names, space separated.
    pub given_name: String,
    /// Family name as the FI sent it (should be the birth name).
    pub family_name: String,
    /// Birth date, `YYYY-MM-DD`.
    pub birthdate: String,
    /// Gender.
    pub gender: Gender,
    /// INSEE commune code of the birth place, empty when born abroad.
    pub birthplace: String,
    /// INSEE country code of the birth country.
    pub birthcountry: String,
}

impl RnippQuery {
    /// The query for the identity an FI returned.
    pub fn from_identity(identity: &PivotIdentity) -> RnippQuery {
        RnippQuery {
            given_name: identity.given_name.clone(),
            family_name: identity.family_name.clone(),
            birthdate: identity.birthdate.clone(),
            gender: identity.gender,
            birthplace: identity.birthplace.clone(),
            birthcountry: identity.birthcountry.clone(),
        }
    }

    /// The queried identity, claim for claim.
    pub fn to_identity(&self) -> PivotIdentity {
        PivotIdentity {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            birthdate: self.birthdate.clone(),
            gender: self.gender,
            birthplace: self.birthplace.clone(),
            birthcountry: self.birthcountry.clone(),
        }
    }
}

impl From<&PivotIdentity> for RnippQuery {
    fn from(identity: &PivotIdentity) -> Self {
        RnippQuery::from_identity(identity)
    }
}

/// The registry's answer, as carried in the HTTP response body. Every
/// variant maps one to one onto an [`RnippOutcome`] (`From` both ways).
///
/// Reading is tolerant: fields the registry may add later are ignored, but
/// an unknown `outcome` or a missing field of a known one is an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RnippResponse {
    /// The person exists exactly as queried.
    Found {
        /// The registry's identity (equal to the query).
        identity: PivotIdentity,
    },
    /// The person exists; the registry's identity differs slightly from the
    /// query (a missing given name, an accent, case or spacing).
    Corrected {
        /// The registry's identity, the one to use.
        identity: PivotIdentity,
        /// Names of the claims that differ from the query, in claim order.
        corrected: Vec<String>,
    },
    /// No person matches.
    NotFound,
    /// A person matches only when the queried family name is read as their
    /// usage (married) name, not their birth name.
    MarriedNameOnly,
    /// The matching person is deceased.
    Deceased,
    /// The registry refused the query.
    Rejected {
        /// Why, in the registry's words.
        reason: String,
    },
}

/// The outcome of a registry check, as the broker acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RnippOutcome {
    /// Found exactly as queried; carries the registry's identity.
    Found(PivotIdentity),
    /// Found and corrected ("redressé"): the registry's identity is the one
    /// to use.
    Corrected {
        /// The registry's identity.
        identity: PivotIdentity,
        /// Names of the claims that differ from the FI's, in claim order.
        corrected: Vec<String>,
    },
    /// Nobody matches.
    NotFound,
    /// Known only under a married name: the FI sent the usage name as the
    /// family name.
    MarriedNameOnly,
    /// The person is deceased.
    Deceased,
    /// The registry refused the query.
    Rejected {
        /// The registry's reason.
        reason: String,
    },
}

impl RnippOutcome {
    /// Every machine code, in declaration order.
    pub const CODES: [&'static str; 6] = [
        "found",
        "corrected",
        "not_found",
        "married_name_only",
        "deceased",
        "rejected",
    ];

    /// The registry's identity: only when found or corrected, the two
    /// outcomes that let a login go on.
    pub fn identity(&self) -> Option<&PivotIdentity> {
        match self {
            RnippOutcome::Found(identity) | RnippOutcome::Corrected { identity, .. } => {
                Some(identity)
            }
            _ => None,
        }
    }

    /// Stable machine code: `found`, `corrected`, `not_found`,
    /// `married_name_only`, `deceased` or `rejected`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RnippOutcome::Found(_) => "found",
            RnippOutcome::Corrected { .. } => "corrected",
            RnippOutcome::NotFound => "not_found",
            RnippOutcome::MarriedNameOnly => "married_name_only",
            RnippOutcome::Deceased => "deceased",
            RnippOutcome::Rejected { .. } => "rejected",
        }
    }

    /// The outcome for `identity` as an FI returned it and `registry` as
    /// the registry knows the person: found when equal, corrected otherwise.
    pub fn matched(queried: &PivotIdentity, registry: PivotIdentity) -> RnippOutcome {
        let corrected = differing_claims(queried, &registry);
        if corrected.is_empty() {
            RnippOutcome::Found(registry)
        } else {
            RnippOutcome::Corrected {
                identity: registry,
                corrected,
            }
        }
    }

    /// A French sentence for the citizen's error page, for the outcomes that
    /// stop a login; `None` when found or corrected.
    pub fn error_message_fr(&self) -> Option<&'static str> {
        match self {
            RnippOutcome::Found(_) | RnippOutcome::Corrected { .. } => None,
            RnippOutcome::NotFound => Some(
                "L'identité transmise par votre fournisseur d'identité ne correspond à aucune personne du répertoire national d'état civil. Vérifiez vos nom, prénoms, date et lieu de naissance auprès de ce fournisseur, ou choisissez un autre compte.",
            ),
            RnippOutcome::MarriedNameOnly => Some(
                "Votre fournisseur d'identité a transmis un nom d'usage (par exemple un nom d'époux ou d'épouse). L'état civil vous connaît sous votre nom de naissance : faites corriger ce nom auprès de votre fournisseur d'identité, ou choisissez un autre compte.",
            ),
            RnippOutcome::Deceased => Some(
                "Le répertoire national d'état civil signale le décès de la personne correspondant à cette identité. Si c'est une erreur, contactez votre mairie de naissance ou l'Insee.",
            ),
            RnippOutcome::Rejected { .. } => Some(
                "Le répertoire national d'état civil n'a pas pu traiter la vérification de votre identité. Choisissez un autre compte ou réessayez plus tard.",
            ),
        }
    }
}

impl From<RnippResponse> for RnippOutcome {
    fn from(response: RnippResponse) -> Self {
        match response {
            RnippResponse::Found { identity } => RnippOutcome::Found(identity),
            RnippResponse::Corrected {
                identity,
                corrected,
            } => RnippOutcome::Corrected {
                identity,
                corrected,
            },
            RnippResponse::NotFound => RnippOutcome::NotFound,
            RnippResponse::MarriedNameOnly => RnippOutcome::MarriedNameOnly,
            RnippResponse::Deceased => RnippOutcome::Deceased,
            RnippResponse::Rejected { reason } => RnippOutcome::Rejected { reason },
        }
    }
}

impl From<RnippOutcome> for RnippResponse {
    fn from(outcome: RnippOutcome) -> Self {
        match outcome {
            RnippOutcome::Found(identity) => RnippResponse::Found { identity },
            RnippOutcome::Corrected {
                identity,
                corrected,
            } => RnippResponse::Corrected {
                identity,
                corrected,
            },
            RnippOutcome::NotFound => RnippResponse::NotFound,
            RnippOutcome::MarriedNameOnly => RnippResponse::MarriedNameOnly,
            RnippOutcome::Deceased => RnippResponse::Deceased,
            RnippOutcome::Rejected { reason } => RnippResponse::Rejected { reason },
        }
    }
}

/// Names of the claims whose values differ between `a` and `b`, in the
/// order `given_name`, `family_name`, `birthdate`, `gender`, `birthplace`,
/// `birthcountry`. Byte comparison: an accent or a case change counts.
pub fn differing_claims(a: &PivotIdentity, b: &PivotIdentity) -> Vec<String> {
    [
        ("given_name", a.given_name == b.given_name),
        ("family_name", a.family_name == b.family_name),
        ("birthdate", a.birthdate == b.birthdate),
        ("gender", a.gender == b.gender),
        ("birthplace", a.birthplace == b.birthplace),
        ("birthcountry", a.birthcountry == b.birthcountry),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(claim, _)| claim.to_owned())
    .collect()
}

/// Normalises a name for matching against the registry. Two names that
/// differ only by case, accents, apostrophe style or separator spacing
/// normalise to the same string. Exactly:
///
/// 1. Every character is upper-cased (Unicode upper case, so `ß` becomes
///    `SS`).
/// 2. Combining diacritical marks (U+0300–U+036F, as in decomposed `e` +
///    U+0301) are removed.
/// 3. Latin letters with a diacritic become their base letter: `ÀÁÂÃÄÅĀĂĄ`
///    → `A`, `ÇĆĈĊČ` → `C`, `ĎĐ` → `D`, `ÈÉÊËĒĔĖĘĚ` → `E`, `ĜĞĠĢ` → `G`,
///    `ĤĦ` → `H`, `ÌÍÎÏĨĪĬĮİ` → `I`, `Ĵ` → `J`, `Ķ` → `K`, `ĹĻĽĿŁ` → `L`,
///    `ÑŃŅŇ` → `N`, `ÒÓÔÕÖØŌŎŐ` → `O`, `ŔŖŘ` → `R`, `ŚŜŞŠȘ` → `S`,
///    `ŢŤŦȚ` → `T`, `ÙÚÛÜŨŪŬŮŰŲ` → `U`, `Ŵ` → `W`, `ÝŸŶ` → `Y`,
///    `ŹŻŽ` → `Z`, `Ð` → `D`; ligatures and special letters are spelt out:
///    `Æ` → `AE`, `Œ` → `OE`, `Ĳ` → `IJ`, `ẞ` → `SS`, `Þ` → `TH`.
/// 4. Apostrophe look-alikes (`’` U+2019, `‘` U+2018, `ʼ` U+02BC, `` ` ``,
///    `´` U+00B4) become the ASCII apostrophe `'`.
/// 5. Separators are collapsed: a run of whitespace (`char::is_whitespace`,
///    which includes the no-break space) and hyphens (`-`, U+2010–U+2015,
///    U+2212) becomes a single `-` if it holds a hyphen, else a single
///    space; runs at the start or end are dropped. A hyphen and a space stay
///    distinct (`Jean-Pierre` is one given name, `Jean Pierre` two).
///
/// Every other character (digits, other punctuation, other scripts) is kept
/// upper-cased. The function is idempotent.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    // The separator run being read: None, Some(false) = spaces only,
    // Some(true) = holds a hyphen.
    let mut pending: Option<bool> = None;
    for upper in name.chars().flat_map(char::to_uppercase) {
        let hyphen = is_hyphen(upper);
        if hyphen || upper.is_whitespace() {
            pending = Some(pending.unwrap_or(false) || hyphen);
            continue;
        }
        if is_combining_mark(upper) {
            continue;
        }
        // A leading run is dropped; `take` ends the run either way.
        if let Some(with_hyphen) = pending.take()
            && !out.is_empty()
        {
            out.push(if with_hyphen { '-' } else { ' ' });
        }
        match fold_letter(upper) {
            Some(folded) => out.push_str(folded),
            None if is_apostrophe(upper) => out.push('\''),
            None => out.push(upper),
        }
    }
    out
}

/// Whether `c` is a hyphen or dash folded into `-`.
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Whether `c` is an apostrophe look-alike folded into `'`.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}')
}

/// Whether `c` is a combining diacritical mark (U+0300–U+036F).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// The base letter(s) of an upper-case Latin letter with a diacritic.
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ď' | 'Đ' | 'Ð' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'Ŵ' => "W",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'Æ' => "AE",
        'Œ' => "OE",
        'Ĳ' => "IJ",
        'ẞ' => "SS",
        'Þ' => "TH",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eric() -> PivotIdentity {
        PivotIdentity {
            given_name: "Eric".into(),
            family_name: "MERCIER".into(),
            birthdate: "1966-03-12".into(),
            gender: Gender::Male,
            birthplace: "75056".into(),
            birthcountry: "99100".into(),
        }
    }

    #[test]
    fn normalisation_folds_case_accents_and_separators() {
        let cases = [
            ("Marie-Hélène", "MARIE-HELENE"),
            ("DE LA FONTAINE-ÉLOÏSE", "DE LA FONTAINE-ELOISE"),
            ("de  la\u{a0}fontaine - éloïse", "DE LA FONTAINE-ELOISE"),
            ("  Jean--Pierre  ", "JEAN-PIERRE"),
            ("Jean \u{2013} Pierre", "JEAN-PIERRE"),
            ("Jean Pierre", "JEAN PIERRE"),
            ("Françoise", "FRANCOISE"),
            ("Cœur", "COEUR"),
            ("LÆTITIA", "LAETITIA"),
            ("Weiß", "WEISS"),
            ("D’Alembert", "D'ALEMBERT"),
            ("O`Neill", "O'NEILL"),
            ("Łukasz Wałęsa", "LUKASZ WALESA"),
            ("Ștefan Țiriac", "STEFAN TIRIAC"),
            // Decomposed: e + combining acute.
            ("Rene\u{301}e", "RENEE"),
            ("", ""),
            (" - ", ""),
            // Other scripts and digits are kept, upper-cased.
            ("Ανδρέας 2", "ΑΝΔΡΈΑΣ 2"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn hyphen_and_space_stay_distinct() {
        assert_ne!(normalize_name("Jean-Pierre"), normalize_name("Jean Pierre"));
        assert_eq!(
            normalize_name("Jean-Pierre"),
            normalize_name("jean - pierre")
        );
    }

    #[test]
    fn query_round_trips_the_identity() {
        let id = eric();
        let q = RnippQuery::from_identity(&id);
        assert_eq!(q.to_identity(), id);
        assert_eq!(RnippQuery::from(&id), q);
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "given_name": "Eric", "family_name": "MERCIER", "birthdate": "1966-03-12",
                "gender": "male", "birthplace": "75056", "birthcountry": "99100",
            })
        );
        let back: RnippQuery = serde_json::from_value(json).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn query_refuses_unknown_fields() {
        let mut json = serde_json::to_value(RnippQuery::from_identity(&eric())).unwrap();
        json["nir"] = "1660375056123".into();
        assert!(serde_json::from_value::<RnippQuery>(json).is_err());
    }

    #[test]
    fn response_snapshot() {
        // The sandbox registry's answer for sophie-lefebvre, whose FI sends
        // "Sophie" only.
        let registry = PivotIdentity {
            given_name: "Sophie Anne Claire".into(),
            family_name: "LEFEBVRE".into(),
            birthdate: "1985-04-17".into(),
            gender: Gender::Female,
            birthplace: "59350".into(),
            birthcountry: "99100".into(),
        };
        let outcome = RnippOutcome::Corrected {
            identity: registry,
            corrected: vec!["given_name".into()],
        };
        insta::assert_json_snapshot!(RnippResponse::from(outcome));
    }

    #[test]
    fn every_outcome_on_the_wire() {
        let outcomes = [
            RnippOutcome::Found(eric()),
            RnippOutcome::Corrected {
                identity: eric(),
                corrected: vec!["family_name".into()],
            },
            RnippOutcome::NotFound,
            RnippOutcome::MarriedNameOnly,
            RnippOutcome::Deceased,
            RnippOutcome::Rejected {
                reason: "birthdate before 1900-01-01".into(),
            },
        ];
        for (outcome, code) in outcomes.into_iter().zip(RnippOutcome::CODES) {
            assert_eq!(outcome.as_str(), code);
            let json = serde_json::to_value(RnippResponse::from(outcome.clone())).unwrap();
            assert_eq!(json["outcome"], code);
            let back: RnippResponse = serde_json::from_value(json).unwrap();
            assert_eq!(RnippOutcome::from(back), outcome);
            let allows = matches!(code, "found" | "corrected");
            assert_eq!(outcome.identity().is_some(), allows, "{code}");
            assert_eq!(outcome.error_message_fr().is_none(), allows, "{code}");
        }
    }

    #[test]
    fn malformed_responses_are_refused() {
        for body in [
            r#"{"outcome":"maybe"}"#,
            r#"{"outcome":"found"}"#,
            r#"{"outcome":"rejected"}"#,
            r#"{"identity":null}"#,
            r#"{"outcome":"corrected","identity":{"given_name":"Eric"},"corrected":[]}"#,
        ] {
            assert!(
                serde_json::from_str::<RnippResponse>(body).is_err(),
                "{body}"
            );
        }
        let ok: RnippResponse = serde_json::from_str(r#"{"outcome":"deceased"}"#).unwrap();
        assert_eq!(ok, RnippResponse::Deceased);
        // Fields added later by the registry are ignored.
        let ok: RnippResponse =
            serde_json::from_str(r#"{"outcome":"not_found","request_id":"42"}"#).unwrap();
        assert_eq!(ok, RnippResponse::NotFound);
    }

    #[test]
    fn matched_tells_found_from_corrected() {
        let fi = eric();
        assert_eq!(
            RnippOutcome::matched(&fi, eric()),
            RnippOutcome::Found(eric())
        );
        let mut registry = eric();
        registry.given_name = "Eric Jean".into();
        registry.family_name = "Mercier".into();
        assert_eq!(
            RnippOutcome::matched(&fi, registry.clone()),
            RnippOutcome::Corrected {
                identity: registry,
                corrected: vec!["given_name".into(), "family_name".into()],
            }
        );
        let mut other = eric();
        other.birthplace = String::new();
        other.birthcountry = "99134".into();
        other.birthdate = "1966-03-13".into();
        other.gender = Gender::Female;
        assert_eq!(
            differing_claims(&fi, &other),
            ["birthdate", "gender", "birthplace", "birthcountry"]
        );
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(name in "\\PC{0,40}") {
            let once = normalize_name(&name);
            prop_assert_eq!(normalize_name(&once), once.clone());
            prop_assert!(!once.starts_with([' ', '-']) && !once.ends_with([' ', '-']));
            prop_assert!(!once.contains("  ") && !once.contains("--"));
        }

        #[test]
        fn normalisation_ignores_case_and_french_accents(
            name in "[a-zA-ZàâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ' -]{0,40}"
        ) {
            let n = normalize_name(&name);
            prop_assert_eq!(normalize_name(&name.to_lowercase()), n.clone());
            prop_assert!(n.bytes().all(|b| b.is_ascii_uppercase() || b" '-".contains(&b)), "{}", n);
        }
    }
}
