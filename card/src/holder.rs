//! The holder's identity as the card stores it in `EF.Identity`, and its
//! TLV encoding (see `SPEC.md`, "EF.Identity").
//!
//! The fields follow the pivot identity (`pivot_proto::identity`) so that an
//! identity provider can map one to the other without loss; the card adds
//! its number and expiry date.

use crate::tlv;

/// Template tag around the holder's data objects.
pub const TAG_TEMPLATE: u16 = 0x70;
/// Birth name (family name), UTF-8.
pub const TAG_FAMILY_NAME: u16 = 0x80;
/// Given names in civil-status order, space-separated, UTF-8.
pub const TAG_GIVEN_NAMES: u16 = 0x81;
/// Usage name (nom d'usage), UTF-8; absent when none.
pub const TAG_USAGE_NAME: u16 = 0x82;
/// Birth date, ASCII `YYYY-MM-DD`, or `YYYY-MM` / `YYYY` when presumed.
pub const TAG_BIRTH_DATE: u16 = 0x83;
/// Gender, one ASCII byte: `M` or `F`.
pub const TAG_GENDER: u16 = 0x84;
/// INSEE commune code of the birthplace, 5 ASCII characters; absent when
/// born abroad.
pub const TAG_BIRTHPLACE: u16 = 0x85;
/// INSEE country code of birth, 5 ASCII digits (`99100` = France).
pub const TAG_BIRTH_COUNTRY: u16 = 0x86;
/// Card (document) number, 9 ASCII upper-case letters and digits.
pub const TAG_CARD_NUMBER: u16 = 0x87;
/// Card expiry date, ASCII `YYYY-MM-DD`.
pub const TAG_EXPIRY: u16 = 0x88;

/// Gender as printed on the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    /// `M`, pivot `male`.
    Male,
    /// `F`, pivot `female`.
    Female,
}

impl Gender {
    /// The pivot identity's value (`male` / `female`).
    pub fn as_pivot(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    fn byte(self) -> u8 {
        match self {
            Gender::Male => b'M',
            Gender::Female => b'F',
        }
    }
}

/// What `EF.Identity` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Birth name.
    pub family_name: String,
    /// Given names, space-separated.
    pub given_names: String,
    /// Usage name, when any.
    pub usage_name: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY-MM` / `YYYY` for a presumed date.
    pub birth_date: String,
    /// Gender.
    pub gender: Gender,
    /// INSEE commune code, `None` when born abroad.
    pub birthplace: Option<String>,
    /// INSEE country code.
    pub birth_country: String,
    /// Card number.
    pub card_number: String,
    /// Card expiry date, `YYYY-MM-DD`.
    pub expiry: String,
}

/// Why `EF.Identity` content does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HolderError {
    /// Not TLV, or not one `70` template.
    #[error("EF.Identity is not a 70 template of data objects: {0}")]
    Tlv(#[from] tlv::TlvError),
    /// The outer template is missing or followed by other bytes.
    #[error("EF.Identity is not exactly one 70 template")]
    NoTemplate,
    /// A mandatory data object is missing.
    #[error("EF.Identity lacks data object {0:02X}")]
    Missing(u16),
    /// A data object that is not UTF-8 or not in its format.
    #[error("EF.Identity's data object {0:02X} is malformed")]
    Malformed(u16),
}

impl Holder {
    /// The `EF.Identity` content: one `70` template, data objects in tag order.
    pub fn to_tlv(&self) -> Vec<u8> {
        let mut inner = Vec::new();
        tlv::push(&mut inner, TAG_FAMILY_NAME, self.family_name.as_bytes());
        tlv::push(&mut inner, TAG_GIVEN_NAMES, self.given_names.as_bytes());
        if let Some(usage) = &self.usage_name {
            tlv::push(&mut inner, TAG_USAGE_NAME, usage.as_bytes());
        }
        tlv::push(&mut inner, TAG_BIRTH_DATE, self.birth_date.as_bytes());
        tlv::push(&mut inner, TAG_GENDER, &[self.gender.byte()]);
        if let Some(place) = &self.birthplace {
            tlv::push(&mut inner, TAG_BIRTHPLACE, place.as_bytes());
        }
        tlv::push(&mut inner, TAG_BIRTH_COUNTRY, self.birth_country.as_bytes());
        tlv::push(&mut inner, TAG_CARD_NUMBER, self.card_number.as_bytes());
        tlv::push(&mut inner, TAG_EXPIRY, self.expiry.as_bytes());
        tlv::encode(TAG_TEMPLATE, &inner)
    }

    /// Decodes `EF.Identity` content. Unknown data objects inside the
    /// template are ignored (later versions may add some).
    pub fn from_tlv(bytes: &[u8]) -> Result<Self, HolderError> {
        let (outer, rest) = tlv::parse_one(bytes)?;
        if outer.tag != TAG_TEMPLATE || !rest.is_empty() {
            return Err(HolderError::NoTemplate);
        }
        let objects = tlv::parse(outer.value)?;
        let text = |tag: u16| -> Result<Option<String>, HolderError> {
            objects
                .iter()
                .find(|o| o.tag == tag)
                .map(|o| {
                    String::from_utf8(o.value.to_vec()).map_err(|_| HolderError::Malformed(tag))
                })
                .transpose()
        };
        let required = |tag: u16| text(tag)?.ok_or(HolderError::Missing(tag));
        let gender = match required(TAG_GENDER)?.as_str() {
            "M" => Gender::Male,
            "F" => Gender::Female,
            _ => return Err(HolderError::Malformed(TAG_GENDER)),
        };
        Ok(Self {
            family_name: required(TAG_FAMILY_NAME)?,
            given_names: required(TAG_GIVEN_NAMES)?,
            usage_name: text(TAG_USAGE_NAME)?,
            birth_date: required(TAG_BIRTH_DATE)?,
            gender,
            birthplace: text(TAG_BIRTHPLACE)?,
            birth_country: required(TAG_BIRTH_COUNTRY)?,
            card_number: required(TAG_CARD_NUMBER)?,
            expiry: required(TAG_EXPIRY)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carmen() -> Holder {
        Holder {
            family_name: "GARCIA".into(),
            given_names: "Carmen Isabel".into(),
            usage_name: None,
            birth_date: "1981-05-23".into(),
            gender: Gender::Female,
            birthplace: None,
            birth_country: "99134".into(),
            card_number: "PV0000002".into(),
            expiry: "2035-02-28".into(),
        }
    }

    #[test]
    fn round_trip_with_and_without_optional_fields() {
        let h = carmen();
        assert_eq!(Holder::from_tlv(&h.to_tlv()).unwrap(), h);
        let h = Holder {
            usage_name: Some("MARTIN-DUBOIS".into()),
            birthplace: Some("69123".into()),
            family_name: "DE LA FONTAINE-ÉLOÏSE".into(),
            ..carmen()
        };
        assert_eq!(Holder::from_tlv(&h.to_tlv()).unwrap(), h);
    }

    #[test]
    fn encoding_is_the_documented_one() {
        let bytes = carmen().to_tlv();
        assert_eq!(bytes[0], 0x70);
        // 80 06 "GARCIA" first.
        assert_eq!(&bytes[2..10], b"\x80\x06GARCIA");
    }

    #[test]
    fn refuses_what_is_not_an_identity() {
        assert_eq!(
            Holder::from_tlv(&[0x71, 0x00]),
            Err(HolderError::NoTemplate)
        );
        let mut trailing = carmen().to_tlv();
        trailing.push(0);
        assert_eq!(Holder::from_tlv(&trailing), Err(HolderError::NoTemplate));
        assert_eq!(
            Holder::from_tlv(&tlv::encode(0x70, &tlv::encode(0x80, b"X"))),
            Err(HolderError::Missing(TAG_GENDER))
        );
        let mut inner = Vec::new();
        tlv::push(&mut inner, TAG_GENDER, b"X");
        assert_eq!(
            Holder::from_tlv(&tlv::encode(0x70, &inner)),
            Err(HolderError::Malformed(TAG_GENDER))
        );
    }
}
