//! sprig's defaults functions (`default`, `empty`, `coalesce`, `ternary`, JSON, reflection),
//! plus `compact`, `fail` and `required`, which the same checks of emptiness drive.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Call, Func, FuncError, FuncResult, func, limits, list_result, string_arg, string_result, wrong_type};
use crate::value::Value;

pub(super) const FUNCS: &[Func] = &[
    func!("default", 1.., default),
    func!("empty", 1, empty_fn),
    func!("coalesce", 0.., coalesce),
    func!("all", 0.., all),
    func!("any", 0.., any),
    func!("compact", 1, compact),
    func!("mustCompact", 1, compact),
    func!("ternary", 3, ternary),
    func!("fromJson", 1, from_json),
    func!("mustFromJson", 1, must_from_json),
    func!("toJson", 1, to_json),
    func!("mustToJson", 1, must_to_json),
    func!("toPrettyJson", 1, to_pretty_json),
    func!("mustToPrettyJson", 1, must_to_pretty_json),
    func!("toRawJson", 1, to_raw_json),
    func!("mustToRawJson", 1, must_to_raw_json),
    func!("deepCopy", 1, deep_copy),
    func!("mustDeepCopy", 1, deep_copy),
    func!("typeOf", 1, type_of),
    func!("kindOf", 1, kind_of),
    func!("typeIs", 2, type_is),
    func!("typeIsLike", 2, type_is_like),
    func!("kindIs", 2, kind_is),
    func!("deepEqual", 2, deep_equal),
    func!("fail", 1, fail),
    func!("required", 2, required),
];

/// Stands in for an argument the call did not pass (the registry checks counts; this keeps
/// every access panic-free regardless).
static NIL: Value = Value::Nil;

fn arg(args: &[Value], index: usize) -> &Value {
    args.get(index).unwrap_or(&NIL)
}

/// sprig's `empty`: the zero value of its type. Unlike `Value::is_empty`, a zero time is not
/// empty: sprig's reflection answers `false` for every struct, `time.Time` included.
fn empty(value: &Value) -> bool {
    !value.is_true()
}

/// `default DEFAULT [GIVEN]`: only the first given value counts; a missing one is nil.
fn default(_: &mut Call, args: &[Value]) -> FuncResult {
    let given = arg(args, 1);
    Ok(if empty(given) { arg(args, 0).clone() } else { given.clone() })
}

fn empty_fn(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(empty(arg(args, 0))))
}

fn coalesce(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(args.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
}

fn all(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(args.iter().all(|v| !empty(v))))
}

fn any(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(args.iter().any(|v| !empty(v))))
}

/// sprig's `compact` panics where `mustCompact` errors; a template sees both as an error.
fn compact(call: &mut Call, args: &[Value]) -> FuncResult {
    match arg(args, 0) {
        Value::List(items) => list_result(call, items.iter().filter(|v| !empty(v)).cloned().collect()),
        other => Err(FuncError::new(format!("Cannot compact on type {}", kind_name(other)))),
    }
}

/// `ternary TRUE FALSE COND`: COND is a Go `bool` parameter, so anything else is a type error.
fn ternary(_: &mut Call, args: &[Value]) -> FuncResult {
    match arg(args, 2) {
        Value::Bool(cond) => Ok(if *cond { arg(args, 0) } else { arg(args, 1) }.clone()),
        Value::Nil => Err(FuncError::new("invalid value; expected bool")),
        other => Err(wrong_type(2, "bool", other)),
    }
}

// ---- JSON ----

/// What `json.Unmarshal` into `interface{}` makes of a document: the value, the first
/// number Go could not store (it keeps decoding and reports it at the end), or a syntax
/// error (nothing decoded).
enum Decoded {
    Value(Value, Option<String>),
    Syntax(String),
}

/// Decodes as Go does, with its syntax error texts. Not serde_json: its default float parsing
/// is not correctly rounded (`0.21695020247925606` comes back as `0.2169502024792561`), and
/// it rejects lone surrogates, which Go turns into U+FFFD. Documents past the size, nesting
/// or item limits are refused outright by both variants: those are this server's limits,
/// not JSON errors.
fn decode_json(call: &mut Call, text: &str) -> Result<Decoded, FuncError> {
    if text.len() > limits::MAX_STRING {
        return Err(FuncError::new(format!(
            "JSON document of {} bytes exceeds the {} byte limit",
            text.len(),
            limits::MAX_STRING
        )));
    }
    call.charge(text.len())?;
    // Checked up front so that a deep document fails the same way whether or not it is valid,
    // and so the recursive parser below never nests deeper than this.
    if json_nesting(text) > limits::MAX_DEPTH {
        return Err(depth_error());
    }
    let mut parser = JsonParser { text: text.as_bytes(), pos: 0, number_error: None };
    let value = match parser.value(0) {
        Ok(value) => value,
        Err(JsonFail::Syntax(message)) => return Ok(Decoded::Syntax(message)),
        Err(JsonFail::Limit(err)) => return Err(err),
    };
    parser.skip_space();
    if parser.pos < parser.text.len() {
        return Ok(Decoded::Syntax(parser.unexpected("after top-level value")));
    }
    Ok(Decoded::Value(value, parser.number_error))
}

/// The deepest nesting of arrays and objects in a (possibly invalid) JSON text.
fn json_nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn depth_error() -> FuncError {
    FuncError::new(format!("JSON nested deeper than {} levels", limits::MAX_DEPTH))
}

enum JsonFail {
    Syntax(String),
    Limit(FuncError),
}

/// A recursive-descent reader of RFC 8259 JSON following Go's `encoding/json` scanner.
struct JsonParser<'a> {
    text: &'a [u8],
    pos: usize,
    number_error: Option<String>,
}

impl JsonParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Go's `SyntaxError` text for the byte at the current position.
    fn unexpected(&self, context: &str) -> String {
        match self.peek() {
            None => "unexpected end of JSON input".into(),
            Some(c) => format!("invalid character {} {context}", quote_char(c)),
        }
    }

    fn fail(&self, context: &str) -> JsonFail {
        JsonFail::Syntax(self.unexpected(context))
    }

    /// A failure inside a token (literal, number, escape). At the end of the input Go's
    /// scanner feeds one more space, which such a token rejects by name.
    fn fail_in_token(&self, context: &str) -> JsonFail {
        match self.peek() {
            None => JsonFail::Syntax(format!("invalid character ' ' {context}")),
            Some(_) => self.fail(context),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonFail> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                self.object(depth + 1)
            }
            Some(b'[') => {
                self.pos += 1;
                self.array(depth + 1)
            }
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Value::Str)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Nil),
            _ => Err(self.fail("looking for beginning of value")),
        }
    }

    fn enter(depth: usize) -> Result<(), JsonFail> {
        if depth > limits::MAX_DEPTH { Err(JsonFail::Limit(depth_error())) } else { Ok(()) }
    }

    fn too_many(count: usize) -> Result<(), JsonFail> {
        super::check_count(count).map_err(JsonFail::Limit)
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonFail> {
        Self::enter(depth)?;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::list(items));
        }
        loop {
            items.push(self.value(depth)?);
            Self::too_many(items.len())?;
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.fail("after array element")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonFail> {
        Self::enter(depth)?;
        let mut entries = BTreeMap::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::map(entries));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.fail("looking for beginning of object key string"));
            }
            self.pos += 1;
            let key = self.string()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.fail("after object key"));
            }
            self.pos += 1;
            // A repeated key keeps the last value, as Go's map assignment does.
            entries.insert(key, self.value(depth)?);
            Self::too_many(entries.len())?;
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::map(entries));
                }
                _ => return Err(self.fail("after object key:value pair")),
            }
        }
    }

    /// The rest of a string literal, after its opening quote.
    fn string(&mut self) -> Result<String, JsonFail> {
        let mut out = String::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            // The run ends at an ASCII byte (or the end) of a &str, so it is whole UTF-8.
            out.push_str(&String::from_utf8_lossy(self.text.get(start..self.pos).unwrap_or_default()));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(self.fail("in string literal")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonFail> {
        let decoded = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                out.push(self.utf16(unit));
                return Ok(());
            }
            _ => return Err(self.fail_in_token("in string escape code")),
        };
        self.pos += 1;
        out.push(decoded);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonFail> {
        let mut unit = 0;
        for _ in 0..4 {
            match self.peek().and_then(|c| char::from(c).to_digit(16)) {
                Some(digit) => unit = unit * 16 + digit,
                None => return Err(self.fail_in_token("in \\u hexadecimal character escape")),
            }
            self.pos += 1;
        }
        Ok(unit)
    }

    /// A `\uXXXX` unit: a high surrogate pairs with a following `\uDC00`-`\uDFFF`; any other
    /// surrogate is U+FFFD, as in Go.
    fn utf16(&mut self, unit: u32) -> char {
        if !(0xD800..0xE000).contains(&unit) {
            return char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER);
        }
        if unit < 0xDC00 && self.text.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let low = self
                .text
                .get(self.pos + 2..self.pos + 6)
                .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u32::from_str_radix(hex, 16).ok());
            if let Some(low @ 0xDC00..0xE000) = low {
                self.pos += 6;
                return char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
            }
        }
        char::REPLACEMENT_CHARACTER
    }

    fn digits(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Go decodes every number as float64; one it cannot hold (`1e400`) decodes as nil and
    /// is reported once decoding ends.
    fn number(&mut self) -> Result<Value, JsonFail> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail_in_token("in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.digits() {
                return Err(self.fail_in_token("after decimal point in numeric literal"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.digits() {
                return Err(self.fail_in_token("in exponent of numeric literal"));
            }
        }
        let literal = std::str::from_utf8(self.text.get(start..self.pos).unwrap_or_default()).unwrap_or_default();
        match literal.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => {
                if self.number_error.is_none() {
                    self.number_error =
                        Some(format!("json: cannot unmarshal number {literal} into Go value of type float64"));
                }
                Ok(Value::Nil)
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonFail> {
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                return Err(self.fail_in_token(&format!("in literal {word} (expecting {})", quote_char(expected))));
            }
            self.pos += 1;
        }
        Ok(value)
    }
}

/// Go's `quoteChar`: the byte as a rune (so 0xC3 reads 'Ã'), in single quotes, escaped as
/// `strconv.Quote` would.
fn quote_char(c: u8) -> String {
    let inner = match c {
        b'\'' => "\\'".to_owned(),
        b'"' => "\"".to_owned(),
        b'\\' => "\\\\".to_owned(),
        0x07 => "\\a".to_owned(),
        0x08 => "\\b".to_owned(),
        0x0c => "\\f".to_owned(),
        b'\n' => "\\n".to_owned(),
        b'\r' => "\\r".to_owned(),
        b'\t' => "\\t".to_owned(),
        0x0b => "\\v".to_owned(),
        0x00..0x20 | 0x7f => format!("\\x{c:02x}"),
        0x80..=0xa0 | 0xad => format!("\\u{c:04x}"),
        _ => char::from(c).to_string(),
    };
    format!("'{inner}'")
}

/// sprig ignores the decoding error: a syntax error gives Go's nil (printed `<no value>`),
/// an unstorable number leaves nil in its place.
fn from_json(call: &mut Call, args: &[Value]) -> FuncResult {
    match decode_json(call, string_arg(args, 0)?)? {
        Decoded::Value(value, _) => Ok(value),
        Decoded::Syntax(_) => Ok(Value::Nil),
    }
}

fn must_from_json(call: &mut Call, args: &[Value]) -> FuncResult {
    match decode_json(call, string_arg(args, 0)?)? {
        Decoded::Value(value, None) => Ok(value),
        Decoded::Value(_, Some(message)) | Decoded::Syntax(message) => Err(FuncError::new(message)),
    }
}

#[derive(Clone, Copy)]
enum JsonStyle {
    /// `json.Marshal`: compact, `<`, `>`, `&` escaped.
    Compact,
    /// `json.MarshalIndent(v, "", "  ")`.
    Pretty,
    /// An `Encoder` with `SetEscapeHTML(false)`.
    Raw,
}

/// Why encoding stopped: Go's own error (which the non-`must` variants swallow), or one of
/// this server's limits (which always fails the render).
enum JsonError {
    Go(FuncError),
    Limit(FuncError),
}

fn encode_json(value: &Value, style: JsonStyle) -> Result<String, JsonError> {
    let mut writer = JsonWriter { out: String::new(), style };
    writer.write(value, 0)?;
    if writer.out.len() > limits::MAX_STRING {
        return Err(JsonError::Limit(too_long()));
    }
    Ok(writer.out)
}

fn too_long() -> FuncError {
    FuncError::new(format!("JSON output exceeds the {} byte limit", limits::MAX_STRING))
}

struct JsonWriter {
    out: String,
    style: JsonStyle,
}

impl JsonWriter {
    fn write(&mut self, value: &Value, depth: usize) -> Result<(), JsonError> {
        // Every value writes at least one byte, so this bounds the work as well as the size.
        if self.out.len() > limits::MAX_STRING {
            return Err(JsonError::Limit(too_long()));
        }
        match value {
            Value::Nil => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => self.write_float(*f)?,
            Value::Str(s) => self.write_string(s),
            Value::Time(t) => self.write_string(&t.format_rfc3339_nano()),
            Value::List(items) => {
                let depth = Self::enter(depth)?;
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.separator(i, depth);
                    self.write(item, depth)?;
                }
                self.close(items.is_empty(), depth, ']');
            }
            Value::Map(entries) => {
                let depth = Self::enter(depth)?;
                self.out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    self.member(i, depth, key);
                    self.write(item, depth)?;
                }
                self.close(entries.is_empty(), depth, '}');
            }
            // The one struct with a `String` method, `*semver.Version`, marshals to that string.
            Value::Struct(s) if s.stringer().is_some() => self.write_string(s.stringer().unwrap_or_default()),
            Value::Struct(s) => {
                let depth = Self::enter(depth)?;
                self.out.push('{');
                for (i, (key, item)) in s.fields.iter().enumerate() {
                    self.member(i, depth, key);
                    self.write(item, depth)?;
                }
                self.close(s.fields.is_empty(), depth, '}');
            }
        }
        Ok(())
    }

    fn enter(depth: usize) -> Result<usize, JsonError> {
        if depth >= limits::MAX_DEPTH {
            return Err(JsonError::Limit(FuncError::new(format!(
                "value nested deeper than {} levels",
                limits::MAX_DEPTH
            ))));
        }
        Ok(depth + 1)
    }

    /// Before the `index`th element of a container at nesting `depth`.
    fn separator(&mut self, index: usize, depth: usize) {
        if index > 0 {
            self.out.push(',');
        }
        self.newline(depth);
    }

    fn member(&mut self, index: usize, depth: usize, key: &str) {
        self.separator(index, depth);
        self.write_string(key);
        self.out.push(':');
        if matches!(self.style, JsonStyle::Pretty) {
            self.out.push(' ');
        }
    }

    /// Go's `Indent` leaves empty containers as `[]` and `{}`.
    fn close(&mut self, empty: bool, depth: usize, bracket: char) {
        if !empty {
            self.newline(depth - 1);
        }
        self.out.push(bracket);
    }

    fn newline(&mut self, depth: usize) {
        if matches!(self.style, JsonStyle::Pretty) {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }

    /// encoding/json's float format: shortest round-trip digits, `%f` style unless the
    /// magnitude is below 1e-6 or at least 1e21, then `1e+21`, `1e-7` (one-digit exponent).
    fn write_float(&mut self, f: f64) -> Result<(), JsonError> {
        if !f.is_finite() {
            let text = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(JsonError::Go(FuncError::new(format!("json: unsupported value: {text}"))));
        }
        if f.is_sign_negative() {
            self.out.push('-');
        }
        let abs = f.abs();
        if abs == 0.0 {
            self.out.push('0');
            return Ok(());
        }
        let (digits, exponent) = super::super::value::go_shortest_digits(abs);
        if !(1e-6..1e21).contains(&abs) {
            let (first, rest) = digits.split_at(1);
            self.out.push_str(first);
            if !rest.is_empty() {
                self.out.push('.');
                self.out.push_str(rest);
            }
            let sign = if exponent < 0 { '-' } else { '+' };
            let _ = write!(self.out, "e{sign}{}", exponent.unsigned_abs());
        } else if exponent < 0 {
            self.out.push_str("0.");
            self.out.extend(std::iter::repeat_n('0', exponent.unsigned_abs() as usize - 1));
            self.out.push_str(&digits);
        } else {
            let integer = exponent as usize + 1;
            if digits.len() <= integer {
                self.out.push_str(&digits);
                self.out.extend(std::iter::repeat_n('0', integer - digits.len()));
            } else {
                let (whole, fraction) = digits.split_at(integer);
                self.out.push_str(whole);
                self.out.push('.');
                self.out.push_str(fraction);
            }
        }
        Ok(())
    }

    /// encoding/json's string escaping (Go 1.22+: `\b` and `\f` have short forms).
    fn write_string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let escape_html = !matches!(self.style, JsonStyle::Raw);
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '<' | '>' | '&' if escape_html => self.push_u00(c as u8, HEX),
                c if (c as u32) < 0x20 => self.push_u00(c as u8, HEX),
                // Line and paragraph separators break JavaScript string literals.
                '\u{2028}' => self.out.push_str("\\u2028"),
                '\u{2029}' => self.out.push_str("\\u2029"),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn push_u00(&mut self, byte: u8, hex: &[u8; 16]) {
        self.out.push_str("\\u00");
        self.out.push(char::from(hex[usize::from(byte >> 4)]));
        self.out.push(char::from(hex[usize::from(byte & 0xf)]));
    }
}

/// The non-`must` variants print "" where Go's encoder fails (NaN, infinities).
fn json_lenient(call: &mut Call, args: &[Value], style: JsonStyle) -> FuncResult {
    match encode_json(arg(args, 0), style) {
        Ok(text) => string_result(call, text),
        Err(JsonError::Go(_)) => Ok(Value::str("")),
        Err(JsonError::Limit(err)) => Err(err),
    }
}

fn json_strict(call: &mut Call, args: &[Value], style: JsonStyle) -> FuncResult {
    match encode_json(arg(args, 0), style) {
        Ok(text) => string_result(call, text),
        Err(JsonError::Go(err) | JsonError::Limit(err)) => Err(err),
    }
}

fn to_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_lenient(call, args, JsonStyle::Compact)
}

fn must_to_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_strict(call, args, JsonStyle::Compact)
}

fn to_pretty_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_lenient(call, args, JsonStyle::Pretty)
}

fn must_to_pretty_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_strict(call, args, JsonStyle::Pretty)
}

fn to_raw_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_lenient(call, args, JsonStyle::Raw)
}

fn must_to_raw_json(call: &mut Call, args: &[Value]) -> FuncResult {
    json_strict(call, args, JsonStyle::Raw)
}

// ---- copies and reflection ----

/// Values are immutable and shared, so a clone is as good as Go's deep copy: no later
/// `set` on the copy can reach the original.
/// A nil (missing) value makes copystructure panic in Go, which the template reports.
fn deep_copy(_: &mut Call, args: &[Value]) -> FuncResult {
    match arg(args, 0) {
        Value::Nil => Err(FuncError::new("reflect: call of reflect.Value.Type on zero Value")),
        value => Ok(value.clone()),
    }
}

/// `reflect.Kind`'s name for the value (a nil interface is `invalid`); also in sprig's
/// `urlJoin` errors.
pub(super) fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        // A pointer type (`*semver.Version`).
        Value::Struct(s) if s.type_name.starts_with('*') => "ptr",
        Value::Struct(_) | Value::Time(_) => "struct",
    }
}

/// `fmt.Sprintf("%T", v)`.
fn type_of(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::str(arg(args, 0).type_name()))
}

fn kind_of(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::str(kind_name(arg(args, 0))))
}

fn type_is(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 0)? == arg(args, 1).type_name()))
}

/// Also matches a pointer to the type (`typeIsLike "Foo"` accepts `*Foo`).
fn type_is_like(_: &mut Call, args: &[Value]) -> FuncResult {
    let target = string_arg(args, 0)?;
    let actual = arg(args, 1).type_name();
    Ok(Value::Bool(target == actual || actual.strip_prefix('*') == Some(target)))
}

fn kind_is(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(string_arg(args, 0)? == kind_name(arg(args, 1))))
}

/// `reflect.DeepEqual`: types must match too (`1` is not `1.0`), NaN equals nothing.
fn deep_equal(call: &mut Call, args: &[Value]) -> FuncResult {
    let (a, b) = (arg(args, 0), arg(args, 1));
    call.charge(a.weight().saturating_add(b.weight()))?;
    Ok(Value::Bool(a.deep_equal(b)))
}

fn fail(_: &mut Call, args: &[Value]) -> FuncResult {
    Err(FuncError::new(string_arg(args, 0)?))
}

/// `required MSG VALUE` (Helm's, which Kong's templates also offer): nil or "" fails with MSG.
fn required(_: &mut Call, args: &[Value]) -> FuncResult {
    let message = string_arg(args, 0)?;
    match arg(args, 1) {
        Value::Nil => Err(FuncError::new(message)),
        Value::Str(s) if s.is_empty() => Err(FuncError::new(message)),
        value => Ok(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> FuncResult {
        super::super::call_by_name(name, args)
    }

    fn ok(name: &str, args: &[Value]) -> Value {
        call(name, args).unwrap()
    }

    fn text(name: &str, args: &[Value]) -> String {
        match ok(name, args) {
            Value::Str(s) => s,
            other => panic!("{name} returned {other:?}"),
        }
    }

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    fn list(items: Vec<Value>) -> Value {
        Value::list(items)
    }

    fn dict(entries: &[(&str, Value)]) -> Value {
        Value::map(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect::<BTreeMap<_, _>>())
    }

    #[test]
    fn arities_match_sprig() {
        let arity = |name: &str| FUNCS.iter().find(|f| f.name == name).map(|f| (f.min, f.max)).unwrap();
        assert_eq!(arity("default"), (1, None));
        assert_eq!(arity("coalesce"), (0, None));
        assert_eq!(arity("ternary"), (3, Some(3)));
        assert_eq!(arity("required"), (2, Some(2)));
        assert_eq!(arity("toJson"), (1, Some(1)));
        let mut names: Vec<_> = FUNCS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCS.len(), "duplicate names");
    }

    #[test]
    fn default_takes_the_piped_value_last() {
        // {{ .Bar | default "foo" }} with .Bar missing / empty / set.
        assert_eq!(ok("default", &[s("foo"), Value::Nil]), s("foo"));
        assert_eq!(ok("default", &[s("foo")]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), s("")]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), s("bar")]), s("bar"));
        assert_eq!(ok("default", &[s("foo"), Value::Int(0)]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), Value::Float(0.0)]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), Value::Bool(false)]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), list(vec![])]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), dict(&[])]), s("foo"));
        assert_eq!(ok("default", &[s("foo"), Value::Int(-1)]), Value::Int(-1));
        assert_eq!(ok("default", &[s("foo"), Value::Bool(true)]), Value::Bool(true));
        // Only the first given value counts.
        assert_eq!(ok("default", &[s("foo"), s(""), s("bar")]), s("foo"));
        assert_eq!(ok("default", &[Value::Int(5), list(vec![Value::Nil])]), list(vec![Value::Nil]));
    }

    #[test]
    fn empty_follows_sprig() {
        for value in [Value::Nil, s(""), Value::Int(0), Value::Float(0.0), Value::Bool(false), list(vec![]), dict(&[])]
        {
            assert_eq!(ok("empty", std::slice::from_ref(&value)), Value::Bool(true), "{value:?}");
        }
        for value in [s(" "), Value::Int(1), Value::Float(-0.5), Value::Bool(true), list(vec![Value::Nil])] {
            assert_eq!(ok("empty", std::slice::from_ref(&value)), Value::Bool(false), "{value:?}");
        }
        // Go's zero time.Time is a struct, which sprig never calls empty.
        let year_one = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        let zero_time = crate::gotime::GoTime::utc(year_one);
        assert_eq!(ok("empty", &[Value::Time(zero_time)]), Value::Bool(false));
    }

    #[test]
    fn coalesce_all_any() {
        assert_eq!(ok("coalesce", &[Value::Int(0), Value::Int(1), Value::Int(2)]), Value::Int(1));
        assert_eq!(ok("coalesce", &[Value::Nil, s(""), s("x")]), s("x"));
        assert_eq!(ok("coalesce", &[Value::Nil, s("")]), Value::Nil);
        assert_eq!(ok("coalesce", &[]), Value::Nil);
        assert_eq!(ok("all", &[Value::Int(1), s("a")]), Value::Bool(true));
        assert_eq!(ok("all", &[Value::Int(1), s("")]), Value::Bool(false));
        assert_eq!(ok("all", &[]), Value::Bool(true));
        assert_eq!(ok("any", &[Value::Int(0), s("a")]), Value::Bool(true));
        assert_eq!(ok("any", &[Value::Int(0), Value::Nil]), Value::Bool(false));
        assert_eq!(ok("any", &[]), Value::Bool(false));
    }

    #[test]
    fn compact_drops_empty_items() {
        let input = list(vec![s("a"), s(""), Value::Int(0), Value::Nil, Value::Int(1), list(vec![])]);
        assert_eq!(ok("compact", std::slice::from_ref(&input)), list(vec![s("a"), Value::Int(1)]));
        assert_eq!(ok("mustCompact", &[input]), list(vec![s("a"), Value::Int(1)]));
        assert_eq!(ok("compact", &[list(vec![])]), list(vec![]));
        assert_eq!(call("mustCompact", &[s("abc")]).unwrap_err().0, "Cannot compact on type string");
        assert!(call("compact", &[Value::Nil]).is_err());
    }

    #[test]
    fn ternary_needs_a_bool() {
        assert_eq!(ok("ternary", &[s("foo"), s("bar"), Value::Bool(true)]), s("foo"));
        assert_eq!(ok("ternary", &[s("foo"), s("bar"), Value::Bool(false)]), s("bar"));
        assert!(call("ternary", &[s("foo"), s("bar"), s("true")]).is_err());
        assert!(call("ternary", &[s("foo"), s("bar"), Value::Nil]).is_err());
        assert!(call("ternary", &[s("foo"), s("bar"), Value::Int(1)]).is_err());
    }

    #[test]
    fn from_json_decodes_like_go() {
        let value = ok("fromJson", &[s(r#"{"a":1,"b":[true,null,"x",1.5],"c":{}}"#)]);
        let expected = dict(&[
            ("a", Value::Float(1.0)),
            ("b", list(vec![Value::Bool(true), Value::Nil, s("x"), Value::Float(1.5)])),
            ("c", dict(&[])),
        ]);
        assert_eq!(value, expected);
        assert_eq!(value.to_go_string(), "map[a:1 b:[true <nil> x 1.5] c:map[]]");
        assert_eq!(ok("fromJson", &[s("\"hi\"")]), s("hi"));
        assert_eq!(ok("fromJson", &[s(" 12 ")]), Value::Float(12.0));
        // Duplicate keys: the last wins, as in Go.
        assert_eq!(ok("fromJson", &[s(r#"{"a":1,"a":2}"#)]), dict(&[("a", Value::Float(2.0))]));
    }

    #[test]
    fn from_json_errors() {
        for bad in ["", "{", "{} x", "nope", "[1,]", "{'a':1}"] {
            assert_eq!(ok("fromJson", &[s(bad)]), Value::Nil, "{bad}");
            assert!(call("mustFromJson", &[s(bad)]).is_err(), "{bad}");
        }
        // A missing value for a string parameter is an error in Go ("invalid value").
        assert!(call("fromJson", &[Value::Nil]).is_err());
        assert!(call("fromJson", &[Value::Int(1)]).is_err());
    }

    #[test]
    fn from_json_matches_go_edge_cases() {
        // Outputs of Go's json.Unmarshal into interface{}, printed with fmt.Sprint.
        for (doc, printed, error) in [
            ("[1e400, 2]", "[<nil> 2]", "json: cannot unmarshal number 1e400 into Go value of type float64"),
            (
                r#"{"a":1e400,"b":[1,-1e999]}"#,
                "map[a:<nil> b:[1 <nil>]]",
                "json: cannot unmarshal number 1e400 into Go value of type float64",
            ),
            (r#""\ud800\udc00x\udc00\ud800\u0041\ud800""#, "\u{10000}x\u{fffd}\u{fffd}A\u{fffd}", ""),
            (r#""\ud83d\ude00""#, "\u{1f600}", ""),
            ("-0", "-0", ""),
            ("[-0.0, 1E2, 1e-400]", "[-0 100 0]", ""),
            (r#"{"a":1,"a":[2]}"#, "map[a:[2]]", ""),
            (r#""\u00e9\/""#, "é/", ""),
            ("  [ ]  ", "[]", ""),
            ("0.21695020247925606", "0.21695020247925606", ""),
        ] {
            assert_eq!(ok("fromJson", &[s(doc)]).to_go_string(), printed, "{doc}");
            match call("mustFromJson", &[s(doc)]) {
                Ok(_) => assert_eq!(error, "", "{doc}"),
                Err(err) => assert_eq!(err.0, error, "{doc}"),
            }
        }
        for (doc, error) in [
            (r#"{"a" 1}"#, "invalid character '1' after object key"),
            ("[1,]", "invalid character ']' looking for beginning of value"),
            (r#"{"a":1,}"#, "invalid character '}' looking for beginning of object key string"),
            ("01", "invalid character '1' after top-level value"),
            ("\"abc", "unexpected end of JSON input"),
            ("", "unexpected end of JSON input"),
            (r#""\u12""#, "invalid character '\"' in \\u hexadecimal character escape"),
            ("nul", "invalid character ' ' in literal null (expecting 'l')"),
            ("-", "invalid character ' ' in numeric literal"),
            ("[1.]", "invalid character ']' after decimal point in numeric literal"),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            ("é", "invalid character 'Ã' looking for beginning of value"),
            ("'a'", "invalid character '\\'' looking for beginning of value"),
        ] {
            assert_eq!(ok("fromJson", &[s(doc)]), Value::Nil, "{doc}");
            assert_eq!(call("mustFromJson", &[s(doc)]).unwrap_err().0, error, "{doc}");
        }
    }

    #[test]
    fn from_json_enforces_limits() {
        let deep_ok = format!("{}{}", "[".repeat(limits::MAX_DEPTH), "]".repeat(limits::MAX_DEPTH));
        assert!(call("mustFromJson", &[s(&deep_ok)]).is_ok());
        let too_deep = format!("{}{}", "[".repeat(limits::MAX_DEPTH + 1), "]".repeat(limits::MAX_DEPTH + 1));
        assert!(call("fromJson", &[s(&too_deep)]).is_err());
        // Past serde_json's own recursion limit, still our error rather than a silent nil.
        let very_deep = "[".repeat(200);
        assert!(call("fromJson", &[s(&very_deep)]).is_err());
        // Brackets inside strings do not count.
        let quoted = format!("\"{}\"", "[".repeat(100));
        assert_eq!(ok("fromJson", &[s(&quoted)]), s(&"[".repeat(100)));
        let big = format!("\"{}\"", "a".repeat(limits::MAX_STRING));
        assert!(call("fromJson", &[s(&big)]).is_err());
        let many = format!("[{}0]", "0,".repeat(limits::MAX_ITEMS));
        assert!(call("fromJson", &[s(&many)]).is_err());
        let enough = format!("[{}0]", "0,".repeat(limits::MAX_ITEMS - 1));
        assert!(call("fromJson", &[s(&enough)]).is_ok());
    }

    #[test]
    fn from_json_charges_the_budget() {
        let func = FUNCS.iter().find(|f| f.name == "fromJson").unwrap();
        let mut budget = Call::new(chrono::Utc::now());
        budget.charge((limits::FUEL - 10) as usize).unwrap();
        assert!((func.call)(&mut budget, &[s("[1, 2, 3, 4, 5, 6]")]).is_err());
    }

    #[test]
    fn to_json_matches_encoding_json() {
        let value = dict(&[("name", s("Tessera")), ("n", Value::Int(3)), ("ok", Value::Bool(true)), ("x", Value::Nil)]);
        assert_eq!(text("toJson", &[value]), r#"{"n":3,"name":"Tessera","ok":true,"x":null}"#);
        let round_trip = ok("fromJson", &[s("{\"a\":1}")]);
        assert_eq!(text("toJson", &[round_trip]), r#"{"a":1}"#);
        assert_eq!(text("toJson", &[s("<a&b>")]), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(text("toRawJson", &[s("<a&b>")]), r#""<a&b>""#);
        assert_eq!(text("toJson", &[Value::Nil]), "null");
        assert_eq!(text("toJson", &[list(vec![])]), "[]");
        assert_eq!(text("toJson", &[dict(&[])]), "{}");
        // DEL passes through as is.
        let expected = "\"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\u{7f}\\u2028é\"";
        assert_eq!(text("toJson", &[s("q\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}\u{2028}é")]), expected);
        // Keys are escaped too.
        assert_eq!(text("toJson", &[dict(&[("<k>", Value::Int(1))])]), r#"{"\u003ck\u003e":1}"#);
        assert_eq!(text("toRawJson", &[dict(&[("<k>", s("&"))])]), r#"{"<k>":"&"}"#);
    }

    #[test]
    fn json_floats_format_like_go() {
        for (f, go) in [
            (1.0, "1"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.5, "1.5"),
            (100000000.0, "100000000"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.25e-10, "1.25e-10"),
            (-2.5e-8, "-2.5e-8"),
            (0.1, "0.1"),
            (123456789.125, "123456789.125"),
            // An exact tie between two shortest candidates: Go rounds to even.
            (915_876_566_165_401.0 + 0.25, "915876566165401.2"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(text("toJson", &[Value::Float(f)]), go, "{f}");
        }
        assert_eq!(text("toJson", &[Value::Int(i64::MIN)]), "-9223372036854775808");
    }

    #[test]
    fn json_rejects_nan_like_go() {
        assert_eq!(text("toJson", &[Value::Float(f64::NAN)]), "");
        assert_eq!(text("toPrettyJson", &[list(vec![Value::Float(f64::INFINITY)])]), "");
        assert_eq!(text("toRawJson", &[Value::Float(f64::NEG_INFINITY)]), "");
        assert_eq!(call("mustToJson", &[Value::Float(f64::NAN)]).unwrap_err().0, "json: unsupported value: NaN");
        assert_eq!(
            call("mustToRawJson", &[Value::Float(f64::INFINITY)]).unwrap_err().0,
            "json: unsupported value: +Inf"
        );
        assert!(call("mustToPrettyJson", &[Value::Float(f64::NEG_INFINITY)]).is_err());
    }

    #[test]
    fn pretty_json_indents_two_spaces() {
        let value = dict(&[("a", list(vec![Value::Int(1), list(vec![]), dict(&[])])), ("b", dict(&[("c", s("<"))]))]);
        let expected = "{\n  \"a\": [\n    1,\n    [],\n    {}\n  ],\n  \"b\": {\n    \"c\": \"\\u003c\"\n  }\n}";
        assert_eq!(text("toPrettyJson", std::slice::from_ref(&value)), expected);
        assert_eq!(text("mustToPrettyJson", &[value]), expected);
        assert_eq!(text("toPrettyJson", &[s("x")]), "\"x\"");
        assert_eq!(text("toPrettyJson", &[list(vec![])]), "[]");
    }

    #[test]
    fn json_of_structs_and_limits() {
        let st = Value::Struct(std::sync::Arc::new(crate::value::Struct {
            type_name: "Client",
            fields: vec![("Name", s("web")), ("ID", Value::Int(7))],
        }));
        assert_eq!(text("toJson", std::slice::from_ref(&st)), r#"{"Name":"web","ID":7}"#);
        assert_eq!(text("typeOf", std::slice::from_ref(&st)), "Client");
        assert_eq!(text("kindOf", &[st]), "struct");
        let mut deep = Value::Nil;
        for _ in 0..limits::MAX_DEPTH {
            deep = list(vec![deep]);
        }
        assert!(call("toJson", &[deep.clone()]).is_ok());
        assert!(call("toJson", &[list(vec![deep])]).is_err());
        let big = list(vec![s(&"x".repeat(40_000)), s(&"y".repeat(40_000))]);
        assert!(call("toJson", std::slice::from_ref(&big)).is_err());
        assert!(call("toRawJson", &[big]).is_err());
        // Shared items repeated many times: refused by size, quickly.
        let wide = list(vec![s(&"z".repeat(1000)); limits::MAX_ITEMS]);
        let nested = list(vec![wide; limits::MAX_ITEMS]);
        assert!(call("toJson", &[nested]).is_err());
    }

    #[test]
    fn deep_copy_and_equal() {
        let value = dict(&[("a", list(vec![Value::Int(1), s("x")]))]);
        assert_eq!(ok("deepCopy", std::slice::from_ref(&value)), value);
        // Go's copystructure panics on nil, which the template reports as an error.
        assert!(call("mustDeepCopy", &[Value::Nil]).is_err());
        assert_eq!(ok("deepEqual", &[value.clone(), ok("deepCopy", std::slice::from_ref(&value))]), Value::Bool(true));
        assert_eq!(ok("deepEqual", &[Value::Int(1), Value::Float(1.0)]), Value::Bool(false));
        assert_eq!(ok("deepEqual", &[Value::Nil, Value::Nil]), Value::Bool(true));
        assert_eq!(ok("deepEqual", &[Value::Float(f64::NAN), Value::Float(f64::NAN)]), Value::Bool(false));
        assert_eq!(ok("deepEqual", &[value, dict(&[])]), Value::Bool(false));
    }

    #[test]
    fn reflection_names_go_types() {
        let cases = [
            (s("a"), "string", "string"),
            (Value::Int(1), "int", "int"),
            (Value::Float(1.0), "float64", "float64"),
            (Value::Bool(true), "bool", "bool"),
            (list(vec![]), "[]interface {}", "slice"),
            (dict(&[]), "map[string]interface {}", "map"),
            (Value::Nil, "<nil>", "invalid"),
        ];
        for (value, type_name, kind) in cases {
            assert_eq!(text("typeOf", std::slice::from_ref(&value)), type_name);
            assert_eq!(text("kindOf", std::slice::from_ref(&value)), kind);
            assert_eq!(ok("typeIs", &[s(type_name), value.clone()]), Value::Bool(true));
            assert_eq!(ok("typeIsLike", &[s(type_name), value.clone()]), Value::Bool(true));
            assert_eq!(ok("kindIs", &[s(kind), value.clone()]), Value::Bool(true));
            assert_eq!(ok("kindIs", &[s("ptr"), value]), Value::Bool(false));
        }
        let time = Value::Time(crate::gotime::GoTime::utc(chrono::Utc::now()));
        assert_eq!(text("typeOf", std::slice::from_ref(&time)), "time.Time");
        assert_eq!(text("kindOf", &[time]), "struct");
        assert_eq!(ok("typeIs", &[s("int"), Value::Float(1.0)]), Value::Bool(false));
        assert_eq!(ok("typeIsLike", &[s("string"), Value::Int(1)]), Value::Bool(false));
    }

    #[test]
    fn fail_and_required() {
        assert_eq!(call("fail", &[s("boom")]).unwrap_err().0, "boom");
        assert_eq!(call("required", &[s("need it"), Value::Nil]).unwrap_err().0, "need it");
        assert_eq!(call("required", &[s("need it"), s("")]).unwrap_err().0, "need it");
        assert_eq!(ok("required", &[s("need it"), s("x")]), s("x"));
        // Only nil and "" fail: other zero values pass, as in Helm.
        assert_eq!(ok("required", &[s("need it"), Value::Int(0)]), Value::Int(0));
        assert_eq!(ok("required", &[s("need it"), list(vec![])]), list(vec![]));
    }
}
