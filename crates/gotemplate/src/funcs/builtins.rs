//! text/template's own functions: logic, comparison, `len`/`index`, printing and escaping.
//! sprig's `slice` replaces the builtin one, as it does in Go (lists.rs).

use std::cmp::Ordering;

use super::super::gofmt;
use super::super::value::{Elem, Value};
use super::{Call, Func, FuncError, FuncResult, func, string_arg, string_result};

pub(super) const FUNCS: &[Func] = &[
    // The evaluator runs `and`/`or` itself so they can stop early; these entries give their arity.
    func!("and", 1.., and_or_eager),
    func!("or", 1.., and_or_eager),
    func!("not", 1, not),
    func!("len", 1, len),
    func!("index", 1.., index),
    func!("print", 0.., print),
    func!("printf", 1.., printf),
    func!("println", 0.., println),
    func!("eq", 1.., eq),
    func!("ne", 2, ne),
    func!("lt", 2, lt),
    func!("le", 2, le),
    func!("gt", 2, gt),
    func!("ge", 2, ge),
    func!("html", 0.., html),
    func!("js", 0.., js),
    func!("urlquery", 0.., urlquery),
];

fn and_or_eager(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(args.last().cloned().unwrap_or(Value::Nil))
}

fn not(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(!args[0].is_true()))
}

fn len(_: &mut Call, args: &[Value]) -> FuncResult {
    let n = match &args[0] {
        Value::Str(s) => s.len(),
        Value::List(items) => items.len(),
        Value::Map(entries) => entries.len(),
        other => return Err(FuncError::new(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

/// `index x 1 2`: x[1][2] for lists, maps and strings (a string's bytes).
fn index(_: &mut Call, args: &[Value]) -> FuncResult {
    let mut item = args[0].clone();
    for key in &args[1..] {
        item = match (&item, key) {
            (Value::List(items), key) => {
                let i = position(key)?;
                items.get(i).cloned().ok_or_else(|| FuncError::new(format!("index out of range: {i}")))?
            }
            (Value::Str(s), key) => {
                let i = position(key)?;
                s.as_bytes()
                    .get(i)
                    .map(|b| Value::Int(i64::from(*b)))
                    .ok_or_else(|| FuncError::new(format!("index out of range: {i}")))?
            }
            // A missing key gives the zero value of the map's element type.
            (Value::Map(entries), Value::Str(key)) => entries.get(key).cloned().unwrap_or_else(|| match entries.elem {
                Elem::Str => Value::str(""),
                Elem::Any | Elem::Int => Value::Nil,
            }),
            (Value::Map(_), other) => {
                return Err(FuncError::new(format!("value has type {}; should be string", other.type_name())));
            }
            (Value::Nil, _) => return Err(FuncError::new("index of untyped nil")),
            (other, _) => return Err(FuncError::new(format!("can't index item of type {}", other.type_name()))),
        };
    }
    Ok(item)
}

fn position(key: &Value) -> Result<usize, FuncError> {
    match key {
        Value::Int(i) => usize::try_from(*i).map_err(|_| FuncError::new(format!("index out of range: {i}"))),
        other => Err(FuncError::new(format!("cannot index slice/array with type {}", other.type_name()))),
    }
}

fn print(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, gofmt::sprint(args))
}

fn printf(call: &mut Call, args: &[Value]) -> FuncResult {
    let format = string_arg(args, 0)?;
    string_result(call, gofmt::sprintf(format, &args[1..]))
}

fn println(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, gofmt::sprintln(args))
}

/// Go's comparison of basic kinds: ints with ints, floats with floats, strings, booleans;
/// mixing kinds is an error, as is ordering booleans.
fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, FuncError> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => (x == y).then_some(Ordering::Equal),
        (Value::Nil, Value::Nil) => Some(Ordering::Equal),
        (Value::Time(x), Value::Time(y)) => (x == y).then_some(Ordering::Equal),
        // Pointers (`*semver.Version`) are equal when they point at the same value.
        (Value::Struct(x), Value::Struct(y)) if x.type_name.starts_with('*') && x.type_name == y.type_name => {
            std::sync::Arc::ptr_eq(x, y).then_some(Ordering::Equal)
        }
        (Value::List(_) | Value::Map(_), _) | (_, Value::List(_) | Value::Map(_)) => {
            return Err(FuncError::new("non-comparable types"));
        }
        (Value::Nil, _) | (_, Value::Nil) => None,
        _ => return Err(FuncError::new("incompatible types for comparison")),
    })
}

fn equal(a: &Value, b: &Value) -> Result<bool, FuncError> {
    Ok(compare(a, b)? == Some(Ordering::Equal))
}

/// `eq a b c`: whether a equals any of the others.
fn eq(_: &mut Call, args: &[Value]) -> FuncResult {
    if args.len() < 2 {
        return Err(FuncError::new("missing argument for comparison"));
    }
    for other in &args[1..] {
        if equal(&args[0], other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(!equal(&args[0], &args[1])?))
}

fn ordered(args: &[Value]) -> Result<Ordering, FuncError> {
    if matches!(args[0], Value::Bool(_) | Value::Nil | Value::Time(_) | Value::Struct(_)) {
        return Err(FuncError::new("invalid type for comparison"));
    }
    compare(&args[0], &args[1])?.ok_or_else(|| FuncError::new("invalid type for comparison"))
}

fn lt(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(ordered(args)? == Ordering::Less))
}

fn le(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(ordered(args)? != Ordering::Greater))
}

fn gt(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(ordered(args)? == Ordering::Greater))
}

fn ge(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(ordered(args)? != Ordering::Less))
}

/// The text of the arguments as the escapers see it: one string argument as is, else Sprint.
fn joined(args: &[Value]) -> String {
    match args {
        [Value::Str(s)] => s.clone(),
        _ => gofmt::sprint(args),
    }
}

/// `template.HTMLEscapeString`.
fn html(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = String::new();
    for c in joined(args).chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    string_result(call, out)
}

/// `template.JSEscapeString`.
fn js(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = String::new();
    for c in joined(args).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            // Control bytes, and any non-ASCII character Go's unicode.IsPrint refuses.
            c if (c as u32) < 0x20 || (!c.is_ascii() && !gofmt::is_print(c)) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    string_result(call, out)
}

/// `url.QueryEscape`.
fn urlquery(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = String::new();
    for b in joined(args).bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    string_result(call, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(f: fn(&mut Call, &[Value]) -> FuncResult, args: &[Value]) -> FuncResult {
        f(&mut Call::new(Utc::now()), args)
    }

    #[test]
    fn comparisons_follow_go_kinds() {
        assert_eq!(run(eq, &[Value::Int(1), Value::Int(2), Value::Int(1)]), Ok(Value::Bool(true)));
        assert_eq!(run(eq, &[Value::str("a"), Value::str("b")]), Ok(Value::Bool(false)));
        assert!(run(eq, &[Value::Int(1), Value::Float(1.0)]).is_err());
        assert_eq!(run(lt, &[Value::str("a"), Value::str("b")]), Ok(Value::Bool(true)));
        assert_eq!(run(ge, &[Value::Float(2.5), Value::Float(2.5)]), Ok(Value::Bool(true)));
        assert!(run(lt, &[Value::Bool(true), Value::Bool(false)]).is_err());
        assert_eq!(run(ne, &[Value::Nil, Value::str("x")]), Ok(Value::Bool(true)));
    }

    #[test]
    fn index_reaches_into_lists_maps_and_strings() {
        let list = Value::list(vec![Value::list(vec![Value::str("a"), Value::str("b")])]);
        assert_eq!(run(index, &[list.clone(), Value::Int(0), Value::Int(1)]), Ok(Value::str("b")));
        assert!(run(index, &[list, Value::Int(3)]).unwrap_err().0.contains("out of range"));
        let map = Value::map([("k".to_owned(), Value::Int(7))].into());
        assert_eq!(run(index, &[map.clone(), Value::str("k")]), Ok(Value::Int(7)));
        assert_eq!(run(index, &[map, Value::str("missing")]), Ok(Value::Nil));
        assert_eq!(run(index, &[Value::str("abc"), Value::Int(1)]), Ok(Value::Int(98)));
    }

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            run(html, &[Value::str("<a href=\"x\">'&'</a>")]),
            Ok(Value::str("&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"))
        );
        assert_eq!(run(js, &[Value::str("it's <b>\n")]), Ok(Value::str("it\\'s \\u003Cb\\u003E\\u000A")));
        assert_eq!(run(urlquery, &[Value::str("a b&c=d/é")]), Ok(Value::str("a+b%26c%3Dd%2F%C3%A9")));
    }

    #[test]
    fn len_counts_bytes_items_and_entries() {
        assert_eq!(run(len, &[Value::str("héllo")]), Ok(Value::Int(6)));
        assert_eq!(run(len, &[Value::list(vec![Value::Nil; 3])]), Ok(Value::Int(3)));
        assert!(run(len, &[Value::Int(3)]).is_err());
    }
}
