//! The verifier an identity provider runs on what a card gives: the
//! certificate chain up to a trusted state CA, validity at a given time,
//! key usages, the challenge signature and the issuer-signed identity.
//!
//! The chain is fixed at three certificates (state CA → issuing CA →
//! card), as `SPEC.md` specifies; no path building, no revocation yet
//! (see the README's list of what is not done).

use std::fmt;

use ecdsa::ECDSA_SHA256_OID;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::DirectoryString;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::time::Time;

use crate::auth::{CHALLENGE_LEN, identity_message, signed_message};
use crate::holder::{Holder, HolderError};

/// Which certificate of the chain an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The trusted state CA.
    Root,
    /// The issuing CA (`EF.IssuerCert`).
    Issuer,
    /// The card certificate (`EF.CardCert`).
    Card,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Root => "state CA",
            Role::Issuer => "issuing CA",
            Role::Card => "card",
        })
    }
}

/// Why a card's answer is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a DER X.509 certificate.
    #[error("the {0} certificate does not parse")]
    Malformed(Role),
    /// Not ECDSA P-256 with SHA-256 (signature or key).
    #[error("the {0} certificate uses an algorithm other than ECDSA P-256/SHA-256")]
    UnsupportedAlgorithm(Role),
    /// The certificate's issuer is not the subject of the next one up (for
    /// the issuing CA: not the trusted state CA).
    #[error("the {0} certificate's issuer is not the expected CA")]
    UnknownIssuer(Role),
    /// The certificate's signature does not verify with its issuer's key
    /// (same name, other key: another PKI).
    #[error("the {0} certificate's signature is not its issuer's")]
    BadCertificateSignature(Role),
    /// `now` is after the certificate's not-after.
    #[error("the {role} certificate expired at {not_after}")]
    Expired {
        /// Which certificate.
        role: Role,
        /// Its not-after.
        not_after: OffsetDateTime,
    },
    /// `now` is before the certificate's not-before.
    #[error("the {role} certificate is valid only from {not_before}")]
    NotYetValid {
        /// Which certificate.
        role: Role,
        /// Its not-before.
        not_before: OffsetDateTime,
    },
    /// A CA certificate without `cA` and key-cert-sign, or a card
    /// certificate that is a CA or lacks digital-signature.
    #[error("the {0} certificate's basic constraints or key usage do not allow this use")]
    KeyUsage(Role),
    /// A challenge of the wrong size.
    #[error("the challenge must be 16 to 64 bytes")]
    ChallengeLength,
    /// The challenge signature does not verify with the card key.
    #[error("the challenge signature is not the card's")]
    BadSignature,
    /// The issuing CA's signature over `EF.Identity` does not verify.
    #[error("the identity is not signed by the issuing CA")]
    BadIdentitySignature,
    /// `EF.Identity` does not decode.
    #[error("the identity does not decode: {0}")]
    Identity(#[from] HolderError),
    /// The identity's card number is not the certificate's.
    #[error("the identity belongs to card {identity}, the certificate to {certificate}")]
    CardNumberMismatch {
        /// In `EF.Identity`.
        identity: String,
        /// In the card certificate's subject `serialNumber`.
        certificate: String,
    },
}

/// What the card gave, as read through the applet.
#[derive(Clone, Copy, Debug)]
pub struct CardEvidence<'a> {
    /// The verifier's challenge.
    pub challenge: &'a [u8],
    /// INTERNAL AUTHENTICATE's answer, `r || s`.
    pub signature: &'a [u8],
    /// `EF.CardCert`.
    pub card_certificate: &'a [u8],
    /// `EF.IssuerCert`.
    pub issuer_certificate: &'a [u8],
    /// `EF.Identity`.
    pub identity: &'a [u8],
    /// `EF.IdentitySig`.
    pub identity_signature: &'a [u8],
}

/// A card whose answer verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCard {
    /// The holder, as the issuing CA signed it.
    pub holder: Holder,
    /// The card certificate's not-after.
    pub not_after: OffsetDateTime,
}

/// Verifies `evidence` against the trusted state CA certificate
/// (`trusted_root`, DER) at `now`.
pub fn verify(
    evidence: &CardEvidence<'_>,
    trusted_root: &[u8],
    now: OffsetDateTime,
) -> Result<VerifiedCard, VerifyError> {
    if !CHALLENGE_LEN.contains(&evidence.challenge.len()) {
        return Err(VerifyError::ChallengeLength);
    }
    let root = parse(trusted_root, Role::Root)?;
    let issuer = parse(evidence.issuer_certificate, Role::Issuer)?;
    let card = parse(evidence.card_certificate, Role::Card)?;

    // The chain: names, then signatures.
    check_issued_by(&issuer, Role::Issuer, &root)?;
    check_issued_by(&card, Role::Card, &issuer)?;

    // Validity at `now`, every certificate.
    for (cert, role) in [
        (&root, Role::Root),
        (&issuer, Role::Issuer),
        (&card, Role::Card),
    ] {
        check_validity(cert, role, now)?;
    }

    // Constraints and usages.
    check_ca(&root, Role::Root)?;
    check_ca(&issuer, Role::Issuer)?;
    check_end_entity(&card)?;

    // Possession of the card key.
    let card_key = public_key(&card, Role::Card)?;
    let signature =
        Signature::from_slice(evidence.signature).map_err(|_| VerifyError::BadSignature)?;
    card_key
        .verify(&signed_message(evidence.challenge), &signature)
        .map_err(|_| VerifyError::BadSignature)?;

    // The identity, as the issuing CA signed it, for this card.
    let issuer_key = public_key(&issuer, Role::Issuer)?;
    let identity_signature = Signature::from_slice(evidence.identity_signature)
        .map_err(|_| VerifyError::BadIdentitySignature)?;
    issuer_key
        .verify(&identity_message(evidence.identity), &identity_signature)
        .map_err(|_| VerifyError::BadIdentitySignature)?;
    let holder = Holder::from_tlv(evidence.identity)?;
    let certificate_number = card_number(&card).unwrap_or_default();
    if holder.card_number != certificate_number {
        return Err(VerifyError::CardNumberMismatch {
            identity: holder.card_number,
            certificate: certificate_number,
        });
    }
    Ok(VerifiedCard {
        holder,
        not_after: to_offset(card.tbs_certificate().validity().not_after),
    })
}

fn parse(der: &[u8], role: Role) -> Result<Certificate, VerifyError> {
    Certificate::from_der(der).map_err(|_| VerifyError::Malformed(role))
}

fn public_key(cert: &Certificate, role: Role) -> Result<VerifyingKey, VerifyError> {
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| VerifyError::Malformed(role))?;
    VerifyingKey::from_public_key_der(&spki).map_err(|_| VerifyError::UnsupportedAlgorithm(role))
}

/// `cert`'s issuer name is `parent`'s subject and `parent`'s key signed it.
fn check_issued_by(
    cert: &Certificate,
    role: Role,
    parent: &Certificate,
) -> Result<(), VerifyError> {
    if cert.tbs_certificate().issuer() != parent.tbs_certificate().subject() {
        return Err(VerifyError::UnknownIssuer(role));
    }
    if cert.signature_algorithm().oid != ECDSA_SHA256_OID
        || cert.tbs_certificate().signature().oid != ECDSA_SHA256_OID
    {
        return Err(VerifyError::UnsupportedAlgorithm(role));
    }
    let parent_role = match role {
        Role::Card => Role::Issuer,
        Role::Issuer | Role::Root => Role::Root,
    };
    let key = public_key(parent, parent_role)?;
    let tbs = cert
        .tbs_certificate()
        .to_der()
        .map_err(|_| VerifyError::Malformed(role))?;
    let signature = cert
        .signature()
        .as_bytes()
        .and_then(|bytes| DerSignature::from_bytes(bytes).ok())
        .ok_or(VerifyError::BadCertificateSignature(role))?;
    key.verify(&tbs, &signature)
        .map_err(|_| VerifyError::BadCertificateSignature(role))
}

fn to_offset(t: Time) -> OffsetDateTime {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn check_validity(cert: &Certificate, role: Role, now: OffsetDateTime) -> Result<(), VerifyError> {
    let validity = cert.tbs_certificate().validity();
    let not_before = to_offset(validity.not_before);
    let not_after = to_offset(validity.not_after);
    if now < not_before {
        Err(VerifyError::NotYetValid { role, not_before })
    } else if now > not_after {
        Err(VerifyError::Expired { role, not_after })
    } else {
        Ok(())
    }
}

fn extensions(cert: &Certificate) -> (Option<BasicConstraints>, Option<KeyUsage>) {
    let tbs = cert.tbs_certificate();
    let constraints = tbs
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .map(|(_, c)| c);
    let usage = tbs
        .get_extension::<KeyUsage>()
        .ok()
        .flatten()
        .map(|(_, u)| u);
    (constraints, usage)
}

fn check_ca(cert: &Certificate, role: Role) -> Result<(), VerifyError> {
    match extensions(cert) {
        (Some(c), Some(u)) if c.ca && u.key_cert_sign() => Ok(()),
        _ => Err(VerifyError::KeyUsage(role)),
    }
}

fn check_end_entity(cert: &Certificate) -> Result<(), VerifyError> {
    match extensions(cert) {
        (Some(c), Some(u)) if !c.ca && u.digital_signature() => Ok(()),
        _ => Err(VerifyError::KeyUsage(Role::Card)),
    }
}

/// The subject's `serialNumber` attribute (2.5.4.5): the card number.
fn card_number(cert: &Certificate) -> Option<String> {
    const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
    cert.tbs_certificate()
        .subject()
        .by_oid::<DirectoryString>(SERIAL_NUMBER)
        .ok()
        .flatten()
        .map(String::from)
}

#[cfg(test)]
mod tests;
