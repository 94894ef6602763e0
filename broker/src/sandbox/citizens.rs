//! Test citizens of the sandbox and their accounts at the demo FIs.
//!
//! Every credential is public on purpose: the sandbox prints them at start
//! and each demo FI lists its own on its login page.
//!
//! | citizen | FI | login | password |
//! |---|---|---|---|
//! | Eric MERCIER | ameli | `1660375056123` | `123456` |
//! | Eric MERCIER | impots | `3066031205512` | `123456` |
//! | Vincent Maurice Jean BERDOT | impots | `3074103114021` | `123456` |
//! | Vincent Maurice Jean BERDOT | laposte | `vincent.berdot@example.fr` | `laposte123` |
//! | Carmen Isabel GARCIA | laposte | `carmen.garcia@example.com` | `madrid1981` |
//! | Carmen Isabel GARCIA | ameli | `2810599134045` | `123456` |
//! | Marie-Hélène Élodie DE LA FONTAINE-ÉLOÏSE | msa | `2881169123087` | `azerty` |
//! | Marie-Hélène Élodie DE LA FONTAINE-ÉLOÏSE | laposte | `mh.delafontaine@example.fr` | `azerty` |
//! | Ahmed BENALI | impots | `1050622999017` | `123456` |
//! | Jeanne Louise DUPONT | impots, ameli, laposte, msa | see [`citizens`] | `123456` |
//! | Pierre-Louis MARTIN | msa | `1011233063042` | `tracteur` |
//! | Pierre-Louis MARTIN | ameli | `1011233063042` | `123456` |
//! | Sophie LEFEBVRE | laposte | `sophie.lefebvre@example.fr` | `lille1985` |
//! | Francoise Le Goff | impots | `2058092901934` | `123456` |
//! | Julien Thomas ROUSSEAU | ameli | `1790731555087` | `123456` |
//! | Nathalie Christine PETIT | msa | `2720844109056` | `azerty` |
//! | Robert André GIRARD | impots | `1031020608841` | `123456` |
//! | Léa ROUX | laposte | `lea.roux@example.fr` | `rennes1989` |
//! | Yasmine EL AMRANI | ameli | `2901299350112` | `123456` |
//!
//! # What the civil registry says
//!
//! The sandbox's registry service ([`crate::sandbox::registry`]) holds its
//! own records and matches each query against them; [`Citizen::registry`]
//! records what it answers for the identity each citizen's FIs send, so
//! that every outcome of the RNIPP check can be reached by logging in:
//!
//! | outcome | citizen key | why |
//! |---|---|---|
//! | `found` | `eric-mercier` and the six other original citizens | the FI's identity is the registry's |
//! | `corrected` | `sophie-lefebvre` | the FI omits her middle given names: the registry knows "Sophie Anne Claire" |
//! | `corrected` | `francoise-le-goff` | the FI sends "Francoise" (no cedilla) and "Le Goff": the registry knows "Françoise" "LE GOFF" |
//! | `not_found` | `julien-rousseau` | the FI has a wrong birth date (1979-07-15; the registry's record is 1979-01-15) |
//! | `married_name_only` | `nathalie-petit` | the FI sends her married name PETIT as family name; her birth name is MOREAU |
//! | `deceased` | `robert-girard` | the registry records his death (2023) |
//! | `rejected` | `lea-roux` | the FI's birth date 1899-03-08 (a typo for 1989) is before the registry's 1900-01-01 scope |
//! | `found`, slowly | `yasmine-el-amrani` | her record is marked slow: the registry answers only after its slow delay |

use subtle::ConstantTimeEq;

use super::fi::FiKind;

/// A test person as an FI knows them.
#[derive(Debug, PartialEq, Eq)]
pub struct Citizen {
    /// Stable identifier, e.g. `eric-mercier`.
    pub key: &'static str,
    /// Given names, space-separated.
    pub given_name: &'static str,
    /// Birth name.
    pub family_name: &'static str,
    /// Usage name (nom d'usage), when any.
    pub preferred_username: Option<&'static str>,
    /// As the FI sends it: `YYYY-MM-DD`, or `YYYY-MM` for a presumed date.
    pub birthdate: &'static str,
    /// `male` or `female`.
    pub gender: &'static str,
    /// INSEE commune code of the birthplace, `""` when born abroad.
    pub birthplace: &'static str,
    /// INSEE country code (`99100` = France).
    pub birthcountry: &'static str,
    /// Contact e-mail.
    pub email: &'static str,
    /// Accounts at the demo FIs.
    pub accounts: &'static [Account],
    /// What the sandbox's civil registry answers for this identity.
    pub registry: RegistryCase,
}

/// What the sandbox's civil registry answers for a citizen's FI identity
/// (see the table in the [module documentation](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryCase {
    /// Found exactly as the FI sent it.
    Found,
    /// Found and corrected: the registry's identity differs slightly.
    Corrected,
    /// Unknown to the registry.
    NotFound,
    /// The FI sent the married name as family name.
    MarriedNameOnly,
    /// The registry records the person's death.
    Deceased,
    /// The registry refuses the query.
    Rejected,
    /// Found exactly, but only after the registry's slow delay.
    SlowFound,
}

impl RegistryCase {
    /// Every case, in declaration order.
    pub const ALL: [RegistryCase; 7] = [
        RegistryCase::Found,
        RegistryCase::Corrected,
        RegistryCase::NotFound,
        RegistryCase::MarriedNameOnly,
        RegistryCase::Deceased,
        RegistryCase::Rejected,
        RegistryCase::SlowFound,
    ];

    /// The outcome code the registry answers
    /// (`pivot_proto::rnipp::RnippOutcome::as_str`): `found` for
    /// [`RegistryCase::SlowFound`] too.
    #[must_use]
    pub const fn outcome_code(self) -> &'static str {
        match self {
            RegistryCase::Found | RegistryCase::SlowFound => "found",
            RegistryCase::Corrected => "corrected",
            RegistryCase::NotFound => "not_found",
            RegistryCase::MarriedNameOnly => "married_name_only",
            RegistryCase::Deceased => "deceased",
            RegistryCase::Rejected => "rejected",
        }
    }

    /// Whether the registry answers only after its slow delay.
    #[must_use]
    pub const fn is_slow(self) -> bool {
        matches!(self, RegistryCase::SlowFound)
    }
}

/// An account of a citizen at one FI.
#[derive(Debug, PartialEq, Eq)]
pub struct Account {
    /// The FI.
    pub fi: FiKind,
    /// Identifier typed in the login form.
    pub login: &'static str,
    /// Password (public: sandbox only).
    pub password: &'static str,
}

impl Citizen {
    /// "Given names FAMILY NAME".
    #[must_use]
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// The citizen's account at `fi`, if any.
    #[must_use]
    pub fn account(&self, fi: FiKind) -> Option<&'static Account> {
        self.accounts.iter().find(|a| a.fi == fi)
    }
}

const fn acc(fi: FiKind, login: &'static str, password: &'static str) -> Account {
    Account {
        fi,
        login,
        password,
    }
}

static CITIZENS: &[Citizen] = &[
    Citizen {
        key: "eric-mercier",
        given_name: "Eric",
        family_name: "MERCIER",
        preferred_username: None,
        birthdate: "1966-03-12",
        gender: "male",
        birthplace: "75056",
        birthcountry: "99100",
        email: "eric.mercier@example.fr",
        accounts: &[
            acc(FiKind::Ameli, "1660375056123", "123456"),
            acc(FiKind::Impots, "3066031205512", "123456"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "vincent-berdot",
        given_name: "Vincent Maurice Jean",
        family_name: "BERDOT",
        preferred_username: None,
        birthdate: "1974-10-31",
        gender: "male",
        birthplace: "75114",
        birthcountry: "99100",
        email: "vincent.berdot@example.fr",
        accounts: &[
            acc(FiKind::Impots, "3074103114021", "123456"),
            acc(FiKind::LaPoste, "vincent.berdot@example.fr", "laposte123"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "carmen-garcia",
        given_name: "Carmen Isabel",
        family_name: "GARCIA",
        preferred_username: None,
        birthdate: "1981-05-23",
        gender: "female",
        birthplace: "",
        birthcountry: "99134",
        email: "carmen.garcia@example.com",
        accounts: &[
            acc(FiKind::LaPoste, "carmen.garcia@example.com", "madrid1981"),
            acc(FiKind::Ameli, "2810599134045", "123456"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "marie-helene-de-la-fontaine-eloise",
        given_name: "Marie-Hélène Élodie",
        family_name: "DE LA FONTAINE-ÉLOÏSE",
        preferred_username: Some("MARTIN-DUBOIS"),
        birthdate: "1988-11-07",
        gender: "female",
        birthplace: "69123",
        birthcountry: "99100",
        email: "mh.delafontaine@example.fr",
        accounts: &[
            acc(FiKind::Msa, "2881169123087", "azerty"),
            acc(FiKind::LaPoste, "mh.delafontaine@example.fr", "azerty"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "ahmed-benali",
        given_name: "Ahmed",
        family_name: "BENALI",
        preferred_username: None,
        birthdate: "1950-06",
        gender: "male",
        birthplace: "",
        birthcountry: "99352",
        email: "ahmed.benali@example.fr",
        accounts: &[acc(FiKind::Impots, "1050622999017", "123456")],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "jeanne-dupont",
        given_name: "Jeanne Louise",
        family_name: "DUPONT",
        preferred_username: None,
        birthdate: "1992-02-29",
        gender: "female",
        birthplace: "13055",
        birthcountry: "99100",
        email: "jeanne.dupont@example.fr",
        accounts: &[
            acc(FiKind::Impots, "3092213055008", "123456"),
            acc(FiKind::Ameli, "2920213055008", "123456"),
            acc(FiKind::LaPoste, "jeanne.dupont@example.fr", "123456"),
            acc(FiKind::Msa, "2920213055008", "123456"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "pierre-louis-martin",
        given_name: "Pierre-Louis",
        family_name: "MARTIN",
        preferred_username: None,
        birthdate: "2001-12-01",
        gender: "male",
        birthplace: "33063",
        birthcountry: "99100",
        email: "pierre-louis.martin@example.fr",
        accounts: &[
            acc(FiKind::Msa, "1011233063042", "tracteur"),
            acc(FiKind::Ameli, "1011233063042", "123456"),
        ],
        registry: RegistryCase::Found,
    },
    Citizen {
        key: "sophie-lefebvre",
        // The registry knows her as "Sophie Anne Claire".
        given_name: "Sophie",
        family_name: "LEFEBVRE",
        preferred_username: None,
        birthdate: "1985-04-17",
        gender: "female",
        birthplace: "59350",
        birthcountry: "99100",
        email: "sophie.lefebvre@example.fr",
        accounts: &[acc(
            FiKind::LaPoste,
            "sophie.lefebvre@example.fr",
            "lille1985",
        )],
        registry: RegistryCase::Corrected,
    },
    Citizen {
        key: "francoise-le-goff",
        // The registry knows her as "Françoise" "LE GOFF".
        given_name: "Francoise",
        family_name: "Le Goff",
        preferred_username: None,
        birthdate: "1958-09-02",
        gender: "female",
        birthplace: "29019",
        birthcountry: "99100",
        email: "francoise.legoff@example.fr",
        accounts: &[acc(FiKind::Impots, "2058092901934", "123456")],
        registry: RegistryCase::Corrected,
    },
    Citizen {
        key: "julien-rousseau",
        // The FI's birth date is wrong: the registry's record says 1979-01-15.
        given_name: "Julien Thomas",
        family_name: "ROUSSEAU",
        preferred_username: None,
        birthdate: "1979-07-15",
        gender: "male",
        birthplace: "31555",
        birthcountry: "99100",
        email: "julien.rousseau@example.fr",
        accounts: &[acc(FiKind::Ameli, "1790731555087", "123456")],
        registry: RegistryCase::NotFound,
    },
    Citizen {
        key: "nathalie-petit",
        // PETIT is her married name; she was born MOREAU.
        given_name: "Nathalie Christine",
        family_name: "PETIT",
        preferred_username: None,
        birthdate: "1972-08-30",
        gender: "female",
        birthplace: "44109",
        birthcountry: "99100",
        email: "nathalie.petit@example.fr",
        accounts: &[acc(FiKind::Msa, "2720844109056", "azerty")],
        registry: RegistryCase::MarriedNameOnly,
    },
    Citizen {
        key: "robert-girard",
        // Deceased in 2023: his FI account was never closed.
        given_name: "Robert André",
        family_name: "GIRARD",
        preferred_username: None,
        birthdate: "1931-02-14",
        gender: "male",
        birthplace: "06088",
        birthcountry: "99100",
        email: "robert.girard@example.fr",
        accounts: &[acc(FiKind::Impots, "1031020608841", "123456")],
        registry: RegistryCase::Deceased,
    },
    Citizen {
        key: "lea-roux",
        // A typo at the FI: born in 1989, recorded as 1899.
        given_name: "Léa",
        family_name: "ROUX",
        preferred_username: None,
        birthdate: "1899-03-08",
        gender: "female",
        birthplace: "35238",
        birthcountry: "99100",
        email: "lea.roux@example.fr",
        accounts: &[acc(FiKind::LaPoste, "lea.roux@example.fr", "rennes1989")],
        registry: RegistryCase::Rejected,
    },
    Citizen {
        key: "yasmine-el-amrani",
        // Born in Morocco; her registry record answers slowly.
        given_name: "Yasmine",
        family_name: "EL AMRANI",
        preferred_username: None,
        birthdate: "1990-12-05",
        gender: "female",
        birthplace: "",
        birthcountry: "99350",
        email: "yasmine.elamrani@example.fr",
        accounts: &[acc(FiKind::Ameli, "2901299350112", "123456")],
        registry: RegistryCase::SlowFound,
    },
];

/// Every test citizen.
#[must_use]
pub fn citizens() -> &'static [Citizen] {
    CITIZENS
}

/// The citizens for whom the sandbox's registry answers `case`.
pub fn citizens_with(case: RegistryCase) -> impl Iterator<Item = &'static Citizen> {
    CITIZENS.iter().filter(move |c| c.registry == case)
}

/// A citizen by [`Citizen::key`].
#[must_use]
pub fn find_citizen(key: &str) -> Option<&'static Citizen> {
    CITIZENS.iter().find(|c| c.key == key)
}

/// Every account at `fi`, with its owner, in a stable order.
pub fn accounts_for(fi: FiKind) -> impl Iterator<Item = (&'static Citizen, &'static Account)> {
    CITIZENS
        .iter()
        .flat_map(|c| c.accounts.iter().map(move |a| (c, a)))
        .filter(move |(_, a)| a.fi == fi)
}

/// The citizen whose account at `fi` has this login and password. Numbers
/// ignore spaces, e-mail addresses ignore case; every account of the FI is
/// checked and passwords are compared in constant time.
#[must_use]
pub fn find_account(fi: FiKind, login: &str, password: &str) -> Option<&'static Citizen> {
    let wanted = fi.normalize_login(login)?;
    let mut found = None;
    for (citizen, account) in accounts_for(fi) {
        let same_login = fi.normalize_login(account.login).as_deref() == Some(wanted.as_str());
        let same_password: bool = account
            .password
            .as_bytes()
            .ct_eq(password.as_bytes())
            .into();
        if same_login && same_password && found.is_none() {
            found = Some(citizen);
        }
    }
    found
}

/// One credential, as printed for testers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayAccount {
    /// The FI.
    pub fi: FiKind,
    /// "Given names FAMILY NAME".
    pub citizen: String,
    /// Identifier to type.
    pub login: &'static str,
    /// Password to type.
    pub password: &'static str,
}

/// Every credential of every FI, grouped by FI.
#[must_use]
pub fn all_accounts_for_display() -> Vec<DisplayAccount> {
    FiKind::ALL
        .into_iter()
        .flat_map(|fi| {
            accounts_for(fi).map(move |(c, a)| DisplayAccount {
                fi,
                citizen: c.display_name(),
                login: a.login,
                password: a.password,
            })
        })
        .collect()
}

/// The credentials as a plain-text table, for the sandbox's start banner.
#[must_use]
pub fn accounts_table() -> String {
    let rows = all_accounts_for_display();
    let w = |f: fn(&DisplayAccount) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let (wf, wc, wl) = (
        w(|r| r.fi.display_name().chars().count()),
        w(|r| r.citizen.chars().count()),
        w(|r| r.login.chars().count()),
    );
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
    rows.iter()
        .map(|r| {
            format!(
                "{}  {}  {}  {}\n",
                pad(r.fi.display_name(), wf),
                pad(&r.citizen, wc),
                pad(r.login, wl),
                r.password
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn required_people_exist() {
        let eric = find_citizen("eric-mercier").unwrap();
        assert_eq!(
            (
                eric.birthdate,
                eric.birthplace,
                eric.birthcountry,
                eric.gender
            ),
            ("1966-03-12", "75056", "99100", "male")
        );
        assert!(eric.account(FiKind::Ameli).is_some());
        let vincent = find_citizen("vincent-berdot").unwrap();
        assert_eq!(vincent.given_name, "Vincent Maurice Jean");
        assert_eq!(vincent.birthplace, "75114");
        assert!(vincent.account(FiKind::Impots).is_some());
        assert!(citizens().iter().any(|c| c.gender == "female"
            && c.birthplace.is_empty()
            && c.birthcountry == "99134"
            && c.account(FiKind::LaPoste).is_some()));
        assert!(
            citizens()
                .iter()
                .any(|c| c.birthdate.len() == 7 && c.account(FiKind::Impots).is_some())
        );
        assert!(citizens().iter().any(|c| c.preferred_username.is_some()
            && c.family_name.contains('-')
            && c.account(FiKind::Msa).is_some()));
        assert!(citizens().iter().filter(|c| c.accounts.len() > 1).count() >= 3);
    }

    #[test]
    fn data_is_consistent() {
        let mut keys = HashSet::new();
        for c in citizens() {
            assert!(keys.insert(c.key), "duplicate key {}", c.key);
            assert!(matches!(c.gender, "male" | "female"));
            assert!(matches!(c.birthdate.len(), 7 | 10), "{}", c.birthdate);
            assert_eq!(c.birthcountry.len(), 5);
            if c.birthcountry == "99100" {
                assert_eq!(c.birthplace.len(), 5, "{}", c.key);
            } else {
                assert!(c.birthplace.is_empty(), "{}", c.key);
            }
            for a in c.accounts {
                assert!(
                    a.fi.normalize_login(a.login).is_some(),
                    "bad login {} at {}",
                    a.login,
                    a.fi
                );
                assert!(!a.password.is_empty());
            }
        }
        // Logins are unique per FI.
        for fi in FiKind::ALL {
            let mut seen = HashSet::new();
            for (_, a) in accounts_for(fi) {
                assert!(seen.insert(fi.normalize_login(a.login)), "{}", a.login);
            }
        }
    }

    #[test]
    fn login_matching() {
        let eric = find_citizen("eric-mercier");
        assert_eq!(find_account(FiKind::Ameli, "1660375056123", "123456"), eric);
        assert_eq!(
            find_account(FiKind::Ameli, " 1 66 03 75 056 123 ", "123456"),
            eric
        );
        assert_eq!(
            find_account(FiKind::Ameli, "1660375056123", "1234567"),
            None
        );
        assert_eq!(
            find_account(FiKind::Impots, "1660375056123", "123456"),
            None
        );
        assert_eq!(
            find_account(FiKind::LaPoste, " Carmen.Garcia@Example.com", "madrid1981")
                .map(|c| c.key),
            Some("carmen-garcia")
        );
        assert_eq!(
            find_account(FiKind::LaPoste, "carmen.garcia@example.com", "MADRID1981"),
            None
        );
        assert_eq!(find_account(FiKind::Msa, "", ""), None);
    }

    #[test]
    fn registry_cases_are_documented() {
        for case in RegistryCase::ALL {
            assert!(
                pivot_proto::rnipp::RnippOutcome::CODES.contains(&case.outcome_code()),
                "{case:?}"
            );
            assert_eq!(case.is_slow(), case == RegistryCase::SlowFound);
        }
        let keys = |case| citizens_with(case).map(|c| c.key).collect::<Vec<_>>();
        assert_eq!(keys(RegistryCase::Found).len(), 7);
        assert!(keys(RegistryCase::Found).contains(&"eric-mercier"));
        assert_eq!(
            keys(RegistryCase::Corrected),
            ["sophie-lefebvre", "francoise-le-goff"]
        );
        assert_eq!(keys(RegistryCase::NotFound), ["julien-rousseau"]);
        assert_eq!(keys(RegistryCase::MarriedNameOnly), ["nathalie-petit"]);
        assert_eq!(keys(RegistryCase::Deceased), ["robert-girard"]);
        assert_eq!(keys(RegistryCase::Rejected), ["lea-roux"]);
        assert_eq!(keys(RegistryCase::SlowFound), ["yasmine-el-amrani"]);
    }

    #[test]
    fn display_lists_every_account() {
        let total: usize = citizens().iter().map(|c| c.accounts.len()).sum();
        assert_eq!(all_accounts_for_display().len(), total);
        let table = accounts_table();
        assert_eq!(table.lines().count(), total);
        assert!(table.contains("1660375056123"));
    }
}
