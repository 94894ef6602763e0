//! Dates as French citizens read them, in Europe/Paris time:
//! "lundi 23 novembre 2026 à 14:05". Written here because chrono's
//! localized formatting needs its `unstable-locales` tables for one
//! language's day and month names.

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Europe::Paris;

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `at` (Unix seconds) as "lundi 23 novembre 2026 à 14:05", Paris time.
#[must_use]
pub fn paris_datetime(at: i64) -> String {
    let Some(utc) = DateTime::from_timestamp(at, 0) else {
        return String::new();
    };
    let t = utc.with_timezone(&Paris);
    let day = DAYS
        .get(t.weekday().num_days_from_monday() as usize)
        .copied()
        .unwrap_or_default();
    let month = MONTHS.get(t.month0() as usize).copied().unwrap_or_default();
    let date = if t.day() == 1 {
        "1er".to_owned()
    } else {
        t.day().to_string()
    };
    format!(
        "{day} {date} {month} {} à {:02}:{:02}",
        t.year(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_time_in_winter_and_summer() {
        // 2026-11-23T13:05:00Z: UTC+1.
        assert_eq!(
            paris_datetime(1_795_439_100),
            "lundi 23 novembre 2026 à 14:05"
        );
        // 2026-07-14T10:00:00Z: UTC+2.
        assert_eq!(
            paris_datetime(1_784_023_200),
            "mardi 14 juillet 2026 à 12:00"
        );
        // 2026-03-01T00:30:00Z.
        assert_eq!(
            paris_datetime(1_772_325_000),
            "dimanche 1er mars 2026 à 01:30"
        );
    }
}
