//! The sandbox registry's records and its matching rules.
//!
//! The records are the registry's truth about the sandbox's test citizens
//! (see the table in [`crate::sandbox::citizens`]) plus a few homonyms that
//! make matching on more than names necessary. Names are kept as written in
//! the civil-status record, accents included.
//!
//! # Refused queries
//!
//! Before matching, the registry refuses ([`RnippOutcome::Rejected`]) a
//! query it cannot run:
//! - a birth date that is not a real `YYYY-MM-DD` date, that is before
//!   [`FIRST_BIRTHDATE`] (the registry's scope) or after the registry's
//!   current date (UTC);
//! - a birth country that is not an INSEE country code (`99` + 3 digits);
//! - a birth in France (`99100`) without an INSEE commune code as birth
//!   place, or a birth abroad with one;
//! - a given name or family name that is empty once normalised
//!   ([`normalize_name`]) or holds anything but the registry's alphabet:
//!   `A`–`Z`, space, hyphen and apostrophe after normalisation (digits,
//!   other punctuation, other scripts).
//!
//! # Matching
//!
//! A record is a candidate when its birth date, gender and birth country
//! equal the query's and, for a birth in France, its birth place too.
//! Names are compared once normalised; a candidate matches
//! - **by birth name** when the query's family name is the record's birth
//!   name and the query's given names are the record's, or a strict prefix
//!   of them word by word ("Sophie" for "Sophie Anne Claire");
//! - **by usage name** when the query's family name is the record's usage
//!   (married) name but not its birth name, with the same rule for given
//!   names.
//!
//! Then, in this order: one birth-name match whose normalised given names
//! equal the query's, else one birth-name match by prefix, is the person;
//! failing that, one usage-name match is the person found only under a
//! married name. Several equally good matches are ambiguous: the registry
//! cannot tell who is meant and answers [`RnippOutcome::NotFound`], as it
//! does when nothing matches. A person whose record carries a death date is
//! reported [`RnippOutcome::Deceased`], whichever way they matched. A found
//! person is [`RnippOutcome::Found`] when the query equals the record byte
//! for byte and [`RnippOutcome::Corrected`] otherwise, with the record's
//! identity.

use pivot_proto::{
    identity::{FRANCE_COG, Gender, PivotIdentity, is_commune_code, is_country_code},
    rnipp::{RnippOutcome, RnippQuery, normalize_name},
};
use time::{Date, macros::format_description};

/// The earliest birth date the registry holds.
pub const FIRST_BIRTHDATE: &str = "1900-01-01";

/// A person as the registry records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Given names, space separated.
    pub given_name: &'static str,
    /// Birth name.
    pub family_name: &'static str,
    /// Usage (married) name, when any.
    pub usage_name: Option<&'static str>,
    /// Birth date, `YYYY-MM-DD`.
    pub birthdate: &'static str,
    /// Gender.
    pub gender: Gender,
    /// INSEE commune code, empty when born abroad.
    pub birthplace: &'static str,
    /// INSEE country code.
    pub birthcountry: &'static str,
    /// Date of death, `YYYY-MM-DD`, when deceased.
    pub death_date: Option<&'static str>,
    /// Whether looking this record up is slow (the service waits its slow
    /// delay before answering).
    pub slow: bool,
}

impl Record {
    /// The record as a pivot identity (birth name as family name).
    #[must_use]
    pub fn identity(&self) -> PivotIdentity {
        PivotIdentity {
            given_name: self.given_name.to_owned(),
            family_name: self.family_name.to_owned(),
            birthdate: self.birthdate.to_owned(),
            gender: self.gender,
            birthplace: self.birthplace.to_owned(),
            birthcountry: self.birthcountry.to_owned(),
        }
    }
}

/// A record with the common defaults: alive, not slow, no usage name.
const fn person(
    given_name: &'static str,
    family_name: &'static str,
    birthdate: &'static str,
    gender: Gender,
    birthplace: &'static str,
    birthcountry: &'static str,
) -> Record {
    Record {
        given_name,
        family_name,
        usage_name: None,
        birthdate,
        gender,
        birthplace,
        birthcountry,
        death_date: None,
        slow: false,
    }
}

const F: Gender = Gender::Female;
const M: Gender = Gender::Male;

/// The sandbox registry's records.
pub static RECORDS: &[Record] = &[
    person("Eric", "MERCIER", "1966-03-12", M, "75056", "99100"),
    person(
        "Vincent Maurice Jean",
        "BERDOT",
        "1974-10-31",
        M,
        "75114",
        "99100",
    ),
    person("Carmen Isabel", "GARCIA", "1981-05-23", F, "", "99134"),
    Record {
        usage_name: Some("MARTIN-DUBOIS"),
        ..person(
            "Marie-Hélène Élodie",
            "DE LA FONTAINE-ÉLOÏSE",
            "1988-11-07",
            F,
            "69123",
            "99100",
        )
    },
    person("Ahmed", "BENALI", "1950-06-01", M, "", "99352"),
    person("Jeanne Louise", "DUPONT", "1992-02-29", F, "13055", "99100"),
    person("Pierre-Louis", "MARTIN", "2001-12-01", M, "33063", "99100"),
    person(
        "Sophie Anne Claire",
        "LEFEBVRE",
        "1985-04-17",
        F,
        "59350",
        "99100",
    ),
    person("Françoise", "LE GOFF", "1958-09-02", F, "29019", "99100"),
    person(
        "Julien Thomas",
        "ROUSSEAU",
        "1979-01-15",
        M,
        "31555",
        "99100",
    ),
    Record {
        usage_name: Some("PETIT"),
        ..person(
            "Nathalie Christine",
            "MOREAU",
            "1972-08-30",
            F,
            "44109",
            "99100",
        )
    },
    Record {
        death_date: Some("2023-11-03"),
        ..person("Robert André", "GIRARD", "1931-02-14", M, "06088", "99100")
    },
    person("Léa", "ROUX", "1989-03-08", F, "35238", "99100"),
    Record {
        slow: true,
        ..person("Yasmine", "EL AMRANI", "1990-12-05", F, "", "99350")
    },
    // Homonyms: same names, another birth.
    person("Eric", "MERCIER", "1971-09-25", M, "69123", "99100"),
    person(
        "Sophie Marie",
        "LEFEBVRE",
        "1985-04-17",
        F,
        "59512",
        "99100",
    ),
];

/// The answer to one query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// What the registry answers.
    pub outcome: RnippOutcome,
    /// Whether the matched record is slow to look up.
    pub slow: bool,
}

impl Lookup {
    fn quick(outcome: RnippOutcome) -> Self {
        Self {
            outcome,
            slow: false,
        }
    }
}

/// Runs `query` against `records` on the registry's date `today`.
#[must_use]
pub fn search(records: &[Record], query: &RnippQuery, today: Date) -> Lookup {
    if let Some(reason) = refusal(query, today) {
        return Lookup::quick(RnippOutcome::Rejected { reason });
    }
    let given = normalize_name(&query.given_name);
    let given: Vec<&str> = given.split(' ').collect();
    let family = normalize_name(&query.family_name);

    let mut same_given = Vec::new();
    let mut prefix_given = Vec::new();
    let mut usage = Vec::new();
    for record in records.iter().filter(|r| same_birth(r, query)) {
        let record_given = normalize_name(record.given_name);
        let record_given: Vec<&str> = record_given.split(' ').collect();
        let given_match = if record_given == given {
            GivenMatch::Same
        } else if given.len() < record_given.len() && record_given.starts_with(&given) {
            GivenMatch::Prefix
        } else {
            continue;
        };
        if normalize_name(record.family_name) == family {
            match given_match {
                GivenMatch::Same => same_given.push(record),
                GivenMatch::Prefix => prefix_given.push(record),
            }
        } else if record
            .usage_name
            .is_some_and(|u| normalize_name(u) == family)
        {
            usage.push(record);
        }
    }

    let (record, married) = match (&same_given[..], &prefix_given[..], &usage[..]) {
        ([one], _, _) | ([], [one], _) => (*one, false),
        ([], [], [one]) => (*one, true),
        _ => return Lookup::quick(RnippOutcome::NotFound),
    };
    let outcome = if record.death_date.is_some() {
        RnippOutcome::Deceased
    } else if married {
        RnippOutcome::MarriedNameOnly
    } else {
        RnippOutcome::matched(&query.to_identity(), record.identity())
    };
    Lookup {
        outcome,
        slow: record.slow,
    }
}

/// How a record's given names match the query's.
enum GivenMatch {
    /// Equal once normalised.
    Same,
    /// The query's are a strict word prefix of the record's.
    Prefix,
}

/// Same birth date, gender, country and (in France) commune.
fn same_birth(record: &Record, query: &RnippQuery) -> bool {
    record.birthdate == query.birthdate
        && record.gender == query.gender
        && record.birthcountry == query.birthcountry
        && (record.birthcountry != FRANCE_COG || record.birthplace == query.birthplace)
}

/// Why the registry refuses `query`, if it does (see the module
/// documentation).
#[must_use]
pub fn refusal(query: &RnippQuery, today: Date) -> Option<String> {
    let birthdate = match parse_date(&query.birthdate) {
        Some(d) => d,
        None => return Some("birthdate is not a YYYY-MM-DD date".to_owned()),
    };
    if parse_date(FIRST_BIRTHDATE).is_some_and(|first| birthdate < first) {
        return Some(format!(
            "birthdate is before {FIRST_BIRTHDATE}, outside the registry"
        ));
    }
    if birthdate > today {
        return Some("birthdate is in the future".to_owned());
    }
    if !is_country_code(&query.birthcountry) {
        return Some("birthcountry is not an INSEE country code".to_owned());
    }
    if query.birthcountry == FRANCE_COG {
        if !is_commune_code(&query.birthplace) {
            return Some("birthplace must be an INSEE commune code for a birth in France".into());
        }
    } else if !query.birthplace.is_empty() {
        return Some("birthplace must be empty for a birth abroad".to_owned());
    }
    for (claim, value) in [
        ("given_name", &query.given_name),
        ("family_name", &query.family_name),
    ] {
        let normalized = normalize_name(value);
        if normalized.is_empty() {
            return Some(format!("{claim} is empty"));
        }
        if !normalized
            .bytes()
            .all(|b| b.is_ascii_uppercase() || matches!(b, b' ' | b'-' | b'\''))
        {
            return Some(format!(
                "{claim} holds characters outside the registry's alphabet"
            ));
        }
    }
    None
}

/// Parses a strict `YYYY-MM-DD` date.
fn parse_date(value: &str) -> Option<Date> {
    let well_formed = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return None;
    }
    Date::parse(value, format_description!("[year]-[month]-[day]")).ok()
}
