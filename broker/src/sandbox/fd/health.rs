//! The health insurance's (CNAM) data set and what `GET /api/v1/assure`
//! returns from it.
//!
//! | citizen key | dependants (`cnam_beneficiaires`) | doctor (`cnam_medecin_traitant`) | complementary cover (`cnam_complementaire`) |
//! |---|---|---|---|
//! | `vincent-berdot` | Léo (2011) and Chloé (2014) BERDOT | Mme Isabelle RENAUD, Lyon | MGEN |
//! | `eric-mercier` | Hugo MERCIER (2012) | M. Karim HADDAD, Paris | Harmonie Mutuelle |
//! | `carmen-garcia` | Lucía GARCIA (2023) | Mme Anne LAFFONT, Toulouse | Alan |
//! | `jeanne-dupont` | none | M. Thomas BERTRAND, Aix-en-Provence | none (`presente: false`) |
//! | `pierre-louis-martin` | none | none declared (`null`) | Groupama |
//! | `yasmine-el-amrani` | Inès EL AMRANI (2019) | Mme Sarah COHEN, Montpellier | Complémentaire santé solidaire, CPAM de l'Hérault |
//!
//! Everyone else gets `404 not_found` (Marie-Hélène DE LA FONTAINE-ÉLOÏSE
//! is insured by the MSA, not the CNAM).

use serde::Serialize;

use super::directory::{File, RecordRef};

/// The health scopes and their labels.
pub const SCOPES: &[(&str, &str)] = &[
    (BENEFICIAIRES, "ayants droit rattachés"),
    (MEDECIN_TRAITANT, "médecin traitant déclaré"),
    (COMPLEMENTAIRE, "complémentaire santé"),
];

/// Scope of [`InsuredView::beneficiaires`].
pub const BENEFICIAIRES: &str = "cnam_beneficiaires";
/// Scope of [`InsuredView::medecin_traitant`].
pub const MEDECIN_TRAITANT: &str = "cnam_medecin_traitant";
/// Scope of [`InsuredView::complementaire`].
pub const COMPLEMENTAIRE: &str = "cnam_complementaire";

/// An insured person's file.
#[derive(Debug, PartialEq, Eq)]
pub struct HealthFile {
    /// The citizen's key in [`crate::sandbox::citizens`].
    pub citizen: &'static str,
    /// The registry record of the person.
    pub person: RecordRef,
    /// Dependants attached to the insured person.
    pub beneficiaries: &'static [Beneficiary],
    /// The declared regular doctor, if any.
    pub doctor: Option<Doctor>,
    /// The complementary health cover, if any.
    pub complementary: Option<Complementary>,
}

impl File for HealthFile {
    fn person(&self) -> &RecordRef {
        &self.person
    }
}

/// A dependant (ayant droit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Beneficiary {
    /// Given name.
    #[serde(rename = "prenom")]
    pub given_name: &'static str,
    /// Family name.
    #[serde(rename = "nom")]
    pub family_name: &'static str,
    /// Birth date, `YYYY-MM-DD`.
    #[serde(rename = "date_naissance")]
    pub birthdate: &'static str,
    /// Relation to the insured person, e.g. `enfant`.
    #[serde(rename = "lien")]
    pub relation: &'static str,
}

/// The declared regular doctor (médecin traitant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Doctor {
    /// `M.` or `Mme`.
    #[serde(rename = "civilite")]
    pub title: &'static str,
    /// Family name.
    #[serde(rename = "nom")]
    pub family_name: &'static str,
    /// Given name.
    #[serde(rename = "prenom")]
    pub given_name: &'static str,
    /// Where the practice is.
    #[serde(rename = "commune")]
    pub town: &'static str,
}

/// A complementary health cover (mutuelle, C2S).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complementary {
    /// The insurer.
    pub insurer: &'static str,
    /// The member number.
    pub reference: &'static str,
}

/// The `complementaire` member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComplementaryView {
    /// Whether the person has a complementary cover.
    pub presente: bool,
    /// The insurer, when covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisme: Option<&'static str>,
    /// The member number, when covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'static str>,
}

/// What `GET /api/v1/assure` returns: each member only when its scope is
/// granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InsuredView {
    /// `cnam_beneficiaires`: possibly empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beneficiaires: Option<&'static [Beneficiary]>,
    /// `cnam_medecin_traitant`: `null` when none is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medecin_traitant: Option<Option<Doctor>>,
    /// `cnam_complementaire`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complementaire: Option<ComplementaryView>,
}

impl HealthFile {
    /// The members `granted` allows.
    pub fn view(&self, granted: impl Fn(&str) -> bool) -> InsuredView {
        InsuredView {
            beneficiaires: granted(BENEFICIAIRES).then_some(self.beneficiaries),
            medecin_traitant: granted(MEDECIN_TRAITANT).then(|| self.doctor.clone()),
            complementaire: granted(COMPLEMENTAIRE).then(|| ComplementaryView {
                presente: self.complementary.is_some(),
                organisme: self.complementary.as_ref().map(|c| c.insurer),
                reference: self.complementary.as_ref().map(|c| c.reference),
            }),
        }
    }
}

const fn child(
    given_name: &'static str,
    family_name: &'static str,
    birthdate: &'static str,
) -> Beneficiary {
    Beneficiary {
        given_name,
        family_name,
        birthdate,
        relation: "enfant",
    }
}

const fn doctor(
    title: &'static str,
    given_name: &'static str,
    family_name: &'static str,
    town: &'static str,
) -> Option<Doctor> {
    Some(Doctor {
        title,
        family_name,
        given_name,
        town,
    })
}

const fn cover(insurer: &'static str, reference: &'static str) -> Option<Complementary> {
    Some(Complementary { insurer, reference })
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

/// The health insurance's files (see the table in the module
/// documentation).
pub static HEALTH_FILES: &[HealthFile] = &[
    HealthFile {
        citizen: "vincent-berdot",
        person: person("Vincent Maurice Jean", "BERDOT", "1974-10-31"),
        beneficiaries: &[
            child("Léo", "BERDOT", "2011-03-14"),
            child("Chloé", "BERDOT", "2014-09-02"),
        ],
        doctor: doctor("Mme", "Isabelle", "RENAUD", "Lyon"),
        complementary: cover("MGEN", "MGEN-0457221983"),
    },
    HealthFile {
        citizen: "eric-mercier",
        person: person("Eric", "MERCIER", "1966-03-12"),
        beneficiaries: &[child("Hugo", "MERCIER", "2012-06-21")],
        doctor: doctor("M.", "Karim", "HADDAD", "Paris"),
        complementary: cover("Harmonie Mutuelle", "HM-2219-55810"),
    },
    HealthFile {
        citizen: "carmen-garcia",
        person: person("Carmen Isabel", "GARCIA", "1981-05-23"),
        beneficiaries: &[child("Lucía", "GARCIA", "2023-02-11")],
        doctor: doctor("Mme", "Anne", "LAFFONT", "Toulouse"),
        complementary: cover("Alan", "ALN-7781-0342"),
    },
    HealthFile {
        citizen: "jeanne-dupont",
        person: person("Jeanne Louise", "DUPONT", "1992-02-29"),
        beneficiaries: &[],
        doctor: doctor("M.", "Thomas", "BERTRAND", "Aix-en-Provence"),
        complementary: None,
    },
    HealthFile {
        citizen: "pierre-louis-martin",
        person: person("Pierre-Louis", "MARTIN", "2001-12-01"),
        beneficiaries: &[],
        doctor: None,
        complementary: cover("Groupama", "GRP-33-480192"),
    },
    HealthFile {
        citizen: "yasmine-el-amrani",
        person: person("Yasmine", "EL AMRANI", "1990-12-05"),
        beneficiaries: &[child("Inès", "EL AMRANI", "2019-07-30")],
        doctor: doctor("Mme", "Sarah", "COHEN", "Montpellier"),
        complementary: cover(
            "Complémentaire santé solidaire (CPAM de l'Hérault)",
            "C2S-34-1190427",
        ),
    },
];
