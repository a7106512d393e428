//! Every timestamp representation of FORMATS.md, parsed to microseconds since the epoch (UTC).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// X's snowflake epoch (2010-11-04T01:42:54.657Z) in milliseconds.
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;
/// Snowflake ids before this are pre-2010 sequential ids that carry no time.
const MIN_SNOWFLAKE: u64 = 1 << 40;

/// Parse a timestamp written as a date, in any format X data uses:
/// - the tweet format `Wed Mar 22 07:41:49 +0000 2017` (English names, any locale);
/// - RFC 3339 / ISO 8601 (`2017-02-02T01:00:28.774Z`, `2018-05-24T09:48:12+00:00`), and the
///   basic ISO date `20170202`;
/// - Grailbird `2015-01-24 02:02:37 +0000`;
/// - naive `2015-01-24 02:02:37` or `2015-01-24T02:02:37` (taken as UTC).
///
/// Digits alone are not an epoch time here: a field is an epoch number only where its format
/// says so ([`parse_epoch`], [`parse_ts_or_epoch`]), so `20260301` is the first of March 2026,
/// never 1970.
///
/// ```
/// use xaudit::model::time::{format_ts, parse_epoch, parse_ts, parse_ts_or_epoch};
///
/// let tweet = parse_ts("Wed Mar 22 07:41:49 +0000 2017").unwrap();
/// assert_eq!(parse_ts("2017-03-22T07:41:49.000Z"), Some(tweet));
/// assert_eq!(parse_epoch("1490168509000"), Some(tweet));
/// assert_eq!(parse_ts_or_epoch("1490168509000"), Some(tweet));
/// assert_eq!(parse_ts("1490168509000"), None);
/// assert_eq!(format_ts(tweet), "2017-03-22T07:41:49Z");
/// assert_eq!(parse_ts("last tuesday"), None);
/// ```
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return (s.len() == 8)
            .then(|| chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok())
            .flatten()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Utc.from_utc_datetime(&t).timestamp_micros());
    }
    if let Some(t) = parse_tweet_time(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for fmt in [
        "%a %b %d %H:%M:%S %z %Y",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.timestamp_micros());
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S UTC",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t).timestamp_micros());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                .timestamp_micros(),
        );
    }
    None
}

/// The tweet format `Wed Mar 22 07:41:49 +0000 2017`, always `+0000` in X data, read by position:
/// the general parser re-reads its format string for every call, and archives hold millions.
fn parse_tweet_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 30 || &b[19..26] != b" +0000 " || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| &b[4..7] == *m)? as u32 + 1;
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        std::str::from_utf8(&b[r]).ok()?.parse().ok()
    };
    let (day, h, mi, sec, year) = (
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
        num(26..30)?,
    );
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(
        Utc.from_utc_datetime(&date.and_hms_opt(h, mi, sec)?)
            .timestamp_micros(),
    )
}

/// How a field's time is read: [`parse_ts`], [`parse_epoch`] or [`parse_ts_or_epoch`], as its
/// format says.
pub type TimeParser = fn(&str) -> Option<i64>;

/// A field that is an epoch number by its format (`timestamp_ms`, `created_timestamp`,
/// `createdAtMsec`): digits, read by [`epoch_number_to_micros`].
pub fn parse_epoch(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().map(epoch_number_to_micros)
}

/// A field whose format allows a date or an epoch number (a generic log's `ts`, a webhook time
/// of unknown field): a date first, so an 8-digit basic date stays a date.
pub fn parse_ts_or_epoch(s: &str) -> Option<i64> {
    parse_ts(s).or_else(|| parse_epoch(s))
}

/// Epoch numbers: 13 digits are milliseconds (every X `*_timestamp` / `timestamp_ms`), 10 are seconds,
/// 16 are microseconds.
pub fn epoch_number_to_micros(n: i64) -> i64 {
    let a = n.unsigned_abs();
    if a >= 100_000_000_000_000 {
        n
    } else if a >= 100_000_000_000 {
        n.saturating_mul(1_000)
    } else {
        n.saturating_mul(1_000_000)
    }
}

/// The creation time encoded in a snowflake id (posts, DMs, events since late 2010).
pub fn snowflake_ts(id: &str) -> Option<i64> {
    let n: u64 = id.trim().parse().ok()?;
    if n < MIN_SNOWFLAKE {
        return None;
    }
    let ms = (n >> 22) as i64 + SNOWFLAKE_EPOCH_MS;
    Some(ms * 1_000)
}

/// RFC 3339 with `Z`: whole seconds, milliseconds or microseconds, as precise as the value.
pub fn format_ts(micros: i64) -> String {
    match Utc.timestamp_micros(micros).single() {
        Some(t) if micros % 1_000_000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) if micros % 1_000 == 0 => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => micros.to_string(),
    }
}

/// The earliest and latest time (µs) the engine holds: it computes in nanoseconds, whose i64
/// range is 1677-09-21 to 2262-04-11. A stored time outside it would make every later audit fail.
pub const ENGINE_MIN_MICROS: i64 = i64::MIN / 1_000 + 1;
pub const ENGINE_MAX_MICROS: i64 = i64::MAX / 1_000;

/// Whether the engine can hold `micros`.
pub fn holdable(micros: i64) -> bool {
    (ENGINE_MIN_MICROS..=ENGINE_MAX_MICROS).contains(&micros)
}

/// A day (UTC days have no leap seconds in Unix time), in µs.
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// 2006-03-21, the day the first post was made: the earliest time any X activity can have.
/// Used as the lower bound of snapshot events whose start is unknown.
pub const X_EPOCH_MICROS: i64 = 1_142_899_200_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_in_formats_md_parses_to_the_same_instant() {
        let t = parse_ts("2018-03-26T16:33:26Z").unwrap();
        assert_eq!(parse_ts("Mon Mar 26 16:33:26 +0000 2018"), Some(t));
        assert_eq!(parse_ts("2018-03-26 16:33:26 +0000"), Some(t));
        assert_eq!(parse_ts("2018-03-26T16:33:26+00:00"), Some(t));
        assert_eq!(parse_ts("2018-03-26T16:33:26.000Z"), Some(t));
        assert_eq!(parse_ts_or_epoch("1522082006000"), Some(t));
        assert_eq!(parse_ts_or_epoch("1522082006"), Some(t));
        assert_eq!(parse_ts("2018-03-26 16:33:26"), Some(t));
    }

    /// Issue 22: an all-digit date was read as epoch milliseconds, in 1970.
    #[test]
    fn an_all_digit_date_is_a_date_and_epoch_numbers_only_where_the_format_says() {
        let march = parse_ts("2026-03-01T00:00:00Z").unwrap();
        assert_eq!(parse_ts("20260301"), Some(march));
        assert_eq!(parse_ts_or_epoch("20260301"), Some(march));
        assert_eq!(
            parse_ts("1772323200"),
            None,
            "digits in a date field are no epoch"
        );
        assert_eq!(parse_epoch("1772323200000"), Some(march));
        assert_eq!(parse_epoch("2026-03-01"), None);
        assert_eq!(parse_ts("20261301"), None, "month 13");
    }

    #[test]
    fn garbage_is_not_a_time() {
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(parse_ts(""), None);
    }

    #[test]
    fn snowflake_ids_carry_their_creation_time() {
        // FORMATS.md: tweet 844454048556355584 was created "Wed Mar 22 07:41:49 +0000 2017".
        let ts = snowflake_ts("844454048556355584").unwrap();
        let created = parse_ts("Wed Mar 22 07:41:49 +0000 2017").unwrap();
        assert!((ts - created).abs() < 1_000_000, "{}", format_ts(ts));
        assert_eq!(snowflake_ts("12497"), None);
    }

    #[test]
    fn formats_whole_seconds_without_fraction() {
        assert_eq!(
            format_ts(parse_ts("2026-11-21T03:00:00Z").unwrap()),
            "2026-11-21T03:00:00Z"
        );
    }
}
