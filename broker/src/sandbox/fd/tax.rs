//! The tax office's (DGFIP) data set and what `GET /api/v1/revenus/{annee}`
//! returns from it.
//!
//! Income years 2022–2024 as seen in 2025 (the return filed the following
//! spring); the API moves them forward with the clock so that the latest is
//! always last year's (in 2026: 2023–2025, same amounts). Files
//! are keyed by the civil registry's identity, so a citizen whose FI
//! spells the name differently (Sophie LEFEBVRE, Françoise LE GOFF) is
//! still found once the registry has corrected it.
//!
//! | citizen key | situation | parts | 2022 | 2023 | 2024 | tax address |
//! |---|---|---|---|---|---|---|
//! | `vincent-berdot` | Marié(e), 2 children | 3 | 35 890 | 37 120 | 38 450 | 12 rue Paul Bert, 69003 Lyon |
//! | `eric-mercier` | Divorcé(e), 1 child in shared custody | 1.25 | 40 210 | 41 030 | 42 680 | 8 avenue Jean Jaurès, 75019 Paris |
//! | `carmen-garcia` | Pacsé(e), a child born in 2023 | 2 then 2.5 | 49 870 | 51 240 | 52 600 | 27 allées Jean Jaurès, 31000 Toulouse |
//! | `marie-helene-de-la-fontaine-eloise` | Marié(e), no child | 2 | 58 300 | 60 150 | 61 820 | 14 cours Émile Zola, 69100 Villeurbanne |
//! | `ahmed-benali` | Veuf(ve), retired | 1 | 17 640 | 18 310 | 18 940 | 3 boulevard National, 13003 Marseille |
//! | `jeanne-dupont` | Célibataire | 1 | 24 150 | 26 380 | 27 900 | Marseille in 2022, then 19 rue d'Italie, 13100 Aix-en-Provence |
//! | `pierre-louis-martin` | Célibataire | 1 | 9 870 | 14 320 | — (no 2024 return) | Lieu-dit Peyrot, 33210 Langon |
//! | `sophie-lefebvre` | Célibataire, single parent of 2 | 2.5 | 31 200 | 32 050 | 33 480 | 41 rue Nationale, 59000 Lille |
//! | `francoise-le-goff` | Marié(e), retired | 2 | 36 900 | 37 840 | 38 760 | 7 rue de Siam, 29200 Brest |
//!
//! Nobody else has a tax file: `yasmine-el-amrani` logs in but gets
//! `404 not_found`, as does anyone for a year outside the table.

use serde::Serialize;

use super::directory::{File, RecordRef};

/// The tax scopes and their labels.
pub const SCOPES: &[(&str, &str)] = &[
    (RFR, "revenu fiscal de référence"),
    (NBPART, "nombre de parts"),
    (SITFAM, "situation familiale"),
    (ADRESSE, "adresse fiscale de référence"),
];

/// Scope of [`TaxYearView::revenu_fiscal_de_reference`].
pub const RFR: &str = "dgfip_rfr";
/// Scope of [`TaxYearView::nombre_de_parts`].
pub const NBPART: &str = "dgfip_nbpart";
/// Scope of [`TaxYearView::situation_familiale`].
pub const SITFAM: &str = "dgfip_sitfam";
/// Scope of [`TaxYearView::adresse_fiscale`].
pub const ADRESSE: &str = "dgfip_adresse";

/// A tax household's file.
#[derive(Debug, PartialEq)]
pub struct TaxFile {
    /// The citizen's key in [`crate::sandbox::citizens`].
    pub citizen: &'static str,
    /// The registry record of the person.
    pub person: RecordRef,
    /// One entry per income year, oldest first.
    pub years: &'static [TaxYear],
}

/// One income year of a household.
#[derive(Debug, PartialEq)]
pub struct TaxYear {
    /// The income year (the return is filed the next year).
    pub year: u16,
    /// Revenu fiscal de référence, in euros.
    pub rfr: u32,
    /// Nombre de parts (quotient familial).
    pub parts: f64,
    /// Situation familiale as the tax notice writes it.
    pub family_status: &'static str,
    /// Adresse fiscale de référence (1 January of the next year).
    pub address: &'static str,
}

impl File for TaxFile {
    fn person(&self) -> &RecordRef {
        &self.person
    }
}

impl TaxFile {
    /// The entry for income year `year`.
    #[must_use]
    pub fn year(&self, year: u16) -> Option<&'static TaxYear> {
        self.years.iter().find(|y| y.year == year)
    }

    /// The income years on file.
    #[must_use]
    pub fn year_list(&self) -> Vec<u16> {
        self.years.iter().map(|y| y.year).collect()
    }
}

/// What `GET /api/v1/revenus/{annee}` returns: each member only when its
/// scope is granted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaxYearView {
    /// The income year (always present).
    pub annee: u16,
    /// `dgfip_rfr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenu_fiscal_de_reference: Option<u32>,
    /// `dgfip_nbpart`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nombre_de_parts: Option<f64>,
    /// `dgfip_sitfam`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub situation_familiale: Option<&'static str>,
    /// `dgfip_adresse`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adresse_fiscale: Option<&'static str>,
}

impl TaxYear {
    /// The members `granted` allows.
    pub fn view(&self, granted: impl Fn(&str) -> bool) -> TaxYearView {
        TaxYearView {
            annee: self.year,
            revenu_fiscal_de_reference: granted(RFR).then_some(self.rfr),
            nombre_de_parts: granted(NBPART).then_some(self.parts),
            situation_familiale: granted(SITFAM).then_some(self.family_status),
            adresse_fiscale: granted(ADRESSE).then_some(self.address),
        }
    }
}

/// What `GET /api/v1/revenus` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaxYearsView {
    /// The income years on file, oldest first.
    pub annees: Vec<u16>,
}

const fn person(
    given_name: &'static str,
    family_name: &'static str,
    birthdate: &'static str,
) -> RecordRef {
    RecordRef {
        given_name,
        family_name,
        birthdate,
    }
}

const fn y(
    year: u16,
    rfr: u32,
    parts: f64,
    family_status: &'static str,
    address: &'static str,
) -> TaxYear {
    TaxYear {
        year,
        rfr,
        parts,
        family_status,
        address,
    }
}

const MARRIED: &str = "Marié(e)";
const PACS: &str = "Pacsé(e)";
const SINGLE: &str = "Célibataire";
const DIVORCED: &str = "Divorcé(e)";
const WIDOWED: &str = "Veuf(ve)";

const BERDOT: &str = "12 rue Paul Bert, 69003 Lyon";
const MERCIER: &str = "8 avenue Jean Jaurès, 75019 Paris";
const GARCIA: &str = "27 allées Jean Jaurès, 31000 Toulouse";
const FONTAINE: &str = "14 cours Émile Zola, 69100 Villeurbanne";
const BENALI: &str = "3 boulevard National, 13003 Marseille";
const DUPONT_2022: &str = "5 rue Sainte, 13001 Marseille";
const DUPONT: &str = "19 rue d'Italie, 13100 Aix-en-Provence";
const MARTIN: &str = "Lieu-dit Peyrot, 33210 Langon";
const LEFEBVRE: &str = "41 rue Nationale, 59000 Lille";
const LE_GOFF: &str = "7 rue de Siam, 29200 Brest";

/// The latest income year of [`TAX_FILES`]. The API shifts every year so
/// that this one is always last year's income (the years in the table
/// are those seen in 2025).
pub const TABLE_LATEST_YEAR: u16 = 2024;

/// The tax office's files (see the table in the module documentation).
pub static TAX_FILES: &[TaxFile] = &[
    TaxFile {
        citizen: "vincent-berdot",
        person: person("Vincent Maurice Jean", "BERDOT", "1974-10-31"),
        years: &[
            y(2022, 35_890, 3.0, MARRIED, BERDOT),
            y(2023, 37_120, 3.0, MARRIED, BERDOT),
            y(2024, 38_450, 3.0, MARRIED, BERDOT),
        ],
    },
    TaxFile {
        citizen: "eric-mercier",
        person: person("Eric", "MERCIER", "1966-03-12"),
        years: &[
            y(2022, 40_210, 1.25, DIVORCED, MERCIER),
            y(2023, 41_030, 1.25, DIVORCED, MERCIER),
            y(2024, 42_680, 1.25, DIVORCED, MERCIER),
        ],
    },
    TaxFile {
        citizen: "carmen-garcia",
        person: person("Carmen Isabel", "GARCIA", "1981-05-23"),
        years: &[
            y(2022, 49_870, 2.0, PACS, GARCIA),
            y(2023, 51_240, 2.5, PACS, GARCIA),
            y(2024, 52_600, 2.5, PACS, GARCIA),
        ],
    },
    TaxFile {
        citizen: "marie-helene-de-la-fontaine-eloise",
        person: person("Marie-Hélène Élodie", "DE LA FONTAINE-ÉLOÏSE", "1988-11-07"),
        years: &[
            y(2022, 58_300, 2.0, MARRIED, FONTAINE),
            y(2023, 60_150, 2.0, MARRIED, FONTAINE),
            y(2024, 61_820, 2.0, MARRIED, FONTAINE),
        ],
    },
    TaxFile {
        citizen: "ahmed-benali",
        person: person("Ahmed", "BENALI", "1950-06-01"),
        years: &[
            y(2022, 17_640, 1.0, WIDOWED, BENALI),
            y(2023, 18_310, 1.0, WIDOWED, BENALI),
            y(2024, 18_940, 1.0, WIDOWED, BENALI),
        ],
    },
    TaxFile {
        citizen: "jeanne-dupont",
        person: person("Jeanne Louise", "DUPONT", "1992-02-29"),
        years: &[
            y(2022, 24_150, 1.0, SINGLE, DUPONT_2022),
            y(2023, 26_380, 1.0, SINGLE, DUPONT),
            y(2024, 27_900, 1.0, SINGLE, DUPONT),
        ],
    },
    TaxFile {
        citizen: "pierre-louis-martin",
        person: person("Pierre-Louis", "MARTIN", "2001-12-01"),
        // No return filed yet for 2024.
        years: &[
            y(2022, 9_870, 1.0, SINGLE, MARTIN),
            y(2023, 14_320, 1.0, SINGLE, MARTIN),
        ],
    },
    TaxFile {
        citizen: "sophie-lefebvre",
        person: person("Sophie Anne Claire", "LEFEBVRE", "1985-04-17"),
        years: &[
            y(2022, 31_200, 2.5, SINGLE, LEFEBVRE),
            y(2023, 32_050, 2.5, SINGLE, LEFEBVRE),
            y(2024, 33_480, 2.5, SINGLE, LEFEBVRE),
        ],
    },
    TaxFile {
        citizen: "francoise-le-goff",
        person: person("Françoise", "LE GOFF", "1958-09-02"),
        years: &[
            y(2022, 36_900, 2.0, MARRIED, LE_GOFF),
            y(2023, 37_840, 2.0, MARRIED, LE_GOFF),
            y(2024, 38_760, 2.0, MARRIED, LE_GOFF),
        ],
    },
];
