//! The sandbox PKI: a state CA (root) → an ID card issuing CA → one
//! certificate per card, all ECDSA P-256 with SHA-256.
//!
//! Keys come from a seed so that the same seed always gives the same
//! certificates: an identity provider can trust the sandbox root from a
//! file, and tests are reproducible. Validity dates are always passed in.
//! The sandbox's keys are public by construction; nothing here is meant
//! for real cards.

use std::str::FromStr;
use std::time::Duration;

use der::asn1::GeneralizedTime;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::{self, Encode};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use crate::auth;
use crate::holder::Holder;

/// Subject of the sandbox state CA.
pub const ROOT_NAME: &str = "CN=Pivot sandbox state CA,O=Pivot sandbox,C=FR";
/// Subject of the sandbox ID card issuing CA.
pub const ISSUING_NAME: &str = "CN=Pivot sandbox ID card issuing CA,O=Pivot sandbox,C=FR";

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A date before 1970 or after 9999.
    #[error("certificate date out of range: {0}")]
    Date(OffsetDateTime),
    /// A subject name that does not parse (a card number with a comma…).
    #[error("bad subject name {0:?}")]
    Name(String),
    /// A PIN or PUK that is not all digits of the right length.
    #[error("the card's {0} is not in its format")]
    Secret(&'static str),
    /// The certificate builder failed.
    #[error("certificate building failed: {0}")]
    Build(#[from] x509_cert::builder::Error),
    /// DER encoding failed.
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
}

/// Not-before and not-after of a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First valid instant.
    pub not_before: OffsetDateTime,
    /// Last valid instant.
    pub not_after: OffsetDateTime,
}

/// A CA: its key and certificate.
#[derive(Clone, Debug)]
pub struct Authority {
    key: SigningKey,
    certificate: Certificate,
    der: Vec<u8>,
}

impl Authority {
    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

/// A card's key, certificate and signed identity as issued.
#[derive(Clone, Debug)]
pub struct IssuedCard {
    /// The card key (goes into the chip).
    pub key: SigningKey,
    /// The card certificate, DER.
    pub certificate: Vec<u8>,
    /// `EF.Identity`: the holder as TLV.
    pub identity: Vec<u8>,
    /// `EF.IdentitySig`: the issuing CA's `r || s` over
    /// [`crate::auth::identity_message`] of `identity`.
    pub identity_signature: Vec<u8>,
}

/// The sandbox state CA and its issuing CA.
#[derive(Clone, Debug)]
pub struct SandboxPki {
    seed: Vec<u8>,
    root: Authority,
    issuing: Authority,
}

impl SandboxPki {
    /// Both CAs from `seed`, with these validity periods.
    pub fn new(seed: &[u8], root: Period, issuing: Period) -> Result<Self, IssueError> {
        let root_name = name(ROOT_NAME)?;
        let issuing_name = name(ISSUING_NAME)?;
        let root_key = derive_key(seed, b"state-ca");
        let root_cert = build(
            Profile::Ca {
                subject: root_name.clone(),
                issuer: root_name.clone(),
                path_len: 1,
            },
            serial(b"state-ca"),
            root,
            &root_key,
            &root_key,
        )?;
        let issuing_key = derive_key(seed, b"issuing-ca");
        let issuing_cert = build(
            Profile::Ca {
                subject: issuing_name,
                issuer: root_name,
                path_len: 0,
            },
            serial(b"issuing-ca"),
            issuing,
            &issuing_key,
            &root_key,
        )?;
        Ok(Self {
            seed: seed.to_vec(),
            root: authority(root_key, root_cert)?,
            issuing: authority(issuing_key, issuing_cert)?,
        })
    }

    /// The state CA, the trust anchor of identity providers.
    pub fn root(&self) -> &Authority {
        &self.root
    }

    /// The issuing CA.
    pub fn issuing(&self) -> &Authority {
        &self.issuing
    }

    /// A card key (derived from the seed and the card number), its
    /// certificate (which binds the key to the card number, in the subject's
    /// `serialNumber`) and the issuing CA's signature over `EF.Identity`
    /// (which binds the holder to the card number, like the document
    /// security object of a passport).
    pub fn issue_card(&self, holder: &Holder, validity: Period) -> Result<IssuedCard, IssueError> {
        let label = [b"card:", holder.card_number.as_bytes()].concat();
        let key = derive_key(&self.seed, &label);
        let subject = name(&format!(
            "CN=Carte Pivot {n},serialNumber={n},O=Pivot sandbox,C=FR",
            n = holder.card_number
        ))?;
        let certificate = build(
            Profile::Card {
                subject,
                issuer: self.issuing.certificate.tbs_certificate().subject().clone(),
            },
            serial(&label),
            validity,
            &key,
            &self.issuing.key,
        )?
        .to_der()?;
        let identity = holder.to_tlv();
        let signature: Signature = self
            .issuing
            .key
            .try_sign(&auth::identity_message(&identity))
            .map_err(|e| IssueError::Build(e.into()))?;
        Ok(IssuedCard {
            key,
            certificate,
            identity,
            identity_signature: signature.to_bytes().to_vec(),
        })
    }
}

fn authority(key: SigningKey, certificate: Certificate) -> Result<Authority, IssueError> {
    let der = certificate.to_der()?;
    Ok(Authority {
        key,
        certificate,
        der,
    })
}

fn name(s: &str) -> Result<Name, IssueError> {
    Name::from_str(s).map_err(|_| IssueError::Name(s.to_owned()))
}

/// A P-256 key from the seed and a label.
///
/// Our own construction, for sandbox material only: SHA-256 over a fixed
/// context, the seed, the label and a counter, retried in the (2^-32
/// likely) case the digest is not a valid scalar.
fn derive_key(seed: &[u8], label: &[u8]) -> SigningKey {
    let mut counter: u32 = 0;
    loop {
        let digest = Sha256::new()
            .chain_update(b"pivot-card/sandbox-key/v1\0")
            .chain_update((seed.len() as u64).to_be_bytes())
            .chain_update(seed)
            .chain_update(label)
            .chain_update(counter.to_be_bytes())
            .finalize();
        if let Ok(key) = SigningKey::from_slice(&digest) {
            return key;
        }
        counter = counter.wrapping_add(1);
    }
}

/// A positive 16-byte serial number derived from the label.
fn serial(label: &[u8]) -> SerialNumber {
    let digest = Sha256::new()
        .chain_update(b"pivot-card/serial/v1\0")
        .chain_update(label)
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Positive and 16 bytes long whatever the digest.
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    SerialNumber::new(&bytes).unwrap_or_else(|_| SerialNumber::from(1u32))
}

fn time(t: OffsetDateTime) -> Result<Time, IssueError> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| IssueError::Date(t))?;
    let generalized = GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|_| IssueError::Date(t))?;
    Ok(Time::GeneralTime(generalized))
}

fn build(
    profile: Profile,
    serial: SerialNumber,
    period: Period,
    subject_key: &SigningKey,
    issuer_key: &SigningKey,
) -> Result<Certificate, IssueError> {
    let validity = Validity::new(time(period.not_before)?, time(period.not_after)?);
    let spki = SubjectPublicKeyInfo::from_key(subject_key.verifying_key())
        .map_err(|e| IssueError::Build(e.into()))?;
    let builder = CertificateBuilder::new(profile, serial, validity, spki)?;
    Ok(builder.build::<_, DerSignature>(issuer_key)?)
}

/// The three certificate profiles of the sandbox PKI.
enum Profile {
    Ca {
        subject: Name,
        issuer: Name,
        path_len: u8,
    },
    Card {
        subject: Name,
        issuer: Name,
    },
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        match self {
            Profile::Ca { issuer, .. } | Profile::Card { issuer, .. } => issuer.clone(),
        }
    }

    fn get_subject(&self) -> Name {
        match self {
            Profile::Ca { subject, .. } | Profile::Card { subject, .. } => subject.clone(),
        }
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut extensions = Vec::new();
        match self {
            Profile::Ca { path_len, .. } => {
                let constraints = BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(*path_len),
                };
                extensions.push((&constraints).to_extension(subject, &extensions)?);
                let usage = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
                extensions.push((&usage).to_extension(subject, &extensions)?);
            }
            Profile::Card { .. } => {
                let constraints = BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                };
                extensions.push((&constraints).to_extension(subject, &extensions)?);
                let usage = KeyUsage(KeyUsages::DigitalSignature.into());
                extensions.push((&usage).to_extension(subject, &extensions)?);
            }
        }
        Ok(extensions)
    }
}
