//! The eIDAS level a demo FI asserts, and what a login at that level takes.

use pivot_proto::eidas::Eidas;

/// `amr` of a login with a password alone (RFC 8176).
pub const AMR_PASSWORD: &[&str] = &["pwd"];

/// `amr` of a login with a password and a one-time code (RFC 8176: `pwd`
/// and `otp` for the methods, `mfa` for their combination).
pub const AMR_PASSWORD_AND_CODE: &[&str] = &["pwd", "otp", "mfa"];

/// `amr` of a login with the ID card (RFC 8176): `sc` (smart card), `hwk`
/// (proof of possession of a hardware-held key: the card's signature),
/// `pin` (the card's PIN) and `mfa`.
pub const AMR_CARD: &[&str] = &["sc", "hwk", "pin", "mfa"];

/// Whether a login at `level` takes a second factor (the one-time code):
/// from `eidas2` (substantial) up.
#[must_use]
pub fn needs_second_factor(level: Eidas) -> bool {
    level >= Eidas::Eidas2
}

/// The level an FI supporting `levels` asserts for a request's
/// `acr_values`: the lowest supported level meeting the lowest known
/// requested value; its highest level when none does (the client is the one
/// to refuse an insufficient level); its lowest level when no known value is
/// requested. `None` only when `levels` is empty.
#[must_use]
pub fn select_level(levels: &[Eidas], acr_values: Option<&str>) -> Option<Eidas> {
    let required = acr_values
        .unwrap_or_default()
        .split_ascii_whitespace()
        .filter_map(|v| v.parse::<Eidas>().ok())
        .min();
    match required {
        None => levels.iter().copied().min(),
        Some(required) => levels
            .iter()
            .copied()
            .filter(|l| l.satisfies(required))
            .min()
            .or_else(|| levels.iter().copied().max()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: &[Eidas] = &[Eidas::Eidas1];
    const LA_POSTE: &[Eidas] = &[Eidas::Eidas1, Eidas::Eidas2];
    const HIGH: &[Eidas] = &[Eidas::Eidas3, Eidas::Eidas2];

    #[test]
    fn lowest_level_meeting_the_request() {
        assert_eq!(select_level(LA_POSTE, Some("eidas1")), Some(Eidas::Eidas1));
        assert_eq!(select_level(LA_POSTE, Some("eidas2")), Some(Eidas::Eidas2));
        assert_eq!(select_level(HIGH, Some("eidas1")), Some(Eidas::Eidas2));
        assert_eq!(select_level(HIGH, Some("eidas2")), Some(Eidas::Eidas2));
        assert_eq!(select_level(HIGH, Some("eidas3")), Some(Eidas::Eidas3));
        // The lowest known value requested counts; unknown ones are ignored.
        assert_eq!(
            select_level(HIGH, Some("loa-x eidas3 eidas2")),
            Some(Eidas::Eidas2)
        );
    }

    #[test]
    fn highest_level_when_the_request_cannot_be_met() {
        assert_eq!(select_level(LOW, Some("eidas2")), Some(Eidas::Eidas1));
        assert_eq!(select_level(LA_POSTE, Some("eidas3")), Some(Eidas::Eidas2));
    }

    #[test]
    fn lowest_level_when_nothing_known_is_asked() {
        assert_eq!(select_level(LA_POSTE, None), Some(Eidas::Eidas1));
        assert_eq!(select_level(HIGH, Some(" ")), Some(Eidas::Eidas2));
        assert_eq!(select_level(HIGH, Some("loa-high")), Some(Eidas::Eidas2));
        assert_eq!(select_level(&[], Some("eidas1")), None);
    }

    #[test]
    fn second_factor_from_eidas2() {
        assert!(!needs_second_factor(Eidas::Eidas1));
        assert!(needs_second_factor(Eidas::Eidas2));
        assert!(needs_second_factor(Eidas::Eidas3));
    }
}
