//! sprig's string functions (strings.go, regex.go, the goutils and xstrings helpers it wraps,
//! and the string conversions), with Go's semantics.
//!
//! Where Go slices strings by bytes (`substr`, `trunc`, `abbrev`, `wrapWith`) and a cut lands
//! inside a character, Go emits the broken bytes; here they become U+FFFD. goutils works on
//! bytes in `nospace` and `initials`, so non-ASCII text comes out as Go prints it (Latin-1
//! mojibake), on purpose. Regular expressions use the regex crate with RE2's ASCII-only `\d \w
//! \s \b`; sprig's non-`must` regex functions panic on a bad pattern, which text/template turns
//! into an error, so they fail here too (except `regexMatch`, which returns false).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rand::Rng;
use regex::{Captures, Regex, RegexBuilder};

use super::super::gofmt;
use super::super::value::{Elem, Value};
use super::{
    Call, Func, FuncError, FuncResult, check_count, func, int_arg, limits, string_arg, string_result, typed_list_result,
};

pub(super) const FUNCS: &[Func] = &[
    func!("trim", 1, trim),
    func!("trimAll", 2, trim_all),
    func!("trimall", 2, trim_all),
    func!("trimPrefix", 2, trim_prefix),
    func!("trimSuffix", 2, trim_suffix),
    func!("upper", 1, upper),
    func!("lower", 1, lower),
    func!("title", 1, title),
    func!("untitle", 1, untitle),
    func!("repeat", 2, repeat),
    func!("substr", 3, substr),
    func!("nospace", 1, nospace),
    func!("trunc", 2, trunc),
    func!("abbrev", 2, abbrev),
    func!("abbrevboth", 3, abbrevboth),
    func!("initials", 1, initials),
    func!("randAlphaNum", 1, rand_alpha_num),
    func!("randAlpha", 1, rand_alpha),
    func!("randAscii", 1, rand_ascii),
    func!("randNumeric", 1, rand_numeric),
    func!("wrap", 2, wrap),
    func!("wrapWith", 3, wrap_with),
    func!("contains", 2, contains),
    func!("hasPrefix", 2, has_prefix),
    func!("hasSuffix", 2, has_suffix),
    func!("quote", 0.., quote),
    func!("squote", 0.., squote),
    func!("cat", 0.., cat),
    func!("indent", 2, indent),
    func!("nindent", 2, nindent),
    func!("replace", 3, replace),
    func!("plural", 3, plural),
    func!("snakecase", 1, snakecase),
    func!("camelcase", 1, camelcase),
    func!("kebabcase", 1, kebabcase),
    func!("swapcase", 1, swapcase),
    func!("shuffle", 1, shuffle),
    func!("regexMatch", 2, regex_match),
    func!("mustRegexMatch", 2, must_regex_match),
    func!("regexFindAll", 3, regex_find_all),
    func!("mustRegexFindAll", 3, must_regex_find_all),
    func!("regexFind", 2, regex_find),
    func!("mustRegexFind", 2, must_regex_find),
    func!("regexReplaceAll", 3, regex_replace_all),
    func!("mustRegexReplaceAll", 3, must_regex_replace_all),
    func!("regexReplaceAllLiteral", 3, regex_replace_all_literal),
    func!("mustRegexReplaceAllLiteral", 3, must_regex_replace_all_literal),
    func!("regexSplit", 3, regex_split),
    func!("mustRegexSplit", 3, must_regex_split),
    func!("regexQuoteMeta", 1, regex_quote_meta),
    func!("split", 2, split),
    func!("splitList", 2, split_list),
    func!("splitn", 3, splitn),
    func!("join", 2, join),
    func!("sortAlpha", 1, sort_alpha),
    func!("toString", 1, to_string),
    func!("toStrings", 1, to_strings),
    func!("atoi", 1, atoi),
    func!("int", 1, to_int),
    func!("int64", 1, to_int),
    func!("float64", 1, to_float64),
    func!("toDecimal", 1, to_decimal),
    func!("base", 1, path_base),
    func!("dir", 1, path_dir),
    func!("clean", 1, path_clean),
    func!("ext", 1, path_ext),
    func!("isAbs", 1, path_is_abs),
    // filepath's, which on Linux are path's.
    func!("osBase", 1, path_base),
    func!("osDir", 1, path_dir),
    func!("osClean", 1, path_clean),
    func!("osExt", 1, path_ext),
    func!("osIsAbs", 1, path_is_abs),
    func!("hello", 0, hello),
];

// ---- trimming and case ----

fn trim(call: &mut Call, args: &[Value]) -> FuncResult {
    // strings.TrimSpace and str::trim share Unicode's White_Space set.
    string_result(call, string_arg(args, 0)?.trim().to_owned())
}

/// `trimAll cutset s`: strings.Trim, which strips characters in the set, not a prefix.
fn trim_all(call: &mut Call, args: &[Value]) -> FuncResult {
    let cutset = string_arg(args, 0)?;
    string_result(call, string_arg(args, 1)?.trim_matches(|c| cutset.contains(c)).to_owned())
}

fn trim_prefix(call: &mut Call, args: &[Value]) -> FuncResult {
    let (prefix, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    string_result(call, s.strip_prefix(prefix).unwrap_or(s).to_owned())
}

fn trim_suffix(call: &mut Call, args: &[Value]) -> FuncResult {
    let (suffix, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    string_result(call, s.strip_suffix(suffix).unwrap_or(s).to_owned())
}

fn upper(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, string_arg(args, 0)?.chars().map(to_upper).collect())
}

fn lower(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, string_arg(args, 0)?.chars().map(to_lower).collect())
}

/// strings.Title: the first letter after a separator (anything but a letter, digit or `_`
/// in ASCII; only white space beyond) is title-cased.
fn title(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut prev = ' ';
    let is_separator =
        |c: char| if c.is_ascii() { !(c.is_ascii_alphanumeric() || c == '_') } else { c.is_whitespace() };
    let out = string_arg(args, 0)?
        .chars()
        .map(|c| {
            let out = if is_separator(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect();
    string_result(call, out)
}

/// goutils.Uncapitalize: the first character of each white-space separated word lowercased.
fn untitle(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut next = true;
    let out = string_arg(args, 0)?
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                next = true;
                c
            } else if std::mem::replace(&mut next, false) {
                to_lower(c)
            } else {
                c
            }
        })
        .collect();
    string_result(call, out)
}

/// goutils.SwapCase: upper and title case become lower; lower case becomes title case at the
/// start of a word and upper case elsewhere.
fn swapcase(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut word_start = true;
    let mut out = String::new();
    for c in string_arg(args, 0)?.chars() {
        if is_upper(c) || is_title(c) {
            out.push(to_lower(c));
            word_start = false;
        } else if is_lower(c) {
            out.push(if std::mem::replace(&mut word_start, false) { to_title(c) } else { to_upper(c) });
        } else {
            word_start = c.is_whitespace();
            out.push(c);
        }
    }
    string_result(call, out)
}

// ---- repetition, slicing, abbreviation ----

fn repeat(call: &mut Call, args: &[Value]) -> FuncResult {
    let (count, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    let count = usize::try_from(count).map_err(|_| FuncError::new("strings: negative Repeat count"))?;
    // Refused before allocating: `repeat 1000000000 "x"` must not try.
    let size = s.len().saturating_mul(count);
    if size > limits::MAX_STRING {
        return Err(too_long(size));
    }
    string_result(call, s.repeat(count))
}

/// `substr start end s` with sprig's rules: a negative start means from 0, a negative or
/// too large end means to the end; what Go's slicing would panic on is an error.
fn substr(call: &mut Call, args: &[Value]) -> FuncResult {
    let (start, end, s) = (int_arg(args, 0)?, int_arg(args, 1)?, string_arg(args, 2)?);
    let len = s.len() as i64;
    let (from, to) = if start < 0 {
        if end < 0 {
            return Err(out_of_range(format!("[:{end}]")));
        }
        if end > len {
            return Err(out_of_range(format!("[:{end}] with length {len}")));
        }
        (0, end)
    } else if end < 0 || end > len {
        if start > len {
            return Err(out_of_range(format!("[{start}:{len}]")));
        }
        (start, len)
    } else {
        if start > end {
            return Err(out_of_range(format!("[{start}:{end}]")));
        }
        (start, end)
    };
    string_result(call, byte_slice(s, from as usize, to as usize))
}

/// `trunc n s`: the first n bytes, or with a negative n the last -n.
fn trunc(call: &mut Call, args: &[Value]) -> FuncResult {
    let (c, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    let len = s.len() as i64;
    let out = if c < 0 && len + c > 0 {
        byte_slice(s, (len + c) as usize, s.len())
    } else if c >= 0 && len > c {
        byte_slice(s, 0, c as usize)
    } else {
        s.to_owned()
    };
    string_result(call, out)
}

fn abbrev(call: &mut Call, args: &[Value]) -> FuncResult {
    let (width, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    if width < 4 {
        return string_result(call, s.to_owned());
    }
    let out = abbreviate(s.as_bytes(), 0, width).unwrap_or_default();
    string_result(call, String::from_utf8_lossy(&out).into_owned())
}

fn abbrevboth(call: &mut Call, args: &[Value]) -> FuncResult {
    let (left, right, s) = (int_arg(args, 0)?, int_arg(args, 1)?, string_arg(args, 2)?);
    if right < 4 || left > 0 && right < 7 {
        return string_result(call, s.to_owned());
    }
    // sprig ignores goutils' error and returns its empty result.
    let out = abbreviate(s.as_bytes(), left, right).unwrap_or_default();
    string_result(call, String::from_utf8_lossy(&out).into_owned())
}

/// goutils.AbbreviateFull on bytes, with Go's wrapping int arithmetic; None is its error.
fn abbreviate(s: &[u8], offset: i64, max_width: i64) -> Option<Vec<u8>> {
    const MARKER: &[u8] = b"...";
    if s.is_empty() {
        return Some(Vec::new());
    }
    if max_width < 4 {
        return None;
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Some(s.to_vec());
    }
    let keep = max_width - 3;
    let mut offset = offset.min(len);
    if len.wrapping_sub(offset) < keep {
        offset = len - keep;
    }
    if offset <= 4 {
        return Some([s.get(..keep as usize)?, MARKER].concat());
    }
    if max_width < 7 {
        return None;
    }
    if offset.wrapping_add(keep) < len {
        let rest = abbreviate(s.get(offset as usize..)?, 0, keep).unwrap_or_default();
        return Some([MARKER, &rest].concat());
    }
    Some([MARKER, s.get((len - keep) as usize..)?].concat())
}

/// goutils.DeleteWhiteSpace, which walks bytes: unchanged if no byte is white space,
/// otherwise every other byte re-encoded as the Latin-1 character of that value.
fn nospace(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = string_arg(args, 0)?;
    let is_space = |b: &u8| char::from(*b).is_whitespace();
    if !s.as_bytes().iter().any(is_space) {
        return string_result(call, s.to_owned());
    }
    string_result(call, s.as_bytes().iter().filter(|b| !is_space(b)).map(|&b| char::from(b)).collect())
}

/// goutils.Initials, also byte-wise: the first byte of each white-space separated word.
fn initials(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut gap = true;
    let mut out = String::new();
    for c in string_arg(args, 0)?.bytes().map(char::from) {
        if c.is_whitespace() {
            gap = true;
        } else if std::mem::replace(&mut gap, false) {
            out.push(c);
        }
    }
    string_result(call, out)
}

// ---- random strings (crypto-grade: rand::rng() is a reseeded ChaCha CSPRNG) ----

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHA_NUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const NUMERIC: &[u8] = b"0123456789";

fn rand_alpha_num(call: &mut Call, args: &[Value]) -> FuncResult {
    random_string(call, args, ALPHA_NUM)
}

fn rand_alpha(call: &mut Call, args: &[Value]) -> FuncResult {
    random_string(call, args, ALPHA)
}

fn rand_numeric(call: &mut Call, args: &[Value]) -> FuncResult {
    random_string(call, args, NUMERIC)
}

fn rand_ascii(call: &mut Call, args: &[Value]) -> FuncResult {
    let printable: Vec<u8> = (b' '..=b'~').collect();
    random_string(call, args, &printable)
}

/// `count` characters drawn uniformly from `alphabet`; a negative count is "" as in sprig
/// (which drops goutils' error).
fn random_string(call: &mut Call, args: &[Value], alphabet: &[u8]) -> FuncResult {
    let count = usize::try_from(int_arg(args, 0)?).unwrap_or(0);
    if count > limits::MAX_STRING {
        return Err(too_long(count));
    }
    let mut rng = rand::rng();
    let out = (0..count).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect();
    string_result(call, out)
}

fn shuffle(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut chars: Vec<char> = string_arg(args, 0)?.chars().collect();
    let mut rng = rand::rng();
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    string_result(call, chars.into_iter().collect())
}

// ---- wrapping, indenting, replacing ----

fn wrap(call: &mut Call, args: &[Value]) -> FuncResult {
    let (width, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    string_result(call, wrap_custom(s, width, "", false)?)
}

fn wrap_with(call: &mut Call, args: &[Value]) -> FuncResult {
    let (width, newline, s) = (int_arg(args, 0)?, string_arg(args, 1)?, string_arg(args, 2)?);
    string_result(call, wrap_custom(s, width, newline, true)?)
}

/// goutils.WrapCustom: breaks at the last space within `width` bytes, dropping spaces that
/// start a line; words longer than the width are cut (`wrap_long`) or left whole.
fn wrap_custom(s: &str, width: i64, newline: &str, wrap_long: bool) -> Result<String, FuncError> {
    let newline = if newline.is_empty() { b"\n".as_slice() } else { newline.as_bytes() };
    let width = usize::try_from(width.max(1)).unwrap_or(usize::MAX);
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut offset = 0;
    while b.len() - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        // Here offset + width + 1 <= len.
        let line = &b[offset..offset + width + 1];
        if let Some(space) = line.iter().rposition(|&c| c == b' ') {
            out.extend_from_slice(&b[offset..offset + space]);
            out.extend_from_slice(newline);
            offset += space + 1;
        } else if wrap_long {
            out.extend_from_slice(&b[offset..offset + width]);
            out.extend_from_slice(newline);
            offset += width;
        } else {
            let end = offset + width;
            match b[end..].iter().position(|&c| c == b' ') {
                Some(space) => {
                    out.extend_from_slice(&b[offset..end + space]);
                    out.extend_from_slice(newline);
                    offset = end + space + 1;
                }
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = b.len();
                }
            }
        }
        if out.len() > limits::MAX_STRING {
            return Err(too_long(out.len()));
        }
    }
    out.extend_from_slice(&b[offset..]);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn indent(call: &mut Call, args: &[Value]) -> FuncResult {
    let (spaces, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    string_result(call, indented(spaces, s)?)
}

fn nindent(call: &mut Call, args: &[Value]) -> FuncResult {
    let (spaces, s) = (int_arg(args, 0)?, string_arg(args, 1)?);
    string_result(call, format!("\n{}", indented(spaces, s)?))
}

/// Every line of `s` prefixed with `spaces` spaces; the size is checked before building it.
fn indented(spaces: i64, s: &str) -> Result<String, FuncError> {
    let spaces = usize::try_from(spaces).map_err(|_| FuncError::new("strings: negative Repeat count"))?;
    let lines = s.bytes().filter(|&b| b == b'\n').count() + 1;
    let size = lines.checked_mul(spaces).and_then(|n| n.checked_add(s.len())).unwrap_or(usize::MAX);
    if size > limits::MAX_STRING {
        return Err(too_long(size));
    }
    let pad = " ".repeat(spaces);
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

/// `replace old new s`: strings.Replace with no limit. An empty `old` inserts `new` around
/// every character, as in Go.
fn replace(call: &mut Call, args: &[Value]) -> FuncResult {
    let (old, new, s) = (string_arg(args, 0)?, string_arg(args, 1)?, string_arg(args, 2)?);
    let count = if old.is_empty() { s.chars().count() + 1 } else { s.matches(old).count() };
    let size = (s.len() - count * old.len()).checked_add(count.saturating_mul(new.len()));
    match size {
        Some(size) if size <= limits::MAX_STRING => string_result(call, s.replace(old, new)),
        size => Err(too_long(size.unwrap_or(usize::MAX))),
    }
}

fn plural(call: &mut Call, args: &[Value]) -> FuncResult {
    let (one, many, count) = (string_arg(args, 0)?, string_arg(args, 1)?, int_arg(args, 2)?);
    string_result(call, if count == 1 { one } else { many }.to_owned())
}

// ---- predicates ----

fn contains(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 1)?.contains(string_arg(args, 0)?)))
}

fn has_prefix(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 1)?.starts_with(string_arg(args, 0)?)))
}

fn has_suffix(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 1)?.ends_with(string_arg(args, 0)?)))
}

// ---- quoting and joining any values ----

/// Joins what `each` makes of the non-nil arguments with spaces, refusing oversized results
/// as it goes.
fn join_non_nil(call: &mut Call, args: &[Value], each: impl Fn(&Value) -> String) -> FuncResult {
    let mut out = String::new();
    for (i, arg) in args.iter().filter(|a| !matches!(a, Value::Nil)).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&each(arg));
        if out.len() > limits::MAX_STRING {
            return Err(too_long(out.len()));
        }
    }
    string_result(call, out)
}

fn quote(call: &mut Call, args: &[Value]) -> FuncResult {
    join_non_nil(call, args, |v| gofmt::quote(&Value::to_str(v)))
}

fn squote(call: &mut Call, args: &[Value]) -> FuncResult {
    join_non_nil(call, args, |v| format!("'{}'", gofmt::sprint(std::slice::from_ref(v))))
}

fn cat(call: &mut Call, args: &[Value]) -> FuncResult {
    join_non_nil(call, args, |v| gofmt::sprint(std::slice::from_ref(v)))
}

/// sprig's `strslice`: a list's non-nil items as strings, nil as no strings, anything else as
/// one string. Each string is charged as it is made, so a big list cannot multiply memory.
fn strslice(call: &mut Call, v: &Value) -> Result<Vec<String>, FuncError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::List(items) => items
            .iter()
            .filter(|item| !matches!(item, Value::Nil))
            .map(|item| {
                let s = Value::to_str(item);
                call.charge(s.len())?;
                Ok(s)
            })
            .collect(),
        other => Ok(vec![Value::to_str(other)]),
    }
}

/// `join sep list`: a list's items (or a single value) as strings, joined.
fn join(call: &mut Call, args: &[Value]) -> FuncResult {
    let sep = string_arg(args, 0)?;
    let parts = strslice(call, args.get(1).unwrap_or(&Value::Nil))?;
    let size = parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len().saturating_sub(1);
    if size > limits::MAX_STRING {
        return Err(too_long(size));
    }
    string_result(call, parts.join(sep))
}

/// `sortAlpha list`: the items as sorted strings; a non-list is a one-item list.
fn sort_alpha(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut parts = match args.first() {
        Some(v @ Value::List(_)) => strslice(call, v)?,
        other => vec![Value::to_str(other.unwrap_or(&Value::Nil))],
    };
    parts.sort_unstable();
    typed_list_result(call, Elem::Str, parts.into_iter().map(Value::Str).collect())
}

fn to_string(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, Value::to_str(args.first().unwrap_or(&Value::Nil)))
}

fn to_strings(call: &mut Call, args: &[Value]) -> FuncResult {
    let parts = strslice(call, args.first().unwrap_or(&Value::Nil))?;
    typed_list_result(call, Elem::Str, parts.into_iter().map(Value::Str).collect())
}

// ---- splitting ----

/// `split sep s`: the parts of strings.Split as a map keyed `_0`, `_1`, ...
fn split(call: &mut Call, args: &[Value]) -> FuncResult {
    let (sep, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    indexed_map(call, go_split(s, sep, -1)?)
}

fn splitn(call: &mut Call, args: &[Value]) -> FuncResult {
    let (sep, n, s) = (string_arg(args, 0)?, int_arg(args, 1)?, string_arg(args, 2)?);
    indexed_map(call, go_split(s, sep, n)?)
}

fn split_list(call: &mut Call, args: &[Value]) -> FuncResult {
    let (sep, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    let parts = go_split(s, sep, -1)?;
    typed_list_result(call, Elem::Str, parts.into_iter().map(Value::str).collect())
}

fn indexed_map(call: &mut Call, parts: Vec<&str>) -> FuncResult {
    call.charge(parts.len())?;
    let entries: BTreeMap<String, Value> =
        parts.into_iter().enumerate().map(|(i, part)| (format!("_{i}"), Value::str(part))).collect();
    Ok(Value::typed_map(Elem::Str, entries))
}

/// strings.SplitN: at most n parts (all for n < 0, none for 0); an empty separator splits
/// between characters. The part count is checked before any part is made.
fn go_split<'s>(s: &'s str, sep: &str, n: i64) -> Result<Vec<&'s str>, FuncError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let available = if sep.is_empty() { s.chars().count() } else { s.matches(sep).count() + 1 };
    let count = if n < 0 { available } else { available.min(usize::try_from(n).unwrap_or(usize::MAX)) };
    check_count(count)?;
    if !sep.is_empty() {
        return Ok(s.splitn(count, sep).collect());
    }
    // The first count - 1 characters, then the rest.
    let mut parts: Vec<&str> = Vec::with_capacity(count);
    let mut rest = s;
    while parts.len() + 1 < count {
        let Some(c) = rest.chars().next() else { break };
        let (head, tail) = rest.split_at(c.len_utf8());
        parts.push(head);
        rest = tail;
    }
    if count > 0 {
        parts.push(rest);
    }
    Ok(parts)
}

// ---- conversions ----

/// `atoi s`: strconv.Atoi; a syntax error is 0, an out-of-range number saturates (Go returns
/// the bound along with the error sprig drops).
fn atoi(_: &mut Call, args: &[Value]) -> FuncResult {
    let value = match parse_int(string_arg(args, 0)?, 10) {
        Ok(n) | Err(Some(n)) => n,
        Err(None) => 0,
    };
    Ok(Value::Int(value))
}

/// `int`/`int64`: cast.ToInt64.
fn to_int(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args.first().map_or(0, Value::to_i64)))
}

/// `float64`: cast.ToFloat64.
fn to_float64(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Float(args.first().map_or(0.0, Value::to_f64)))
}

/// `toDecimal v`: the `%v` text of v read as an octal number (Unix modes); 0 if it is not one.
fn to_decimal(_: &mut Call, args: &[Value]) -> FuncResult {
    let text = gofmt::sprint(std::slice::from_ref(args.first().unwrap_or(&Value::Nil)));
    Ok(Value::Int(parse_int(&text, 8).unwrap_or(0)))
}

/// strconv.ParseInt(s, base, 64) for an explicit base: an optional sign and digits, no
/// prefixes or underscores. Errors are None for syntax, Some(bound) for range.
fn parse_int(s: &str, base: u32) -> Result<i64, Option<i64>> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(None);
    }
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(base).ok_or(None)?;
        // Go stops at the first overflow, whatever follows.
        match n.checked_mul(u64::from(base)).and_then(|n| n.checked_add(u64::from(d))) {
            Some(next) => n = next,
            None => return Err(Some(if negative { i64::MIN } else { i64::MAX })),
        }
    }
    if negative {
        if n > i64::MIN.unsigned_abs() { Err(Some(i64::MIN)) } else { Ok(0i64.wrapping_sub_unsigned(n)) }
    } else {
        i64::try_from(n).map_err(|_| Some(i64::MAX))
    }
}

// ---- case conversion (xstrings 1.3, as sprig 3.2 uses) ----

fn snakecase(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, camel_to_lower(string_arg(args, 0)?, '_'))
}

fn kebabcase(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, camel_to_lower(string_arg(args, 0)?, '-'))
}

/// xstrings.ToCamelCase (xstrings 1.3.3, which sprig 3.2.3 pins): words separated by `_`,
/// `-` or white space joined, each capitalized and the rest of each word lowercased; leading
/// and doubled connectors stay, and, as there, a string of connectors only gets its last one
/// twice (`"_"` -> `"__"`).
fn camelcase(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = string_arg(args, 0)?;
    let is_connector = |c: char| c == '-' || c == '_' || c.is_whitespace();
    let mut out = String::with_capacity(s.len() + 1);
    let mut chars = s.chars().peekable();
    let Some(mut r0) = chars.peek().copied() else { return string_result(call, out) };
    for c in chars.by_ref() {
        r0 = c;
        if !is_connector(c) {
            r0 = to_upper(c);
            break;
        }
        out.push(c);
    }
    if chars.peek().is_none() {
        out.push(r0);
        return string_result(call, out);
    }
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = to_upper(r0);
        } else {
            r0 = to_lower(r0);
            out.push(r1);
        }
    }
    out.push(r0);
    string_result(call, out)
}

/// The kinds of word xstrings 1.3.3's `nextWord` splits a string into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Go's `utf8.RuneError` (U+FFFD, as our strings hold invalid bytes), or the end.
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `isConnector`: `-`, `_` and white space.
fn is_word_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// xstrings' `isAlphabet`: letters, but not CJK ideographs.
fn is_alphabet(c: char) -> bool {
    is_letter(c) && !matches!(u32::from(c), 0x4E00..=0x9FCC | 0x3400..=0x4D85 | 0x2_0000..=0x2_B81D)
}

/// xstrings' `nextValidRune`: the next character that is not U+FFFD and how many characters
/// that took; `prev` if there is none.
fn next_valid(s: &[char], prev: char) -> (char, usize) {
    s.iter().position(|&c| c != '\u{fffd}').map_or((prev, s.len()), |i| (s[i], i + 1))
}

/// Whether the next character of `s[offset..]` keeps a word going, by `keep`; moves past it if so.
fn extend_word(s: &[char], offset: &mut usize, mut r: char, keep: impl Fn(char) -> bool) {
    while *offset < s.len() {
        let (next, size) = next_valid(&s[*offset..], r);
        r = next;
        if !keep(r) {
            break;
        }
        *offset += size;
    }
}

/// xstrings' `nextWord`: the kind of the first word of `s` and its length.
fn next_word(s: &[char]) -> (Word, usize) {
    if s.is_empty() {
        return (Word::Invalid, 0);
    }
    let (r, size) = next_valid(s, '\u{fffd}');
    let mut offset = size;
    if r == '\u{fffd}' {
        return (Word::Invalid, offset);
    }
    let kind = if is_word_connector(r) {
        extend_word(s, &mut offset, r, is_word_connector);
        Word::Connector
    } else if is_punct(r) {
        extend_word(s, &mut offset, r, is_punct);
        Word::Punct
    } else if is_upper(r) {
        if offset < s.len() {
            let (mut r, size) = next_valid(&s[offset..], r);
            if is_upper(r) {
                // A run of capitals; "HTTPStatus" is "HTTP" then "Status".
                let mut prev_size = size;
                offset += size;
                while offset < s.len() {
                    let (next, size) = next_valid(&s[offset..], r);
                    r = next;
                    if !is_upper(r) {
                        break;
                    }
                    prev_size = size;
                    offset += size;
                }
                if offset < s.len() && is_alphabet(r) {
                    offset -= prev_size;
                }
            } else if is_alphabet(r) {
                offset += size;
                extend_word(s, &mut offset, r, |c| is_alphabet(c) && !is_upper(c));
            }
        }
        Word::Upper
    } else if is_alphabet(r) {
        extend_word(s, &mut offset, r, |c| is_alphabet(c) && !is_upper(c));
        Word::Alphabet
    } else if is_number(r) {
        extend_word(s, &mut offset, r, is_number);
        Word::Number
    } else {
        extend_word(s, &mut offset, r, |c| !(is_word_connector(c) || is_alphabet(c) || is_number(c) || is_punct(c)));
        Word::Other
    };
    (kind, offset)
}

/// The next word of `rest`, which moves past it.
fn take_word<'a>(rest: &mut &'a [char]) -> (Word, &'a [char]) {
    let (kind, len) = next_word(rest);
    let (word, remaining) = rest.split_at(len.min(rest.len()));
    *rest = remaining;
    (kind, word)
}

/// xstrings' `toLower`: capitals lowered and connectors replaced in capital and connector
/// words; other words as they are.
fn push_lower(out: &mut String, kind: Word, word: &[char], connector: char) {
    if kind != Word::Upper && kind != Word::Connector {
        out.extend(word);
        return;
    }
    for &c in word {
        out.push(if is_word_connector(c) {
            connector
        } else if is_upper(c) {
            to_lower(c)
        } else {
            c
        });
    }
}

/// xstrings 1.3.3's `camelCaseToLowerCase` (snakecase, kebabcase): the string split into
/// words (runs of capitals, lower-case letters, numbers, punctuation, connectors), lowered
/// and joined by `connector`, with numbers kept with the word before them (`Bld4Floor` ->
/// `bld4_floor`) unless lower-case letters follow (`HTTP2xx` -> `http_2xx`).
fn camel_to_lower(s: &str, connector: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    let mut rest = chars.as_slice();
    if rest.is_empty() {
        return out;
    }
    let (mut kind, mut word) = take_word(&mut rest);
    while !rest.is_empty() {
        if kind != Word::Connector {
            push_lower(&mut out, kind, word, connector);
        }
        let (prev, last) = (kind, word);
        (kind, word) = take_word(&mut rest);
        match prev {
            Word::Number => {
                while kind == Word::Alphabet || kind == Word::Number {
                    push_lower(&mut out, kind, word, connector);
                    (kind, word) = take_word(&mut rest);
                }
                if !matches!(kind, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ if kind != Word::Number => {
                if kind != Word::Connector && kind != Word::Punct {
                    out.push(connector);
                }
            }
            _ if rest.is_empty() => {}
            _ => {
                let number = word;
                (kind, word) = take_word(&mut rest);
                if kind != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, connector);
                    if kind != Word::Connector && kind != Word::Punct {
                        out.push(connector);
                    }
                } else {
                    out.push(connector);
                    push_lower(&mut out, Word::Number, number, connector);
                    while kind == Word::Alphabet || kind == Word::Number {
                        push_lower(&mut out, kind, word, connector);
                        (kind, word) = take_word(&mut rest);
                    }
                    if !matches!(kind, Word::Invalid | Word::Connector | Word::Punct) {
                        out.push(connector);
                    }
                }
            }
        }
    }
    push_lower(&mut out, kind, word, connector);
    out
}

// ---- Go's unicode package ----

/// General categories beyond ASCII, from the regex crate's Unicode tables (std has none).
struct Categories {
    upper: Regex,
    lower: Regex,
    title: Regex,
    letter: Regex,
    digit: Regex,
    number: Regex,
    punct: Regex,
}

static CATEGORIES: LazyLock<Option<Categories>> = LazyLock::new(|| {
    let class = |name: &str| Regex::new(&format!(r"\A\p{{{name}}}\z")).ok();
    Some(Categories {
        upper: class("Lu")?,
        lower: class("Ll")?,
        title: class("Lt")?,
        letter: class("L")?,
        digit: class("Nd")?,
        number: class("N")?,
        punct: class("P")?,
    })
});

/// Whether non-ASCII `c` is in the category `pick` selects; `fallback` if the tables are missing.
fn in_category(c: char, pick: fn(&Categories) -> &Regex, fallback: fn(char) -> bool) -> bool {
    match CATEGORIES.as_ref() {
        Some(categories) => pick(categories).is_match(c.encode_utf8(&mut [0; 4])),
        None => fallback(c),
    }
}

/// unicode.IsUpper (category Lu; Rust's is_uppercase also counts Ⓐ and Roman numerals).
fn is_upper(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_uppercase() } else { in_category(c, |t| &t.upper, char::is_uppercase) }
}

fn is_lower(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_lowercase() } else { in_category(c, |t| &t.lower, char::is_lowercase) }
}

fn is_title(c: char) -> bool {
    !c.is_ascii() && in_category(c, |t| &t.title, |_| false)
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphabetic() } else { in_category(c, |t| &t.letter, char::is_alphabetic) }
}

fn is_digit(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { in_category(c, |t| &t.digit, char::is_numeric) }
}

/// unicode.IsPunct (category P: `$`, `+`, `<` and the like are symbols, not punctuation).
fn is_punct(c: char) -> bool {
    in_category(c, |t| &t.punct, |c| c.is_ascii_punctuation())
}

fn is_number(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { in_category(c, |t| &t.number, char::is_numeric) }
}

/// unicode.ToUpper: Go maps one character to one (`ß` stays `ß`, not `SS`).
fn to_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        // Greek letters with ypogegrammeni: Rust gives two characters, Go the titlecase one.
        _ => match u32::from(c) {
            0x1f80..=0x1f87 | 0x1f90..=0x1f97 | 0x1fa0..=0x1fa7 => char::from_u32(u32::from(c) + 8).unwrap_or(c),
            0x1fb3 => '\u{1fbc}',
            0x1fc3 => '\u{1fcc}',
            0x1ff3 => '\u{1ffc}',
            _ => c,
        },
    }
}

/// unicode.ToLower: one character to one (`İ` becomes `i`).
fn to_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// unicode.ToTitle: upper case, except the digraphs (`ǆ` -> `ǅ`), Georgian and the Greek
/// titlecase letters, whose title form differs.
fn to_title(c: char) -> char {
    match u32::from(c) {
        0x1c4..=0x1c6 => '\u{1c5}',
        0x1c7..=0x1c9 => '\u{1c8}',
        0x1ca..=0x1cc => '\u{1cb}',
        0x1f1..=0x1f3 => '\u{1f2}',
        0x10d0..=0x10fa | 0x10fd..=0x10ff => c,
        0x1f88..=0x1f8f | 0x1f98..=0x1f9f | 0x1fa8..=0x1faf | 0x1fbc | 0x1fcc | 0x1ffc => c,
        _ => to_upper(c),
    }
}

// ---- regular expressions ----

/// How much compiled program one pattern may take (the regex crate's default is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a pattern did not compile, in Go's words where possible.
fn parse_error(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(_) => "error parsing regexp: expression too large".into(),
        other => {
            let text = other.to_string();
            let detail = text.lines().last().unwrap_or("").trim_start_matches("error: ");
            format!("error parsing regexp: {detail}")
        }
    }
}

/// Compiles a Go (RE2) pattern; the error is what regexp.Compile returns.
fn compile(call: &mut Call, pattern: &str) -> Result<Regex, String> {
    call.charge(pattern.len()).map_err(|e| e.0)?;
    let translated = translate_go_regex(pattern).map_err(|e| format!("error parsing regexp: {e}"))?;
    RegexBuilder::new(&translated)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| parse_error(&e))
}

/// For the `must` functions: the compile error as the template error.
fn must_compile(call: &mut Call, pattern: &str) -> Result<Regex, FuncError> {
    compile(call, pattern).map_err(FuncError::new)
}

/// For the others: regexp.MustCompile's panic, which text/template reports as an error.
fn compile_or_panic(call: &mut Call, pattern: &str) -> Result<Regex, FuncError> {
    compile(call, pattern).map_err(|e| {
        let shown = if pattern.contains(['`', '\n', '\r']) { gofmt::quote(pattern) } else { format!("`{pattern}`") };
        FuncError::new(format!("regexp: Compile({shown}): {e}"))
    })
}

/// Rewrites RE2 syntax where the regex crate reads it differently: `\d \w \s \b` are ASCII
/// only in Go, `\Q...\E` quotes, a `{` that starts no repetition and a stray `}` are literal,
/// and inside a class `[`, `&` and `~` are plain characters (the crate nests classes and has
/// `&&`, `--`, `~~` set operations).
fn translate_go_regex(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    // Where the last repetition operator began, while nothing else has followed it.
    let mut last_repeat: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let repeat_start = last_repeat.take();
        if c == '\\' {
            let Some(&e) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            i += 2;
            match (e, in_class) {
                ('d', false) => out.push_str("[0-9]"),
                ('d', true) => out.push_str("0-9"),
                ('w', false) => out.push_str("[0-9A-Za-z_]"),
                ('w', true) => out.push_str("0-9A-Za-z_"),
                ('s', false) => out.push_str(r"[\t\n\f\r ]"),
                ('s', true) => out.push_str(r"\t\n\f\r "),
                ('D', _) => out.push_str("[^0-9]"),
                ('W', _) => out.push_str("[^0-9A-Za-z_]"),
                ('S', _) => out.push_str(r"[^\t\n\f\r ]"),
                ('b', false) => out.push_str(r"(?-u:\b)"),
                ('B', false) => out.push_str(r"(?-u:\B)"),
                ('Q', false) => {
                    let rest: String = chars[i..].iter().collect();
                    let (literal, after) = match rest.find(r"\E") {
                        Some(end) => (&rest[..end], rest[..end].chars().count() + 2),
                        None => (rest.as_str(), chars.len() - i),
                    };
                    out.push_str(&regex::escape(literal));
                    i += after;
                }
                ('p' | 'P' | 'x', _) if chars.get(i) == Some(&'{') => {
                    // \p{Greek}, \x{263a}: copy through the closing brace.
                    out.push('\\');
                    out.push(e);
                    while let Some(&c) = chars.get(i) {
                        out.push(c);
                        i += 1;
                        if c == '}' {
                            break;
                        }
                    }
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class such as [:alpha:], copied to its ":]".
                    let rest: String = chars[i..].iter().collect();
                    match rest.find(":]") {
                        Some(end) => {
                            out.push_str(&rest[..end + 2]);
                            i += rest[..end + 2].chars().count();
                            continue;
                        }
                        None => out.push_str(r"\["),
                    }
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        let repeat = match c {
            '*' | '+' | '?' => Some(1),
            '{' => repeat_len(&chars[i..]),
            _ => None,
        };
        if let Some(len) = repeat {
            // RE2 refuses stacked repetitions (`a**`, `a+{2}`); the regex crate accepts them.
            if let Some(start) = repeat_start {
                let ops: String = chars[start..i + len].iter().collect();
                return Err(format!("invalid nested repetition operator: `{ops}`"));
            }
            let start = i;
            out.extend(&chars[i..i + len]);
            i += len;
            // One `?` after a repetition makes it lazy.
            if chars.get(i) == Some(&'?') {
                out.push('?');
                i += 1;
            }
            last_repeat = Some(start);
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A ']' first in a class is a literal.
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            // Not a repetition (that was handled above): a literal brace.
            '{' => out.push_str(r"\{"),
            '}' => out.push_str(r"\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// The length of a Go repetition `{n}`, `{n,}` or `{n,m}` at the start of `chars`, if any.
fn repeat_len(chars: &[char]) -> Option<usize> {
    let digits = |from: usize| chars.iter().skip(from).take_while(|c| c.is_ascii_digit()).count();
    let min = digits(1);
    if min == 0 {
        return None;
    }
    let mut i = 1 + min;
    if chars.get(i) == Some(&',') {
        i += 1 + digits(i + 1);
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1)
}

/// Go's `allMatches`: successive matches, where an empty match right after a match is skipped.
/// Stops one past the item limit (the caller refuses that many).
fn all_matches(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let n = if n < 0 { s.len() + 1 } else { usize::try_from(n).unwrap_or(usize::MAX) };
    let n = n.min(limits::MAX_ITEMS + 2);
    let mut matches = Vec::new();
    let mut pos = 0;
    let mut prev_end = None;
    while matches.len() < n && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        let mut accept = true;
        if m.end() == pos {
            // An empty match: step over one character.
            if Some(m.start()) == prev_end {
                accept = false;
            }
            pos += s.get(pos..).and_then(|rest| rest.chars().next()).map_or(s.len() + 1, char::len_utf8);
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            matches.push((m.start(), m.end()));
        }
    }
    matches
}

/// Go's `replaceAll`: each match replaced, except an empty match right after a match.
fn replace_all(
    re: &Regex,
    src: &str,
    mut replacement: impl FnMut(&mut String, &Captures<'_>),
) -> Result<String, FuncError> {
    let mut out = String::new();
    let mut last_end = 0;
    let mut search = 0;
    while search <= src.len() {
        let Some(caps) = re.captures_at(src, search) else { break };
        let Some(m) = caps.get(0) else { break };
        out.push_str(src.get(last_end..m.start()).unwrap_or(""));
        if m.end() > last_end || m.start() == 0 {
            replacement(&mut out, &caps);
        }
        last_end = m.end();
        // Advance past this match, always by at least one character.
        let width = src.get(search..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
        search = if search + width > m.end() {
            search + width
        } else if search + 1 > m.end() {
            search + 1
        } else {
            m.end()
        };
        if out.len() > limits::MAX_STRING {
            return Err(too_long(out.len()));
        }
    }
    out.push_str(src.get(last_end..).unwrap_or(""));
    Ok(out)
}

/// Go's `Regexp.Expand` of `template` for one match: `$1`, `${1}`, `$name`, `${name}`, `$$`.
fn expand(out: &mut String, template: &str, re: &Regex, caps: &Captures<'_>) {
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some((name, after)) = expansion_name(rest) else {
            // Malformed: the $ is literal text.
            out.push('$');
            continue;
        };
        rest = after;
        let index = group_number(name).or_else(|| re.capture_names().position(|n| n == Some(name)));
        if let Some(m) = index.and_then(|i| caps.get(i)) {
            out.push_str(m.as_str());
        }
    }
    out.push_str(rest);
}

/// The name after a `$` (letters, digits, `_`; braces optional) and the text after it.
fn expansion_name(s: &str) -> Option<(&str, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let len = body.find(|c: char| !(is_letter(c) || is_digit(c) || c == '_')).unwrap_or(body.len());
    if len == 0 {
        return None;
    }
    let (name, after) = body.split_at(len);
    if braced {
        return Some((name, after.strip_prefix('}')?));
    }
    Some((name, after))
}

/// A group number: ASCII digits without a leading zero, below 10^8, as Go reads them.
fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) || name.len() > 8 {
        return None;
    }
    name.parse().ok()
}

/// Go's `Regexp.Split`.
fn regex_split_parts<'s>(re: &Regex, pattern: &str, s: &'s str, n: i64) -> Vec<&'s str> {
    if n == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && s.is_empty() {
        return vec![""];
    }
    let mut parts = Vec::new();
    let (mut begin, mut end) = (0, 0);
    for (start, stop) in all_matches(re, s, n) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = start;
        if stop != 0 {
            parts.push(s.get(begin..end).unwrap_or(""));
        }
        begin = stop;
    }
    if end != s.len() {
        parts.push(s.get(begin..).unwrap_or(""));
    }
    parts
}

fn regex_match(call: &mut Call, args: &[Value]) -> FuncResult {
    let (pattern, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    call.charge(s.len())?;
    Ok(Value::Bool(compile(call, pattern).is_ok_and(|re| re.is_match(s))))
}

fn must_regex_match(call: &mut Call, args: &[Value]) -> FuncResult {
    let (pattern, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    call.charge(s.len())?;
    Ok(Value::Bool(must_compile(call, pattern)?.is_match(s)))
}

type Compiler = fn(&mut Call, &str) -> Result<Regex, FuncError>;

fn find_all_with(call: &mut Call, args: &[Value], compiler: Compiler) -> FuncResult {
    let (pattern, s, n) = (string_arg(args, 0)?, string_arg(args, 1)?, int_arg(args, 2)?);
    call.charge(s.len())?;
    let re = compiler(call, pattern)?;
    let items = all_matches(&re, s, n).into_iter().map(|(a, b)| Value::str(s.get(a..b).unwrap_or(""))).collect();
    typed_list_result(call, Elem::Str, items)
}

fn regex_find_all(call: &mut Call, args: &[Value]) -> FuncResult {
    find_all_with(call, args, compile_or_panic)
}

fn must_regex_find_all(call: &mut Call, args: &[Value]) -> FuncResult {
    find_all_with(call, args, must_compile)
}

fn find_with(call: &mut Call, args: &[Value], compiler: Compiler) -> FuncResult {
    let (pattern, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    call.charge(s.len())?;
    let re = compiler(call, pattern)?;
    string_result(call, re.find(s).map_or("", |m| m.as_str()).to_owned())
}

fn regex_find(call: &mut Call, args: &[Value]) -> FuncResult {
    find_with(call, args, compile_or_panic)
}

fn must_regex_find(call: &mut Call, args: &[Value]) -> FuncResult {
    find_with(call, args, must_compile)
}

/// `regexReplaceAll pattern s replacement` (`$1` expanded) or, `literal`, the replacement as is.
fn replace_with(call: &mut Call, args: &[Value], compiler: Compiler, literal: bool) -> FuncResult {
    let (pattern, s, replacement) = (string_arg(args, 0)?, string_arg(args, 1)?, string_arg(args, 2)?);
    call.charge(s.len())?;
    let re = compiler(call, pattern)?;
    let out = if literal {
        replace_all(&re, s, |out, _| out.push_str(replacement))?
    } else {
        replace_all(&re, s, |out, caps| expand(out, replacement, &re, caps))?
    };
    string_result(call, out)
}

fn regex_replace_all(call: &mut Call, args: &[Value]) -> FuncResult {
    replace_with(call, args, compile_or_panic, false)
}

fn must_regex_replace_all(call: &mut Call, args: &[Value]) -> FuncResult {
    replace_with(call, args, must_compile, false)
}

fn regex_replace_all_literal(call: &mut Call, args: &[Value]) -> FuncResult {
    replace_with(call, args, compile_or_panic, true)
}

fn must_regex_replace_all_literal(call: &mut Call, args: &[Value]) -> FuncResult {
    replace_with(call, args, must_compile, true)
}

fn split_with(call: &mut Call, args: &[Value], compiler: Compiler) -> FuncResult {
    let (pattern, s, n) = (string_arg(args, 0)?, string_arg(args, 1)?, int_arg(args, 2)?);
    call.charge(s.len())?;
    let re = compiler(call, pattern)?;
    let parts = regex_split_parts(&re, pattern, s, n);
    check_count(parts.len())?;
    typed_list_result(call, Elem::Str, parts.into_iter().map(Value::str).collect())
}

fn regex_split(call: &mut Call, args: &[Value]) -> FuncResult {
    split_with(call, args, compile_or_panic)
}

fn must_regex_split(call: &mut Call, args: &[Value]) -> FuncResult {
    split_with(call, args, must_compile)
}

/// regexp.QuoteMeta: a backslash before each of `\.+*?()|[]{}^$` (fewer than regex::escape).
fn regex_quote_meta(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = string_arg(args, 0)?;
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    string_result(call, out)
}

// ---- helpers ----

fn too_long(size: usize) -> FuncError {
    FuncError::new(format!("result of {size} bytes exceeds the {} byte limit", limits::MAX_STRING))
}

/// Go's panic for a string slice out of range, which text/template reports as an error.
fn out_of_range(bounds: String) -> FuncError {
    FuncError::new(format!("runtime error: slice bounds out of range {bounds}"))
}

/// `s[from:to]` by bytes as Go slices; a cut inside a character becomes U+FFFD.
fn byte_slice(s: &str, from: usize, to: usize) -> String {
    match s.get(from..to) {
        Some(exact) => exact.to_owned(),
        None => String::from_utf8_lossy(s.as_bytes().get(from..to).unwrap_or(&[])).into_owned(),
    }
}

// ---- slash-separated paths (Go's `path`; no file system involved) ----

fn path_base(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, base(string_arg(args, 0)?).to_owned())
}

fn path_dir(call: &mut Call, args: &[Value]) -> FuncResult {
    let path = string_arg(args, 0)?;
    let dir = path.rfind('/').map_or("", |i| &path[..=i]);
    string_result(call, clean(dir))
}

fn path_clean(call: &mut Call, args: &[Value]) -> FuncResult {
    string_result(call, clean(string_arg(args, 0)?))
}

fn path_ext(call: &mut Call, args: &[Value]) -> FuncResult {
    let path = string_arg(args, 0)?;
    let name = &path[path.rfind('/').map_or(0, |i| i + 1)..];
    string_result(call, name.rfind('.').map_or("", |i| &name[i..]).to_owned())
}

fn path_is_abs(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 0)?.starts_with('/')))
}

/// sprig's greeting.
fn hello(call: &mut Call, _: &[Value]) -> FuncResult {
    string_result(call, "Hello!".to_owned())
}

/// `path.Base`: the last element, trailing slashes dropped; "." for "", "/" for slashes only.
fn base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    &trimmed[trimmed.rfind('/').map_or(0, |i| i + 1)..]
}

/// `path.Clean`: the shortest equivalent path, by purely lexical processing.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                // `..` above the root is the root; above a relative start it stays.
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use super::super::lookup;
    use super::*;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn i(n: i64) -> Value {
        Value::Int(n)
    }

    fn run(name: &str, args: &[Value]) -> FuncResult {
        let func = FUNCS.iter().find(|f| f.name == name).unwrap();
        assert!(func.accepts(args.len()), "{name} called with {} arguments", args.len());
        (func.call)(&mut Call::new(Utc::now()), args)
    }

    fn text(name: &str, args: &[Value]) -> String {
        match run(name, args) {
            Ok(Value::Str(out)) => out,
            other => panic!("{name}({args:?}) gave {other:?}"),
        }
    }

    /// Each case: function, arguments, expected text (`%v` of the result).
    fn check(cases: &[(&str, Vec<Value>, &str)]) {
        for (name, args, want) in cases {
            let got = run(name, args).map(|v| v.to_go_string());
            assert_eq!(got.as_deref(), Ok(*want), "{name} {args:?}");
        }
    }

    fn fails(name: &str, args: &[Value]) -> String {
        match run(name, args) {
            Err(e) => e.0,
            Ok(v) => panic!("{name}({args:?}) should fail, gave {v:?}"),
        }
    }

    #[test]
    fn table_is_registered_with_arities() {
        // Every name is ours in the registry: no other family shadows it.
        for func in FUNCS {
            let registered = lookup(func.name).unwrap();
            assert!(std::ptr::fn_addr_eq(registered.call, func.call), "{} is shadowed", func.name);
        }
        let mut names: Vec<_> = FUNCS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCS.len());
        let arity = |name: &str| FUNCS.iter().find(|f| f.name == name).map(|f| (f.min, f.max)).unwrap();
        assert_eq!(arity("upper"), (1, Some(1)));
        assert_eq!(arity("substr"), (3, Some(3)));
        assert_eq!(arity("cat"), (0, None));
        assert_eq!(arity("quote"), (0, None));
        assert_eq!(arity("regexFindAll"), (3, Some(3)));
        assert!(FUNCS.iter().all(|f| f.name != "seq"));
    }

    #[test]
    fn sprig_documented_examples() {
        check(&[
            ("trim", vec![s("   hello    ")], "hello"),
            ("trimAll", vec![s("$"), s("$5.00")], "5.00"),
            ("trimall", vec![s("$"), s("$5.00$")], "5.00"),
            ("trimSuffix", vec![s("-"), s("hello-")], "hello"),
            ("trimPrefix", vec![s("$"), s("$5.00")], "5.00"),
            ("upper", vec![s("hello")], "HELLO"),
            ("lower", vec![s("HELLO")], "hello"),
            ("title", vec![s("hello world")], "Hello World"),
            ("untitle", vec![s("Hello World")], "hello world"),
            ("repeat", vec![i(3), s("hello")], "hellohellohello"),
            ("substr", vec![i(0), i(5), s("hello world")], "hello"),
            ("nospace", vec![s("hello w o r l d")], "helloworld"),
            ("trunc", vec![i(5), s("hello world")], "hello"),
            ("abbrev", vec![i(5), s("hello world")], "he..."),
            ("abbrevboth", vec![i(5), i(10), s("1234 5678 9123")], "...5678..."),
            ("initials", vec![s("First Try")], "FT"),
            ("wrap", vec![i(5), s("Hello World")], "Hello\nWorld"),
            ("wrapWith", vec![i(5), s("\t"), s("Hello World")], "Hello\tWorld"),
            ("contains", vec![s("cat"), s("catch")], "true"),
            ("hasPrefix", vec![s("cat"), s("catch")], "true"),
            ("hasSuffix", vec![s("cat"), s("ducat")], "true"),
            ("cat", vec![s("hello"), s("beautiful"), s("world")], "hello beautiful world"),
            ("indent", vec![i(4), s("a\nb\nc")], "    a\n    b\n    c"),
            ("nindent", vec![i(4), s("a\nb\nc")], "\n    a\n    b\n    c"),
            ("replace", vec![s(" "), s("-"), s("I Am Henry VIII")], "I-Am-Henry-VIII"),
            ("plural", vec![s("one anchovy"), s("many anchovies"), i(2)], "many anchovies"),
            ("plural", vec![s("one anchovy"), s("many anchovies"), i(1)], "one anchovy"),
            ("plural", vec![s("one anchovy"), s("many anchovies"), i(0)], "many anchovies"),
            ("snakecase", vec![s("FirstName")], "first_name"),
            ("camelcase", vec![s("http_server")], "HttpServer"),
            ("kebabcase", vec![s("FirstName")], "first-name"),
            ("swapcase", vec![s("This Is A.Test")], "tHIS iS a.tEST"),
            ("split", vec![s("$"), s("foo$bar$baz")], "map[_0:foo _1:bar _2:baz]"),
            ("splitn", vec![s("$"), i(2), s("foo$bar$baz")], "map[_0:foo _1:bar$baz]"),
            ("splitList", vec![s("$"), s("foo$bar$baz")], "[foo bar baz]"),
            ("regexMatch", vec![s(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"), s("test@acme.com")], "true"),
            ("regexFindAll", vec![s("[2,4,6,8]"), s("123456789"), i(-1)], "[2 4 6 8]"),
            ("regexFindAll", vec![s("[2,4,6,8]"), s("123456789"), i(2)], "[2 4]"),
            ("regexFind", vec![s("[a-zA-Z][1-9]"), s("abcd1234")], "d1"),
            ("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}W")], "-W-xxW-"),
            ("regexReplaceAllLiteral", vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}")], "-${1}-${1}-"),
            ("regexSplit", vec![s("z+"), s("pizza"), i(-1)], "[pi a]"),
            ("regexQuoteMeta", vec![s("1.2.3")], r"1\.2\.3"),
            ("join", vec![s("-"), Value::list(vec![s("a"), s("b"), s("c")])], "a-b-c"),
            ("sortAlpha", vec![Value::list(vec![s("c"), s("a"), s("b")])], "[a b c]"),
            ("atoi", vec![s("42")], "42"),
            ("toDecimal", vec![s("0777")], "511"),
        ]);
    }

    #[test]
    fn sprig_test_suite_cases() {
        check(&[
            ("substr", vec![i(0), i(3), s("fooo")], "foo"),
            ("substr", vec![i(0), i(10), s("foo")], "foo"),
            ("trunc", vec![i(3), s("foooooo")], "foo"),
            ("trunc", vec![i(-3), s("baaaaaar")], "aar"),
            ("trunc", vec![i(-999), s("baaaaaar")], "baaaaaar"),
            ("trunc", vec![i(0), s("baaaaaz")], ""),
            ("quote", vec![s("a"), s("b"), s("c")], r#""a" "b" "c""#),
            ("quote", vec![s("\"a\""), s("b"), s("c")], r#""\"a\"" "b" "c""#),
            ("quote", vec![i(1), i(2), i(3)], r#""1" "2" "3""#),
            ("quote", vec![Value::Nil], ""),
            ("squote", vec![s("a"), s("b"), s("c")], "'a' 'b' 'c'"),
            ("squote", vec![i(1), i(2), i(3)], "'1' '2' '3'"),
            ("squote", vec![Value::Nil], ""),
            ("contains", vec![s("cat"), s("fair catch")], "true"),
            ("trim", vec![s("   5.00   ")], "5.00"),
            ("trimAll", vec![s("$"), s("$5.00$")], "5.00"),
            ("trimSuffix", vec![s("$"), s("5.00$")], "5.00"),
            ("toString", vec![s("string")], "string"),
            ("toStrings", vec![Value::list(vec![i(1), Value::Nil, i(2)])], "[1 2]"),
            ("join", vec![s("-"), Value::list(vec![i(1), i(2), i(3)])], "1-2-3"),
            ("join", vec![s("-"), s("abc")], "abc"),
            ("join", vec![s("-"), Value::list(vec![s("1"), Value::Nil, s("2")])], "1-2"),
            ("sortAlpha", vec![Value::list(vec![i(2), i(1), i(4), i(3)])], "[1 2 3 4]"),
            ("untitle", vec![s("First Try")], "first try"),
            ("nospace", vec![s("h e l l o ")], "hello"),
            ("cat", vec![s("a"), s("b"), s("c")], "a b c"),
            ("cat", vec![s("a"), s("b"), Value::Nil], "a b"),
            ("plural", vec![s("cheese"), s("%d chars"), i(1)], "cheese"),
        ]);
    }

    // Cases checked against xstrings 1.3.3 (the version sprig 3.2.3 pins) run by Go.
    #[test]
    fn xstrings_case_conversions() {
        for (input, snake) in [
            ("HTTPServer", "http_server"),
            ("_camelCase", "_camel_case"),
            ("NoHTTPS", "no_https"),
            ("Wi_thF", "wi_th_f"),
            ("_AnotherTES_TCaseP", "_another_tes_t_case_p"),
            ("ALL", "all"),
            ("_HELLO_WORLD_", "_hello_world_"),
            ("HELLO_WORLD", "hello_world"),
            ("HELLO____WORLD", "hello____world"),
            ("TW", "tw"),
            ("_C", "_c"),
            ("http2xx", "http_2xx"),
            ("HTTP2XX", "http2_xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("HTTP20XStatus", "http20_x_status"),
            ("HTTP-20xStatus", "http_20x_status"),
            ("a", "a"),
            ("  sentence case  ", "__sentence_case__"),
            (
                " Mixed-hyphen case _and SENTENCE_case and UPPER-case",
                "_mixed_hyphen_case__and_sentence_case_and_upper_case",
            ),
            ("", ""),
            (
                "Abc\u{FFFD}E\u{FFFD}f\u{FFFD}d\u{FFFD}2\u{FFFD}00Z\u{FFFD}ZZ\u{FFFD}ZZ",
                "abc_\u{FFFD}e\u{FFFD}f\u{FFFD}d\u{FFFD}2\u{FFFD}00_z\u{FFFD}zz\u{FFFD}zz",
            ),
            ("FirstName", "first_name"),
            ("userIDs", "user_i_ds"),
            ("ÉtéÀParis", "été_à_paris"),
            ("Bld4Floor", "bld4_floor"),
            ("a$b", "a_$_b"),
            ("AbcDef123", "abc_def123"),
            ("日本語Text", "日本語_text"),
        ] {
            assert_eq!(text("snakecase", &[s(input)]), snake, "snakecase {input:?}");
            assert_eq!(text("kebabcase", &[s(input)]), snake.replace('_', "-"), "kebabcase {input:?}");
        }
        for (input, camel) in [
            ("http_server", "HttpServer"),
            ("_camel_case", "_CamelCase"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("all", "All"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("GOLANG", "Golang"),
            ("a", "A"),
            ("好", "好"),
            ("", ""),
            ("__", "___"),
            ("ab_", "Ab_"),
            ("a__b", "A_B"),
            ("some-words here", "SomeWordsHere"),
        ] {
            assert_eq!(text("camelcase", &[s(input)]), camel, "camelcase {input:?}");
        }
    }

    #[test]
    fn case_mapping_follows_go_unicode() {
        check(&[
            ("upper", vec![s("straße ǆ ᾳ ﬀ")], "STRAßE Ǆ ᾼ ﬀ"),
            ("lower", vec![s("İSTANBUL ǅ Ⅻ")], "istanbul ǆ ⅻ"),
            ("title", vec![s("ǆemal élan o'neil foo_bar x-ray 3d ß")], "ǅemal Élan O'Neil Foo_bar X-Ray 3d ß"),
            ("title", vec![s("hello\u{a0}world «guillemets»")], "Hello\u{a0}World «guillemets»"),
            ("swapcase", vec![s("hello world")], "HELLO WORLD"),
            ("swapcase", vec![s("ǅ ǆa Θ~λa云Ξπ")], "ǆ ǅA θ~ΛA云ξΠ"),
            ("untitle", vec![s("ÉLAN  Vital\tX")], "éLAN  vital\tx"),
        ]);
    }

    #[test]
    fn byte_oriented_functions_match_go() {
        check(&[
            // Go slices bytes; a cut inside "é" (2 bytes) leaves a broken byte, here U+FFFD.
            ("substr", vec![i(0), i(2), s("héllo")], "h\u{fffd}"),
            ("substr", vec![i(1), i(3), s("héllo")], "é"),
            ("substr", vec![i(-1), i(1), s("héllo")], "h"),
            ("substr", vec![i(2), i(-1), s("abc")], "c"),
            ("substr", vec![i(3), i(99), s("abc")], ""),
            ("substr", vec![i(2), i(2), s("abc")], ""),
            ("trunc", vec![i(2), s("héllo")], "h\u{fffd}"),
            ("trunc", vec![i(-5), s("héllo")], "éllo"),
            ("trunc", vec![i(-4), s("héllo")], "\u{fffd}llo"),
            ("trunc", vec![i(i64::MIN), s("abc")], "abc"),
            ("trunc", vec![i(i64::MAX), s("abc")], "abc"),
            ("abbrev", vec![i(3), s("hello world")], "hello world"),
            ("abbrev", vec![i(11), s("hello world")], "hello world"),
            ("abbrev", vec![i(10), s("hello world")], "hello w..."),
            ("abbrev", vec![i(5), s("")], ""),
            ("abbrevboth", vec![i(0), i(10), s("1234 5678 9123")], "1234 56..."),
            ("abbrevboth", vec![i(10), i(10), s("1234 5678 9123")], "...78 9123"),
            ("abbrevboth", vec![i(1), i(5), s("1234 5678 9123")], "1234 5678 9123"),
            // Go's int arithmetic wraps here too.
            ("abbrevboth", vec![i(i64::MIN), i(10), s("1234 5678 9123")], "...78 9123"),
            ("abbrevboth", vec![i(i64::MAX), i(i64::MAX), s("abc")], "abc"),
            // goutils walks bytes: "à" is C3 A0, and A0 is white space to Go's unicode.IsSpace.
            ("nospace", vec![s("voilà tout")], "voilÃtout"),
            ("nospace", vec![s("héllo")], "héllo"),
            ("initials", vec![s("Élan vital")], "Ãv"),
            ("initials", vec![s("  first   second\tthird\n")], "fst"),
            ("initials", vec![s("")], ""),
            ("wrap", vec![i(10), s("The quick brown fox jumps")], "The quick\nbrown fox\njumps"),
            ("wrap", vec![i(0), s("a b")], "a\nb"),
            ("wrap", vec![i(3), s("abcdefgh ij")], "abcdefgh\nij"),
            ("wrap", vec![i(3), s("abcdefgh")], "abcdefgh"),
            ("wrap", vec![i(5), s("   leading spaces")], "leading\nspaces"),
            ("wrapWith", vec![i(3), s("|"), s("abcdefgh")], "abc|def|gh"),
            ("wrapWith", vec![i(1), s(""), s("ab")], "a\nb"),
            ("wrapWith", vec![i(2), s("|"), s("日本")], "\u{fffd}|\u{fffd}\u{fffd}|\u{fffd}\u{fffd}"),
        ]);
        assert_eq!(
            fails("substr", &[i(-1), i(5), s("abc")]),
            "runtime error: slice bounds out of range [:5] with length 3"
        );
        assert_eq!(fails("substr", &[i(-1), i(-1), s("abc")]), "runtime error: slice bounds out of range [:-1]");
        assert_eq!(fails("substr", &[i(5), i(9), s("abc")]), "runtime error: slice bounds out of range [5:3]");
        assert_eq!(fails("substr", &[i(2), i(1), s("abc")]), "runtime error: slice bounds out of range [2:1]");
    }

    #[test]
    fn quoting_and_joining_any_value() {
        let list = Value::list(vec![s("a"), i(1)]);
        check(&[
            ("quote", vec![s("tab\there"), s("é"), s("\u{7}")], r#""tab\there" "é" "\a""#),
            ("quote", vec![list.clone(), Value::Float(1e6), Value::Bool(true)], r#""[a 1]" "1e+06" "true""#),
            ("quote", vec![], ""),
            ("squote", vec![list.clone(), Value::Nil, s("it's")], "'[a 1]' 'it's'"),
            ("cat", vec![], ""),
            ("cat", vec![Value::Nil, s("a"), Value::Nil, i(2), list.clone()], "a 2 [a 1]"),
            ("toString", vec![Value::Nil], "<nil>"),
            ("toString", vec![Value::Float(1e6)], "1e+06"),
            ("toString", vec![Value::Float(2.5)], "2.5"),
            ("toString", vec![list.clone()], "[a 1]"),
            ("toStrings", vec![s("x")], "[x]"),
            ("toStrings", vec![Value::Nil], "[]"),
            ("join", vec![s(", "), Value::Nil], ""),
            ("join", vec![s("-"), i(5)], "5"),
            ("sortAlpha", vec![Value::Nil], "[<nil>]"),
            ("sortAlpha", vec![s("solo")], "[solo]"),
            ("sortAlpha", vec![Value::list(vec![s("b"), s("B"), s("a"), s("é")])], "[B a b é]"),
        ]);
    }

    #[test]
    fn splitting_follows_strings_split() {
        check(&[
            ("splitList", vec![s(""), s("abc")], "[a b c]"),
            ("splitList", vec![s(""), s("")], "[]"),
            ("splitList", vec![s(","), s("")], "[]"),
            ("splitList", vec![s(","), s("a,,b,")], "[a  b ]"),
            ("splitn", vec![s(","), i(0), s("a,b")], "map[]"),
            ("splitn", vec![s(","), i(-1), s("a,b,c")], "map[_0:a _1:b _2:c]"),
            ("splitn", vec![s(""), i(2), s("abc")], "map[_0:a _1:bc]"),
            ("splitn", vec![s("x"), i(5), s("axb")], "map[_0:a _1:b]"),
            (
                "split",
                vec![s(","), s("0,1,2,3,4,5,6,7,8,9,10")],
                "map[_0:0 _1:1 _10:10 _2:2 _3:3 _4:4 _5:5 _6:6 _7:7 _8:8 _9:9]",
            ),
        ]);
        // Go's Split of "" by "," is [""]: one empty part.
        assert_eq!(run("splitList", &[s(","), s("")]).unwrap(), Value::list(vec![s("")]));
        let many = ",".repeat(limits::MAX_ITEMS);
        assert!(fails("splitList", &[s(","), s(&many)]).contains("exceed the limit"));
        assert!(run("splitList", &[s(","), s(&many[1..])]).is_ok());
    }

    #[test]
    fn conversions_follow_strconv_and_cast() {
        check(&[
            ("atoi", vec![s("-17")], "-17"),
            ("atoi", vec![s("+17")], "17"),
            ("atoi", vec![s(" 17")], "0"),
            ("atoi", vec![s("1_000")], "0"),
            ("atoi", vec![s("0x10")], "0"),
            ("atoi", vec![s("")], "0"),
            ("atoi", vec![s("-")], "0"),
            ("atoi", vec![s("12a")], "0"),
            ("atoi", vec![s("99999999999999999999")], "9223372036854775807"),
            ("atoi", vec![s("-99999999999999999999")], "-9223372036854775808"),
            ("atoi", vec![s("99999999999999999999x")], "9223372036854775807"),
            ("atoi", vec![s("-9223372036854775808")], "-9223372036854775808"),
            ("atoi", vec![s("٣")], "0"),
            ("int", vec![s("42")], "42"),
            ("int", vec![Value::Float(3.9)], "3"),
            ("int64", vec![s("0x1F")], "31"),
            ("int", vec![Value::Nil], "0"),
            ("int", vec![Value::Bool(true)], "1"),
            ("float64", vec![s("2.5")], "2.5"),
            ("float64", vec![i(3)], "3"),
            ("float64", vec![s("nope")], "0"),
            ("toDecimal", vec![i(777)], "511"),
            ("toDecimal", vec![s("-10")], "-8"),
            ("toDecimal", vec![s("8")], "0"),
            ("toDecimal", vec![Value::Float(7.5)], "0"),
            ("toDecimal", vec![Value::Nil], "0"),
            ("toDecimal", vec![s("0o17")], "0"),
        ]);
        assert_eq!(run("float64", &[i(3)]).unwrap(), Value::Float(3.0));
        assert_eq!(run("atoi", &[s("5")]).unwrap(), Value::Int(5));
    }

    #[test]
    fn regexes_use_go_semantics() {
        check(&[
            // RE2's \d \w \s \b are ASCII only.
            ("regexReplaceAll", vec![s(r"\W"), s("José-Ñ 1"), s("")], "Jos1"),
            ("regexReplaceAll", vec![s(r"[^\w]"), s("né"), s("_")], "n_"),
            ("regexFindAll", vec![s(r"\d+"), s("a1٣2"), i(-1)], "[1 2]"),
            ("regexMatch", vec![s(r"^\s$"), s("\u{a0}")], "false"),
            ("regexMatch", vec![s(r"\bé"), s("é")], "false"),
            ("regexMatch", vec![s(r"\p{Greek}+"), s("αβ")], "true"),
            ("regexMatch", vec![s(r"[\p{Lu}\d]"), s("x9")], "true"),
            ("regexMatch", vec![s(r"\x{263a}"), s("☺")], "true"),
            ("regexMatch", vec![s("[[:alpha:]]+"), s("abc")], "true"),
            // Literal braces and class characters as Go reads them.
            ("regexFind", vec![s("a{"), s("xa{")], "a{"),
            ("regexFind", vec![s("a{,2}"), s("a{,2}")], "a{,2}"),
            ("regexFind", vec![s("x{2}"), s("xxx")], "xx"),
            ("regexFind", vec![s("x{1,}y"), s("xxy")], "xxy"),
            ("regexFind", vec![s("}"), s("a}")], "}"),
            ("regexFind", vec![s("[[]+"), s("a[[b")], "[["),
            ("regexFind", vec![s("[a&&b]+"), s("x&a&b")], "&a&b"),
            ("regexFind", vec![s("[]a]+"), s("x]a]")], "]a]"),
            ("regexFind", vec![s("[^]a]+"), s("]abc")], "bc"),
            ("regexFind", vec![s(r"\Qa.b\E+"), s("a.bbb axb")], "a.bbb"),
            ("regexFind", vec![s(r"\Q(x"), s("((x")], "(x"),
            ("regexFind", vec![s("(?i)HELLO"), s("say hello")], "hello"),
            ("regexFind", vec![s("z"), s("abc")], ""),
            // Empty matches, as Go's FindAll and ReplaceAll iterate.
            ("regexFindAll", vec![s("a*"), s("baaac"), i(-1)], "[ aaa ]"),
            ("regexFindAll", vec![s(""), s("héllo"), i(-1)], "[     ]"),
            ("regexFindAll", vec![s("x"), s("xxx"), i(0)], "[]"),
            ("regexReplaceAll", vec![s("a*"), s("baaac"), s("-")], "-b-c-"),
            ("regexReplaceAll", vec![s(""), s("abc"), s("-")], "-a-b-c-"),
            ("regexReplaceAll", vec![s("x*"), s("日本"), s("-")], "-日-本-"),
            // Expansion: $1W names a group "1W", which does not exist.
            ("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("$1W")], "---"),
            ("regexReplaceAll", vec![s("(?P<word>\\w+)"), s("hi there"), s("<$word>")], "<hi> <there>"),
            ("regexReplaceAll", vec![s("(?P<word>\\w+)"), s("hi"), s("${word}s $$ $ ${ $9 $01")], "his $ $ ${  "),
            ("regexReplaceAll", vec![s("(b)"), s("abc"), s("[$1$1]")], "a[bb]c"),
            ("regexReplaceAllLiteral", vec![s("b"), s("abc"), s("$1")], "a$1c"),
            // Split's edge cases.
            ("regexSplit", vec![s("a"), s("banana"), i(-1)], "[b n n ]"),
            ("regexSplit", vec![s("a"), s("banana"), i(2)], "[b nana]"),
            ("regexSplit", vec![s("a"), s("banana"), i(0)], "[]"),
            ("regexSplit", vec![s(""), s("abc"), i(-1)], "[a b c]"),
            ("regexSplit", vec![s("x*"), s("axbc"), i(-1)], "[a b c]"),
            ("regexSplit", vec![s("a"), s(""), i(-1)], "[]"),
            ("regexSplit", vec![s(","), s("a,b,"), i(-1)], "[a b ]"),
            ("regexQuoteMeta", vec![s(r"\.+*?()|[]{}^$ #&-~")], r"\\\.\+\*\?\(\)\|\[\]\{\}\^\$ #&-~"),
        ]);
        assert_eq!(run("regexSplit", &[s("a"), s(""), i(-1)]).unwrap(), Value::list(vec![s("")]));
    }

    #[test]
    fn bad_patterns_fail_like_sprig() {
        // regexMatch drops the error; the others fail (the non-must ones through Go's panic).
        check(&[("regexMatch", vec![s("("), s("x")], "false")]);
        assert_eq!(fails("mustRegexMatch", &[s("("), s("x")]), "error parsing regexp: unclosed group");
        for name in ["regexFind", "mustRegexFind"] {
            assert!(fails(name, &[s("(a"), s("x")]).contains("unclosed group"), "{name}");
        }
        assert!(
            fails("regexFindAll", &[s("["), s("x"), i(-1)]).starts_with("regexp: Compile(`[`): error parsing regexp")
        );
        assert!(fails("regexReplaceAll", &[s("a**"), s("x"), s("")]).starts_with("regexp: Compile(`a**`)"));
        for name in ["mustRegexFindAll", "mustRegexSplit", "regexSplit"] {
            assert!(!fails(name, &[s(")"), s("x"), i(-1)]).is_empty());
        }
        for name in ["mustRegexReplaceAll", "mustRegexReplaceAllLiteral", "regexReplaceAllLiteral"] {
            assert!(!fails(name, &[s("\\"), s("x"), s("")]).is_empty());
        }
        // RE2 refuses stacked repetitions; one `?` after a repetition only makes it lazy.
        assert_eq!(
            fails("mustRegexFind", &[s("a**"), s("x")]),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert!(fails("mustRegexFind", &[s("a???"), s("x")]).contains("`???`"));
        assert!(fails("mustRegexFind", &[s("x{2}{3}"), s("x")]).contains("`{2}{3}`"));
        check(&[
            ("regexFind", vec![s("a*?b"), s("aab")], "aab"),
            ("regexFind", vec![s("a??"), s("aa")], ""),
            ("regexFind", vec![s("x{1,2}?"), s("xxx")], "x"),
            ("regexFind", vec![s(r"a\**"), s("a**")], "a**"),
            ("regexFind", vec![s("(a*)*"), s("aa")], "aa"),
        ]);
        // A pattern whose program is too big is refused rather than compiled.
        assert!(fails("mustRegexMatch", &[s("(\\pL{50}){50}"), s("x")]).contains("too large"));
    }

    #[test]
    fn sizes_are_refused_before_allocating() {
        assert!(fails("repeat", &[i(1 << 40), s("abc")]).contains("exceeds"));
        assert!(fails("repeat", &[i(i64::MAX), s("ab")]).contains("exceeds"));
        assert_eq!(fails("repeat", &[i(-1), s("ab")]), "strings: negative Repeat count");
        assert_eq!(text("repeat", &[i(i64::MAX), s("")]), "");
        assert_eq!(text("repeat", &[i(0), s("ab")]), "");
        assert!(fails("randAlpha", &[i(1 << 40)]).contains("exceeds"));
        assert!(fails("indent", &[i(1 << 40), s("a\nb")]).contains("exceeds"));
        assert!(fails("nindent", &[i(i64::MAX), s("a")]).contains("exceeds"));
        assert_eq!(fails("indent", &[i(-1), s("a")]), "strings: negative Repeat count");
        let big = "x".repeat(60_000);
        assert!(fails("replace", &[s("x"), s("yy"), s(&big)]).contains("exceeds"));
        assert!(fails("replace", &[s(""), s("yy"), s(&big)]).contains("exceeds"));
        assert!(fails("wrapWith", &[i(1), s(&"-".repeat(1000)), s(&big)]).contains("exceeds"));
        assert!(fails("regexReplaceAll", &[s("x"), s(&big), s("yy")]).contains("exceeds"));
        assert!(fails("regexFindAll", &[s("x"), s(&big), i(-1)]).contains("exceed the limit"));
        assert!(fails("regexSplit", &[s("x"), s(&big), i(-1)]).contains("exceed the limit"));
        let words = Value::list(vec![s(&big); 3]);
        assert!(fails("join", &[s(","), words.clone()]).contains("exceeds"));
        assert!(fails("cat", &[s(&big), s(&big)]).contains("exceeds"));
        assert!(fails("quote", &[s(&big), s(&big)]).contains("exceeds"));
        assert!(run("toStrings", &[words]).is_ok());
    }

    #[test]
    fn random_strings_use_the_documented_alphabets() {
        for (name, allowed) in [
            ("randAlphaNum", ALPHA_NUM.to_vec()),
            ("randAlpha", ALPHA.to_vec()),
            ("randNumeric", NUMERIC.to_vec()),
            ("randAscii", (b' '..=b'~').collect()),
        ] {
            let out = text(name, &[i(200)]);
            assert_eq!(out.len(), 200, "{name}");
            assert!(out.bytes().all(|b| allowed.contains(&b)), "{name}: {out}");
            assert_ne!(out, text(name, &[i(200)]), "{name} repeats itself");
            assert_eq!(text(name, &[i(0)]), "");
            assert_eq!(text(name, &[i(-5)]), "");
        }
        let shuffled = text("shuffle", &[s("héllo wörld")]);
        let (mut a, mut b): (Vec<char>, Vec<char>) = (shuffled.chars().collect(), "héllo wörld".chars().collect());
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(text("shuffle", &[s("")]), "");
    }

    #[test]
    fn argument_types_are_checked() {
        assert!(fails("upper", &[i(1)]).contains("expected string"));
        assert!(fails("substr", &[s("0"), i(1), s("abc")]).contains("expected int"));
        assert!(fails("repeat", &[Value::Float(2.0), s("x")]).contains("expected int"));
        // A missing value (nil) for a string parameter is Go's "invalid value" error.
        assert!(fails("upper", &[Value::Nil]).contains("invalid value; expected string"));
    }

    /// Arbitrary strings and indices through every function: nothing may panic.
    #[test]
    fn no_panics_on_awkward_input() {
        let strings = [
            "",
            "a",
            "é",
            "日本語",
            "a\u{301}",
            "🎉x🎉",
            "\u{fffd}",
            " \t\n",
            "a b  c",
            "ǅ",
            "ß",
            "__",
            "A-B_C d",
            "$1${x}",
            "((",
            "[",
            "\\",
            "a{2",
            "\u{10ffff}",
            "\u{a0}\u{85}",
            "x\u{0}y",
            "Σσς",
        ];
        let ints = [i64::MIN, -70_000, -5, -1, 0, 1, 2, 3, 4, 5, 7, 70_000, i64::MAX];
        for func in FUNCS {
            for a in strings {
                for b in strings {
                    let args: Vec<Value> = match func.min {
                        0 | 1 => vec![s(a)],
                        2 => vec![s(a), s(b)],
                        _ => vec![s(a), s(b), s(b)],
                    };
                    let _ = (func.call)(&mut Call::new(Utc::now()), &args);
                }
                for &n in &ints {
                    for &m in &ints {
                        let shapes: [Vec<Value>; 4] =
                            [vec![i(n), s(a)], vec![i(n), i(m), s(a)], vec![s(a), i(n), s(a)], vec![s(a), s(a), i(n)]];
                        for args in shapes.iter().filter(|args| func.accepts(args.len())) {
                            let _ = (func.call)(&mut Call::new(Utc::now()), args);
                        }
                    }
                }
            }
            let odd = [
                Value::Nil,
                Value::Float(f64::NAN),
                Value::list(vec![Value::Nil, Value::list(vec![])]),
                Value::map(BTreeMap::new()),
                Value::Struct(Arc::new(crate::value::Struct { type_name: "T", fields: vec![] })),
            ];
            for v in &odd {
                let args = vec![v.clone(); func.min.max(1)];
                let _ = (func.call)(&mut Call::new(Utc::now()), &args);
            }
        }
    }
}
