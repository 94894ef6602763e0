//! Dates as the interface shows and reads them (UTC, French order).

use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// "05/03/2025 14:07" for a Unix time, or the raw number if out of range.
#[must_use]
pub fn date_time(at: i64) -> String {
    let fmt = format_description!("[day]/[month]/[year] [hour]:[minute]");
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| at.to_string())
}

/// "05/03/2025" for a Unix time.
#[must_use]
pub fn day(at: i64) -> String {
    let fmt = format_description!("[day]/[month]/[year]");
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| at.to_string())
}

/// Midnight UTC of an `<input type="date">` value ("2025-03-05"); `None`
/// when empty or invalid.
#[must_use]
pub fn parse_day_input(value: &str) -> Option<i64> {
    let fmt = format_description!("[year]-[month]-[day]");
    let date = Date::parse(value.trim(), &fmt).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// The `<input type="date">` value of a Unix time ("2025-03-05").
#[must_use]
pub fn day_input_value(at: i64) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_days() {
        // 2025-03-05 14:07:00 UTC
        let at = 1_741_183_620;
        assert_eq!(date_time(at), "05/03/2025 14:07");
        assert_eq!(day(at), "05/03/2025");
        let midnight = parse_day_input("2025-03-05").unwrap();
        assert_eq!(midnight, 1_741_132_800);
        assert_eq!(day_input_value(midnight), "2025-03-05");
        assert_eq!(parse_day_input(""), None);
        assert_eq!(parse_day_input("05/03/2025"), None);
        assert_eq!(date_time(i64::MAX), i64::MAX.to_string());
    }
}
