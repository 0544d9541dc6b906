//! Calendar dates (proleptic Gregorian) as whole days since 1970-01-01, with week arithmetic.
//!
//! The model counts weeks from the scenario's start date; outputs show calendar dates. This type is
//! the only place that converts between the two.

use std::fmt;
use std::str::FromStr;

/// A calendar date, stored as days since 1970-01-01 (negative before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

/// Days per week, for converting dates to week indices.
pub const DAYS_PER_WEEK: i64 = 7;

impl Date {
    /// 1970-01-01.
    pub const EPOCH: Date = Date(0);

    /// The date for year, month (1–12) and day (1–31), or `None` if no such day exists.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// Year, month and day of this date.
    pub fn ymd(self) -> (i64, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// "1 November": the day and the month's English name, for sentences.
    pub fn day_month(self) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let (_, m, d) = self.ymd();
        format!("{d} {}", MONTHS[(m as usize + 11) % 12])
    }

    /// The date `days` days later (earlier if negative).
    pub fn add_days(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Whole days from `earlier` to `self` (negative if `self` is before `earlier`).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.0 - earlier.0
    }

    /// The week index of this date counted from `start` (week 0 holds `start` and the six days
    /// after it); negative for dates before `start`.
    pub fn week_index(self, start: Date) -> i64 {
        self.days_since(start).div_euclid(DAYS_PER_WEEK)
    }

    /// The first day of week `week` counted from `start`.
    pub fn week_start(start: Date, week: u64) -> Date {
        start.add_days(week as i64 * DAYS_PER_WEEK)
    }

    /// Fractional years since 1970-01-01, for chart axes.
    pub fn as_days(self) -> i64 {
        self.0
    }

    /// Why a horizon of `weeks` from `start` cannot be run, if it cannot: its last day must fall
    /// in a four-digit year, because outputs write dates as `YYYY-MM-DD` and inputs read only
    /// that form (a run starting in 9999 once wrote `10002-10-12` into its CSVs).
    pub fn horizon_problem(start: Date, weeks: u32) -> Option<String> {
        let last = Date::week_start(start, u64::from(weeks)).add_days(-1);
        let (year, ..) = last.ymd();
        (!(0..=9999).contains(&year)).then(|| {
            format!(
                "the horizon of {weeks} weeks from {start} ends in the year {year}: dates are written as YYYY-MM-DD, so the last day must be 9999-12-31 or earlier"
            )
        })
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateParseError(pub String);

impl fmt::Display for DateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a date of the form YYYY-MM-DD", self.0)
    }
}

impl std::error::Error for DateParseError {}

impl FromStr for Date {
    type Err = DateParseError;

    /// Parses `YYYY-MM-DD` (exactly that form; surrounding whitespace is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DateParseError(s.to_string());
        let t = s.trim();
        let mut parts = t.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if !digits(y) || !digits(m) || !digits(d) {
            return Err(err());
        }
        let (y, m, d) = (
            y.parse::<i64>().map_err(|_| err())?,
            m.parse::<u32>().map_err(|_| err())?,
            d.parse::<u32>().map_err(|_| err())?,
        );
        Date::from_ymd(y, m, d).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates_round_trip() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date(0)));
        assert_eq!(Date::from_ymd(2000, 3, 1).map(|d| d.0), Some(11_017));
        for days in -800_000..800_000i64 {
            if days % 997 != 0 {
                continue;
            }
            let d = Date(days);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Some(d));
        }
    }

    #[test]
    fn parses_and_rejects() {
        let d: Date = "2025-10-23".parse().unwrap();
        assert_eq!(d.to_string(), "2025-10-23");
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2025-1-3".parse::<Date>().is_err());
        assert!("25-10-23".parse::<Date>().is_err());
        assert!("2025-10-23x".parse::<Date>().is_err());
    }

    #[test]
    fn week_index_counts_from_start() {
        let s: Date = "2025-10-23".parse().unwrap();
        assert_eq!(s.week_index(s), 0);
        assert_eq!(s.add_days(6).week_index(s), 0);
        assert_eq!(s.add_days(7).week_index(s), 1);
        assert_eq!(s.add_days(-1).week_index(s), -1);
    }
}
