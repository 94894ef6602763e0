//! INSEE Code officiel géographique (COG) reference data: the commune and
//! country codes that the `birthplace` and `birthcountry` claims carry, with
//! their names for display.
//!
//! The tables are `data/cog-communes.tsv` (current communes, arrondissements
//! municipaux of Paris, Lyon and Marseille, communes déléguées and associées,
//! and every code that ceased since 1943 under its last name) and
//! `data/cog-countries.tsv` (INSEE countries and territories, former ones
//! included, `99100` France). They are embedded in the binary and parsed once,
//! on first use; lookups are binary searches. No I/O. `data/README.md` gives
//! the sources, versions and licence; `scripts/refresh-cog.py` regenerates
//! them.

use std::sync::OnceLock;

use crate::identity::FRANCE_COG;

/// `code<TAB>kind<TAB>name`, sorted by code, with a header line.
const COMMUNES_TSV: &str = include_str!("../data/cog-communes.tsv");
/// Same layout as [`COMMUNES_TSV`].
const COUNTRIES_TSV: &str = include_str!("../data/cog-countries.tsv");

/// Length of every COG code, in bytes.
const CODE_LEN: usize = 5;

/// What a commune code designates in the COG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommuneKind {
    /// A current commune.
    Current,
    /// An arrondissement municipal of Paris (`751xx`), Lyon (`6938x`) or
    /// Marseille (`132xx`).
    MunicipalArrondissement,
    /// A commune déléguée or associée: a former commune that lives on inside
    /// a commune nouvelle or by association.
    Delegated,
    /// A code that ceased to exist (merger, change of department…); the name
    /// is the last one the commune had under that code.
    Former,
}

impl CommuneKind {
    /// The kind for a letter of the `kind` column.
    fn from_letter(letter: u8) -> Option<CommuneKind> {
        match letter {
            b'C' => Some(CommuneKind::Current),
            b'A' => Some(CommuneKind::MunicipalArrondissement),
            b'D' => Some(CommuneKind::Delegated),
            b'F' => Some(CommuneKind::Former),
            _ => None,
        }
    }
}

/// A commune of the COG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commune {
    /// INSEE code, e.g. `75114`.
    pub code: &'static str,
    /// Name as the COG writes it, e.g. `Paris 14e Arrondissement`.
    pub name: &'static str,
    /// What the code designates.
    pub kind: CommuneKind,
}

/// A country or territory of the COG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Country {
    /// INSEE code, e.g. `99134`.
    pub code: &'static str,
    /// Name in capitals as INSEE writes it, e.g. `ESPAGNE`.
    pub name: &'static str,
    /// `false` for a former state or a territory that no current country
    /// carries (e.g. `99141` REPUBLIQUE DEMOCRATIQUE ALLEMANDE).
    pub current: bool,
}

/// The commune with this exact code, if the COG knows it (current or former).
pub fn commune(code: &str) -> Option<Commune> {
    let (code, letter, name) = lookup(communes(), code)?;
    Some(Commune {
        code,
        name,
        kind: CommuneKind::from_letter(letter)?,
    })
}

/// The country or territory with this exact code, if the COG knows it.
pub fn country(code: &str) -> Option<Country> {
    let (code, letter, name) = lookup(countries(), code)?;
    Some(Country {
        code,
        name,
        current: letter == b'C',
    })
}

/// The name of the commune with this code ("Paris 14e Arrondissement").
pub fn commune_name(code: &str) -> Option<&'static str> {
    commune(code).map(|c| c.name)
}

/// The name of the country with this code, in capitals ("ESPAGNE").
pub fn country_name(code: &str) -> Option<&'static str> {
    country(code).map(|c| c.name)
}

/// Whether the COG knows this commune code, current or former.
pub fn is_known_commune(code: &str) -> bool {
    commune(code).is_some()
}

/// Whether the COG knows this country code, current or former.
pub fn is_known_country(code: &str) -> bool {
    country(code).is_some()
}

/// The birth place for display, in French: "Paris 14e Arrondissement,
/// FRANCE" when born in France, the country's name ("ESPAGNE") when born
/// abroad. Unknown or missing codes give a readable fallback that shows the
/// code ("Commune inconnue (75999), FRANCE", "Pays inconnu (99999)").
pub fn birthplace_label(birthplace: &str, birthcountry: &str) -> String {
    let birthplace = birthplace.trim();
    let birthcountry = birthcountry.trim();
    let country = match country_name(birthcountry) {
        Some(name) => name.to_owned(),
        None if birthcountry.is_empty() => "Pays inconnu".to_owned(),
        None => format!("Pays inconnu ({birthcountry})"),
    };
    if birthcountry != FRANCE_COG {
        return country;
    }
    match commune_name(birthplace) {
        Some(name) => format!("{name}, {country}"),
        None if birthplace.is_empty() => country,
        None => format!("Commune inconnue ({birthplace}), {country}"),
    }
}

/// The parsed commune table.
fn communes() -> &'static [&'static str] {
    static TABLE: OnceLock<Vec<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| parse(COMMUNES_TSV))
}

/// The parsed country table.
fn countries() -> &'static [&'static str] {
    static TABLE: OnceLock<Vec<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| parse(COUNTRIES_TSV))
}

/// The well-formed rows of a table, sorted by code; the header and any
/// malformed line are left out (the tests check there are none).
fn parse(tsv: &'static str) -> Vec<&'static str> {
    let mut rows: Vec<&'static str> = tsv
        .lines()
        .skip(1)
        .filter(|line| split(line).is_some())
        .collect();
    rows.sort_by_key(|row| row.get(..CODE_LEN));
    rows
}

/// A row split into code, kind letter and name: five ASCII alphanumeric
/// characters, a tab, one ASCII letter, a tab, a non-empty name.
fn split(row: &'static str) -> Option<(&'static str, u8, &'static str)> {
    let code = row.get(..CODE_LEN)?;
    let rest = row.get(CODE_LEN..)?.strip_prefix('\t')?;
    let (kind, name) = rest.split_once('\t')?;
    let &[letter] = kind.as_bytes() else {
        return None;
    };
    let well_formed = code.bytes().all(|b| b.is_ascii_alphanumeric())
        && letter.is_ascii_uppercase()
        && !name.is_empty();
    well_formed.then_some((code, letter, name))
}

/// Binary search of a sorted table for an exact code.
fn lookup(rows: &[&'static str], code: &str) -> Option<(&'static str, u8, &'static str)> {
    if code.len() != CODE_LEN {
        return None;
    }
    let index = rows
        .binary_search_by_key(&Some(code), |row| row.get(..CODE_LEN))
        .ok()?;
    split(rows.get(index)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{is_commune_code, is_country_code};
    use proptest::prelude::*;

    #[test]
    fn current_commune() {
        assert_eq!(
            commune("01001"),
            Some(Commune {
                code: "01001",
                name: "L'Abergement-Clémenciat",
                kind: CommuneKind::Current,
            })
        );
        assert_eq!(commune_name("75056"), Some("Paris"));
        assert_eq!(commune_name("2A004"), Some("Ajaccio"));
        assert_eq!(commune_name("2B033"), Some("Bastia"));
        assert_eq!(commune_name("97411"), Some("Saint-Denis"));
        assert_eq!(commune_name("98735"), Some("Papeete"));
    }

    #[test]
    fn municipal_arrondissements() {
        for (code, name) in [
            ("75114", "Paris 14e Arrondissement"),
            ("75101", "Paris 1er Arrondissement"),
            ("69381", "Lyon 1er Arrondissement"),
            ("13216", "Marseille 16e Arrondissement"),
        ] {
            let c = commune(code).unwrap();
            assert_eq!(c.name, name);
            assert_eq!(c.kind, CommuneKind::MunicipalArrondissement);
        }
        let arrondissements: Vec<&str> = communes()
            .iter()
            .filter_map(|row| commune(row.get(..5).unwrap()))
            .filter(|c| c.kind == CommuneKind::MunicipalArrondissement)
            .map(|c| c.code)
            .collect();
        assert_eq!(arrondissements.len(), 20 + 9 + 16);
        assert!(
            arrondissements
                .iter()
                .all(|c| c.starts_with("751") || c.starts_with("6938") || c.starts_with("132"))
        );
    }

    #[test]
    fn former_codes_keep_the_old_name() {
        // Octeville merged into Cherbourg-Octeville in 2000, itself now part
        // of Cherbourg-en-Cotentin (50129).
        assert_eq!(
            commune("50383"),
            Some(Commune {
                code: "50383",
                name: "Octeville",
                kind: CommuneKind::Former,
            })
        );
        assert_eq!(commune_name("50129"), Some("Cherbourg-en-Cotentin"));
        // Codes of Corsica before its two departments (1976).
        assert_eq!(commune("20001").unwrap().name, "Afa");
        assert_eq!(commune("20001").unwrap().kind, CommuneKind::Former);
        // Seine's codes before Hauts-de-Seine (1968).
        assert_eq!(commune_name("75012"), Some("Boulogne-Billancourt"));
        assert_eq!(commune_name("92012"), Some("Boulogne-Billancourt"));
    }

    #[test]
    fn delegated_communes() {
        let c = commune("74011").unwrap();
        assert_eq!(
            (c.name, c.kind),
            ("Annecy-le-Vieux", CommuneKind::Delegated)
        );
        // The chef-lieu keeps its code for its commune déléguée: the current
        // commune wins.
        assert_eq!(commune("74010").unwrap().kind, CommuneKind::Current);
        assert_eq!(commune_name("74010"), Some("Annecy"));
    }

    #[test]
    fn countries_in_insee_capitals() {
        assert_eq!(
            country("99100"),
            Some(Country {
                code: "99100",
                name: "FRANCE",
                current: true,
            })
        );
        assert_eq!(country_name("99134"), Some("ESPAGNE"));
        assert_eq!(country_name("99350"), Some("MAROC"));
        assert_eq!(country_name("99352"), Some("ALGERIE"));
        // A code shared by a state and its territories names the state.
        assert_eq!(country_name("99132"), Some("ROYAUME-UNI"));
    }

    #[test]
    fn former_countries_are_known_and_marked() {
        let rda = country("99141").unwrap();
        assert_eq!(rda.name, "REPUBLIQUE DEMOCRATIQUE ALLEMANDE");
        assert!(!rda.current);
        assert!(!country("99115").unwrap().current);
        assert!(country("99109").unwrap().current);
    }

    #[test]
    fn unknown_codes() {
        for code in [
            "75999", "00000", "2A999", "", "7505", "750560", "99100", "75056 ",
        ] {
            assert!(!is_known_commune(code), "{code:?}");
            assert_eq!(commune_name(code), None);
        }
        for code in ["99999", "99000", "", "9910", "75056", "99100 "] {
            assert!(!is_known_country(code), "{code:?}");
            assert_eq!(country_name(code), None);
        }
        assert!(is_known_commune("75056"));
        assert!(is_known_country("99100"));
    }

    #[test]
    fn tables_are_whole_sorted_and_well_shaped() {
        for (tsv, rows, valid) in [
            (
                COMMUNES_TSV,
                communes(),
                is_commune_code as fn(&str) -> bool,
            ),
            (COUNTRIES_TSV, countries(), is_country_code),
        ] {
            assert!(tsv.starts_with("code\tkind\tname\n"));
            assert_eq!(rows.len(), tsv.lines().count() - 1, "a row failed to parse");
            let codes: Vec<&str> = rows.iter().map(|r| r.get(..5).unwrap()).collect();
            assert!(
                codes.windows(2).all(|w| w[0] < w[1]),
                "unsorted or duplicate"
            );
            assert!(codes.iter().all(|c| valid(c)));
            // The committed file is already sorted: parsing reorders nothing.
            assert!(tsv.lines().skip(1).eq(rows.iter().copied()));
        }
        assert!(
            communes()
                .iter()
                .all(|r| commune(r.get(..5).unwrap()).is_some())
        );
        assert!(countries().len() > 230);
        assert!(communes().len() > 39_000);
    }

    #[test]
    fn label_born_in_france() {
        assert_eq!(
            birthplace_label("75114", "99100"),
            "Paris 14e Arrondissement, FRANCE"
        );
        assert_eq!(birthplace_label("50383", "99100"), "Octeville, FRANCE");
        assert_eq!(birthplace_label(" 2A004 ", " 99100 "), "Ajaccio, FRANCE");
    }

    #[test]
    fn label_born_abroad_is_the_country() {
        assert_eq!(birthplace_label("", "99134"), "ESPAGNE");
        assert_eq!(birthplace_label("75056", "99350"), "MAROC");
        assert_eq!(
            birthplace_label("", "99141"),
            "REPUBLIQUE DEMOCRATIQUE ALLEMANDE"
        );
    }

    #[test]
    fn label_fallbacks_show_the_code() {
        assert_eq!(
            birthplace_label("75999", "99100"),
            "Commune inconnue (75999), FRANCE"
        );
        assert_eq!(birthplace_label("", "99100"), "FRANCE");
        assert_eq!(birthplace_label("", "99999"), "Pays inconnu (99999)");
        assert_eq!(birthplace_label("75056", ""), "Pays inconnu");
    }

    proptest! {
        #[test]
        fn lookups_and_labels_never_panic(place in "\\PC{0,8}", country_code in "\\PC{0,8}") {
            let _ = commune(&place);
            let _ = country(&country_code);
            let label = birthplace_label(&place, &country_code);
            prop_assert!(!label.is_empty());
        }

        #[test]
        fn known_codes_have_the_right_shape(code in "[0-9AB]{5}") {
            if is_known_commune(&code) {
                prop_assert!(is_commune_code(&code));
            }
            if is_known_country(&code) {
                prop_assert!(is_country_code(&code));
            }
        }
    }
}
