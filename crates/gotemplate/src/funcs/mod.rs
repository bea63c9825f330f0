//! The functions a template can call: text/template's builtins and the sprig library, with
//! sprig's semantics. Each family lives in its own file and lists its functions in `FUNCS`.
//!
//! Left out on purpose: functions that read the server's environment or network (`env`,
//! `expandenv`, `getHostByName`), that generate keys or certificates (slow, and a template's
//! output is no place for secrets), and `call`/`template`, which need values this engine does not have.

mod builtins;
mod dates;
mod defaults;
mod encoding;
mod lists;
mod math;
mod semver;
mod strings;

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::value::{Elem, Value};

pub(crate) use lists::MUTATING;

/// Upper bounds on what one render may produce; past them the render fails rather than
/// letting a template exhaust the process that renders it.
pub mod limits {
    /// Bytes of rendered text per template, and of any one string value.
    pub const MAX_STRING: usize = 64 * 1024;
    /// Items in any one list or map (`until`, `seq`, `splitList`, `repeat` counts...).
    pub const MAX_ITEMS: usize = 10_000;
    /// Units of work per render: one per node evaluated plus the weight of each value a
    /// function returns. A typical one-line template uses a few dozen.
    pub const FUEL: u64 = 1_000_000;
    /// Nesting of lists and maps a value may reach (printing and JSON recurse on it).
    pub const MAX_DEPTH: usize = 64;
    /// Wall-clock time per render, behind the work budget for what it cannot weigh well
    /// (compiling a regular expression in a loop, say). A typical one-line template takes microseconds.
    pub const MAX_TIME: std::time::Duration = std::time::Duration::from_millis(100);
}

/// What a function needs besides its arguments: the render's clock, and its budget.
pub(crate) struct Call {
    /// The instant the render was given; `now` returns it, so one render sees one instant.
    pub now: DateTime<Utc>,
    fuel: u64,
    started: std::time::Instant,
    time_limit: std::time::Duration,
    charges: u32,
}

impl Call {
    pub(crate) fn new(now: DateTime<Utc>) -> Call {
        Call { now, fuel: limits::FUEL, started: std::time::Instant::now(), time_limit: limits::MAX_TIME, charges: 0 }
    }

    /// Spends `units` of the render's budget; every few charges, also checks the clock.
    pub(crate) fn charge(&mut self, units: usize) -> Result<(), FuncError> {
        let units = units as u64;
        if units > self.fuel {
            self.fuel = 0;
            return Err(FuncError::new("template exceeded its work budget"));
        }
        self.fuel -= units;
        self.charges = self.charges.wrapping_add(1);
        if self.charges % 16 == 0 && self.started.elapsed() > self.time_limit {
            self.fuel = 0;
            return Err(FuncError::new(format!("template exceeded its time limit of {:?}", self.time_limit)));
        }
        Ok(())
    }
}

/// Why a function call failed; the engine adds the function's name and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FuncError(pub String);

impl FuncError {
    pub(crate) fn new(message: impl Into<String>) -> FuncError {
        FuncError(message.into())
    }
}

pub(crate) type FuncResult = Result<Value, FuncError>;

/// A callable function: its name, how many arguments it takes (`max: None` is variadic),
/// and its implementation, which receives arguments already evaluated and count-checked.
pub(crate) struct Func {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub call: fn(&mut Call, &[Value]) -> FuncResult,
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Func {
    /// Whether `count` arguments suit this function.
    pub(crate) fn accepts(&self, count: usize) -> bool {
        count >= self.min && self.max.is_none_or(|max| count <= max)
    }

    /// "1", "1 or 2", "at least 1": for arity errors.
    pub(crate) fn arity(&self) -> String {
        match self.max {
            Some(max) if max == self.min => max.to_string(),
            Some(max) => format!("{} to {max}", self.min),
            None => format!("at least {}", self.min),
        }
    }
}

/// Shorthand for the tables in each family: `func!("upper", 1, upper)` takes exactly one
/// argument, `func!("cat", 0.., cat)` any number, `func!("substr", 3, substr)`.
macro_rules! func {
    ($name:literal, $n:literal, $f:expr) => {
        $crate::funcs::Func { name: $name, min: $n, max: Some($n), call: $f }
    };
    ($name:literal, $min:literal ..= $max:literal, $f:expr) => {
        $crate::funcs::Func { name: $name, min: $min, max: Some($max), call: $f }
    };
    ($name:literal, $min:literal .., $f:expr) => {
        $crate::funcs::Func { name: $name, min: $min, max: None, call: $f }
    };
}
pub(crate) use func;

static REGISTRY: LazyLock<HashMap<&'static str, &'static Func>> = LazyLock::new(|| {
    let families: [&'static [Func]; 8] = [
        builtins::FUNCS,
        strings::FUNCS,
        math::FUNCS,
        dates::FUNCS,
        defaults::FUNCS,
        lists::FUNCS,
        encoding::FUNCS,
        semver::FUNCS,
    ];
    families.into_iter().flatten().map(|f| (f.name, f)).collect()
});

/// The function called `name`, if there is one.
pub(crate) fn lookup(name: &str) -> Option<&'static Func> {
    REGISTRY.get(name).copied()
}

// ---- argument helpers shared by the families ----

/// A `string` parameter, as Go's template engine checks it: strings pass; nil (a missing
/// label, `nil`) is Go's "invalid value", and anything else a type error.
pub(crate) fn string_arg(args: &[Value], index: usize) -> Result<&str, FuncError> {
    match args.get(index) {
        Some(Value::Str(s)) => Ok(s),
        None => Ok(""),
        Some(Value::Nil) => Err(invalid_value("string")),
        Some(other) => Err(wrong_type(index, "string", other)),
    }
}

/// An `int` parameter: Go converts untyped constants and ints; floats, strings and nil are
/// a type error.
pub(crate) fn int_arg(args: &[Value], index: usize) -> Result<i64, FuncError> {
    match args.get(index) {
        Some(Value::Int(i)) => Ok(*i),
        None => Ok(0),
        Some(Value::Nil) => Err(invalid_value("int")),
        Some(other) => Err(wrong_type(index, "int", other)),
    }
}

/// Go's error for nil (a missing map key, `nil`) passed where a non-nillable type is expected.
pub(crate) fn invalid_value(expected: &str) -> FuncError {
    FuncError::new(format!("invalid value; expected {expected}"))
}

/// A map parameter (`map[string]interface{}`): a `map[string]string` (labels) is a type
/// error, as in Go.
pub(crate) fn map_arg(
    args: &[Value],
    index: usize,
) -> Result<std::borrow::Cow<'_, std::collections::BTreeMap<String, Value>>, FuncError> {
    match args.get(index) {
        Some(Value::Map(entries)) if entries.elem == Elem::Any => Ok(std::borrow::Cow::Borrowed(&entries.entries)),
        Some(Value::Nil) | None => Ok(std::borrow::Cow::Owned(Default::default())),
        Some(other) => Err(wrong_type(index, "map[string]interface {}", other)),
    }
}

pub(crate) fn wrong_type(index: usize, expected: &str, got: &Value) -> FuncError {
    FuncError::new(format!(
        "wrong type for value at argument {}; expected {expected}; got {}",
        index + 1,
        got.type_name()
    ))
}

/// A string result, refused past the size limit.
pub(crate) fn string_result(call: &mut Call, s: String) -> FuncResult {
    if s.len() > limits::MAX_STRING {
        return Err(FuncError::new(format!(
            "result of {} bytes exceeds the {} byte limit",
            s.len(),
            limits::MAX_STRING
        )));
    }
    call.charge(s.len())?;
    Ok(Value::Str(s))
}

/// A list result, refused past the size limit.
pub(crate) fn list_result(call: &mut Call, items: Vec<Value>) -> FuncResult {
    typed_list_result(call, Elem::Any, items)
}

/// A `[]string` or `[]int` result, refused past the size limit.
pub(crate) fn typed_list_result(call: &mut Call, elem: Elem, items: Vec<Value>) -> FuncResult {
    check_count(items.len())?;
    call.charge(items.len())?;
    Ok(Value::typed_list(elem, items))
}

/// Refuses to build a list or string of `count` items past the limit, before building it.
pub(crate) fn check_count(count: usize) -> Result<(), FuncError> {
    if count > limits::MAX_ITEMS {
        return Err(FuncError::new(format!("{count} items exceed the limit of {}", limits::MAX_ITEMS)));
    }
    Ok(())
}

/// Calls a registered function by name, as the evaluator would, for the families' tests.
#[cfg(test)]
pub(crate) fn call_by_name(name: &str, args: &[Value]) -> FuncResult {
    let func = lookup(name).unwrap_or_else(|| panic!("{name} is not defined"));
    assert!(func.accepts(args.len()), "{name} does not take {} arguments", args.len());
    (func.call)(&mut Call::new(chrono::Utc::now()), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_stops_at_its_work_budget_or_its_time_limit() {
        let mut call = Call::new(Utc::now());
        assert!(call.charge(limits::FUEL as usize).is_ok());
        assert_eq!(call.charge(1).unwrap_err().0, "template exceeded its work budget");
        let mut call = Call { time_limit: std::time::Duration::ZERO, ..Call::new(Utc::now()) };
        let stopped = (0..16).map(|_| call.charge(1)).find_map(Result::err);
        assert_eq!(stopped.map(|e| e.0).as_deref(), Some("template exceeded its time limit of 0ns"));
    }

    /// The functions Kong Identity's claim template documentation names.
    #[test]
    fn every_function_kong_identity_documents_is_defined() {
        let documented = "now date dateInZone dateModify duration toDate unixEpoch ago htmlDate \
            upper lower title trim trunc substr replace repeat contains hasPrefix hasSuffix quote cat split \
            splitList join randAlphaNum randAlpha randNumeric sha256sum b64enc \
            add sub mul div mod max min floor ceil round \
            default empty coalesce ternary toJson fromJson \
            list dict get set hasKey keys pick omit merge first last uniq has \
            uuidv4 uuidParse uuidValidate urlParse urlJoin";
        let missing: Vec<&str> = documented.split_whitespace().filter(|name| lookup(name).is_none()).collect();
        assert!(missing.is_empty(), "not defined: {missing:?}");
    }
}
