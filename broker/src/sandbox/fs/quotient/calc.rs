//! The family quotient itself: amounts, parsing of what the citizen types,
//! the computation and its French formatting. Pure functions, no I/O.
//!
//! Quotient familial = revenu fiscal de référence / 12 / nombre de parts,
//! rounded to the cent (half up). Amounts are kept in cents and parts in
//! quarters, so that no floating-point rounding creeps in.

/// Largest revenu fiscal de référence accepted, in euros.
const MAX_RFR_EUROS: i64 = 1_000_000_000;
/// Largest number of parts accepted.
const MAX_PARTS: u32 = 50;
/// Narrow no-break space: the French thousands separator (as
/// `Intl.NumberFormat("fr-FR")` writes it).
const THOUSANDS: char = '\u{202F}';
/// No-break space before the euro sign.
const BEFORE_UNIT: char = '\u{A0}';

/// A revenu fiscal de référence, in cents (never negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rfr(i64);

impl Rfr {
    /// A whole number of euros, as the tax API sends it.
    pub fn from_euros(euros: i64) -> Option<Self> {
        (0..=MAX_RFR_EUROS)
            .contains(&euros)
            .then(|| Self(euros * 100))
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// The amount in euros, for JSON.
    pub fn euros(self) -> f64 {
        cents_to_f64(self.0)
    }
}

/// A nombre de parts, in quarters (1 part = 4): always positive and a
/// multiple of 0.25.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts(u32);

impl Parts {
    /// The number of parts the tax API sends (a JSON number), if it is a
    /// positive multiple of 0.25 within bounds.
    pub fn from_f64(parts: f64) -> Option<Self> {
        let quarters = parts * 4.0;
        if !quarters.is_finite() || quarters.fract() != 0.0 {
            return None;
        }
        if quarters < 1.0 || quarters > f64::from(MAX_PARTS * 4) {
            return None;
        }
        // In range and integral: the conversion is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let quarters = quarters as u32;
        Some(Self(quarters))
    }

    /// The number of parts, for JSON.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 4.0
    }
}

/// Why a typed value is refused; [`FieldError::message`] says it in French.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldError {
    /// Nothing typed.
    Missing,
    /// Not a number.
    NotANumber,
    /// Below zero.
    Negative,
    /// More than two decimals (amounts).
    TooPrecise,
    /// Beyond the accepted maximum.
    TooLarge,
    /// Zero parts.
    Zero,
    /// Parts not a multiple of 0.25.
    NotAQuarter,
}

impl FieldError {
    /// The French message for the revenu fiscal de référence field.
    pub fn rfr_message(self) -> &'static str {
        match self {
            Self::Missing => {
                "Saisissez le revenu fiscal de référence indiqué sur votre avis d’imposition."
            }
            Self::NotANumber => {
                "Le revenu fiscal de référence doit être un montant en euros, par exemple 38450."
            }
            Self::Negative => "Le revenu fiscal de référence ne peut pas être négatif.",
            Self::TooPrecise => {
                "Le revenu fiscal de référence s’écrit avec deux décimales au plus."
            }
            Self::TooLarge => {
                "Le revenu fiscal de référence saisi est trop élevé : vérifiez le montant."
            }
            // Zero euros is a valid income; these do not apply to amounts.
            Self::Zero | Self::NotAQuarter => {
                "Le revenu fiscal de référence saisi n’est pas valide."
            }
        }
    }

    /// The French message for the nombre de parts field.
    pub fn parts_message(self) -> &'static str {
        match self {
            Self::Missing => "Saisissez le nombre de parts indiqué sur votre avis d’imposition.",
            Self::NotANumber => "Le nombre de parts doit être un nombre, par exemple 2,5.",
            Self::Negative => "Le nombre de parts ne peut pas être négatif.",
            Self::Zero => "Le nombre de parts doit être supérieur à 0.",
            Self::NotAQuarter | Self::TooPrecise => {
                "Le nombre de parts doit être un multiple de 0,25 (par exemple 1 ; 1,5 ; 2,25 ; 3)."
            }
            Self::TooLarge => "Le nombre de parts saisi est trop élevé : vérifiez-le (50 au plus).",
        }
    }
}

/// A decimal number as typed: `38450`, `38 450`, `38450,00`, `2.5`. Returns
/// the digits as an integer numerator and the number of decimals.
fn parse_decimal(input: &str) -> Result<(u64, u32), FieldError> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{A0}' | '\u{202F}'))
        .collect();
    let cleaned = cleaned.strip_suffix('€').unwrap_or(&cleaned);
    if cleaned.is_empty() {
        return Err(FieldError::Missing);
    }
    if let Some(rest) = cleaned.strip_prefix('-') {
        // A negative number is refused as such; anything else as text.
        return match parse_decimal(rest) {
            Ok((0, _)) => Ok((0, 0)),
            Ok(_) => Err(FieldError::Negative),
            Err(_) => Err(FieldError::NotANumber),
        };
    }
    let (int, frac) = match cleaned.split_once([',', '.']) {
        Some((i, f)) => (i, f),
        None => (cleaned, ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(FieldError::NotANumber);
    }
    // Trailing zeros of the decimals change nothing.
    let frac = frac.trim_end_matches('0');
    // Ten integer digits and six decimals at most: no overflow below.
    let int = int.trim_start_matches('0');
    if int.len() > 10 || frac.len() > 6 {
        return Err(if int.len() > 10 {
            FieldError::TooLarge
        } else {
            FieldError::TooPrecise
        });
    }
    let decimals = u32::try_from(frac.len()).map_err(|_| FieldError::TooPrecise)?;
    let mut value: u64 = 0;
    for c in int.chars().chain(frac.chars()) {
        let d = u64::from(c.to_digit(10).ok_or(FieldError::NotANumber)?);
        value = value * 10 + d;
    }
    Ok((value, decimals))
}

/// Parses a revenu fiscal de référence typed in euros (two decimals at
/// most).
pub(crate) fn parse_rfr(input: &str) -> Result<Rfr, FieldError> {
    let (value, decimals) = parse_decimal(input)?;
    if decimals > 2 {
        return Err(FieldError::TooPrecise);
    }
    let cents = value * 10u64.pow(2 - decimals);
    let cents = i64::try_from(cents).map_err(|_| FieldError::TooLarge)?;
    if cents > MAX_RFR_EUROS * 100 {
        return Err(FieldError::TooLarge);
    }
    Ok(Rfr(cents))
}

/// Parses a nombre de parts (`1`, `1,5`, `2.25`…).
pub(crate) fn parse_parts(input: &str) -> Result<Parts, FieldError> {
    let (value, decimals) = parse_decimal(input)?;
    if value == 0 {
        return Err(FieldError::Zero);
    }
    let scale = 10u64.pow(decimals);
    if !(value * 4).is_multiple_of(scale) {
        return Err(FieldError::NotAQuarter);
    }
    let quarters = value * 4 / scale;
    match u32::try_from(quarters) {
        Ok(q) if q <= MAX_PARTS * 4 => Ok(Parts(q)),
        _ => Err(FieldError::TooLarge),
    }
}

/// The family quotient in cents: `rfr / 12 / parts`, rounded half up to the
/// cent.
pub(crate) fn quotient_cents(rfr: Rfr, parts: Parts) -> i64 {
    // rfr / 12 / (quarters / 4) = rfr / (3 × quarters)
    let divisor = 3 * i64::from(parts.0);
    (2 * rfr.0 + divisor) / (2 * divisor)
}

/// Cents as euros for JSON (e.g. `128167` → `1281.67`).
pub(crate) fn cents_to_f64(cents: i64) -> f64 {
    // Amounts stay far below 2^53 cents: exact.
    #[allow(clippy::cast_precision_loss)]
    let c = cents as f64;
    c / 100.0
}

/// Digits grouped by three with the French separator.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THOUSANDS);
        }
        out.push(c);
    }
    out
}

/// An amount in French: `1 281,67 €`; whole amounts without cents when
/// `cents_if_whole` is false (`38 450 €`).
pub(crate) fn format_euros(cents: i64, cents_if_whole: bool) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (euros, rest) = (abs / 100, abs % 100);
    let euros = group_thousands(euros);
    if rest == 0 && !cents_if_whole {
        format!("{sign}{euros}{BEFORE_UNIT}€")
    } else {
        format!("{sign}{euros},{rest:02}{BEFORE_UNIT}€")
    }
}

/// A revenu fiscal de référence in French (`38 450 €`).
pub(crate) fn format_rfr(rfr: Rfr) -> String {
    format_euros(rfr.0, false)
}

/// A number of parts in French (`1`, `1,5`, `2,25`).
pub(crate) fn format_parts(parts: Parts) -> String {
    let whole = parts.0 / 4;
    match parts.0 % 4 {
        0 => whole.to_string(),
        1 => format!("{whole},25"),
        2 => format!("{whole},5"),
        _ => format!("{whole},75"),
    }
}

/// An amount as typed back into the form (`38450`, `38450,50`).
pub(crate) fn rfr_input(rfr: Rfr) -> String {
    let (euros, rest) = (rfr.0 / 100, rfr.0 % 100);
    if rest == 0 {
        euros.to_string()
    } else {
        format!("{euros},{rest:02}")
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn q(rfr: &str, parts: &str) -> String {
        let cents = quotient_cents(parse_rfr(rfr).unwrap(), parse_parts(parts).unwrap());
        format_euros(cents, true)
    }

    #[test]
    fn quotient_is_rfr_over_twelve_over_parts_rounded_to_the_cent() {
        // 38450 / 12 / 2.5 = 1281.666… → 1281.67
        assert_eq!(q("38450", "2,5"), "1\u{202F}281,67\u{A0}€");
        assert_eq!(
            quotient_cents(Rfr::from_euros(38_450).unwrap(), Parts(10)),
            128_167
        );
        // 12000 / 12 / 1 = 1000 exactly
        assert_eq!(q("12000", "1"), "1\u{202F}000,00\u{A0}€");
        // 25000 / 12 / 1.5 = 1388.888… → 1388.89
        assert_eq!(q("25000", "1.5"), "1\u{202F}388,89\u{A0}€");
        // 30000 / 12 / 3 = 833.333… → 833.33
        assert_eq!(q("30000", "3"), "833,33\u{A0}€");
        // 10 / 12 / 1.75 = 0.476… → 0.48
        assert_eq!(q("10", "1,75"), "0,48\u{A0}€");
        // Half a cent rounds up: 0.18 / 12 / 1 = 0.015 → 0.02
        assert_eq!(q("0,18", "1"), "0,02\u{A0}€");
        // 0.06 / 12 / 1 = 0.005 → 0.01; 0.05 / 12 = 0.00416… → 0.00
        assert_eq!(q("0,06", "1"), "0,01\u{A0}€");
        assert_eq!(q("0,05", "1"), "0,00\u{A0}€");
        assert_eq!(q("0", "2"), "0,00\u{A0}€");
        // A large income
        assert_eq!(q("1 234 567", "2,25"), "45\u{202F}724,70\u{A0}€");
    }

    #[test]
    fn amounts_are_written_the_french_way() {
        assert_eq!(format_euros(128_167, true), "1\u{202F}281,67\u{A0}€");
        assert_eq!(format_euros(100, true), "1,00\u{A0}€");
        assert_eq!(format_euros(5, true), "0,05\u{A0}€");
        assert_eq!(
            format_euros(12_345_678_900, true),
            "123\u{202F}456\u{202F}789,00\u{A0}€"
        );
        assert_eq!(format_euros(-150, true), "-1,50\u{A0}€");
        assert_eq!(
            format_rfr(Rfr::from_euros(38_450).unwrap()),
            "38\u{202F}450\u{A0}€"
        );
        assert_eq!(format_rfr(Rfr::from_euros(999).unwrap()), "999\u{A0}€");
        assert_eq!(
            format_rfr(parse_rfr("1000,5").unwrap()),
            "1\u{202F}000,50\u{A0}€"
        );
        assert_eq!(format_parts(Parts(4)), "1");
        assert_eq!(format_parts(Parts(5)), "1,25");
        assert_eq!(format_parts(Parts(10)), "2,5");
        assert_eq!(format_parts(Parts(11)), "2,75");
        assert_eq!(rfr_input(parse_rfr("38 450").unwrap()), "38450");
        assert_eq!(rfr_input(parse_rfr("38450.5").unwrap()), "38450,50");
        assert_eq!(format_parts(parse_parts("2.50").unwrap()), "2,5");
    }

    #[test]
    fn typed_amounts_are_parsed_or_refused_with_a_reason() {
        assert_eq!(parse_rfr("38450").unwrap().cents(), 3_845_000);
        assert_eq!(parse_rfr(" 38 450 € ").unwrap().cents(), 3_845_000);
        assert_eq!(parse_rfr("38\u{202F}450,00").unwrap().cents(), 3_845_000);
        assert_eq!(parse_rfr("38450.5").unwrap().cents(), 3_845_050);
        assert_eq!(parse_rfr("0").unwrap().cents(), 0);
        assert_eq!(parse_rfr("-0").unwrap().cents(), 0);
        assert_eq!(parse_rfr(""), Err(FieldError::Missing));
        assert_eq!(parse_rfr("   "), Err(FieldError::Missing));
        assert_eq!(parse_rfr("-12"), Err(FieldError::Negative));
        assert_eq!(parse_rfr("-abc"), Err(FieldError::NotANumber));
        assert_eq!(parse_rfr("douze"), Err(FieldError::NotANumber));
        assert_eq!(parse_rfr("12,5,3"), Err(FieldError::NotANumber));
        assert_eq!(parse_rfr("1e5"), Err(FieldError::NotANumber));
        assert_eq!(parse_rfr(",5"), Err(FieldError::NotANumber));
        assert_eq!(parse_rfr("12.345"), Err(FieldError::TooPrecise));
        assert_eq!(parse_rfr("99999999999"), Err(FieldError::TooLarge));
        assert_eq!(parse_rfr("1000000001"), Err(FieldError::TooLarge));
        assert!(parse_rfr("1000000000").is_ok());
        assert!(Rfr::from_euros(-1).is_none());
        assert!(Rfr::from_euros(MAX_RFR_EUROS + 1).is_none());
    }

    #[test]
    fn parts_must_be_positive_quarters() {
        assert_eq!(parse_parts("1"), Ok(Parts(4)));
        assert_eq!(parse_parts("1,5"), Ok(Parts(6)));
        assert_eq!(parse_parts("2.25"), Ok(Parts(9)));
        assert_eq!(parse_parts("2,750"), Ok(Parts(11)));
        assert_eq!(parse_parts("0,25"), Ok(Parts(1)));
        assert_eq!(parse_parts("0"), Err(FieldError::Zero));
        assert_eq!(parse_parts("0,0"), Err(FieldError::Zero));
        assert_eq!(parse_parts("-1"), Err(FieldError::Negative));
        assert_eq!(parse_parts("1,3"), Err(FieldError::NotAQuarter));
        assert_eq!(parse_parts("2,125"), Err(FieldError::NotAQuarter));
        assert_eq!(parse_parts("deux"), Err(FieldError::NotANumber));
        assert_eq!(parse_parts(""), Err(FieldError::Missing));
        assert_eq!(parse_parts("51"), Err(FieldError::TooLarge));
        assert_eq!(Parts::from_f64(2.5), Some(Parts(10)));
        assert_eq!(Parts::from_f64(1.0), Some(Parts(4)));
        assert_eq!(Parts::from_f64(0.0), None);
        assert_eq!(Parts::from_f64(-1.0), None);
        assert_eq!(Parts::from_f64(1.3), None);
        assert_eq!(Parts::from_f64(f64::NAN), None);
        assert_eq!(Parts::from_f64(1e12), None);
        assert!((Parts(10).as_f64() - 2.5).abs() < f64::EPSILON);
    }

    #[test]
    fn every_error_has_a_french_message() {
        for e in [
            FieldError::Missing,
            FieldError::NotANumber,
            FieldError::Negative,
            FieldError::TooPrecise,
            FieldError::TooLarge,
            FieldError::Zero,
            FieldError::NotAQuarter,
        ] {
            assert!(e.rfr_message().contains("revenu fiscal"), "{e:?}");
            assert!(e.parts_message().contains("nombre de parts"), "{e:?}");
        }
    }
}
