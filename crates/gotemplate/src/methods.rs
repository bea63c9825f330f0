//! The methods of `time.Time` a template can call on the context's times and on `now`:
//! `${ .Client.CreatedAt.Unix }`, `${ now.Year }`, `${ .Client.CreatedAt.Format "2006" }`.
//! Go's text/template calls any exported method; these are the ones with one result that a
//! template can use (`Date`, `Clock`, `Zone` and friends return several, which Go refuses).
//!
//! Deviation: `Month` and `Weekday` return their names as strings; in Go they are integer
//! types that print as names, so `eq .Month 11` works there and fails here.

use chrono::Datelike as _;
use chrono::Timelike as _;

use super::gotime::{GoTime, Zone};
use super::value::Value;

/// A method: its name, how many arguments it takes, and the Go type of its result.
struct Method {
    name: &'static str,
    arity: usize,
    result: &'static str,
}

const fn method(name: &'static str, arity: usize, result: &'static str) -> Method {
    Method { name, arity, result }
}

const METHODS: &[Method] = &[
    method("Unix", 0, "int64"),
    method("UnixMilli", 0, "int64"),
    method("UnixMicro", 0, "int64"),
    method("UnixNano", 0, "int64"),
    method("Year", 0, "int"),
    method("Month", 0, "time.Month"),
    method("Day", 0, "int"),
    method("Hour", 0, "int"),
    method("Minute", 0, "int"),
    method("Second", 0, "int"),
    method("Nanosecond", 0, "int"),
    method("YearDay", 0, "int"),
    method("Weekday", 0, "time.Weekday"),
    method("IsZero", 0, "bool"),
    method("UTC", 0, "time.Time"),
    method("Local", 0, "time.Time"),
    method("String", 0, "string"),
    method("Format", 1, "string"),
    method("Add", 1, "time.Time"),
    method("Before", 1, "bool"),
    method("After", 1, "bool"),
    method("Equal", 1, "bool"),
    method("Compare", 1, "int"),
];

fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

/// The Go type of the method's result, if `time.Time` has a method of that name here.
pub(crate) fn result_type(name: &str) -> Option<&'static str> {
    find(name).map(|m| m.result)
}

/// Whether the method takes arguments (so a command may pass it some).
pub(crate) fn takes_arguments(name: &str) -> bool {
    find(name).is_some_and(|m| m.arity > 0)
}

/// Calls `t.name(args...)`; `None` when time.Time has no such method here.
pub(crate) fn call(t: &GoTime, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let method = find(name)?;
    if args.len() != method.arity {
        return Some(Err(format!("wrong number of args for {name}: want {} got {}", method.arity, args.len())));
    }
    Some(apply(t, name, args))
}

fn apply(t: &GoTime, name: &str, args: &[Value]) -> Result<Value, String> {
    let local = t.local();
    let nanos = t.instant.timestamp_subsec_nanos().min(999_999_999);
    let int = |n: i64| Ok(Value::Int(n));
    match name {
        "Unix" => int(t.unix()),
        "UnixMilli" => int(t.unix().wrapping_mul(1_000).wrapping_add(i64::from(nanos / 1_000_000))),
        "UnixMicro" => int(t.unix().wrapping_mul(1_000_000).wrapping_add(i64::from(nanos / 1_000))),
        "UnixNano" => int(t.unix().wrapping_mul(1_000_000_000).wrapping_add(i64::from(nanos))),
        "Year" => int(i64::from(local.year())),
        "Month" => Ok(Value::str(t.format("January"))),
        "Day" => int(i64::from(local.day())),
        "Hour" => int(i64::from(local.hour())),
        "Minute" => int(i64::from(local.minute())),
        "Second" => int(i64::from(local.second())),
        "Nanosecond" => int(t.nanosecond()),
        "YearDay" => int(i64::from(local.ordinal())),
        "Weekday" => Ok(Value::str(t.format("Monday"))),
        "IsZero" => Ok(Value::Bool(t.is_zero())),
        // Local is UTC for templates.
        "UTC" | "Local" => Ok(Value::Time(t.in_zone(Zone::Utc))),
        "String" => Ok(Value::str(t.to_string())),
        "Format" => match &args[0] {
            Value::Str(layout) => Ok(Value::str(t.format(layout))),
            other => Err(arg_error("string", other)),
        },
        "Add" => match &args[0] {
            Value::Int(d) => t.add(*d).map(Value::Time).ok_or_else(|| "time out of range".to_owned()),
            other => Err(arg_error("time.Duration", other)),
        },
        _ => {
            let Value::Time(u) = &args[0] else { return Err(arg_error("time.Time", &args[0])) };
            let order = t.instant.cmp(&u.instant);
            match name {
                "Before" => Ok(Value::Bool(order.is_lt())),
                "After" => Ok(Value::Bool(order.is_gt())),
                "Equal" => Ok(Value::Bool(order.is_eq())),
                _ => int(order as i64),
            }
        }
    }
}

fn arg_error(expected: &str, got: &Value) -> String {
    match got {
        Value::Nil => format!("invalid value; expected {expected}"),
        other => format!("wrong type for value; expected {expected}; got {}", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn at() -> GoTime {
        GoTime::utc(DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap())
    }

    #[test]
    fn methods_read_the_time_as_go_does() {
        for (name, want) in [
            ("Unix", Value::Int(1_700_000_000)),
            ("UnixMilli", Value::Int(1_700_000_000_123)),
            ("UnixNano", Value::Int(1_700_000_000_123_456_000)),
            ("Year", Value::Int(2023)),
            ("Month", Value::str("November")),
            ("Day", Value::Int(14)),
            ("Hour", Value::Int(22)),
            ("YearDay", Value::Int(318)),
            ("Weekday", Value::str("Tuesday")),
            ("IsZero", Value::Bool(false)),
        ] {
            assert_eq!(call(&at(), name, &[]).unwrap().unwrap(), want, "{name}");
        }
        assert_eq!(call(&at(), "Format", &[Value::str("2006-01-02")]).unwrap().unwrap(), Value::str("2023-11-14"));
        assert!(call(&at(), "Format", &[]).unwrap().is_err());
        assert!(call(&at(), "Format", &[Value::Int(1)]).unwrap().is_err());
        assert!(call(&at(), "Nope", &[]).is_none());
        assert_eq!(call(&at(), "Before", &[Value::Time(GoTime::zero())]).unwrap().unwrap(), Value::Bool(false));
    }
}
