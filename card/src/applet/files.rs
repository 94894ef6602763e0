//! The applet's elementary files, their identifiers and access conditions.

/// `EF.Identity` (`01 01`): the holder's identity, read after the PIN.
pub const EF_IDENTITY: u16 = 0x0101;
/// `EF.CardCert` (`01 02`): the card's X.509 certificate, always readable.
pub const EF_CARD_CERT: u16 = 0x0102;
/// `EF.IssuerCert` (`01 03`): the issuing CA's certificate, always readable.
pub const EF_ISSUER_CERT: u16 = 0x0103;

/// `EF.IdentitySig` (`01 04`): the issuing CA's signature over
/// `EF.Identity`, always readable.
pub const EF_IDENTITY_SIG: u16 = 0x0104;

/// `EF.CardAccess` (`01 1C`): the PACE parameters, readable in plain.
pub const EF_CARD_ACCESS: u16 = 0x011C;

/// One of the applet's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// `EF.Identity`.
    Identity,
    /// `EF.CardCert`.
    CardCert,
    /// `EF.IssuerCert`.
    IssuerCert,
    /// `EF.IdentitySig`.
    IdentitySig,
    /// `EF.CardAccess`.
    CardAccess,
}

impl File {
    /// The file with this identifier.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            EF_IDENTITY => Some(File::Identity),
            EF_CARD_CERT => Some(File::CardCert),
            EF_ISSUER_CERT => Some(File::IssuerCert),
            EF_IDENTITY_SIG => Some(File::IdentitySig),
            EF_CARD_ACCESS => Some(File::CardAccess),
            _ => None,
        }
    }

    /// Its identifier.
    pub fn id(self) -> u16 {
        match self {
            File::Identity => EF_IDENTITY,
            File::CardCert => EF_CARD_CERT,
            File::IssuerCert => EF_ISSUER_CERT,
            File::IdentitySig => EF_IDENTITY_SIG,
            File::CardAccess => EF_CARD_ACCESS,
        }
    }

    /// Whether reading needs the PIN verified in this session. The
    /// certificates hold no personal data (the card number only), nor does
    /// a signature without its message; the identity does.
    pub fn needs_pin(self) -> bool {
        matches!(self, File::Identity)
    }

    /// Whether reading needs the PACE channel: all but EF.CardAccess, which
    /// says how to open it. (The card number in the certificates would
    /// otherwise let anyone in radio range track the card.)
    pub fn needs_pace(self) -> bool {
        !matches!(self, File::CardAccess)
    }
}
