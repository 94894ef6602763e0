//! The identity hash and the pairwise `sub`, computed exactly as the original
//! FranceConnect does so that subs stay stable for services migrating to
//! Pivot:
//!
//! ```text
//! serial       = given_name + family_name + birthdate + gender
//!                + (birthcountry == "99100" ? birthplace : "") + birthcountry
//! identityHash = base64(SHA-256(latin1(serial)))
//! sub          = hex(SHA-256(utf8(entityId + identityHash + SECRET))) + "v1"
//! ```
//!
//! `latin1` is Node's `Buffer.from(s, 'latin1')`: the low byte of each UTF-16
//! code unit, so characters outside Latin-1 are truncated (`Œ`, U+0152,
//! becomes `0x52`, the same byte as `R`). The quirk is kept on purpose.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::identity::{FRANCE_COG, PivotIdentity};

/// Suffix of every sub produced by the current algorithm.
pub const SUB_VERSION_SUFFIX: &str = "v1";

/// The base64 SHA-256 identity hash (44 characters) that keys a citizen's
/// account and from which pairwise subs are derived.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdentityHash(String);

impl IdentityHash {
    /// The hash as its base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a hash read back from storage.
    pub fn from_stored(hash: String) -> IdentityHash {
        IdentityHash(hash)
    }
}

impl std::fmt::Display for IdentityHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A subject identifier as given to a service or data provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sub(String);

impl Sub {
    /// The sub as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a sub read back from storage (an account keeps the sub first
    /// given to each service).
    pub fn from_stored(sub: String) -> Sub {
        Sub(sub)
    }

    /// The sub as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Sub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The serial string hashed into the identity hash.
pub fn identity_serial(id: &PivotIdentity) -> String {
    let birthplace = if id.birthcountry == FRANCE_COG {
        id.birthplace.as_str()
    } else {
        ""
    };
    let mut serial =
        String::with_capacity(id.given_name.len() + id.family_name.len() + id.birthdate.len() + 16);
    serial.push_str(&id.given_name);
    serial.push_str(&id.family_name);
    serial.push_str(&id.birthdate);
    serial.push_str(id.gender.as_str());
    serial.push_str(birthplace);
    serial.push_str(&id.birthcountry);
    serial
}

/// Node's `Buffer.from(s, 'latin1')`: the low byte of each UTF-16 code unit.
pub fn latin1_bytes(s: &str) -> Vec<u8> {
    s.encode_utf16().map(|unit| unit.to_le_bytes()[0]).collect()
}

/// `base64(SHA-256(latin1(serial)))`.
pub fn identity_hash(id: &PivotIdentity) -> IdentityHash {
    let digest = Sha256::digest(latin1_bytes(&identity_serial(id)));
    IdentityHash(STANDARD.encode(digest))
}

/// `hex(SHA-256(utf8(entity_id + hash + secret))) + "v1"`.
pub fn pairwise_sub(entity_id: &str, hash: &IdentityHash, secret: &str) -> Sub {
    let mut hasher = Sha256::new();
    hasher.update(entity_id.as_bytes());
    hasher.update(hash.as_str().as_bytes());
    hasher.update(secret.as_bytes());
    Sub(format!(
        "{}{SUB_VERSION_SUFFIX}",
        hex::encode(hasher.finalize())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Gender;
    use proptest::prelude::*;

    const ENTITY: &str = "a9d0c1b2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0";
    const SECRET: &str = "pivot-test-secret";

    fn id(g: &str, f: &str, b: &str, gender: Gender, bp: &str, bc: &str) -> PivotIdentity {
        PivotIdentity {
            given_name: g.into(),
            family_name: f.into(),
            birthdate: b.into(),
            gender,
            birthplace: bp.into(),
            birthcountry: bc.into(),
        }
    }

    /// Reference vectors computed independently with Node.js:
    /// `crypto.createHash('sha256').update(Buffer.from(serial, 'latin1')).digest('base64')`
    /// for the hash and
    /// `crypto.createHash('sha256').update(entityId + hash + secret, 'utf8').digest('hex') + 'v1'`
    /// for the sub (entity and secret as in `ENTITY` and `SECRET`).
    #[test]
    fn node_reference_vectors() {
        let cases = [
            (
                id(
                    "Eric",
                    "MERCIER",
                    "1966-03-12",
                    Gender::Male,
                    "75056",
                    "99100",
                ),
                "EricMERCIER1966-03-12male7505699100",
                "TriOkorVCC4GunkNIvNhZZHCbc8vS7j7R5+w9WY2y/U=",
                "f054d6d0066cf2aaf0175324d8b5b532218d55902ba87475a3f82d691a2491c6v1",
            ),
            (
                id(
                    "Vincent Maurice Jean",
                    "BERDOT",
                    "1974-10-31",
                    Gender::Male,
                    "75114",
                    "99100",
                ),
                "Vincent Maurice JeanBERDOT1974-10-31male7511499100",
                "70JGSWtQe6dSJUVzzhoZGAQkXc/mJTmiZPMcR7V39XI=",
                "bf0f93bdcf06a25cbce3ec44c504cfdfa8f3779d745f5217bfd9c4e73aa0cb84v1",
            ),
            (
                id(
                    "Marie-Hélène",
                    "DE LA FONTAINE-ÉLOÏSE",
                    "1981-07-04",
                    Gender::Female,
                    "2A004",
                    "99100",
                ),
                "Marie-HélèneDE LA FONTAINE-ÉLOÏSE1981-07-04female2A00499100",
                "6JFYkSgoXP+lEicPWHTSP+Dur2C+uGpOGfA8uYRfjXs=",
                "7af023143bacbe9887061bd0640a6d07d159e789952d0cef3f8c2f8c7ed0987bv1",
            ),
            (
                // Born abroad (Spain): birthplace left out of the serial.
                id(
                    "Lucía",
                    "GARCÍA LÓPEZ",
                    "1990-01-01",
                    Gender::Female,
                    "",
                    "99134",
                ),
                "LucíaGARCÍA LÓPEZ1990-01-01female99134",
                "WbmwXsqyAHMilxlMYJJJlWyebCv2n+GtmX9k6VLFa7Q=",
                "454ad90ae094e3c203aded50d0ecb4f3fc900db54cbe6c84aed5d27e17c21dc3v1",
            ),
            (
                // "Œ" (U+0152) is outside Latin-1: Node keeps its low byte 0x52 ("R").
                id(
                    "Œdipe",
                    "CŒUR",
                    "1955-12-24",
                    Gender::Male,
                    "13055",
                    "99100",
                ),
                "ŒdipeCŒUR1955-12-24male1305599100",
                "y9b97DCzawF++ne643c/oF/z9KFcs7VnF7Mcg8wgda4=",
                "55f368c5a59d666f60c3cc75a0c3003ed56436221e4fb02d52386a6c12534582v1",
            ),
        ];
        for (identity, serial, hash, sub) in cases {
            assert_eq!(identity_serial(&identity), serial);
            let h = identity_hash(&identity);
            assert_eq!(h.as_str(), hash, "{serial}");
            assert_eq!(pairwise_sub(ENTITY, &h, SECRET).as_str(), sub, "{serial}");
        }
    }

    #[test]
    fn birthplace_ignored_abroad() {
        let a = id(
            "Lucía",
            "GARCÍA LÓPEZ",
            "1990-01-01",
            Gender::Female,
            "",
            "99134",
        );
        let mut b = a.clone();
        b.birthplace = "75056".into();
        assert_eq!(identity_hash(&a), identity_hash(&b));
    }

    /// `Buffer.from('a😀bŒ€', 'latin1').toString('hex')` in Node gives
    /// `613d006252ac`: surrogate halves and non-Latin-1 characters keep
    /// their low byte only.
    #[test]
    fn latin1_matches_node_buffer() {
        assert_eq!(hex::encode(latin1_bytes("a😀bŒ€")), "613d006252ac");
        assert_eq!(latin1_bytes("é"), vec![0xe9]);
        assert_eq!(latin1_bytes("Œ"), latin1_bytes("R"));
    }

    #[test]
    fn newtypes_serialize_as_strings() {
        let h = IdentityHash::from_stored("abc".into());
        assert_eq!(serde_json::to_string(&h).unwrap(), r#""abc""#);
        let s = Sub::from_stored("def".into());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""def""#);
        assert_eq!(s.to_string(), "def");
    }

    /// Subs of the registry-corrected identities of the sandbox's citizens
    /// `sophie-lefebvre` (the FI omits her middle given names) and
    /// `francoise-le-goff` (the FI drops the cedilla and writes "Le Goff"),
    /// beside those of the FI's identities: the login must hash the
    /// registry's. Computed independently with Node.js 20:
    ///
    /// ```text
    /// node -e '
    /// const crypto = require("crypto");
    /// const ENTITY = "a9d0c1b2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0";
    /// const SECRET = "pivot-test-secret";
    /// for (const [g, f, b, gender, bp, bc] of [
    ///   ["Sophie Anne Claire", "LEFEBVRE", "1985-04-17", "female", "59350", "99100"],
    ///   ["Sophie", "LEFEBVRE", "1985-04-17", "female", "59350", "99100"],
    ///   ["Françoise", "LE GOFF", "1958-09-02", "female", "29019", "99100"],
    ///   ["Francoise", "Le Goff", "1958-09-02", "female", "29019", "99100"],
    /// ]) {
    ///   const serial = g + f + b + gender + (bc === "99100" ? bp : "") + bc;
    ///   const hash = crypto.createHash("sha256")
    ///     .update(Buffer.from(serial, "latin1")).digest("base64");
    ///   const sub = crypto.createHash("sha256")
    ///     .update(ENTITY + hash + SECRET, "utf8").digest("hex") + "v1";
    ///   console.log(JSON.stringify([serial, hash, sub]));
    /// }'
    /// ```
    #[test]
    fn node_vectors_of_registry_corrected_identities() {
        let female = Gender::Female;
        let cases = [
            (
                // The registry's identity of sophie-lefebvre.
                id(
                    "Sophie Anne Claire",
                    "LEFEBVRE",
                    "1985-04-17",
                    female,
                    "59350",
                    "99100",
                ),
                "Sophie Anne ClaireLEFEBVRE1985-04-17female5935099100",
                "rhOiDAgVB7kGqcsRXOn14h5LdyrVCL4HlTAtPe9h1EE=",
                "55ed9c874d7109544eed0f965a97aebf8b59d9b2a501d19a806b71001b53542av1",
            ),
            (
                // Her FI's identity.
                id("Sophie", "LEFEBVRE", "1985-04-17", female, "59350", "99100"),
                "SophieLEFEBVRE1985-04-17female5935099100",
                "D4uTeqcEjw3pGveDvXQmSHdfigk/utnTpruYn5RGvd4=",
                "62ac527db5fd307bfd37fff76eb1ddef8aa1ecfa5a09aa7985864d9cd5a9c67av1",
            ),
            (
                // The registry's identity of francoise-le-goff: "ç" is the
                // latin1 byte 0xE7.
                id(
                    "Françoise",
                    "LE GOFF",
                    "1958-09-02",
                    female,
                    "29019",
                    "99100",
                ),
                "FrançoiseLE GOFF1958-09-02female2901999100",
                "i0tOe09LEHei4V/sBSnKhsuIpbO50I694mGxrt0olO0=",
                "d57351dd3add5773c7ad9f2837ba76e6694c692c28c74ba7e52b3cce508ed51dv1",
            ),
            (
                // Her FI's identity.
                id(
                    "Francoise",
                    "Le Goff",
                    "1958-09-02",
                    female,
                    "29019",
                    "99100",
                ),
                "FrancoiseLe Goff1958-09-02female2901999100",
                "A0KOT+VYNbpxS5UBqEF2ROJLWFogIHahEYdi/YpOncs=",
                "40c5f4cad5da762b4fbba897693ad166ba980051d94016a4f9b0fa18cea41c9av1",
            ),
        ];
        for (identity, serial, hash, sub) in cases {
            assert_eq!(identity_serial(&identity), serial);
            let h = identity_hash(&identity);
            assert_eq!(h.as_str(), hash, "{serial}");
            assert_eq!(pairwise_sub(ENTITY, &h, SECRET).as_str(), sub, "{serial}");
        }
    }

    proptest! {
        #[test]
        fn hash_and_sub_shapes(
            g in "\\PC{1,40}",
            f in "\\PC{1,40}",
            b in "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            female in any::<bool>(),
            bp in "[0-9]{5}",
            bc in "99[0-9]{3}",
            entity in "\\PC{0,64}",
            secret in "\\PC{0,64}",
        ) {
            let gender = if female { Gender::Female } else { Gender::Male };
            let h = identity_hash(&id(&g, &f, &b, gender, &bp, &bc));
            prop_assert_eq!(h.as_str().len(), 44);
            prop_assert!(h.as_str().ends_with('='));
            prop_assert!(STANDARD.decode(h.as_str()).is_ok_and(|d| d.len() == 32));
            let sub = pairwise_sub(&entity, &h, &secret);
            prop_assert_eq!(sub.as_str().len(), 66);
            prop_assert!(sub.as_str().ends_with("v1"));
            prop_assert!(sub.as_str()[..64].bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        }
    }
}
