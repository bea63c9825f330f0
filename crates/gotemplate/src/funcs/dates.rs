//! sprig's date functions (sprig v3 `date.go`), on Go's time semantics from `gotime`.
//!
//! sprig takes a "date" as `interface{}`: a `time.Time`, or an int as Unix seconds; anything
//! else (a string, a float from JSON, nil) silently means "now". `Local` is UTC here, and
//! "now" is the render's clock, so one render sees one instant.

use super::{Call, Func, FuncError, FuncResult, func, string_arg, string_result, wrong_type};
use crate::gotime::{self, GoTime, Zone};
use crate::value::Value;

pub(super) const FUNCS: &[Func] = &[
    func!("now", 0, now),
    func!("date", 2, date),
    func!("dateInZone", 3, date_in_zone),
    func!("date_in_zone", 3, date_in_zone),
    func!("htmlDate", 1, html_date),
    func!("htmlDateInZone", 2, html_date_in_zone),
    func!("dateModify", 2, date_modify),
    func!("date_modify", 2, date_modify),
    func!("mustDateModify", 2, must_date_modify),
    func!("must_date_modify", 2, must_date_modify),
    func!("ago", 1, ago),
    func!("duration", 1, duration),
    func!("durationRound", 1, duration_round),
    func!("toDate", 2, to_date),
    func!("mustToDate", 2, must_to_date),
    func!("unixEpoch", 1, unix_epoch),
];

/// `now`: the render's clock, in Local (UTC).
fn now(call: &mut Call, _args: &[Value]) -> FuncResult {
    Ok(Value::Time(GoTime::utc(call.now)))
}

/// `date FMT DATE`.
fn date(call: &mut Call, args: &[Value]) -> FuncResult {
    let layout = string_arg(args, 0)?;
    format_in_zone(call, layout, args.get(1), "Local")
}

/// `dateInZone FMT DATE ZONE`.
fn date_in_zone(call: &mut Call, args: &[Value]) -> FuncResult {
    let layout = string_arg(args, 0)?;
    let zone = string_arg(args, 2)?;
    format_in_zone(call, layout, args.get(1), zone)
}

/// `htmlDate DATE`: "2006-01-02".
fn html_date(call: &mut Call, args: &[Value]) -> FuncResult {
    format_in_zone(call, "2006-01-02", args.first(), "Local")
}

/// `htmlDateInZone DATE ZONE`.
fn html_date_in_zone(call: &mut Call, args: &[Value]) -> FuncResult {
    let zone = string_arg(args, 1)?;
    format_in_zone(call, "2006-01-02", args.first(), zone)
}

/// sprig's `dateInZone`: an unknown zone falls back to UTC rather than failing.
fn format_in_zone(call: &mut Call, layout: &str, date: Option<&Value>, zone: &str) -> FuncResult {
    let t = date_value(call, date)?;
    let zone = Zone::load(zone).unwrap_or(Zone::Utc);
    string_result(call, t.in_zone(zone).format(layout))
}

/// `dateModify DURATION DATE`: a bad duration leaves the date as it was.
fn date_modify(_call: &mut Call, args: &[Value]) -> FuncResult {
    let modification = string_arg(args, 0)?;
    let t = time_arg(args, 1)?;
    match gotime::parse_duration(modification) {
        Ok(d) => add(&t, d),
        Err(_) => Ok(Value::Time(t)),
    }
}

/// `mustDateModify DURATION DATE`: a bad duration is an error.
fn must_date_modify(_call: &mut Call, args: &[Value]) -> FuncResult {
    let modification = string_arg(args, 0)?;
    let t = time_arg(args, 1)?;
    let d = gotime::parse_duration(modification).map_err(FuncError::new)?;
    add(&t, d)
}

fn add(t: &GoTime, d: i64) -> FuncResult {
    t.add(d).map(Value::Time).ok_or_else(|| FuncError::new("time out of range"))
}

/// `ago DATE`: time since DATE, to the second, as a Duration string ("1h2m3s").
fn ago(call: &mut Call, args: &[Value]) -> FuncResult {
    // sprig's `dateAgo` has no int32 or *time.Time case, which makes no difference here.
    let t = date_value(call, args.first())?;
    let since = GoTime::utc(call.now).sub(&t);
    string_result(call, gotime::format_duration(gotime::round_duration(since, gotime::SECOND)))
}

/// `duration SECONDS`: seconds (an int, or a decimal string) as a Duration string.
///
/// sprig reads only `string` and `int64`: an untyped template literal like `duration 90` is
/// a Go `int` and gives "0s" there. Our `Value::Int` stands for both, so it is read as int64.
fn duration(call: &mut Call, args: &[Value]) -> FuncResult {
    let seconds = match args.first() {
        Some(Value::Str(s)) => parse_int_base10(s),
        Some(Value::Int(n)) => *n,
        _ => 0,
    };
    // `time.Duration(n) * time.Second` wraps on overflow in Go.
    string_result(call, gotime::format_duration(seconds.wrapping_mul(gotime::SECOND)))
}

/// `strconv.ParseInt(s, 10, 64)` as sprig uses it, ignoring the error: a syntax error is 0,
/// an out-of-range number is clamped (ParseInt returns the bound along with its error).
fn parse_int_base10(s: &str) -> i64 {
    match s.parse::<i64>() {
        Ok(n) => n,
        Err(e) => match e.kind() {
            std::num::IntErrorKind::PosOverflow => i64::MAX,
            std::num::IntErrorKind::NegOverflow => i64::MIN,
            _ => 0,
        },
    }
}

/// `durationRound D`: the largest whole unit of a duration string, int64 nanoseconds, or the
/// time since a date: "2h", "3mo", "1y" (a year is 365 days, a month 30). The sign is dropped.
fn duration_round(call: &mut Call, args: &[Value]) -> FuncResult {
    let d = match args.first() {
        Some(Value::Str(s)) => gotime::parse_duration(s).unwrap_or(0),
        Some(Value::Int(n)) => *n,
        Some(Value::Time(t)) => GoTime::utc(call.now).sub(t),
        _ => 0,
    };
    let u = d.unsigned_abs();
    let second = gotime::SECOND as u64;
    let units: [(u64, &str); 6] = [
        (second * 60 * 60 * 24 * 365, "y"),
        (second * 60 * 60 * 24 * 30, "mo"),
        (second * 60 * 60 * 24, "d"),
        (second * 60 * 60, "h"),
        (second * 60, "m"),
        (second, "s"),
    ];
    // Strictly greater, as sprig: exactly one day is "24h".
    let text = units
        .iter()
        .find(|(size, _)| u > *size)
        .map_or_else(|| "0s".to_owned(), |(size, unit)| format!("{}{unit}", u / size));
    string_result(call, text)
}

/// `toDate FMT STR`: the parsed time in Local, or the zero time if it does not parse.
fn to_date(_call: &mut Call, args: &[Value]) -> FuncResult {
    let layout = string_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    Ok(Value::Time(GoTime::parse(layout, text).unwrap_or_else(|_| GoTime::zero())))
}

/// `mustToDate FMT STR`: as toDate, with Go's parse error.
fn must_to_date(_call: &mut Call, args: &[Value]) -> FuncResult {
    let layout = string_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    GoTime::parse(layout, text).map(Value::Time).map_err(FuncError::new)
}

/// `unixEpoch DATE`: Unix seconds, as a string.
fn unix_epoch(call: &mut Call, args: &[Value]) -> FuncResult {
    let t = time_arg(args, 0)?;
    string_result(call, t.unix().to_string())
}

/// sprig's `interface{}` date: a time, Unix seconds in Local, or (anything else) now.
fn date_value(call: &Call, value: Option<&Value>) -> Result<GoTime, FuncError> {
    match value {
        Some(Value::Time(t)) => Ok(t.clone()),
        Some(Value::Int(secs)) => {
            GoTime::from_unix(*secs).ok_or_else(|| FuncError::new(format!("unix time {secs} is out of range")))
        }
        _ => Ok(GoTime::utc(call.now)),
    }
}

/// A `time.Time` parameter, checked as Go's template engine checks it.
fn time_arg(args: &[Value], index: usize) -> Result<GoTime, FuncError> {
    match args.get(index) {
        Some(Value::Time(t)) => Ok(t.clone()),
        Some(Value::Nil) | None => Err(FuncError::new("invalid value; expected time.Time")),
        Some(other) => Err(wrong_type(index, "time.Time", other)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    /// 2024-03-05T07:08:09Z.
    const NOW: i64 = 1_709_622_489;

    fn call() -> Call {
        Call::new(DateTime::<Utc>::from_timestamp(NOW, 0).unwrap())
    }

    fn run(name: &str, args: &[Value]) -> FuncResult {
        let f = FUNCS.iter().find(|f| f.name == name).unwrap();
        assert!(f.accepts(args.len()), "{name} takes {}", f.arity());
        (f.call)(&mut call(), args)
    }

    fn text(name: &str, args: &[Value]) -> String {
        match run(name, args).unwrap() {
            Value::Str(s) => s,
            other => panic!("{name} returned {other:?}"),
        }
    }

    fn time(name: &str, args: &[Value]) -> GoTime {
        match run(name, args).unwrap() {
            Value::Time(t) => t,
            other => panic!("{name} returned {other:?}"),
        }
    }

    fn now_value() -> Value {
        run("now", &[]).unwrap()
    }

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    #[test]
    fn registers_sprig_names_with_their_arities() {
        for (name, arity) in [
            ("now", 0),
            ("date", 2),
            ("dateInZone", 3),
            ("date_in_zone", 3),
            ("htmlDate", 1),
            ("htmlDateInZone", 2),
            ("dateModify", 2),
            ("date_modify", 2),
            ("mustDateModify", 2),
            ("must_date_modify", 2),
            ("ago", 1),
            ("duration", 1),
            ("durationRound", 1),
            ("toDate", 2),
            ("mustToDate", 2),
            ("unixEpoch", 1),
        ] {
            let f = FUNCS.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!((f.min, f.max), (arity, Some(arity)), "{name}");
        }
        assert_eq!(FUNCS.len(), 16);
    }

    #[test]
    fn now_is_the_render_clock_in_utc() {
        let Value::Time(t) = now_value() else { panic!("not a time") };
        assert_eq!(t, GoTime::utc(DateTime::from_timestamp(NOW, 0).unwrap()));
        assert_eq!(t.to_string(), "2024-03-05 07:08:09 +0000 UTC");
    }

    #[test]
    fn kong_example_formats_now_as_rfc3339() {
        // ${ now | date "2006-01-02T15:04:05Z07:00" }: the piped value is the last argument.
        assert_eq!(text("date", &[s("2006-01-02T15:04:05Z07:00"), now_value()]), "2024-03-05T07:08:09Z");
        assert_eq!(text("date", &[s("Mon Jan _2 15:04:05 MST 2006"), now_value()]), "Tue Mar  5 07:08:09 UTC 2024");
    }

    #[test]
    fn date_takes_times_unix_seconds_or_falls_back_to_now() {
        assert_eq!(text("date", &[s("2006-01-02 15:04:05"), Value::Int(0)]), "1970-01-01 00:00:00");
        assert_eq!(text("date", &[s("2006-01-02 15:04:05"), Value::Int(-1)]), "1969-12-31 23:59:59");
        // sprig's default case: anything that is not a time or an int is "now".
        for other in [s("2020-01-01"), Value::Float(0.0), Value::Nil, Value::Bool(true)] {
            assert_eq!(text("date", &[s("2006-01-02"), other]), "2024-03-05");
        }
        assert!(run("date", &[s("2006"), Value::Int(i64::MAX)]).unwrap_err().0.contains("out of range"));
        // A time keeps its instant; `date` shows it in Local (UTC).
        let tokyo = GoTime::utc(DateTime::from_timestamp(NOW, 0).unwrap()).in_zone(Zone::load("Asia/Tokyo").unwrap());
        assert_eq!(text("date", &[s("15:04 MST"), Value::Time(tokyo)]), "07:08 UTC");
        assert!(run("date", &[Value::Int(1), now_value()]).is_err()); // the layout must be a string
    }

    #[test]
    fn date_in_zone_converts_and_falls_back_to_utc() {
        let layout = s("2006-01-02 15:04 MST -07:00");
        assert_eq!(
            text("dateInZone", &[layout.clone(), now_value(), s("America/New_York")]),
            "2024-03-05 02:08 EST -05:00"
        );
        assert_eq!(
            text("date_in_zone", &[layout.clone(), now_value(), s("Asia/Kolkata")]),
            "2024-03-05 12:38 IST +05:30"
        );
        assert_eq!(
            text("dateInZone", &[layout.clone(), Value::Int(0), s("Europe/Paris")]),
            "1970-01-01 01:00 CET +01:00"
        );
        for zone in ["Mars/Base", "", "UTC", "Local", "utc", "../../etc/passwd"] {
            assert_eq!(
                text("dateInZone", &[layout.clone(), now_value(), s(zone)]),
                "2024-03-05 07:08 UTC +00:00",
                "{zone}"
            );
        }
    }

    #[test]
    fn html_date_is_the_day_in_a_zone() {
        assert_eq!(text("htmlDate", &[now_value()]), "2024-03-05");
        assert_eq!(text("htmlDate", &[Value::Int(86_400 * 365)]), "1971-01-01");
        let late = Value::Int(NOW + 16 * 3600); // 23:08 UTC
        assert_eq!(text("htmlDateInZone", &[late.clone(), s("Asia/Tokyo")]), "2024-03-06");
        assert_eq!(text("htmlDateInZone", &[late, s("Nowhere")]), "2024-03-05");
    }

    #[test]
    fn date_modify_adds_a_go_duration() {
        let moved = time("dateModify", &[s("1h30m"), now_value()]);
        assert_eq!(moved.to_string(), "2024-03-05 08:38:09 +0000 UTC");
        let back = time("date_modify", &[s("-24h"), now_value()]);
        assert_eq!(back.format("2006-01-02"), "2024-03-04");
        let fine = time("dateModify", &[s("1.5s"), now_value()]);
        assert_eq!(fine.to_string(), "2024-03-05 07:08:10.5 +0000 UTC");
        // A bad duration leaves the date alone; the must form fails with Go's message.
        assert_eq!(time("dateModify", &[s("1 day"), now_value()]).to_string(), "2024-03-05 07:08:09 +0000 UTC");
        assert_eq!(time("mustDateModify", &[s("-2m"), now_value()]).to_string(), "2024-03-05 07:06:09 +0000 UTC");
        assert_eq!(
            run("mustDateModify", &[s("1d"), now_value()]).unwrap_err().0,
            r#"time: unknown unit "d" in duration "1d""#
        );
        assert_eq!(run("must_date_modify", &[s("x"), now_value()]).unwrap_err().0, r#"time: invalid duration "x""#);
        // The date must be a time.Time, as in Go.
        assert_eq!(
            run("dateModify", &[s("1h"), s("2024-01-01")]).unwrap_err().0,
            "wrong type for value at argument 2; expected time.Time; got string"
        );
        assert_eq!(run("dateModify", &[s("1h"), Value::Nil]).unwrap_err().0, "invalid value; expected time.Time");
        // The zone is kept.
        let ny = Value::Time(
            GoTime::utc(DateTime::from_timestamp(NOW, 0).unwrap()).in_zone(Zone::load("America/New_York").unwrap()),
        );
        assert_eq!(time("dateModify", &[s("1h"), ny]).to_string(), "2024-03-05 03:08:09 -0500 EST");
    }

    #[test]
    fn ago_is_the_rounded_time_since() {
        let t = |secs: i64, nanos: u32| Value::Time(GoTime::utc(DateTime::from_timestamp(secs, nanos).unwrap()));
        assert_eq!(text("ago", &[t(NOW - 3723, 400_000_000)]), "1h2m3s"); // 1h2m2.6s
        assert_eq!(text("ago", &[t(NOW - 3723, 600_000_000)]), "1h2m2s");
        assert_eq!(text("ago", &[t(NOW - 1, 500_000_000)]), "1s"); // 0.5s: half rounds away from zero
        assert_eq!(text("ago", &[Value::Int(NOW - 90)]), "1m30s");
        assert_eq!(text("ago", &[Value::Int(NOW + 90)]), "-1m30s");
        assert_eq!(text("ago", &[now_value()]), "0s");
        assert_eq!(text("ago", &[s("yesterday")]), "0s"); // not a date: "now"
        assert_eq!(text("ago", &[Value::Int(0)]), "474895h8m9s");
        // Far past: Go's Sub saturates at the largest Duration.
        assert_eq!(text("ago", &[Value::Time(GoTime::zero())]), "2562047h47m16.854775807s");
    }

    #[test]
    fn duration_formats_seconds() {
        assert_eq!(text("duration", &[s("90")]), "1m30s");
        assert_eq!(text("duration", &[Value::Int(3600)]), "1h0m0s");
        assert_eq!(text("duration", &[Value::Int(0)]), "0s");
        assert_eq!(text("duration", &[s("-61")]), "-1m1s");
        assert_eq!(text("duration", &[s("+5")]), "5s");
        // strconv.ParseInt(s, 10, 64) errors are 0 ...
        for bad in ["1.5", " 5", "0x10", "1_000", "", "abc"] {
            assert_eq!(text("duration", &[s(bad)]), "0s", "{bad:?}");
        }
        // ... except out of range, which is clamped, and Go's multiplication then wraps.
        assert_eq!(
            text("duration", &[s("99999999999999999999")]),
            gotime::format_duration(i64::MAX.wrapping_mul(gotime::SECOND))
        );
        assert_eq!(text("duration", &[Value::Float(90.0)]), "0s");
        assert_eq!(text("duration", &[Value::Nil]), "0s");
    }

    #[test]
    fn duration_round_keeps_the_largest_unit() {
        for (input, want) in [
            ("2h5m", "2h"),
            ("-3m10s", "3m"),
            ("1s", "0s"),
            ("1.5s", "1s"),
            ("24h", "24h"), // exactly a day is not "> 1 day"
            ("24h1s", "1d"),
            ("720h", "30d"),
            ("721h", "1mo"),
            ("2200h", "3mo"),
            ("8760h", "12mo"),
            ("8761h", "1y"),
            ("100000h", "11y"),
            ("bad", "0s"),
            ("", "0s"),
        ] {
            assert_eq!(text("durationRound", &[s(input)]), want, "{input}");
        }
        assert_eq!(text("durationRound", &[Value::Int(1_500_000_000)]), "1s");
        assert_eq!(text("durationRound", &[Value::Int(3600)]), "0s"); // nanoseconds
        let t = Value::Time(GoTime::from_unix(NOW - 3 * 86_400 - 1).unwrap());
        assert_eq!(text("durationRound", &[t]), "3d");
        assert_eq!(text("durationRound", &[Value::Float(1e12)]), "0s");
    }

    #[test]
    fn to_date_parses_in_local() {
        let t = time("toDate", &[s("2006-01-02"), s("2024-03-05")]);
        assert_eq!(t.to_string(), "2024-03-05 00:00:00 +0000 UTC");
        let t = time("toDate", &[s("2006-01-02T15:04:05Z07:00"), s("2024-03-05T07:08:09.25+01:00")]);
        assert_eq!(t.to_string(), "2024-03-05 07:08:09.25 +0100 +0100");
        assert_eq!(t.unix(), NOW - 3600);
        let t = time("toDate", &[s("15:04"), s("10:30")]);
        assert_eq!(t.to_string(), "0000-01-01 10:30:00 +0000 UTC");
        // A bad string gives the zero time; mustToDate gives Go's error.
        let zero = time("toDate", &[s("2006-01-02"), s("05/03/2024")]);
        assert!(zero.is_zero());
        assert_eq!(zero.to_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            run("mustToDate", &[s("2006-01-02"), s("x")]).unwrap_err().0,
            r#"parsing time "x" as "2006-01-02": cannot parse "x" as "2006""#
        );
        assert_eq!(time("mustToDate", &[s("2006-01-02"), s("2024-03-05")]).format("Jan 2"), "Mar 5");
        assert!(run("toDate", &[s("2006"), Value::Int(2024)]).is_err()); // Go: a string parameter
    }

    #[test]
    fn dates_round_trip_through_to_date_and_date() {
        for layout in ["2006-01-02T15:04:05.999999999Z07:00", "Mon, 02 Jan 2006 15:04:05 -0700", "02/01/06 3:04PM"] {
            let formatted = text("date", &[s(layout), now_value()]);
            let parsed = time("toDate", &[s(layout), s(&formatted)]);
            assert_eq!(text("date", &[s(layout), Value::Time(parsed)]), formatted, "{layout}");
        }
        let parsed = time("toDate", &[s("2006-01-02 15:04:05 -0700"), s("2024-03-05 09:08:09 +0200")]);
        assert_eq!(text("unixEpoch", &[Value::Time(parsed)]), NOW.to_string());
    }

    #[test]
    fn unix_epoch_is_seconds_as_text() {
        assert_eq!(text("unixEpoch", &[now_value()]), "1709622489");
        assert_eq!(text("unixEpoch", &[Value::Time(GoTime::zero())]), "-62135596800");
        let with_nanos = Value::Time(GoTime::utc(DateTime::from_timestamp(-1, 999_999_999).unwrap()));
        assert_eq!(text("unixEpoch", &[with_nanos]), "-1");
        assert_eq!(
            run("unixEpoch", &[Value::Int(5)]).unwrap_err().0,
            "wrong type for value at argument 1; expected time.Time; got int"
        );
    }
}
