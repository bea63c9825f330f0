//! Go's `time` package as templates see it: `time.Time` values with their zone, Go's
//! reference-time layouts (`2006-01-02T15:04:05Z07:00`) for formatting and parsing, and
//! `time.Duration`'s text form.
//!
//! The layout code is a port of Go's `time/format.go` (`nextStdChunk`, `appendFormat`,
//! `parse`) and works on bytes as Go does, so any input, valid layout or not, gives Go's text
//! or Go's error message, and never panics.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::OffsetName;

/// A second as a `time.Duration`, in nanoseconds (the tests have the other units).
pub(crate) const SECOND: i64 = 1_000_000_000;

/// Unix seconds of Go's zero time, 0001-01-01T00:00:00Z.
const ZERO_UNIX: i64 = -62_135_596_800;

/// A `time.Time`: an instant and the zone it is shown in.
#[derive(Clone, Debug, PartialEq)]
pub struct GoTime {
    pub(crate) instant: DateTime<Utc>,
    pub(crate) zone: Zone,
}

/// A `*time.Location`. Templates run with `Local` = UTC.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Zone {
    Utc,
    /// Go's `FixedZone(name, offset)`, as `time.Parse` makes from `-0700` (no name) or an
    /// abbreviation Local does not have (`PST`) in the input.
    Fixed(FixedOffset, String),
    Named(chrono_tz::Tz),
}

impl Zone {
    /// `time.LoadLocation(name)`, with `Local` = UTC; `None` for an unknown zone.
    pub(crate) fn load(name: &str) -> Option<Zone> {
        match name {
            "" | "UTC" | "Local" => Some(Zone::Utc),
            // Go refuses these before looking at the zone database.
            _ if name.contains("..") || name.starts_with(['/', '\\']) => None,
            _ => name.parse::<chrono_tz::Tz>().ok().map(Zone::Named),
        }
    }

    /// The offset east of UTC in seconds, and the zone's abbreviation, in effect at `instant`
    /// (Go's `Location.lookup`). Unnamed fixed zones have an empty name, as in Go.
    pub(crate) fn lookup(&self, instant: &DateTime<Utc>) -> (i32, String) {
        match self {
            Zone::Utc => (0, "UTC".to_owned()),
            Zone::Fixed(offset, name) => (offset.local_minus_utc(), name.clone()),
            Zone::Named(tz) => {
                let offset = tz.offset_from_utc_datetime(&instant.naive_utc());
                let seconds = offset.fix().local_minus_utc();
                let name = match offset.abbreviation() {
                    Some(name) => name.to_owned(),
                    // tzdata's numeric abbreviations ("+03", "+0530"), which Go prints as names.
                    None => numeric_zone_name(seconds),
                };
                (seconds, name)
            }
        }
    }
}

/// The `%z`-style abbreviation tzdata gives zones without a name: `+03`, `-0330`.
fn numeric_zone_name(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let (hours, minutes, seconds) = (abs / 3600, abs / 60 % 60, abs % 60);
    let mut name = format!("{sign}{hours:02}");
    if minutes != 0 || seconds != 0 {
        let _ = write!(name, "{minutes:02}");
    }
    if seconds != 0 {
        let _ = write!(name, "{seconds:02}");
    }
    name
}

impl GoTime {
    pub fn utc(instant: DateTime<Utc>) -> GoTime {
        GoTime { instant, zone: Zone::Utc }
    }

    /// Go's zero `time.Time{}`.
    pub(crate) fn zero() -> GoTime {
        GoTime::utc(DateTime::from_timestamp(ZERO_UNIX, 0).unwrap_or_default())
    }

    /// Go's zero `time.Time`: January 1, year 1, 00:00:00 UTC (in any zone, as `IsZero`).
    pub(crate) fn is_zero(&self) -> bool {
        self.instant.timestamp() == ZERO_UNIX && self.instant.timestamp_subsec_nanos() == 0
    }

    /// `time.Unix(secs, 0)` in `Local` (UTC); `None` past chrono's range (±262,000 years),
    /// which Go would still represent.
    pub(crate) fn from_unix(secs: i64) -> Option<GoTime> {
        DateTime::from_timestamp(secs, 0).map(GoTime::utc)
    }

    /// `t.Unix()`.
    pub(crate) fn unix(&self) -> i64 {
        self.instant.timestamp()
    }

    /// The wall clock in the time's zone (what `Year`, `Hour`, ... read).
    pub(crate) fn local(&self) -> NaiveDateTime {
        let (offset, _) = self.zone.lookup(&self.instant);
        let utc = self.instant.naive_utc();
        utc.checked_add_signed(TimeDelta::seconds(i64::from(offset))).unwrap_or(utc)
    }

    /// `t.Nanosecond()`: within the second, 0 to 999,999,999.
    pub(crate) fn nanosecond(&self) -> i64 {
        // chrono marks a leap second with nanos past 1e9; Go has no leap seconds.
        i64::from(self.instant.timestamp_subsec_nanos().min(999_999_999))
    }

    fn unix_nanos(&self) -> i128 {
        i128::from(self.instant.timestamp()) * i128::from(SECOND) + i128::from(self.instant.timestamp_subsec_nanos())
    }

    /// `t.In(zone)`: the same instant, shown in another zone.
    pub(crate) fn in_zone(&self, zone: Zone) -> GoTime {
        GoTime { instant: self.instant, zone }
    }

    /// `t.Add(d)` for a duration in nanoseconds; `None` past chrono's range.
    pub(crate) fn add(&self, nanos: i64) -> Option<GoTime> {
        let instant = self.instant.checked_add_signed(TimeDelta::nanoseconds(nanos))?;
        Some(GoTime { instant, zone: self.zone.clone() })
    }

    /// `t.Sub(u)` in nanoseconds, saturating at the Duration range as Go's does.
    pub(crate) fn sub(&self, earlier: &GoTime) -> i64 {
        let diff = self.unix_nanos() - earlier.unix_nanos();
        i64::try_from(diff).unwrap_or(if diff < 0 { i64::MIN } else { i64::MAX })
    }

    /// `t.Format(time.RFC3339Nano)`, as encoding/json writes a time.
    pub(crate) fn format_rfc3339_nano(&self) -> String {
        self.format("2006-01-02T15:04:05.999999999Z07:00")
    }

    /// `t.Format(layout)` with Go's reference-time layout elements.
    pub(crate) fn format(&self, layout: &str) -> String {
        let (offset, name) = self.zone.lookup(&self.instant);
        let utc = self.instant.naive_utc();
        let local = utc.checked_add_signed(TimeDelta::seconds(i64::from(offset))).unwrap_or(utc);
        // chrono marks a leap second with nanos past 1e9; Go has no leap seconds.
        let nanos = self.instant.timestamp_subsec_nanos().min(999_999_999);
        let fields = Fields { local, nanos, offset, name: &name };

        let mut out: Vec<u8> = Vec::with_capacity(layout.len() + 16);
        let mut rest = layout.as_bytes();
        loop {
            let chunk = next_std_chunk(rest);
            out.extend_from_slice(chunk.prefix);
            let Some(std) = chunk.std else { break };
            rest = chunk.suffix;
            fields.append(&mut out, std);
        }
        // Literal text is cut only at ASCII bytes, so it stays valid UTF-8.
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// `time.ParseInLocation(layout, value, time.Local)` with `Local` = UTC (which is also
    /// `time.Parse`). The error is Go's `ParseError` text.
    ///
    /// Deviation: an offset of 24 hours or more, which Go accepts but chrono's `FixedOffset`
    /// cannot hold, is an error.
    pub(crate) fn parse(layout: &str, value: &str) -> Result<GoTime, String> {
        parse(layout.as_bytes(), value.as_bytes())
    }
}

/// `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST` (without the monotonic clock).
impl std::fmt::Display for GoTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format("2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

// ---- layout elements ----

/// Go's `std*` layout elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,         // "January"
    Month,             // "Jan"
    NumMonth,          // "1"
    ZeroMonth,         // "01"
    LongWeekDay,       // "Monday"
    WeekDay,           // "Mon"
    Day,               // "2"
    UnderDay,          // "_2"
    ZeroDay,           // "02"
    UnderYearDay,      // "__2"
    ZeroYearDay,       // "002"
    Hour,              // "15"
    Hour12,            // "3"
    ZeroHour12,        // "03"
    Minute,            // "4"
    ZeroMinute,        // "04"
    Second,            // "5"
    ZeroSecond,        // "05"
    LongYear,          // "2006"
    Year,              // "06"
    PmUpper,           // "PM"
    PmLower,           // "pm"
    Tz,                // "MST"
    Iso8601Tz,         // "Z0700"
    Iso8601SecondsTz,  // "Z070000"
    Iso8601ShortTz,    // "Z07"
    Iso8601ColonTz,    // "Z07:00"
    Iso8601ColonSecTz, // "Z07:00:00"
    NumTz,             // "-0700"
    NumSecondsTz,      // "-070000"
    NumShortTz,        // "-07"
    NumColonTz,        // "-07:00"
    NumColonSecTz,     // "-07:00:00"
    /// ".000" or ",000": `digits` digits, trailing zeros kept.
    Frac0 {
        digits: usize,
        sep: u8,
    },
    /// ".999" or ",999": trailing zeros (and the separator, when all are) dropped.
    Frac9 {
        digits: usize,
        sep: u8,
    },
}

impl Std {
    fn is_iso8601_tz(self) -> bool {
        matches!(
            self,
            Std::Iso8601Tz | Std::Iso8601SecondsTz | Std::Iso8601ShortTz | Std::Iso8601ColonTz | Std::Iso8601ColonSecTz
        )
    }
}

/// The text before the first layout element, the element, and the text after it.
struct Chunk<'a> {
    prefix: &'a [u8],
    std: Option<Std>,
    suffix: &'a [u8],
}

/// Go's `std0x`: what "01" .. "06" stand for.
const STD_0X: [Std; 6] = [Std::ZeroMonth, Std::ZeroDay, Std::ZeroHour12, Std::ZeroMinute, Std::ZeroSecond, Std::Year];

/// Go's `nextStdChunk`: finds the first layout element. Rules worth knowing: "Jan"/"Mon" are
/// not elements when a lower-case letter follows ("Janet", "Month"); any '1' that is not
/// "15" is the month; any '2' that is not "2006" is the day; "_2006" is '_' plus the year;
/// a run of 0s or 9s after '.' or ',' is a fraction only when no other digit follows.
fn next_std_chunk(layout: &[u8]) -> Chunk<'_> {
    let found = |start: usize, std: Std, len: usize| Chunk {
        prefix: &layout[..start],
        std: Some(std),
        suffix: &layout[(start + len).min(layout.len())..],
    };
    for (i, &c) in layout.iter().enumerate() {
        let rest = &layout[i..];
        match c {
            b'J' => {
                if rest.starts_with(b"January") {
                    return found(i, Std::LongMonth, 7);
                }
                if rest.starts_with(b"Jan") && !starts_with_lower(&rest[3..]) {
                    return found(i, Std::Month, 3);
                }
            }
            b'M' => {
                if rest.starts_with(b"Monday") {
                    return found(i, Std::LongWeekDay, 6);
                }
                if rest.starts_with(b"Mon") && !starts_with_lower(&rest[3..]) {
                    return found(i, Std::WeekDay, 3);
                }
                if rest.starts_with(b"MST") {
                    return found(i, Std::Tz, 3);
                }
            }
            b'0' => {
                if let Some(&d @ b'1'..=b'6') = rest.get(1) {
                    return found(i, STD_0X[usize::from(d - b'1')], 2);
                }
                if rest.starts_with(b"002") {
                    return found(i, Std::ZeroYearDay, 3);
                }
            }
            b'1' => {
                if rest.starts_with(b"15") {
                    return found(i, Std::Hour, 2);
                }
                return found(i, Std::NumMonth, 1);
            }
            b'2' => {
                if rest.starts_with(b"2006") {
                    return found(i, Std::LongYear, 4);
                }
                return found(i, Std::Day, 1);
            }
            b'_' => {
                if rest.get(1) == Some(&b'2') {
                    // "_2006" is a literal '_' followed by the year.
                    if rest[1..].starts_with(b"2006") {
                        return Chunk { prefix: &layout[..i + 1], std: Some(Std::LongYear), suffix: &layout[i + 5..] };
                    }
                    return found(i, Std::UnderDay, 2);
                }
                if rest.starts_with(b"__2") {
                    return found(i, Std::UnderYearDay, 3);
                }
            }
            b'3' => return found(i, Std::Hour12, 1),
            b'4' => return found(i, Std::Minute, 1),
            b'5' => return found(i, Std::Second, 1),
            b'P' if rest.starts_with(b"PM") => return found(i, Std::PmUpper, 2),
            b'p' if rest.starts_with(b"pm") => return found(i, Std::PmLower, 2),
            b'-' | b'Z' => {
                let numeric = c == b'-';
                let forms: [(&[u8], Std, Std); 5] = [
                    (b"070000", Std::NumSecondsTz, Std::Iso8601SecondsTz),
                    (b"07:00:00", Std::NumColonSecTz, Std::Iso8601ColonSecTz),
                    (b"0700", Std::NumTz, Std::Iso8601Tz),
                    (b"07:00", Std::NumColonTz, Std::Iso8601ColonTz),
                    (b"07", Std::NumShortTz, Std::Iso8601ShortTz),
                ];
                for (form, num, iso) in forms {
                    if rest[1..].starts_with(form) {
                        return found(i, if numeric { num } else { iso }, form.len() + 1);
                    }
                }
            }
            b'.' | b',' => {
                if let Some(&ch @ (b'0' | b'9')) = rest.get(1) {
                    let run = rest[1..].iter().take_while(|&&b| b == ch).count();
                    // Only a fraction if the run of digits ends here ("05.000" yes, ".0001" no).
                    if !is_digit(rest, 1 + run) {
                        // Go keeps the count in 12 bits.
                        let digits = run & 0xfff;
                        let std =
                            if ch == b'0' { Std::Frac0 { digits, sep: c } } else { Std::Frac9 { digits, sep: c } };
                        return found(i, std, 1 + run);
                    }
                }
            }
            _ => {}
        }
    }
    Chunk { prefix: layout, std: None, suffix: &[] }
}

fn starts_with_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

const LONG_DAY_NAMES: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const SHORT_DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const SHORT_MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LONG_MONTH_NAMES: [&str; 12] = [
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

// ---- formatting ----

/// What `appendFormat` reads from a time: its wall clock in its zone, and the zone.
struct Fields<'a> {
    local: NaiveDateTime,
    nanos: u32,
    offset: i32,
    name: &'a str,
}

impl Fields<'_> {
    fn append(&self, out: &mut Vec<u8>, std: Std) {
        let local = &self.local;
        let hour = i64::from(local.hour());
        let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
        match std {
            Std::Year => append_int(out, i64::from(local.year()).abs() % 100, 2),
            Std::LongYear => append_int(out, i64::from(local.year()), 4),
            Std::Month => out.extend_from_slice(SHORT_MONTH_NAMES[local.month0() as usize % 12].as_bytes()),
            Std::LongMonth => out.extend_from_slice(LONG_MONTH_NAMES[local.month0() as usize % 12].as_bytes()),
            Std::NumMonth => append_int(out, i64::from(local.month()), 0),
            Std::ZeroMonth => append_int(out, i64::from(local.month()), 2),
            Std::WeekDay => {
                let day = local.weekday().num_days_from_sunday() as usize % 7;
                out.extend_from_slice(SHORT_DAY_NAMES[day].as_bytes());
            }
            Std::LongWeekDay => {
                let day = local.weekday().num_days_from_sunday() as usize % 7;
                out.extend_from_slice(LONG_DAY_NAMES[day].as_bytes());
            }
            Std::Day => append_int(out, i64::from(local.day()), 0),
            Std::UnderDay => {
                if local.day() < 10 {
                    out.push(b' ');
                }
                append_int(out, i64::from(local.day()), 0);
            }
            Std::ZeroDay => append_int(out, i64::from(local.day()), 2),
            Std::UnderYearDay => {
                let yday = local.ordinal();
                if yday < 100 {
                    out.push(b' ');
                    if yday < 10 {
                        out.push(b' ');
                    }
                }
                append_int(out, i64::from(yday), 0);
            }
            Std::ZeroYearDay => append_int(out, i64::from(local.ordinal()), 3),
            Std::Hour => append_int(out, hour, 2),
            Std::Hour12 => append_int(out, hour12, 0),
            Std::ZeroHour12 => append_int(out, hour12, 2),
            Std::Minute => append_int(out, i64::from(local.minute()), 0),
            Std::ZeroMinute => append_int(out, i64::from(local.minute()), 2),
            Std::Second => append_int(out, i64::from(local.second()), 0),
            Std::ZeroSecond => append_int(out, i64::from(local.second()), 2),
            Std::PmUpper => out.extend_from_slice(if hour >= 12 { b"PM" } else { b"AM" }),
            Std::PmLower => out.extend_from_slice(if hour >= 12 { b"pm" } else { b"am" }),
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecTz => self.append_offset(out, std),
            Std::Tz => {
                if !self.name.is_empty() {
                    out.extend_from_slice(self.name.as_bytes());
                } else {
                    // No zone name: Go prints the offset as -0700.
                    let zone = i64::from(self.offset) / 60;
                    out.push(if zone < 0 { b'-' } else { b'+' });
                    append_int(out, zone.abs() / 60, 2);
                    append_int(out, zone.abs() % 60, 2);
                }
            }
            Std::Frac0 { digits, sep } => append_nanos(out, self.nanos, digits, sep, false),
            Std::Frac9 { digits, sep } => append_nanos(out, self.nanos, digits, sep, true),
        }
    }

    /// The numeric zone elements, as Go writes them (the Z forms print "Z" for offset 0).
    fn append_offset(&self, out: &mut Vec<u8>, std: Std) {
        let offset = i64::from(self.offset);
        if offset == 0 && std.is_iso8601_tz() {
            out.push(b'Z');
            return;
        }
        // Go truncates to minutes and keeps the sign of the seconds remainder, so an offset
        // of -30s prints "+00:00:-30"; copied as is.
        let mut zone = offset / 60;
        let mut abs_offset = offset;
        if zone < 0 {
            out.push(b'-');
            zone = -zone;
            abs_offset = -abs_offset;
        } else {
            out.push(b'+');
        }
        append_int(out, zone / 60, 2);
        let colon = matches!(std, Std::Iso8601ColonTz | Std::NumColonTz | Std::Iso8601ColonSecTz | Std::NumColonSecTz);
        if colon {
            out.push(b':');
        }
        if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
            append_int(out, zone % 60, 2);
        }
        if matches!(std, Std::Iso8601SecondsTz | Std::NumSecondsTz | Std::NumColonSecTz | Std::Iso8601ColonSecTz) {
            if colon {
                out.push(b':');
            }
            append_int(out, abs_offset % 60, 2);
        }
    }
}

/// Go's `appendInt`: a '-' for negatives, then the magnitude zero-padded to `width`.
fn append_int(out: &mut Vec<u8>, x: i64, width: usize) {
    if x < 0 {
        out.push(b'-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

/// Go's `appendNano`: at most 9 digits; the 9s form trims trailing zeros, and the
/// separator too when nothing is left.
fn append_nanos(out: &mut Vec<u8>, nanos: u32, digits: usize, sep: u8, trim: bool) {
    let all = format!("{nanos:09}");
    let mut n = digits.min(9);
    if trim {
        while n > 0 && all.as_bytes()[n - 1] == b'0' {
            n -= 1;
        }
        if n == 0 {
            return;
        }
    }
    out.push(sep);
    out.extend_from_slice(&all.as_bytes()[..n]);
}

// ---- parsing ----

/// Parse state, named after Go's locals in `time.parse`.
struct Parsed<'a> {
    year: i64,
    month: i64,
    day: i64,
    yday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nsec: i64,
    /// Go's `z`: a "Z" or "UTC" in the input fixed the zone to UTC.
    utc: bool,
    /// Go's `zoneOffset`, with its -1 meaning "none" (so "-00:00:01" counts as none, as in Go).
    zone_offset: i64,
    zone_name: &'a [u8],
}

fn parse(alayout: &[u8], avalue: &[u8]) -> Result<GoTime, String> {
    let mut layout = alayout;
    let mut value = avalue;
    let mut p = Parsed {
        year: 0,
        month: -1,
        day: -1,
        yday: -1,
        hour: 0,
        min: 0,
        sec: 0,
        nsec: 0,
        utc: false,
        zone_offset: -1,
        zone_name: &[],
    };
    let mut am_set = false;
    let mut pm_set = false;

    loop {
        let chunk = next_std_chunk(layout);
        let std_str = &layout[chunk.prefix.len()..layout.len() - chunk.suffix.len()];
        value = match skip(value, chunk.prefix) {
            Ok(rest) => rest,
            Err(rest) => return Err(cannot_parse(alayout, avalue, chunk.prefix, rest)),
        };
        let Some(std) = chunk.std else {
            if !value.is_empty() {
                return Err(format!("parsing time {}: extra text: {}", go_quote(avalue), go_quote(value)));
            }
            break;
        };
        layout = chunk.suffix;
        let hold = value;
        let mut range_err: Option<&str> = None;
        // Go's `err == nil`.
        let mut ok = true;
        match std {
            Std::Year => {
                if value.len() < 2 {
                    ok = false;
                } else {
                    let (digits, rest) = value.split_at(2);
                    value = rest;
                    // Go's atoi takes a sign, so "+9" is 2009 and "-1" is 1999; copied.
                    match atoi(digits) {
                        Some(y) => p.year = if y >= 69 { y + 1900 } else { y + 2000 },
                        None => ok = false,
                    }
                }
            }
            Std::LongYear => {
                if value.len() < 4 || !is_digit(value, 0) {
                    ok = false;
                } else {
                    let (digits, rest) = value.split_at(4);
                    value = rest;
                    match atoi(digits) {
                        Some(y) => p.year = y,
                        None => ok = false,
                    }
                }
            }
            Std::Month | Std::LongMonth => {
                let table = if std == Std::Month { &SHORT_MONTH_NAMES } else { &LONG_MONTH_NAMES };
                match lookup(table, value) {
                    Some((i, rest)) => (p.month, value) = (i as i64 + 1, rest),
                    None => ok = false,
                }
            }
            Std::NumMonth | Std::ZeroMonth => match getnum(value, std == Std::ZeroMonth) {
                Some((n, rest)) => {
                    (p.month, value) = (n, rest);
                    if !(1..=12).contains(&n) {
                        range_err = Some("month");
                    }
                }
                None => ok = false,
            },
            Std::WeekDay | Std::LongWeekDay => {
                // The weekday is only checked for being a name, as in Go.
                let table = if std == Std::WeekDay { &SHORT_DAY_NAMES } else { &LONG_DAY_NAMES };
                match lookup(table, value) {
                    Some((_, rest)) => value = rest,
                    None => ok = false,
                }
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.first() == Some(&b' ') {
                    value = &value[1..];
                }
                // Any one- or two-digit day; checked against the month at the end.
                match getnum(value, std == Std::ZeroDay) {
                    Some((n, rest)) => (p.day, value) = (n, rest),
                    None => ok = false,
                }
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.first() == Some(&b' ') {
                        value = &value[1..];
                    }
                }
                match getnum3(value, std == Std::ZeroYearDay) {
                    Some((n, rest)) => (p.yday, value) = (n, rest),
                    None => ok = false,
                }
            }
            Std::Hour => match getnum(value, false) {
                Some((n, rest)) => {
                    (p.hour, value) = (n, rest);
                    if n >= 24 {
                        range_err = Some("hour");
                    }
                }
                None => ok = false,
            },
            Std::Hour12 | Std::ZeroHour12 => match getnum(value, std == Std::ZeroHour12) {
                Some((n, rest)) => {
                    (p.hour, value) = (n, rest);
                    if n > 12 {
                        range_err = Some("hour");
                    }
                }
                None => ok = false,
            },
            Std::Minute | Std::ZeroMinute => match getnum(value, std == Std::ZeroMinute) {
                Some((n, rest)) => {
                    (p.min, value) = (n, rest);
                    if n >= 60 {
                        range_err = Some("minute");
                    }
                }
                None => ok = false,
            },
            Std::Second | Std::ZeroSecond => match getnum(value, std == Std::ZeroSecond) {
                Some((n, rest)) => {
                    (p.sec, value) = (n, rest);
                    if n >= 60 {
                        range_err = Some("second");
                    } else if value.len() >= 2 && is_comma_or_period(value[0]) && is_digit(value, 1) {
                        // A fraction in the input that the layout does not ask for is taken
                        // anyway, unless a fraction element comes next.
                        let next = next_std_chunk(layout).std;
                        if !matches!(next, Some(Std::Frac0 { .. } | Std::Frac9 { .. })) {
                            let n = 2 + value[2..].iter().take_while(|b| b.is_ascii_digit()).count();
                            match parse_nanoseconds(value, n) {
                                Ok(ns) => p.nsec = ns,
                                Err(Some(what)) => range_err = Some(what),
                                Err(None) => ok = false,
                            }
                            value = &value[n..];
                        }
                    }
                }
                None => ok = false,
            },
            Std::PmUpper | Std::PmLower => {
                if value.len() < 2 {
                    ok = false;
                } else {
                    let (text, rest) = value.split_at(2);
                    value = rest;
                    let (pm, am): (&[u8], &[u8]) = if std == Std::PmUpper { (b"PM", b"AM") } else { (b"pm", b"am") };
                    if text == pm {
                        pm_set = true;
                    } else if text == am {
                        am_set = true;
                    } else {
                        ok = false;
                    }
                }
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecTz => {
                if std.is_iso8601_tz() && value.first() == Some(&b'Z') {
                    value = &value[1..];
                    p.utc = true;
                } else {
                    match parse_offset(std, value) {
                        Some(field) => {
                            value = field.rest;
                            range_err = field.range_err;
                            match field.offset {
                                Some(offset) => p.zone_offset = offset,
                                None => ok = false,
                            }
                        }
                        None => ok = false,
                    }
                }
            }
            Std::Tz => {
                if value.starts_with(b"UTC") {
                    p.utc = true;
                    value = &value[3..];
                } else {
                    match parse_time_zone(value) {
                        Some(n) => (p.zone_name, value) = value.split_at(n),
                        None => ok = false,
                    }
                }
            }
            Std::Frac0 { digits, .. } => {
                // Exactly as many digits as the layout has.
                let ndigit = 1 + digits;
                if value.len() < ndigit {
                    ok = false;
                } else {
                    match parse_nanoseconds(value, ndigit) {
                        Ok(ns) => p.nsec = ns,
                        Err(Some(what)) => range_err = Some(what),
                        Err(None) => ok = false,
                    }
                    value = &value[ndigit..];
                }
            }
            Std::Frac9 { .. } => {
                // Optional, and any number of digits, even more than the layout shows.
                if value.len() >= 2 && is_comma_or_period(value[0]) && is_digit(value, 1) {
                    let n = 1 + value[1..].iter().take_while(|b| b.is_ascii_digit()).count();
                    match parse_nanoseconds(value, n) {
                        Ok(ns) => p.nsec = ns,
                        Err(Some(what)) => range_err = Some(what),
                        Err(None) => ok = false,
                    }
                    value = &value[n..];
                }
            }
        }
        if let Some(what) = range_err {
            return Err(format!("parsing time {}: {what} out of range", go_quote(avalue)));
        }
        if !ok {
            return Err(cannot_parse(alayout, avalue, std_str, hold));
        }
    }

    let out_of_range = |what: &str| format!("parsing time {}: {what}", go_quote(avalue));
    if pm_set && p.hour < 12 {
        p.hour += 12;
    } else if am_set && p.hour == 12 {
        p.hour = 0;
    }

    // The day of the year becomes month and day, and must agree with any given.
    if p.yday >= 0 {
        let mut yday = p.yday;
        let mut m = 0;
        let mut d = 0;
        if is_leap(p.year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(out_of_range("day-of-year out of range"));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if DAYS_BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[m as usize - 1];
        }
        if p.month >= 0 && p.month != m {
            return Err(out_of_range("day-of-year does not match month"));
        }
        p.month = m;
        if p.day >= 0 && p.day != d {
            return Err(out_of_range("day-of-year does not match day"));
        }
        p.day = d;
    } else {
        if p.month < 0 {
            p.month = 1;
        }
        if p.day < 0 {
            p.day = 1;
        }
    }
    if p.day < 1 || p.day > days_in(p.month, p.year) {
        return Err(out_of_range("day out of range"));
    }

    let naive = i32::try_from(p.year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, p.month as u32, p.day as u32))
        .and_then(|date| date.and_hms_nano_opt(p.hour as u32, p.min as u32, p.sec as u32, p.nsec as u32))
        .ok_or_else(|| out_of_range("date out of range"))?;
    // The wall clock read as UTC.
    let clock = naive.and_utc();

    if p.utc {
        return Ok(GoTime::utc(clock));
    }
    if p.zone_offset != -1 {
        let instant = clock
            .checked_sub_signed(TimeDelta::seconds(p.zone_offset))
            .ok_or_else(|| out_of_range("date out of range"))?;
        // An offset that is Local's (UTC's) own gives a time in Local.
        if p.zone_offset == 0 && p.zone_name.is_empty() {
            return Ok(GoTime::utc(instant));
        }
        let zone =
            fixed_zone(p.zone_name, p.zone_offset).ok_or_else(|| out_of_range("time zone offset out of range"))?;
        return Ok(GoTime { instant, zone });
    }
    if !p.zone_name.is_empty() {
        // A zone name Local does not have: Go keeps the clock as UTC and fabricates a zone
        // with offset 0, or the hours of "GMT+3", so the time shown moves by that much.
        let mut offset = 0;
        if p.zone_name.len() > 3 && p.zone_name.starts_with(b"GMT") {
            offset = atoi(&p.zone_name[3..]).unwrap_or(0) * 3600;
        }
        let zone = fixed_zone(p.zone_name, offset).ok_or_else(|| out_of_range("time zone offset out of range"))?;
        return Ok(GoTime { instant: clock, zone });
    }
    Ok(GoTime::utc(clock))
}

/// Go's `FixedZone(name, offset)`: the zone keeps the abbreviation read (`PST`), and its
/// offset even where a real zone of that name would change it.
fn fixed_zone(name: &[u8], offset: i64) -> Option<Zone> {
    let name = String::from_utf8_lossy(name).into_owned();
    FixedOffset::east_opt(i32::try_from(offset).ok()?).map(|offset| Zone::Fixed(offset, name))
}

/// A numeric zone element as read: the offset in seconds (`None` for a bad sign or digits),
/// a range error, and the rest of the input.
struct OffsetField<'a> {
    offset: Option<i64>,
    range_err: Option<&'static str>,
    rest: &'a [u8],
}

/// Parses a numeric zone element (not "Z"); `None` when the input is too short or its
/// colons are misplaced.
fn parse_offset(std: Std, value: &[u8]) -> Option<OffsetField<'_>> {
    let (sign, hour, min, seconds, rest): (u8, &[u8], &[u8], &[u8], &[u8]) = match std {
        Std::Iso8601ColonTz | Std::NumColonTz => {
            if value.len() < 6 || value[3] != b':' {
                return None;
            }
            (value[0], &value[1..3], &value[4..6], b"00", &value[6..])
        }
        Std::NumShortTz | Std::Iso8601ShortTz => {
            if value.len() < 3 {
                return None;
            }
            (value[0], &value[1..3], b"00", b"00", &value[3..])
        }
        Std::Iso8601ColonSecTz | Std::NumColonSecTz => {
            if value.len() < 9 || value[3] != b':' || value[6] != b':' {
                return None;
            }
            (value[0], &value[1..3], &value[4..6], &value[7..9], &value[9..])
        }
        Std::Iso8601SecondsTz | Std::NumSecondsTz => {
            if value.len() < 7 {
                return None;
            }
            (value[0], &value[1..3], &value[3..5], &value[5..7], &value[7..])
        }
        _ => {
            if value.len() < 5 {
                return None;
            }
            (value[0], &value[1..3], &value[3..5], b"00", &value[5..])
        }
    };
    // As Go: each part is read only if the ones before it were, and a bad part reads as 0,
    // yet the range checks below still see the good ones.
    let hr = getnum(hour, true).map(|(n, _)| n);
    let mm = hr.and_then(|_| getnum(min, true)).map(|(n, _)| n);
    let ss = mm.and_then(|_| getnum(seconds, true)).map(|(n, _)| n);
    let parts = ss.is_some();
    let (hr, mm, ss) = (hr.unwrap_or(0), mm.unwrap_or(0), ss.unwrap_or(0));
    // Go allows an hour of 24 and 60 minutes or seconds; checked in this order, last wins.
    let mut what = None;
    if hr > 24 {
        what = Some("time zone offset hour");
    }
    if mm > 60 {
        what = Some("time zone offset minute");
    }
    if ss > 60 {
        what = Some("time zone offset second");
    }
    let offset = (hr * 60 + mm) * 60 + ss;
    let offset = match sign {
        b'+' if parts => Some(offset),
        b'-' if parts => Some(-offset),
        _ => None,
    };
    Some(OffsetField { offset, range_err: what, rest })
}

const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        1..=12 => DAYS_BEFORE[month as usize] - DAYS_BEFORE[month as usize - 1],
        _ => 0,
    }
}

fn is_comma_or_period(b: u8) -> bool {
    b == b'.' || b == b','
}

/// Go's `skip`: strips `prefix` from `value`, a run of spaces in the prefix matching any run
/// (even an empty one) in the value. On failure, the value where matching stopped.
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return Err(value);
            }
            prefix = trim_spaces(prefix);
            value = trim_spaces(value);
            continue;
        }
        match value.first() {
            Some(&c) if c == p => {
                value = &value[1..];
                prefix = &prefix[1..];
            }
            _ => return Err(value),
        }
    }
    Ok(value)
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ').count();
    &s[n..]
}

/// Go's `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'), &s[2..]))
}

/// Go's `getnum3`: one to three digits (`fixed`: exactly three).
fn getnum3(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let n = s.iter().take(3).take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    let value = s[..n].iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some((value, &s[n..]))
}

/// Go's `time.atoi`: an optional sign, then only digits (none is 0).
fn atoi(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (x, rest) = leading_int(digits)?;
    if !rest.is_empty() {
        return None;
    }
    let x = x as i64;
    Some(if negative { x.wrapping_neg() } else { x })
}

/// Go's `leadingInt`: the leading digits, failing past 1<<63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `lookup`: the first name in `table` that starts `value`, ASCII case ignored.
fn lookup<'a>(table: &[&str], value: &'a [u8]) -> Option<(usize, &'a [u8])> {
    table.iter().enumerate().find_map(|(i, name)| {
        let name = name.as_bytes();
        let head = value.get(..name.len())?;
        head.eq_ignore_ascii_case(name).then(|| (i, &value[name.len()..]))
    })
}

/// Go's `parseNanoseconds` over `value[..nbytes]` (separator included): the nanoseconds,
/// or `Err(Some(range error))` / `Err(None)` for bad digits.
fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<i64, Option<&'static str>> {
    if !value.first().copied().is_some_and(is_comma_or_period) {
        return Err(None);
    }
    let nbytes = nbytes.clamp(1, 10).min(value.len());
    let mut ns = atoi(&value[1..nbytes]).ok_or(None)?;
    if ns < 0 {
        return Err(Some("fractional second"));
    }
    for _ in nbytes..10 {
        ns *= 10;
    }
    Ok(ns)
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with(b"ChST") || value.starts_with(b"MeST") {
        return Some(4);
    }
    if value.starts_with(b"GMT") {
        return Some(3 + if value.len() > 3 { parse_signed_offset(&value[3..]) } else { 0 });
    }
    if value[0] == b'+' || value[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = value.iter().take(6).take_while(|b| b.is_ascii_uppercase()).count();
    match upper {
        3 => Some(3),
        4 if value[3] == b'T' || value.starts_with(b"WITA") => Some(4),
        5 if value[4] == b'T' => Some(5),
        _ => None,
    }
}

/// Go's `parseSignedOffset`: the length of "+3", "-11" (hours up to 23), or 0.
fn parse_signed_offset(value: &[u8]) -> usize {
    if !matches!(value.first(), Some(b'+' | b'-')) {
        return 0;
    }
    match leading_int(&value[1..]) {
        Some((x, rest)) if rest.len() != value.len() - 1 && x <= 23 => value.len() - rest.len(),
        _ => 0,
    }
}

fn cannot_parse(layout: &[u8], value: &[u8], layout_elem: &[u8], value_elem: &[u8]) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        go_quote(value),
        go_quote(layout),
        go_quote(value_elem),
        go_quote(layout_elem)
    )
}

/// The `time` package's own `quote`: double quotes, `\"` and `\\` escaped, and every byte
/// of a non-ASCII or control character (or of invalid UTF-8) as `\xNN`.
pub(crate) fn go_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            if !c.is_ascii() || c < ' ' {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            } else {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

// ---- durations ----

/// `time.Duration(nanos).String()`: "1h2m3.5s", "1.5ms", "1µs", "0s".
pub(crate) fn format_duration(nanos: i64) -> String {
    let mut out = String::new();
    if nanos < 0 {
        out.push('-');
    }
    let u = nanos.unsigned_abs();
    if u < SECOND as u64 {
        // Below a second the unit shrinks: 1.2ms, 3µs (U+00B5), 45ns.
        let (prec, unit) = match u {
            0 => return "0s".to_owned(),
            1..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let scale = 10u64.pow(prec);
        let _ = write!(out, "{}", u / scale);
        push_fraction(&mut out, u % scale, prec);
        out.push_str(unit);
    } else {
        let secs = u / SECOND as u64;
        let (hours, minutes, seconds) = (secs / 3600, secs / 60 % 60, secs % 60);
        // Hours are the largest unit: days differ in length.
        if hours > 0 {
            let _ = write!(out, "{hours}h");
        }
        if secs >= 60 {
            let _ = write!(out, "{minutes}m");
        }
        let _ = write!(out, "{seconds}");
        push_fraction(&mut out, u % SECOND as u64, 9);
        out.push('s');
    }
    out
}

/// Go's `fmtFrac`: `.digits` of `v / 10^prec` without trailing zeros; nothing when zero.
fn push_fraction(out: &mut String, v: u64, prec: u32) {
    if v == 0 {
        return;
    }
    let digits = format!("{v:0width$}", width = prec as usize);
    out.push('.');
    out.push_str(digits.trim_end_matches('0'));
}

/// `time.ParseDuration`: a signed sequence of decimal numbers with units, "300ms", "-1.5h",
/// "2h45m"; units ns, us (µs, μs), ms, s, m, h. Errors are Go's text.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let orig = text.as_bytes();
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(&c @ (b'-' | b'+')) = s.first() {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        // The next character must be [0-9.].
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        let pre = rest.len() != s.len();
        s = rest;

        let mut f: u64 = 0;
        let mut scale = 1.0f64;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            (f, scale, s) = leading_fraction(s);
            post = s.len() != before;
        }
        if !pre && !post {
            // No digits, as in ".s".
            return Err(invalid());
        }

        let unit_len = s.iter().take_while(|&&c| c != b'.' && !c.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let (unit_text, rest) = s.split_at(unit_len);
        s = rest;
        let unit: u64 = match unit_text {
            b"ns" => 1,
            // "µs" is U+00B5 (micro sign), "μs" U+03BC (Greek mu).
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!("time: unknown unit {} in duration {}", go_quote(unit_text), go_quote(orig)));
            }
        };
        if v > (1 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // float64 keeps fractions of hours nanosecond-accurate, as in Go.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        // Go's sum can wrap only at exactly 2 * 2^63; copied.
        d = d.wrapping_add(v);
        if d > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > i64::MAX as u64 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `leadingFraction`: digits after the point, dropping precision (not failing) on
/// overflow. Returns the digits' value, 10^(digits kept), and the rest.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    for &c in &s[..n] {
        if overflow {
            continue;
        }
        if x > (i64::MAX as u64) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[n..])
}

/// `d.Round(m)`: to the nearest multiple of `m`, halfway away from zero, saturating.
pub(crate) fn round_duration(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let less_than_half = |r: i64| (r as u64).wrapping_add(r as u64) < m as u64;
    let mut r = d % m;
    // Go's arithmetic wraps; a result on the wrong side of `d` means it overflowed.
    if d < 0 {
        r = -r;
        if less_than_half(r) {
            return d + r;
        }
        let d1 = d.wrapping_sub(m).wrapping_add(r);
        return if d1 < d { d1 } else { i64::MIN };
    }
    if less_than_half(r) {
        return d - r;
    }
    let d1 = d.wrapping_add(m).wrapping_sub(r);
    if d1 > d { d1 } else { i64::MAX }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `time.Duration` units, in nanoseconds.
    const MICROSECOND: i64 = 1_000;
    const MILLISECOND: i64 = 1_000_000;
    const MINUTE: i64 = 60 * SECOND;
    const HOUR: i64 = 60 * MINUTE;

    fn at(secs: i64, nanos: u32, zone: Zone) -> GoTime {
        GoTime { instant: DateTime::from_timestamp(secs, nanos).unwrap(), zone }
    }

    fn tz(name: &str) -> Zone {
        Zone::load(name).unwrap()
    }

    fn fixed(secs: i32) -> Zone {
        Zone::Fixed(FixedOffset::east_opt(secs).unwrap(), String::new())
    }

    /// The time in Go's format_test.go: Wed Feb 4 21:00:57.0123456 PST 2009.
    fn go_test_time() -> GoTime {
        at(1_233_810_057, 12_345_600, tz("America/Los_Angeles"))
    }

    #[test]
    fn formats_go_format_test_table() {
        let t = go_test_time();
        for (layout, want) in [
            ("Mon Jan _2 15:04:05 2006", "Wed Feb  4 21:00:57 2009"),
            ("Mon Jan _2 15:04:05 MST 2006", "Wed Feb  4 21:00:57 PST 2009"),
            ("Mon Jan 02 15:04:05 -0700 2006", "Wed Feb 04 21:00:57 -0800 2009"),
            ("02 Jan 06 15:04 MST", "04 Feb 09 21:00 PST"),
            ("Monday, 02-Jan-06 15:04:05 MST", "Wednesday, 04-Feb-09 21:00:57 PST"),
            ("Mon, 02 Jan 2006 15:04:05 MST", "Wed, 04 Feb 2009 21:00:57 PST"),
            ("Mon, 02 Jan 2006 15:04:05 -0700", "Wed, 04 Feb 2009 21:00:57 -0800"),
            ("2006-01-02T15:04:05Z07:00", "2009-02-04T21:00:57-08:00"),
            ("2006-01-02T15:04:05.999999999Z07:00", "2009-02-04T21:00:57.0123456-08:00"),
            ("3:04PM", "9:00PM"),
            ("3pm", "9pm"),
            ("3PM", "9PM"),
            ("06 01 02", "09 02 04"),
            ("Hi Janet, the Month is January", "Hi Janet, the Month is February"),
            ("Jan _2 15:04:05", "Feb  4 21:00:57"),
            ("Jan _2 15:04:05.000", "Feb  4 21:00:57.012"),
            ("Jan _2 15:04:05.000000", "Feb  4 21:00:57.012345"),
            ("Jan _2 15:04:05.000000000", "Feb  4 21:00:57.012345600"),
            ("2006-01-02 15:04:05", "2009-02-04 21:00:57"),
            ("2006-01-02", "2009-02-04"),
            ("15:04:05", "21:00:57"),
            ("Jan  2 002 __2 2", "Feb  4 035  35 4"),
            ("2006 6 06 _6 __6 ___6", "2009 6 09 _6 __6 ___6"),
            ("Jan January 1 01 _1", "Feb February 2 02 _2"),
            ("2 02 _2 __2", "4 04  4  35"),
            ("Mon Monday", "Wed Wednesday"),
            ("15 3 03 _3", "21 9 09 _9"),
            ("4 04 _4", "0 00 _0"),
            ("5 05 _5", "57 57 _57"),
        ] {
            assert_eq!(t.format(layout), want, "layout {layout:?}");
        }
    }

    #[test]
    fn formats_every_zone_element() {
        let cases: [(Zone, [&str; 11]); 4] = [
            // Z070000 Z07:00:00 Z0700 Z07:00 Z07 -070000 -07:00:00 -0700 -07:00 -07 MST
            (Zone::Utc, ["Z", "Z", "Z", "Z", "Z", "+000000", "+00:00:00", "+0000", "+00:00", "+00", "UTC"]),
            (
                fixed(5 * 3600 + 30 * 60),
                [
                    "+053000",
                    "+05:30:00",
                    "+0530",
                    "+05:30",
                    "+05",
                    "+053000",
                    "+05:30:00",
                    "+0530",
                    "+05:30",
                    "+05",
                    "+0530",
                ],
            ),
            (
                fixed(-(3600 + 2 * 60 + 3)),
                [
                    "-010203",
                    "-01:02:03",
                    "-0102",
                    "-01:02",
                    "-01",
                    "-010203",
                    "-01:02:03",
                    "-0102",
                    "-01:02",
                    "-01",
                    "-0102",
                ],
            ),
            (fixed(0), ["Z", "Z", "Z", "Z", "Z", "+000000", "+00:00:00", "+0000", "+00:00", "+00", "+0000"]),
        ];
        let layouts =
            ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07", "-070000", "-07:00:00", "-0700", "-07:00", "-07", "MST"];
        for (zone, wants) in cases {
            let t = at(1_700_000_000, 0, zone.clone());
            for (layout, want) in layouts.iter().zip(wants) {
                assert_eq!(t.format(layout), want, "{zone:?} {layout}");
            }
        }
        // Go's own example: Shanghai with seconds.
        let t = at(1_424_891_199, 0, tz("Asia/Shanghai")); // 2015-02-25 11:06:39 PST
        assert_eq!(t.format("2006-01-02T15:04:05 -070000"), "2015-02-26T03:06:39 +080000");
        assert_eq!(t.format("2006-01-02T15:04:05 -07:00:00"), "2015-02-26T03:06:39 +08:00:00");
    }

    #[test]
    fn named_zones_print_their_abbreviation() {
        let t = at(1_709_640_489, 0, Zone::Utc); // 2024-03-05T12:08:09Z
        for (zone, want) in [
            ("America/New_York", "EST -0500"),
            ("Europe/Berlin", "CET +0100"),
            ("Asia/Kolkata", "IST +0530"),
            // tzdata has no letters for these; Go prints the numeric abbreviation.
            ("Asia/Dubai", "+04 +0400"),
            ("Asia/Kathmandu", "+0545 +0545"),
            ("America/Sao_Paulo", "-03 -0300"),
            ("Etc/UTC", "UTC +0000"),
        ] {
            assert_eq!(t.in_zone(tz(zone)).format("MST -0700"), want, "{zone}");
        }
        let summer = at(1_720_000_000, 0, tz("Europe/Berlin"));
        assert_eq!(summer.format("MST Z07:00"), "CEST +02:00");
    }

    #[test]
    fn formats_fractional_seconds() {
        let t = at(0, 120_000_000, Zone::Utc);
        for (layout, want) in [
            ("05.0", "00.1"),
            ("05.000", "00.120"),
            ("05.000000000", "00.120000000"),
            ("05.0000000000000", "00.120000000"), // at most 9 digits
            ("05.9", "00.1"),
            ("05.999", "00.12"),
            ("05.999999999", "00.12"),
            ("05,000", "00,120"),
            ("05,999", "00,12"),
            (".00", ".12"),         // a fraction needs no seconds before it
            ("05.0001", "00.0001"), // other digits after the run: not a fraction
            ("05.990", "00.990"),
        ] {
            assert_eq!(t.format(layout), want, "{layout}");
        }
        let whole = at(0, 0, Zone::Utc);
        assert_eq!(whole.format("05.999"), "00");
        assert_eq!(whole.format("05.000"), "00.000");
        assert_eq!(whole.format("05,9"), "00");
    }

    #[test]
    fn formats_clock_edges_and_literals() {
        let midnight = at(0, 0, Zone::Utc);
        assert_eq!(midnight.format("3:04 PM pm 03 15"), "12:00 AM am 12 00");
        let noon = at(12 * 3600, 0, Zone::Utc);
        assert_eq!(noon.format("3:04 PM pm 03 15"), "12:00 PM pm 12 12");
        let morning = at(9 * 3600 + 5 * 60 + 7, 0, Zone::Utc);
        assert_eq!(morning.format("3:4:5 03:04:05 15"), "9:5:7 09:05:07 09");
        // Unknown letters, non-ASCII text and stray digits other than the elements are literal.
        assert_eq!(morning.format("Tag: 2006/01/02 ½ \"Mo\" 7 8 9 0"), "Tag: 1970/01/01 ½ \"Mo\" 7 8 9 0");
        assert_eq!(morning.format("Month Janet Mon Jan"), "Month Janet Thu Jan");
        assert_eq!(morning.format("_2006 __2 002 _2"), "_1970   1 001  1");
        assert_eq!(morning.format(""), "");
        assert_eq!(morning.format("日本 MST"), "日本 UTC");
    }

    #[test]
    fn formats_years_outside_four_digits() {
        let year_zero = GoTime::parse("2006-01-02", "0000-03-01").unwrap();
        assert_eq!(year_zero.format("2006 06 Mon"), "0000 00 Wed");
        let negative = year_zero.add(-400 * 24 * HOUR).unwrap();
        assert_eq!(negative.format("2006-01-02 06"), "-0001-01-26 01");
        let far = GoTime::from_unix(253_402_300_800).unwrap(); // 10000-01-01
        assert_eq!(far.format("2006-01-02"), "10000-01-01");
    }

    #[test]
    fn string_is_go_time_string() {
        let t = at(1_709_640_489, 123_000, tz("America/New_York"));
        assert_eq!(t.to_string(), "2024-03-05 07:08:09.000123 -0500 EST");
        assert_eq!(at(1_257_894_000, 0, Zone::Utc).to_string(), "2009-11-10 23:00:00 +0000 UTC");
        assert_eq!(at(0, 1, fixed(-7 * 3600)).to_string(), "1969-12-31 17:00:00.000000001 -0700 -0700");
        assert_eq!(GoTime::zero().to_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(at(1_233_810_057, 12_345_600, Zone::Utc).format_rfc3339_nano(), "2009-02-05T05:00:57.0123456Z");
    }

    #[test]
    fn zero_time_is_year_one_in_any_zone() {
        assert!(GoTime::zero().is_zero());
        assert!(GoTime::zero().in_zone(tz("Asia/Tokyo")).is_zero());
        assert!(!GoTime::utc(DateTime::UNIX_EPOCH).is_zero());
        assert!(!GoTime::zero().add(1).unwrap().is_zero());
        assert!(GoTime::parse("15:04", "bad").is_err());
    }

    #[test]
    fn loads_locations_like_go() {
        assert_eq!(Zone::load(""), Some(Zone::Utc));
        assert_eq!(Zone::load("UTC"), Some(Zone::Utc));
        assert_eq!(Zone::load("Local"), Some(Zone::Utc));
        assert_eq!(Zone::load("Europe/Paris"), Some(Zone::Named(chrono_tz::Europe::Paris)));
        assert_eq!(Zone::load("Mars/Olympus"), None);
        assert_eq!(Zone::load("../etc/passwd"), None);
        assert_eq!(Zone::load("/etc/localtime"), None);
        assert_eq!(Zone::load("europe/paris"), None); // case matters, as on Linux
    }

    fn parse_utc(layout: &str, value: &str) -> String {
        GoTime::parse(layout, value).unwrap().to_string()
    }

    #[test]
    fn parses_go_parse_test_table() {
        // Go's parse_test.go inputs, with Local = UTC: the fields read back in the parsed zone.
        let check = |layout: &str, value: &str, want: &str| {
            let t = GoTime::parse(layout, value).unwrap_or_else(|e| panic!("{layout:?} {value:?}: {e}"));
            assert_eq!(t.format("2006-01-02 15:04:05.999999999 Z07:00"), want, "{layout:?} {value:?}");
        };
        let ansic = "Mon Jan _2 15:04:05 2006";
        check(ansic, "Thu Feb  4 21:00:57 2010", "2010-02-04 21:00:57 Z");
        check("Mon Jan _2 15:04:05 MST 2006", "Thu Feb  4 21:00:57 PST 2010", "2010-02-04 21:00:57 Z");
        check("Mon Jan 02 15:04:05 -0700 2006", "Thu Feb 04 21:00:57 -0800 2010", "2010-02-04 21:00:57 -08:00");
        check("Monday, 02-Jan-06 15:04:05 MST", "Thursday, 04-Feb-10 21:00:57 PST", "2010-02-04 21:00:57 Z");
        check("Mon, 02 Jan 2006 15:04:05 -0700", "Thu, 04 Feb 2010 21:00:57 -0800", "2010-02-04 21:00:57 -08:00");
        check("2006-01-02T15:04:05Z07:00", "2010-02-04T21:00:57-08:00", "2010-02-04 21:00:57 -08:00");
        check("2006-01-02 15:04:05-07", "2010-02-04 21:00:57-08", "2010-02-04 21:00:57 -08:00");
        // Optional fractional seconds, in the input though not in the layout.
        check(ansic, "Thu Feb  4 21:00:57.0 2010", "2010-02-04 21:00:57 Z");
        check(ansic, "Thu Feb  4 21:00:57.012 2010", "2010-02-04 21:00:57.012 Z");
        check(ansic, "Thu Feb  4 21:00:57.012345678 2010", "2010-02-04 21:00:57.012345678 Z");
        check(ansic, "Thu Feb  4 21:00:57,012 2010", "2010-02-04 21:00:57.012 Z");
        // White space runs and case do not matter.
        check(ansic, "Thu Feb 4 21:00:57 2010", "2010-02-04 21:00:57 Z");
        check(ansic, "Thu      Feb     4     21:00:57     2010", "2010-02-04 21:00:57 Z");
        check(ansic, "THU FEB 4 21:00:57 2010", "2010-02-04 21:00:57 Z");
        check(ansic, "thu feb 4 21:00:57 2010", "2010-02-04 21:00:57 Z");
        check("Mon Jan _2 15:04:05.000 2006", "Thu Feb  4 21:00:57.012 2010", "2010-02-04 21:00:57.012 Z");
        check("Mon Jan _2 15:04:05,000 2006", "Thu Feb  4 21:00:57,012 2010", "2010-02-04 21:00:57.012 Z");
        check("2006.01.02.15.04.05.0", "2010.02.04.21.00.57.0", "2010-02-04 21:00:57 Z");
        check("2006.01.02.15.04.05.00", "2010.02.04.21.00.57.01", "2010-02-04 21:00:57.01 Z");
        check(
            "Hi Janet, the Month is January: Jan _2 15:04:05 2006",
            "Hi Janet, the Month is February: Feb  4 21:00:57 2010",
            "2010-02-04 21:00:57 Z",
        );
        // "GMT-8": Go keeps the clock as UTC and shows it 8 hours earlier.
        check("Mon Jan _2 15:04:05 MST 2006", "Fri Feb  5 05:00:57 GMT-8 2010", "2010-02-04 21:00:57 -08:00");
        // .999 takes any number of digits, or none.
        check("2006-01-02 15:04:05.9999 -0700 MST", "2010-02-04 21:00:57 -0800 PST", "2010-02-04 21:00:57 -08:00");
        check(
            "2006-01-02 15:04:05.999999999 -0700 MST",
            "2010-02-04 21:00:57.0123 -0800 PST",
            "2010-02-04 21:00:57.0123 -08:00",
        );
        check("Jan _2 15:04:05.000000000", "Feb  4 21:00:57.012345678", "0000-02-04 21:00:57.012345678 Z");
        check("Jan _2 15:04:05.999", "Feb  4 21:00:57.012300000", "0000-02-04 21:00:57.0123 Z");
        check("Jan _2 15:04:05.999", "Feb  4 21:00:57.0123456789", "0000-02-04 21:00:57.012345678 Z");
        // Day of year.
        check("2006-01-02 002 15:04:05", "2010-02-04 035 21:00:57", "2010-02-04 21:00:57 Z");
        check("2006-01 002 15:04:05", "2010-02 035 21:00:57", "2010-02-04 21:00:57 Z");
        check("2006-002 15:04:05", "2010-035 21:00:57", "2010-02-04 21:00:57 Z");
        check("200600201 15:04:05", "201003502 21:00:57", "2010-02-04 21:00:57 Z");
        check("2006 __2", "2012  60", "2012-02-29 00:00:00 Z");
        check("2006 __2", "2012 366", "2012-12-31 00:00:00 Z");
        check("2006 __2", "2011   1", "2011-01-01 00:00:00 Z");
    }

    #[test]
    fn parses_every_element() {
        let check =
            |layout: &str, value: &str, want: &str| assert_eq!(parse_utc(layout, value), want, "{layout:?} {value:?}");
        check("2006-01-02", "2024-03-05", "2024-03-05 00:00:00 +0000 UTC");
        check("06 1 2", "24 3 5", "2024-03-05 00:00:00 +0000 UTC");
        check("06", "69", "1969-01-01 00:00:00 +0000 UTC");
        check("06", "68", "2068-01-01 00:00:00 +0000 UTC");
        check("Jan 2", "mar 15", "0000-03-15 00:00:00 +0000 UTC");
        check("January _2", "MARCH  5", "0000-03-05 00:00:00 +0000 UTC");
        check("Monday 02/01", "tuesday 05/03", "0000-03-05 00:00:00 +0000 UTC"); // weekday only checked as a name
        check("15:04", "10:30", "0000-01-01 10:30:00 +0000 UTC");
        check("3:4:5 PM", "1:2:3 PM", "0000-01-01 13:02:03 +0000 UTC");
        check("03:04 pm", "12:30 am", "0000-01-01 00:30:00 +0000 UTC");
        check("03:04 pm", "12:30 pm", "0000-01-01 12:30:00 +0000 UTC");
        check("15:04:05 MST", "10:00:00 UTC", "0000-01-01 10:00:00 +0000 UTC");
        check("2006-01-02T15:04:05Z07:00", "2024-03-05T07:08:09Z", "2024-03-05 07:08:09 +0000 UTC");
        // An offset equal to Local's (UTC) gives a time in Local.
        check("2006-01-02T15:04:05Z07:00", "2024-03-05T07:08:09+00:00", "2024-03-05 07:08:09 +0000 UTC");
        check("2006-01-02T15:04:05Z07:00", "2024-03-05T07:08:09+05:30", "2024-03-05 07:08:09 +0530 +0530");
        check("2006-01-02 15:04:05 Z0700", "2024-03-05 07:08:09 -0230", "2024-03-05 07:08:09 -0230 -0230");
        check("2006-01-02 15:04:05 Z07", "2024-03-05 07:08:09 +03", "2024-03-05 07:08:09 +0300 +0300");
        check("2006-01-02 15:04:05 -07:00:00", "2024-03-05 07:08:09 +01:02:03", "2024-03-05 07:08:09 +0102 +0102");
        check("2006-01-02 15:04:05 -070000", "2024-03-05 07:08:09 -010203", "2024-03-05 07:08:09 -0102 -0102");
        // "Z" is UTC only in the Z forms.
        assert!(GoTime::parse("15:04 -07:00", "10:00 Z").is_err());
        // A zone name Local (UTC) does not have makes a fixed zone of that name (Go 1.23).
        check("2006-01-02 15:04:05 -0700 MST", "2024-01-15 10:00:00 -0500 EST", "2024-01-15 10:00:00 -0500 EST");
        check("2006-01-02 15:04:05 -0700 MST", "2024-01-15 10:00:00 +0000 GMT", "2024-01-15 10:00:00 +0000 GMT");
        check("2006-01-02 15:04:05 MST", "2024-01-15 10:00:00 GMT", "2024-01-15 10:00:00 +0000 GMT");
        check("2006-01-02 15:04:05 -0700 MST", "2024-01-15 10:00:00 -0800 PST", "2024-01-15 10:00:00 -0800 PST");
        check("2006-01-02 15:04:05 -0700 MST", "2024-01-15 10:00:00 +0000 XYZ", "2024-01-15 10:00:00 +0000 XYZ");
        check("2006-01-02 15:04:05 -0700 MST", "2024-01-15 10:00:00 +0100 UTC", "2024-01-15 10:00:00 +0000 UTC");
        // Zone abbreviations Go recognizes; without an offset, the offset is 0 (or GMT's hours).
        check("15:04 MST", "10:00 ChST", "0000-01-01 10:00:00 +0000 ChST");
        check("15:04 MST", "10:00 WITA", "0000-01-01 10:00:00 +0000 WITA");
        check("15:04 MST", "10:00 AEST", "0000-01-01 10:00:00 +0000 AEST");
        check("15:04 MST", "10:00 +03", "0000-01-01 10:00:00 +0000 +03");
        check("15:04 MST", "10:00 GMT+3", "0000-01-01 13:00:00 +0300 GMT+3");
        assert!(GoTime::parse("15:04 MST", "10:00 ABCDE").is_err()); // five letters must end in T
        assert!(GoTime::parse("15:04 MST", "10:00 AB").is_err());
        // _2 and __2 take a leading space.
        check("Jan _2 2006", "Feb  4 2010", "2010-02-04 00:00:00 +0000 UTC");
        check("Jan _2 2006", "Feb 14 2010", "2010-02-14 00:00:00 +0000 UTC");
        check("_2006", "_2010", "2010-01-01 00:00:00 +0000 UTC");
        // Go's atoi takes a sign in the two-digit year.
        check("06", "+9", "2009-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn parse_errors_are_go_parse_errors() {
        let ansic = "Mon Jan _2 15:04:05 2006";
        let rfc3339 = "2006-01-02T15:04:05Z07:00";
        for (layout, value, want) in [
            (
                ansic,
                "Feb  4 21:00:60 2010",
                r#"parsing time "Feb  4 21:00:60 2010" as "Mon Jan _2 15:04:05 2006": cannot parse "Feb  4 21:00:60 2010" as "Mon""#,
            ),
            (
                ansic,
                "Thu Feb  4 21:00:57 @2010",
                r#"parsing time "Thu Feb  4 21:00:57 @2010" as "Mon Jan _2 15:04:05 2006": cannot parse "@2010" as "2006""#,
            ),
            (ansic, "Thu Feb  4 21:00:60 2010", r#"parsing time "Thu Feb  4 21:00:60 2010": second out of range"#),
            (ansic, "Thu Feb  4 21:61:57 2010", r#"parsing time "Thu Feb  4 21:61:57 2010": minute out of range"#),
            (ansic, "Thu Feb  4 24:00:60 2010", r#"parsing time "Thu Feb  4 24:00:60 2010": hour out of range"#),
            (
                "Mon Jan _2 15:04:05.000 2006",
                "Thu Feb  4 23:00:59x01 2010",
                r#"parsing time "Thu Feb  4 23:00:59x01 2010" as "Mon Jan _2 15:04:05.000 2006": cannot parse "x01 2010" as ".000""#,
            ),
            (
                "Mon Jan _2 15:04:05.000 2006",
                "Thu Feb  4 23:00:59.xxx 2010",
                r#"parsing time "Thu Feb  4 23:00:59.xxx 2010" as "Mon Jan _2 15:04:05.000 2006": cannot parse ".xxx 2010" as ".000""#,
            ),
            (
                "Mon Jan _2 15:04:05.000 2006",
                "Thu Feb  4 23:00:59.-123 2010",
                r#"parsing time "Thu Feb  4 23:00:59.-123 2010": fractional second out of range"#,
            ),
            (
                "Jan _2 15:04:05.000000000",
                "Dec  7 11:22:01.000000",
                r#"parsing time "Dec  7 11:22:01.000000" as "Jan _2 15:04:05.000000000": cannot parse ".000000" as ".000000000""#,
            ),
            (
                "Jan _2 15:04:05.000000000",
                "Dec  7 11:22:01.0000000000",
                r#"parsing time "Dec  7 11:22:01.0000000000": extra text: "0""#,
            ),
            (rfc3339, "2006-01-02T15:04:05Z07:00", r#"parsing time "2006-01-02T15:04:05Z07:00": extra text: "07:00""#),
            (
                rfc3339,
                "2006-01-02T15:04_abc",
                r#"parsing time "2006-01-02T15:04_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as ":""#,
            ),
            (
                rfc3339,
                "2006-01-02T15:04:05_abc",
                r#"parsing time "2006-01-02T15:04:05_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as "Z07:00""#,
            ),
            (rfc3339, "2006-01-02T15:04:05Z_abc", r#"parsing time "2006-01-02T15:04:05Z_abc": extra text: "_abc""#),
            (
                rfc3339,
                "2010-02-04T21:00:67.012345678-08:00",
                r#"parsing time "2010-02-04T21:00:67.012345678-08:00": second out of range"#,
            ),
            (
                rfc3339,
                "0000-01-01T00:00:.0+00:00",
                r#"parsing time "0000-01-01T00:00:.0+00:00" as "2006-01-02T15:04:05Z07:00": cannot parse ".0+00:00" as "05""#,
            ),
            (
                "_2 Jan 06 15:04 MST",
                "4 --- 00 00:00 GMT",
                r#"parsing time "4 --- 00 00:00 GMT" as "_2 Jan 06 15:04 MST": cannot parse "--- 00 00:00 GMT" as "Jan""#,
            ),
            ("Jan _2 002 2006", "Feb  4 034 2006", r#"parsing time "Feb  4 034 2006": day-of-year does not match day"#),
            (
                "Jan _2 002 2006",
                "Feb  4 004 2006",
                r#"parsing time "Feb  4 004 2006": day-of-year does not match month"#,
            ),
            ("2006 002", "2011 366", r#"parsing time "2011 366": day-of-year out of range"#),
            (
                r#""2006-01-02T15:04:05Z07:00""#,
                "0",
                r#"parsing time "0" as "\"2006-01-02T15:04:05Z07:00\"": cannot parse "0" as "\"""#,
            ),
            (rfc3339, "\"", r#"parsing time "\"" as "2006-01-02T15:04:05Z07:00": cannot parse "\"" as "2006""#),
            (
                rfc3339,
                "0000-01-01T00:00:00+00:+0",
                r#"parsing time "0000-01-01T00:00:00+00:+0" as "2006-01-02T15:04:05Z07:00": cannot parse "+00:+0" as "Z07:00""#,
            ),
            (
                rfc3339,
                "0000-01-01T00:00:00+-0:00",
                r#"parsing time "0000-01-01T00:00:00+-0:00" as "2006-01-02T15:04:05Z07:00": cannot parse "+-0:00" as "Z07:00""#,
            ),
            ("2006-01-02", "22-10-25", r#"parsing time "22-10-25" as "2006-01-02": cannot parse "22-10-25" as "2006""#),
            ("06-01-02", "a2-10-25", r#"parsing time "a2-10-25" as "06-01-02": cannot parse "a2-10-25" as "06""#),
            ("03:04PM", "12:03pM", r#"parsing time "12:03pM" as "03:04PM": cannot parse "pM" as "PM""#),
            ("03:04pm", "12:03pM", r#"parsing time "12:03pM" as "03:04pm": cannot parse "pM" as "pm""#),
            ("2006-01-02", "x", r#"parsing time "x" as "2006-01-02": cannot parse "x" as "2006""#),
            ("2006-01-02", "2023-02-29", r#"parsing time "2023-02-29": day out of range"#),
            ("2006-01-02", "2023-13-01", r#"parsing time "2023-13-01": month out of range"#),
            ("2006-01-02", "2023-00-01", r#"parsing time "2023-00-01": month out of range"#),
            ("2006-01-02", "2023/01/01", r#"parsing time "2023/01/01" as "2006-01-02": cannot parse "/01/01" as "-""#),
            ("2006-01-02", "", r#"parsing time "" as "2006-01-02": cannot parse "" as "2006""#),
            ("", "x", r#"parsing time "x": extra text: "x""#),
            ("15:04 -0700", "10:00 +2500", r#"parsing time "10:00 +2500": time zone offset hour out of range"#),
            ("15:04 -0700", "10:00 +0061", r#"parsing time "10:00 +0061": time zone offset minute out of range"#),
            (
                "15:04 -0700",
                "10:00 *0100",
                r#"parsing time "10:00 *0100" as "15:04 -0700": cannot parse "*0100" as "-0700""#,
            ),
            (
                "Jan",
                "日本",
                r#"parsing time "\xe6\x97\xa5\xe6\x9c\xac" as "Jan": cannot parse "\xe6\x97\xa5\xe6\x9c\xac" as "Jan""#,
            ),
            ("2006\t", "2010\n", r#"parsing time "2010\x0a" as "2006\x09": cannot parse "\x0a" as "\x09""#),
        ] {
            assert_eq!(GoTime::parse(layout, value).unwrap_err(), want, "{layout:?} {value:?}");
        }
    }

    #[test]
    fn deviation_offsets_of_a_day_or_more_are_refused() {
        // Go accepts "+24:00"; chrono's FixedOffset cannot hold it.
        assert_eq!(
            GoTime::parse("15:04 -07:00", "10:00 +24:00").unwrap_err(),
            r#"parsing time "10:00 +24:00": time zone offset out of range"#
        );
        assert!(GoTime::parse("15:04 -07:00", "10:00 +23:59").is_ok());
    }

    #[test]
    fn format_then_parse_round_trips() {
        let zones = [Zone::Utc, fixed(-(9 * 3600 + 30 * 60)), fixed(14 * 3600)];
        let layouts = [
            "2006-01-02T15:04:05.999999999Z07:00",
            "2006-01-02T15:04:05.000000000-07:00:00",
            "Mon, 02 Jan 2006 15:04:05.000000000 -0700",
            "Monday January _2 3:04:05.999999999 PM 2006 Z0700",
            "2006 002 15 04 05,000000000 -070000",
        ];
        let mut secs: i64 = -62_135_596_800;
        while secs < 253_402_300_799 {
            for zone in &zones {
                let t = at(secs, (secs.rem_euclid(1_000_000_007)) as u32 % 1_000_000_000, zone.clone());
                for layout in layouts {
                    let text = t.format(layout);
                    let back = GoTime::parse(layout, &text).unwrap_or_else(|e| panic!("{text}: {e}"));
                    assert_eq!(back.instant, t.instant, "{layout} {text}");
                    assert_eq!(back.format(layout), text);
                }
            }
            secs += 7_777_777_777;
        }
    }

    #[test]
    fn quotes_like_the_time_package() {
        assert_eq!(go_quote(b"plain"), r#""plain""#);
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote(b"\xffff"), r#""\xffff""#);
        assert_eq!(go_quote(b"\x85\x85"), r#""\x85\x85""#);
        assert_eq!(go_quote("\u{FFFD} hi".as_bytes()), r#""\xef\xbf\xbd hi""#);
        assert_eq!(go_quote("µ\x7f".as_bytes()), "\"\\xc2\\xb5\x7f\"");
    }

    #[test]
    fn formats_durations_like_go() {
        for (d, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200 * MICROSECOND, "2.2ms"),
            (3_300 * MILLISECOND, "3.3s"),
            (4 * MINUTE + 5 * SECOND, "4m5s"),
            (4 * MINUTE + 5_001 * MILLISECOND, "4m5.001s"),
            (5 * HOUR + 6 * MINUTE + 7_001 * MILLISECOND, "5h6m7.001s"),
            (8 * MINUTE + 1, "8m0.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (HOUR, "1h0m0s"),
            (HOUR + 2 * MINUTE + 3 * SECOND, "1h2m3s"),
            (1_500 * MILLISECOND, "1.5s"),
            (2 * MILLISECOND, "2ms"),
            (MICROSECOND, "1µs"),
            (-(90 * SECOND), "-1m30s"),
            (-1, "-1ns"),
            (999_999_999, "999.999999ms"),
        ] {
            assert_eq!(format_duration(d), want, "{d}");
        }
    }

    #[test]
    fn parses_durations_like_go() {
        for (text, want) in [
            ("0", 0),
            ("5s", 5 * SECOND),
            ("30s", 30 * SECOND),
            ("1478s", 1478 * SECOND),
            ("-5s", -5 * SECOND),
            ("+5s", 5 * SECOND),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * SECOND),
            ("5.6s", 5 * SECOND + 600 * MILLISECOND),
            ("5.s", 5 * SECOND),
            (".5s", 500 * MILLISECOND),
            ("1.0s", SECOND),
            ("1.00s", SECOND),
            ("1.004s", SECOND + 4 * MILLISECOND),
            ("1.0040s", SECOND + 4 * MILLISECOND),
            ("100.00100s", 100 * SECOND + MILLISECOND),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND),
            ("12µs", 12 * MICROSECOND),
            ("12μs", 12 * MICROSECOND),
            ("13ms", 13 * MILLISECOND),
            ("14s", 14 * SECOND),
            ("15m", 15 * MINUTE),
            ("16h", 16 * HOUR),
            ("3h30m", 3 * HOUR + 30 * MINUTE),
            ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500 * MILLISECOND),
            ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400 * MILLISECOND)),
            ("1h2m3s4ms5us6ns", HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6),
            ("39h9m14.425s", 39 * HOUR + 9 * MINUTE + 14 * SECOND + 425 * MILLISECOND),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * MINUTE),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * MINUTE),
            ("0.830103483285477580700h", 49 * MINUTE + 48 * SECOND + 372_539_827),
            ("-1.5h", -(90 * MINUTE)),
            ("300ms", 300 * MILLISECOND),
            ("2h45m", 2 * HOUR + 45 * MINUTE),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
        for (text, want) in [
            ("", r#"time: invalid duration """#),
            ("3", r#"time: missing unit in duration "3""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (".", r#"time: invalid duration ".""#),
            ("-.", r#"time: invalid duration "-.""#),
            (".s", r#"time: invalid duration ".s""#),
            ("+.s", r#"time: invalid duration "+.s""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("1h ", r#"time: unknown unit "h " in duration "1h ""#),
            ("1 h", r#"time: unknown unit " h" in duration "1 h""#),
            ("1.5", r#"time: missing unit in duration "1.5""#),
            ("5µ", r#"time: unknown unit "\xc2\xb5" in duration "5\xc2\xb5""#),
            ("\u{FFFD}", r#"time: invalid duration "\xef\xbf\xbd""#),
            ("9223372036854775810ns", r#"time: invalid duration "9223372036854775810ns""#),
            ("9223372036854775808ns", r#"time: invalid duration "9223372036854775808ns""#),
            ("-9223372036854775809ns", r#"time: invalid duration "-9223372036854775809ns""#),
            ("9223372036854776us", r#"time: invalid duration "9223372036854776us""#),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            ("9223372036854775.808us", r#"time: invalid duration "9223372036854775.808us""#),
            ("9223372036854ms775us808ns", r#"time: invalid duration "9223372036854ms775us808ns""#),
        ] {
            assert_eq!(parse_duration(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn rounds_durations_like_go() {
        for (d, m, want) in [
            (0, SECOND, 0),
            (MINUTE, -11 * SECOND, MINUTE),
            (MINUTE, 0, MINUTE),
            (MINUTE, 1, MINUTE),
            (2 * MINUTE, MINUTE, 2 * MINUTE),
            (2 * MINUTE + 10 * SECOND, MINUTE, 2 * MINUTE),
            (2 * MINUTE + 30 * SECOND, MINUTE, 3 * MINUTE),
            (2 * MINUTE + 50 * SECOND, MINUTE, 3 * MINUTE),
            (-MINUTE, 1, -MINUTE),
            (-2 * MINUTE, MINUTE, -2 * MINUTE),
            (-2 * MINUTE - 10 * SECOND, MINUTE, -2 * MINUTE),
            (-2 * MINUTE - 30 * SECOND, MINUTE, -3 * MINUTE),
            (-2 * MINUTE - 50 * SECOND, MINUTE, -3 * MINUTE),
            (8_000_000_000_000_000_000, 3_000_000_000_000_000_000, 9_000_000_000_000_000_000),
            (9_000_000_000_000_000_000, 5_000_000_000_000_000_000, i64::MAX),
            (-8_000_000_000_000_000_000, 3_000_000_000_000_000_000, -9_000_000_000_000_000_000),
            (-9_000_000_000_000_000_000, 5_000_000_000_000_000_000, i64::MIN),
            ((3 << 61) - 1, 3 << 61, 3 << 61),
        ] {
            assert_eq!(round_duration(d, m), want, "{d} {m}");
        }
    }

    #[test]
    fn time_arithmetic_saturates_like_go() {
        let a = at(1_000, 500, Zone::Utc);
        let b = at(998, 700, tz("Asia/Tokyo"));
        assert_eq!(a.sub(&b), 2 * SECOND - 200);
        assert_eq!(b.sub(&a), -(2 * SECOND - 200));
        let far = GoTime::from_unix(1 << 40).unwrap();
        assert_eq!(far.sub(&GoTime::zero()), i64::MAX);
        assert_eq!(GoTime::zero().sub(&far), i64::MIN);
        assert_eq!(a.add(-500).unwrap().instant, DateTime::from_timestamp(1_000, 0).unwrap());
        assert_eq!(a.add(HOUR).unwrap().zone, Zone::Utc);
        assert_eq!(GoTime::from_unix(1_709_622_489).unwrap().unix(), 1_709_622_489);
        assert!(GoTime::from_unix(i64::MAX).is_none());
    }

    /// A small deterministic generator, so the fuzz cases are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn text(&mut self, pieces: &[&str]) -> String {
            let n = self.next() % 12;
            (0..n).map(|_| pieces[(self.next() % pieces.len() as u64) as usize]).collect()
        }
    }

    #[test]
    fn never_panics_on_arbitrary_input() {
        let pieces = [
            "2006",
            "06",
            "01",
            "1",
            "Jan",
            "January",
            "02",
            "2",
            "_2",
            "__2",
            "002",
            "15",
            "03",
            "3",
            "04",
            "4",
            "05",
            "5",
            "PM",
            "pm",
            "MST",
            "Mon",
            "Monday",
            "Z07:00:00",
            "Z07:00",
            "Z0700",
            "Z070000",
            "Z07",
            "-07:00:00",
            "-07:00",
            "-0700",
            "-070000",
            "-07",
            ".000",
            ".999",
            ",0",
            ",9",
            ".",
            ",",
            "0",
            "9",
            " ",
            "  ",
            "Z",
            "+",
            "-",
            ":",
            "_",
            "日",
            "µ",
            "\u{FFFD}",
            "GMT",
            "GMT+",
            "UTC",
            "ChST",
            "WITA",
            "ABCDT",
            "x",
            "12",
            "99",
            "366",
            "+0530",
            "-24:00",
            "Feb",
            "tue",
            "am",
            "\"",
            "\\",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let zones = [Zone::Utc, fixed(-3600 * 23), fixed(45), tz("Europe/Amsterdam"), tz("Asia/Kathmandu")];
        let instants = [ZERO_UNIX, 0, -1, 1_709_640_489, 253_402_300_799, -(1 << 40), 1 << 40];
        for _ in 0..20_000 {
            let layout = rng.text(&pieces);
            let value = rng.text(&pieces);
            let _ = GoTime::parse(&layout, &value);
            let zone = zones[(rng.next() % zones.len() as u64) as usize].clone();
            let secs = instants[(rng.next() % instants.len() as u64) as usize];
            let t = at(secs, (rng.next() % 1_000_000_000) as u32, zone);
            let formatted = t.format(&layout);
            if let Ok(back) = GoTime::parse(&layout, &formatted) {
                let _ = back.to_string();
            }
            let _ = parse_duration(&value);
        }
        // Degenerate sizes: a fraction longer than Go's 12-bit digit count.
        let long = format!("05.{}", "9".repeat(4096));
        assert_eq!(at(0, 5, Zone::Utc).format(&long), "00");
        let long0 = format!("05.{}", "0".repeat(4097));
        assert_eq!(at(0, 5, Zone::Utc).format(&long0), "00.0");
    }
}
