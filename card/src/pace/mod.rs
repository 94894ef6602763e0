//! PACE with the CAN: generic mapping on NIST P-256, AES-128 with CMAC
//! (`id-PACE-ECDH-GM-AES-CBC-CMAC-128`, BSI TR-03110 part 3 §4.2 and
//! ICAO 9303 part 11 §4.4). The primitives both sides share; the card's
//! state machine is `applet::pace`, the terminal's [`terminal::PaceChannel`].
//!
//! Written here on RustCrypto parts (`p256` points and scalars, `aes`,
//! `cbc`, `cmac`, `sha1`): no maintained Rust crate implements PACE.

pub mod terminal;

use aes::Aes128;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use cmac::digest::KeyInit;
use cmac::{Cmac, Mac};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{NonZeroScalar, ProjectivePoint, PublicKey};
use sha1::{Digest, Sha1};

use crate::entropy::{Entropy, EntropyError};
use crate::pin::Can;
use crate::tlv;

/// `id-PACE-ECDH-GM-AES-CBC-CMAC-128`, 0.4.0.127.0.7.2.2.4.2.2, DER content.
pub const PROTOCOL_OID: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
/// Standardized domain parameters 12: NIST P-256.
pub const PARAMETER_ID: u8 = 12;
/// MSE:SET AT password reference of the CAN.
pub const CAN_REFERENCE: u8 = 0x02;
/// Length of an uncompressed P-256 point.
pub const POINT_LEN: usize = 65;

/// `EF.CardAccess`: `SecurityInfos ::= SET OF SecurityInfo` with one
/// `PACEInfo { protocol, version 2, parameterId 12 }`, DER.
pub fn card_access() -> Vec<u8> {
    let mut info = tlv::encode(0x06, &PROTOCOL_OID);
    info.extend(tlv::encode(0x02, &[2]));
    info.extend(tlv::encode(0x02, &[PARAMETER_ID]));
    tlv::encode(0x31, &tlv::encode(0x30, &info))
}

/// AES-128 key from a shared secret: SHA-1(secret ‖ counter)[0..16].
pub fn kdf(secret: &[u8], counter: u32) -> [u8; 16] {
    let digest = Sha1::new()
        .chain_update(secret)
        .chain_update(counter.to_be_bytes())
        .finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// K_π, the key that encrypts the nonce, from the CAN.
pub fn password_key(can: &Can) -> [u8; 16] {
    kdf(can.as_bytes(), 3)
}

/// The 16-byte nonce encrypted (or decrypted) with K_π: one AES-CBC block
/// with a zero IV.
pub fn crypt_nonce(k_pi: &[u8; 16], block: &[u8; 16], encrypt: bool) -> [u8; 16] {
    let mut out = *block;
    let iv = [0u8; 16];
    if encrypt {
        let _ = cbc::Encryptor::<Aes128>::new(k_pi.into(), (&iv).into())
            .encrypt_padded_mut::<NoPadding>(&mut out, 16);
    } else {
        let _ = cbc::Decryptor::<Aes128>::new(k_pi.into(), (&iv).into())
            .decrypt_padded_mut::<NoPadding>(&mut out);
    }
    out
}

/// AES-CMAC truncated to 8 bytes.
pub fn mac8(key: &[u8; 16], data: &[u8]) -> [u8; 8] {
    let mut mac = <Cmac<Aes128> as KeyInit>::new(key.into());
    mac.update(data);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 8];
    out.copy_from_slice(&full[..8]);
    out
}

/// The authentication token over the other side's ephemeral public key:
/// CMAC(K_mac, 7F49 { 06 protocol OID, 86 point }) truncated to 8 bytes.
pub fn token(k_mac: &[u8; 16], other_point: &[u8]) -> [u8; 8] {
    let mut inner = tlv::encode(0x06, &PROTOCOL_OID);
    inner.extend(tlv::encode(0x86, other_point));
    mac8(k_mac, &tlv::encode(0x7F49, &inner))
}

/// The session keys of the secure-messaging channel.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// K_enc = KDF(K, 1).
    pub enc: [u8; 16],
    /// K_mac = KDF(K, 2).
    pub mac: [u8; 16],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys([redacted])")
    }
}

impl SessionKeys {
    /// From the shared secret (the x-coordinate of the agreed point).
    pub fn derive(shared_x: &[u8]) -> Self {
        Self {
            enc: kdf(shared_x, 1),
            mac: kdf(shared_x, 2),
        }
    }
}

/// A random non-zero scalar.
pub fn random_scalar(entropy: &mut dyn Entropy) -> Result<NonZeroScalar, EntropyError> {
    loop {
        let mut bytes = [0u8; 32];
        entropy.fill(&mut bytes)?;
        if let Ok(scalar) = NonZeroScalar::try_from(&bytes[..]) {
            return Ok(scalar);
        }
    }
}

/// The mapped generator of the generic mapping: G' = s·G + H.
pub fn map_generator(nonce: &[u8; 16], h: &ProjectivePoint) -> Option<ProjectivePoint> {
    let mut wide = [0u8; 32];
    wide[16..].copy_from_slice(nonce);
    let s = NonZeroScalar::try_from(&wide[..]).ok()?;
    let g = ProjectivePoint::GENERATOR * *s + h;
    (g != ProjectivePoint::IDENTITY).then_some(g)
}

/// A point from its uncompressed encoding; `None` for anything else,
/// including points off the curve and the identity.
pub fn decode_point(bytes: &[u8]) -> Option<ProjectivePoint> {
    if bytes.len() != POINT_LEN {
        return None;
    }
    PublicKey::from_sec1_bytes(bytes)
        .ok()
        .map(|k| k.to_projective())
}

/// The uncompressed encoding of a point (`04 ‖ x ‖ y`).
pub fn encode_point(point: &ProjectivePoint) -> Vec<u8> {
    point.to_affine().to_sec1_point(false).as_bytes().to_vec()
}

/// The x-coordinate of a point, the ECDH shared secret.
pub fn x_coordinate(point: &ProjectivePoint) -> Vec<u8> {
    point.to_affine().x().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn card_access_is_the_documented_der() {
        assert_eq!(
            card_access(),
            [
                0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04,
                0x02, 0x02, 0x02, 0x01, 0x02, 0x02, 0x01, 0x0C
            ]
        );
    }

    #[test]
    fn nonce_encryption_round_trips() {
        let k = password_key(&Can::parse(b"123456").unwrap());
        let s = [7u8; 16];
        let z = crypt_nonce(&k, &s, true);
        assert_ne!(z, s);
        assert_eq!(crypt_nonce(&k, &z, false), s);
    }

    #[test]
    fn kdf_is_sha1_of_secret_and_counter() {
        // SHA-1("123456" || 00 00 00 03), first 16 bytes.
        let k = kdf(b"123456", 3);
        let full = Sha1::digest(b"123456\x00\x00\x00\x03");
        assert_eq!(k, full[..16]);
    }

    #[test]
    fn both_sides_of_the_generic_mapping_agree() {
        let mut e = SeededEntropy::new(b"mapping");
        let nonce = [0x42u8; 16];
        let (a, b) = (
            random_scalar(&mut e).unwrap(),
            random_scalar(&mut e).unwrap(),
        );
        let (pa, pb) = (
            ProjectivePoint::GENERATOR * *a,
            ProjectivePoint::GENERATOR * *b,
        );
        let ga = map_generator(&nonce, &(pb * *a)).unwrap();
        let gb = map_generator(&nonce, &(pa * *b)).unwrap();
        assert_eq!(ga, gb);
        let point = encode_point(&ga);
        assert_eq!(point.len(), POINT_LEN);
        assert_eq!(decode_point(&point), Some(ga));
        assert_eq!(decode_point(&point[..64]), None);
        let mut off_curve = point.clone();
        off_curve[64] ^= 1;
        assert_eq!(decode_point(&off_curve), None);
    }
}
