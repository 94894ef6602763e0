//! Finding a citizen's file from the pivot identity of a token check.
//!
//! A provider's files name the civil-registry record they belong to
//! ([`RecordRef`]: given names, birth name and birth date as the sandbox
//! registry writes them, [`RECORDS`]). At start each file is keyed by the
//! identity hash of that record ([`identity_hash`]), the identity the
//! broker puts in its token-check answer after the registry's check; a
//! lookup is then one hash of the answer's identity.

use std::collections::BTreeMap;

use pivot_proto::identity::PivotIdentity;
use pivot_proto::sub::{IdentityHash, identity_hash};

use crate::sandbox::registry::data::{RECORDS, Record};

/// The registry record a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// Given names, as in the record.
    pub given_name: &'static str,
    /// Birth name, as in the record.
    pub family_name: &'static str,
    /// Birth date, `YYYY-MM-DD`.
    pub birthdate: &'static str,
}

impl RecordRef {
    /// The sandbox registry's record, when exactly one matches.
    #[must_use]
    pub fn record(&self) -> Option<&'static Record> {
        let mut found = RECORDS.iter().filter(|r| {
            r.given_name == self.given_name
                && r.family_name == self.family_name
                && r.birthdate == self.birthdate
        });
        match (found.next(), found.next()) {
            (Some(r), None) => Some(r),
            _ => None,
        }
    }
}

/// A file of a provider's data set.
pub(crate) trait File: 'static {
    /// Whose file it is.
    fn person(&self) -> &RecordRef;
}

/// A data set indexed by identity hash.
#[derive(Debug)]
pub(crate) struct Directory<T: 'static> {
    by_hash: BTreeMap<IdentityHash, &'static T>,
}

impl<T: File> Directory<T> {
    /// Indexes `files`; a file whose record cannot be found is left out
    /// (and logged: the data set is wrong).
    pub fn new(files: &'static [T]) -> Self {
        let mut by_hash = BTreeMap::new();
        for file in files {
            match file.person().record() {
                Some(record) => {
                    by_hash.insert(identity_hash(&record.identity()), file);
                }
                None => tracing::error!(
                    person = ?file.person(),
                    "data provider file without a unique registry record"
                ),
            }
        }
        Self { by_hash }
    }

    /// The file of the citizen with this identity.
    pub fn find(&self, identity: &PivotIdentity) -> Option<&'static T> {
        self.by_hash.get(&identity_hash(identity)).copied()
    }

    /// How many files are indexed.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }
}
