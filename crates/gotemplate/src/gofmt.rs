//! Go's `fmt` for templates: `printf`'s verbs, flags, width and precision, and `print`/`println`
//! spacing, applied to template values the way Go applies them to `interface{}` values, with
//! Go's error forms (`%!d(string=hi)`, `%!(EXTRA int=1)`, `%!d(MISSING)`, `%!(NOVERB)`).
//!
//! Deliberate differences from Go: widths and precisions above [`MAX_WIDTH`] are refused like
//! out-of-range ones (`%!(BADWIDTH)`, `%!(BADPREC)`), output stops growing once it passes
//! `limits::MAX_STRING` (callers refuse such results), `%p` has no addresses to print, and a
//! time's `%#v` is its `String()` form.

use std::sync::LazyLock;

use regex::Regex;

use super::funcs::limits;
use super::value::Value;

/// The largest width or precision a format may ask for. Go allows 10^6; one `%1000000d` per
/// list element would let a small template allocate gigabytes.
pub(crate) const MAX_WIDTH: usize = 10_000;

/// `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

/// `fmt.Sprint(args...)`: a space between operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
        if p.full() {
            break;
        }
    }
    p.buf
}

/// `fmt.Sprintln(args...)`: spaces between all operands, and a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        if p.full() {
            break;
        }
    }
    p.buf.push('\n');
    p.buf
}

/// `strconv.Quote(s)`: a double-quoted Go string literal.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

/// `strconv.FormatFloat(v, fmt, prec, 64)` for the formats `b e E f g G x X`; a negative
/// precision asks for the fewest digits that read back as `v`.
pub(crate) fn format_float(v: f64, fmt: u8, prec: i64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let neg = v.is_sign_negative();
    match fmt {
        b'b' => fmt_b(v),
        b'x' | b'X' => fmt_x(v, prec, fmt),
        b'f' if prec >= 0 => {
            // Rust's fixed formatting rounds the exact binary value half-to-even, as Go does.
            let digits = format!("{:.*}", prec as usize, v.abs());
            if neg { format!("-{digits}") } else { digits }
        }
        _ => {
            let shortest = prec < 0;
            let (digits, dp) = if shortest {
                decimal_digits(&format!("{:e}", v.abs()))
            } else {
                let count = match fmt {
                    b'e' | b'E' => prec + 1,
                    b'g' | b'G' => prec.max(1),
                    _ => 1,
                };
                decimal_digits(&format!("{:.*e}", (count - 1) as usize, v.abs()))
            };
            let nd = digits.len() as i64;
            let prec = if shortest {
                match fmt {
                    b'e' | b'E' => (nd - 1).max(0),
                    b'f' => (nd - dp).max(0),
                    _ => nd,
                }
            } else if matches!(fmt, b'g' | b'G') {
                prec.max(1)
            } else {
                prec
            };
            format_digits(neg, &digits, dp, prec, fmt, shortest)
        }
    }
}

/// The significant digits (trailing zeros dropped; none for zero) and the decimal point's
/// position of Rust's `{:e}` output, like strconv's `decimalSlice`.
fn decimal_digits(sci: &str) -> (Vec<u8>, i64) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (digits, 0);
    }
    (digits, exp.parse::<i64>().unwrap_or(0) + 1)
}

/// strconv's `formatDigits`: `%e`, `%f`, or `%g`'s choice between them.
fn format_digits(neg: bool, d: &[u8], dp: i64, prec: i64, fmt: u8, shortest: bool) -> String {
    match fmt {
        b'e' | b'E' => fmt_e(neg, d, dp, prec, fmt),
        b'f' => fmt_f(neg, d, dp, prec),
        _ => {
            let nd = d.len() as i64;
            let mut eprec = prec;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            // %e is used if the exponent is below -4 or at least the precision (6 for shortest).
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            let e = if fmt == b'G' { b'E' } else { b'e' };
            if exp < -4 || exp >= eprec {
                return fmt_e(neg, d, dp, prec.min(nd) - 1, e);
            }
            let prec = if prec > dp { nd } else { prec };
            fmt_f(neg, d, dp, (prec - dp).max(0))
        }
    }
}

/// `-d.ddddde±dd`
fn fmt_e(neg: bool, d: &[u8], dp: i64, prec: i64, e: u8) -> String {
    let mut out = Vec::with_capacity(prec.max(0) as usize + 8);
    if neg {
        out.push(b'-');
    }
    out.push(d.first().copied().unwrap_or(b'0'));
    if prec > 0 {
        out.push(b'.');
        let end = d.len().min(prec as usize + 1);
        out.extend_from_slice(d.get(1..end).unwrap_or(&[]));
        out.extend(std::iter::repeat_n(b'0', (prec as usize + 1).saturating_sub(end.max(1))));
    }
    out.push(e);
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    out.push(if exp < 0 { b'-' } else { b'+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(exp.to_string().as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// `-ddddddd.ddddd`
fn fmt_f(neg: bool, d: &[u8], dp: i64, prec: i64) -> String {
    let mut out = Vec::with_capacity(dp.max(1) as usize + prec.max(0) as usize + 2);
    if neg {
        out.push(b'-');
    }
    if dp > 0 {
        let m = d.len().min(dp as usize);
        out.extend_from_slice(d.get(..m).unwrap_or(&[]));
        out.extend(std::iter::repeat_n(b'0', (dp as usize).saturating_sub(m)));
    } else {
        out.push(b'0');
    }
    if prec > 0 {
        out.push(b'.');
        for i in 1..=prec {
            let j = dp + i - 1;
            let digit = if j >= 0 { d.get(j as usize).copied() } else { None };
            out.push(digit.unwrap_or(b'0'));
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bits of a float64: sign, mantissa with its implicit bit, and unbiased exponent.
fn float_parts(v: f64) -> (bool, u64, i64) {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1 << 52;
    }
    (neg, mant, exp - 1023)
}

/// `%b`: `-ddddp±ddd`, the mantissa and binary exponent.
fn fmt_b(v: f64) -> String {
    let (neg, mant, exp) = float_parts(v);
    let exp = exp - 52;
    format!("{}{mant}p{}{exp}", if neg { "-" } else { "" }, if exp >= 0 { "+" } else { "" })
}

/// `%x`: `-0x1.yyyyp±dd`, hexadecimal mantissa and binary exponent (strconv's `fmtX`).
fn fmt_x(v: f64, prec: i64, fmt: u8) -> String {
    let (neg, mut mant, mut exp) = float_parts(v);
    if mant == 0 {
        exp = 0;
    }
    // Shift so the leading 1 (if any) is at bit 60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if fmt == b'X' { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut out = Vec::new();
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(&[b'0', fmt, b'0' + ((mant >> 60) & 1) as u8]);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push(b'.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push(b'.');
        for _ in 0..prec {
            out.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    }
    out.push(if fmt == b'X' { b'P' } else { b'p' });
    out.push(if exp < 0 { b'-' } else { b'+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(exp.to_string().as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// Letters, marks, numbers, punctuation and symbols: what Go's `unicode.IsPrint` accepts beyond
/// Latin-1. The regex crate carries the Unicode tables std does not expose.
static PRINTABLE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\A[\p{L}\p{M}\p{N}\p{P}\p{S}]\z").ok());

/// `strconv.IsPrint`.
pub(crate) fn is_print(c: char) -> bool {
    let u = c as u32;
    if u <= 0xff {
        return (0x20..=0x7e).contains(&u) || ((0xa1..=0xff).contains(&u) && u != 0xad);
    }
    let mut buf = [0; 4];
    match PRINTABLE.as_ref() {
        Some(re) => re.is_match(c.encode_utf8(&mut buf)),
        None => !c.is_control() && !c.is_whitespace(),
    }
}

/// strconv's `appendQuotedWith`: `quote` around `s`, escaping what Go escapes.
fn quote_with(s: &str, quote: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        push_escaped(&mut out, c, quote, ascii_only);
    }
    out.push(quote);
    out
}

fn push_escaped(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) && (!ascii_only || c.is_ascii()) {
        out.push(c);
        return;
    }
    let escaped = match c {
        '\x07' => "\\a",
        '\x08' => "\\b",
        '\x0c' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\x0b' => "\\v",
        _ => {
            let u = c as u32;
            let text = if u < 0x20 || u == 0x7f {
                format!("\\x{u:02x}")
            } else if u < 0x10000 {
                format!("\\u{u:04x}")
            } else {
                format!("\\U{u:08x}")
            };
            out.push_str(&text);
            return;
        }
    };
    out.push_str(escaped);
}

/// `strconv.CanBackquote`: whether `%#q` may print s as a raw string.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| if c.len_utf8() > 1 { c != '\u{feff}' } else { (c >= ' ' || c == '\t') && c != '`' && c != '\x7f' })
}

/// One verb's flags, width and precision (Go's `fmtFlags` plus `wid`/`prec`).
#[derive(Clone, Copy, Default)]
struct Flags {
    wid: usize,
    wid_present: bool,
    prec: usize,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%+v`: struct field names.
    plus_v: bool,
    /// `%#v`: Go syntax.
    sharp_v: bool,
}

/// What a bad verb reports the type and value of.
enum Operand<'a> {
    Value(&'a Value),
    Str(&'a str),
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

impl Printer {
    /// Past the size limit further output is dropped; the result is refused by the caller.
    fn full(&self) -> bool {
        self.buf.len() > limits::MAX_STRING
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let bytes = format.as_bytes();
        let end = bytes.len();
        let mut arg_num = 0;
        let mut reordered = false;
        let mut i = 0;
        while i < end && !self.full() {
            let mut good_arg_num = true;
            let last = i;
            while i < end && bytes[i] != b'%' {
                i += 1;
            }
            self.buf.push_str(format.get(last..i).unwrap_or(""));
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while let Some(&c) = bytes.get(i) {
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            let mut after_index;
            (arg_num, i, after_index) = arg_number(arg_num, bytes, i, args.len(), &mut reordered, &mut good_arg_num);

            if bytes.get(i) == Some(&b'*') {
                i += 1;
                let (n, ok);
                (n, ok, arg_num) = int_from_arg(args, arg_num);
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                self.f.wid = n.unsigned_abs() as usize;
                if n < 0 {
                    // A negative width from an operand means left-justify.
                    self.f.minus = true;
                    self.f.zero = false;
                }
                after_index = false;
            } else {
                let (n, ok);
                (n, ok, i) = parse_num(bytes, i, end);
                if ok && n > MAX_WIDTH {
                    self.buf.push_str("%!(BADWIDTH)");
                } else {
                    self.f.wid = n;
                    self.f.wid_present = ok;
                }
                if after_index && self.f.wid_present {
                    good_arg_num = false;
                }
            }

            if i + 1 < end && bytes[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) =
                    arg_number(arg_num, bytes, i, args.len(), &mut reordered, &mut good_arg_num);
                if bytes.get(i) == Some(&b'*') {
                    i += 1;
                    let (n, ok);
                    (n, ok, arg_num) = int_from_arg(args, arg_num);
                    // A negative precision makes no sense; Go reports it as bad.
                    self.f.prec_present = ok && n >= 0;
                    self.f.prec = if self.f.prec_present { n as usize } else { 0 };
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (n, ok);
                    (n, ok, i) = parse_num(bytes, i, end);
                    if ok && n > MAX_WIDTH {
                        self.buf.push_str("%!(BADPREC)");
                    } else {
                        // "%.d" means precision 0.
                        self.f.prec = n;
                        self.f.prec_present = true;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) = arg_number(arg_num, bytes, i, args.len(), &mut reordered, &mut good_arg_num);
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format.get(i..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
            i += verb.len_utf8().min(end - i);

            match args.get(arg_num) {
                _ if verb == '%' => self.buf.push('%'),
                _ if !good_arg_num => self.bad_arg(verb, "(BADINDEX)"),
                None => self.bad_arg(verb, "(MISSING)"),
                Some(arg) => {
                    if verb == 'v' || verb == 'w' {
                        self.f.sharp_v = self.f.sharp;
                        self.f.sharp = false;
                        self.f.plus_v = self.f.plus;
                        self.f.plus = false;
                    }
                    self.print_arg(arg, verb);
                    arg_num += 1;
                }
            }
        }

        // Unused operands are reported unless the format picked operands by index.
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in args.iter().enumerate().skip(arg_num) {
                if i > arg_num {
                    self.buf.push_str(", ");
                }
                if matches!(arg, Value::Nil) {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
                if self.full() {
                    return;
                }
            }
            self.buf.push(')');
        }
    }

    fn bad_arg(&mut self, verb: char, what: &str) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push_str(what);
    }

    /// `%!verb(type=value)`, the value printed with `%v` under the current width and flags, as
    /// Go does.
    fn bad_verb(&mut self, verb: char, operand: Operand<'_>) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match operand {
            Operand::Value(Value::Nil) => self.buf.push_str("<nil>"),
            Operand::Value(v) => {
                self.buf.push_str(v.type_name());
                self.buf.push('=');
                self.print_arg(v, 'v');
            }
            Operand::Str(s) => {
                self.buf.push_str("string=");
                self.fmt_string(s, 'v');
            }
        }
        self.buf.push(')');
    }

    /// Go's `printArg`: one operand at the top level.
    fn print_arg(&mut self, arg: &Value, verb: char) {
        match (arg, verb) {
            (Value::Nil, 'T' | 'v') => self.pad("<nil>"),
            (Value::Nil, _) | (_, 'p' | 'w') => self.bad_verb(verb, Operand::Value(arg)),
            (_, 'T') => self.fmt_s(arg.type_name()),
            _ => self.print_value(arg, verb),
        }
    }

    /// Go's `printValue`: composite values apply the verb to each element.
    fn print_value(&mut self, value: &Value, verb: char) {
        if self.full() {
            return;
        }
        match value {
            // A nil element of a list, map or struct (an empty interface).
            Value::Nil => self.buf.push_str(if self.f.sharp_v { "interface {}(nil)" } else { "<nil>" }),
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, Operand::Value(value)),
            },
            Value::Int(i) => self.fmt_integer(*i, verb, value),
            Value::Float(x) => self.fmt_float(*x, verb, value),
            Value::Str(s) => self.fmt_string(s, verb),
            // time.Time is a Stringer: string verbs print its String().
            Value::Time(t) if self.f.sharp_v || matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') => {
                let text = t.to_string();
                if self.f.sharp_v { self.fmt_s(&text) } else { self.fmt_string(&text, verb) }
            }
            Value::Time(_) => self.bad_verb(verb, Operand::Value(value)),
            // So is a struct with a `String` method (`*semver.Version`).
            Value::Struct(s)
                if !self.f.sharp_v && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') && s.stringer().is_some() =>
            {
                self.fmt_string(s.stringer().unwrap_or_default(), verb);
            }
            Value::List(items) => {
                let (open, sep, close) = if self.f.sharp_v { ("{", ", ", "}") } else { ("[", " ", "]") };
                if self.f.sharp_v {
                    self.buf.push_str(value.type_name());
                }
                self.buf.push_str(open);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(sep);
                    }
                    self.print_value(item, verb);
                    if self.full() {
                        return;
                    }
                }
                self.buf.push_str(close);
            }
            Value::Map(entries) => {
                let (open, sep, close) = if self.f.sharp_v { ("{", ", ", "}") } else { ("[", " ", "]") };
                self.buf.push_str(if self.f.sharp_v { value.type_name() } else { "map" });
                self.buf.push_str(open);
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(sep);
                    }
                    self.fmt_string(key, verb);
                    self.buf.push(':');
                    self.print_value(item, verb);
                    if self.full() {
                        return;
                    }
                }
                self.buf.push_str(close);
            }
            Value::Struct(s) => {
                if self.f.sharp_v {
                    self.buf.push_str(s.type_name);
                }
                self.buf.push('{');
                for (i, (name, field)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    if self.f.plus_v || self.f.sharp_v {
                        self.buf.push_str(name);
                        self.buf.push(':');
                    }
                    self.print_value(field, verb);
                    if self.full() {
                        return;
                    }
                }
                self.buf.push('}');
            }
        }
    }

    /// Appends `n` bytes of padding: zeros only to the left, as Go allows.
    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero && !self.f.minus { '0' } else { ' ' };
        self.buf.extend(std::iter::repeat_n(c, n));
    }

    /// Go's `pad`/`padString`: width counts characters, not bytes.
    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.f.wid.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            self.write_padding(width);
        } else {
            self.write_padding(width);
            self.buf.push_str(s);
        }
    }

    /// `pad` with zero padding turned off (numbers already carry their zeros).
    fn pad_spaces(&mut self, s: &str) {
        let zero = std::mem::replace(&mut self.f.zero, false);
        self.pad(s);
        self.f.zero = zero;
    }

    /// The precision truncates strings to that many characters.
    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if !self.f.prec_present {
            return s;
        }
        match s.char_indices().nth(self.f.prec) {
            Some((i, _)) => s.get(..i).unwrap_or(s),
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad(s);
    }

    fn fmt_string(&mut self, s: &str, verb: char) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, b"0123456789abcdefx"),
            'X' => self.fmt_sx(s, b"0123456789ABCDEFX"),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Operand::Str(s)),
        }
    }

    /// `%x` on a string: its bytes in hex; the precision counts bytes.
    fn fmt_sx(&mut self, s: &str, digits: &[u8; 17]) {
        let bytes = s.as_bytes();
        let length = if self.f.prec_present { bytes.len().min(self.f.prec) } else { bytes.len() };
        let mut width = 2 * length;
        if width == 0 {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.space {
            if self.f.sharp {
                width *= 2;
            }
            width += length - 1;
        } else if self.f.sharp {
            width += 2;
        }
        let padding = if self.f.wid_present { self.f.wid.saturating_sub(width) } else { 0 };
        if !self.f.minus {
            self.write_padding(padding);
        }
        let prefix = [char::from(b'0'), char::from(digits[16])];
        if self.f.sharp {
            self.buf.extend(prefix);
        }
        for (i, &b) in bytes.iter().take(length).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.extend(prefix);
                }
            }
            self.buf.push(char::from(digits[usize::from(b >> 4)]));
            self.buf.push(char::from(digits[usize::from(b & 0xf)]));
        }
        if self.f.minus {
            self.write_padding(padding);
        }
    }

    /// `%q` on a string: a Go string literal (`%+q` ASCII only, `%#q` backquoted if possible).
    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        let quoted = if self.f.sharp && can_backquote(s) { format!("`{s}`") } else { quote_with(s, '"', self.f.plus) };
        self.pad(&quoted);
    }

    fn fmt_integer(&mut self, i: i64, verb: char, value: &Value) {
        const LOWER: &[u8; 17] = b"0123456789abcdefx";
        const UPPER: &[u8; 17] = b"0123456789ABCDEFX";
        match verb {
            'v' | 'd' => self.fmt_int(i, 10, verb, LOWER),
            'b' => self.fmt_int(i, 2, verb, LOWER),
            'o' | 'O' => self.fmt_int(i, 8, verb, LOWER),
            'x' => self.fmt_int(i, 16, verb, LOWER),
            'X' => self.fmt_int(i, 16, verb, UPPER),
            'c' => {
                let c = rune(i as u64);
                self.pad(c.encode_utf8(&mut [0; 4]));
            }
            // Past the last code point, the replacement character (Go 1.23's fmtQc).
            'q' => {
                let quoted = quote_with(&rune(i as u64).to_string(), '\'', self.f.plus);
                self.pad(&quoted);
            }
            'U' => self.fmt_unicode(i as u64),
            _ => self.bad_verb(verb, Operand::Value(value)),
        }
    }

    /// Go's `fmtInteger`: precision or the zero flag give leading zeros, then prefixes and sign.
    fn fmt_int(&mut self, i: i64, base: u64, verb: char, digits: &[u8; 17]) {
        let negative = i < 0;
        let mut u = i.unsigned_abs();
        let mut prec = 0;
        if self.f.prec_present {
            prec = self.f.prec;
            // Precision 0 and value 0 print nothing but the padding.
            if prec == 0 && u == 0 {
                let zero = std::mem::replace(&mut self.f.zero, false);
                self.write_padding(self.f.wid);
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Built right to left, then reversed.
        let mut out: Vec<u8> = Vec::with_capacity(prec.max(24));
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => out.extend_from_slice(&[digits[16], b'0']),
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        self.pad_spaces(&String::from_utf8_lossy(&out));
    }

    /// `%U`: `U+0078`, and with `#` the character too: `U+0078 'x'`.
    fn fmt_unicode(&mut self, u: u64) {
        let prec = if self.f.prec_present && self.f.prec > 4 { self.f.prec } else { 4 };
        let mut text = format!("U+{u:0prec$X}");
        if self.f.sharp && u <= 0x10ffff && is_print(rune(u)) {
            text.push_str(" '");
            text.push(rune(u));
            text.push('\'');
        }
        self.pad_spaces(&text);
    }

    fn fmt_float(&mut self, x: f64, verb: char, value: &Value) {
        match verb {
            'v' => self.fmt_float_as(x, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_as(x, verb as u8, -1),
            'f' | 'e' | 'E' => self.fmt_float_as(x, verb as u8, 6),
            'F' => self.fmt_float_as(x, b'f', 6),
            _ => self.bad_verb(verb, Operand::Value(value)),
        }
    }

    /// Go's `fmt.fmtFloat`: sign handling, `#` (keep the point and trailing zeros), and zero
    /// padding after the sign.
    fn fmt_float_as(&mut self, x: f64, verb: u8, default_prec: i64) {
        let prec = if self.f.prec_present { self.f.prec as i64 } else { default_prec };
        let formatted = format_float(x, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(formatted.len() + 8);
        if !formatted.starts_with(['-', '+']) {
            num.push(b'+');
        }
        num.extend_from_slice(formatted.as_bytes());
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        // Infinities and NaN are not padded with zeros; NaN drops its sign unless asked.
        if matches!(num.get(1), Some(b'I' | b'N')) {
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_spaces(&String::from_utf8_lossy(&num));
            return;
        }
        if self.f.sharp && verb != b'b' {
            let mut digits = if matches!(verb, b'g' | b'G' | b'x') { if prec == -1 { 6 } else { prec } } else { 0 };
            let mut tail = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_point = true,
                    b'p' | b'P' => tail.extend(num.drain(i..)),
                    b'e' | b'E' if verb != b'x' && verb != b'X' => tail.extend(num.drain(i..)),
                    c => {
                        saw_nonzero |= c != b'0';
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                // A lone leading 0 counts as a digit once.
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend(tail);
        }
        let text = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || !text.starts_with('+') {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > text.len() {
                // Zero padding goes between the sign and the digits.
                let (sign, rest) = text.split_at(1);
                self.buf.push_str(sign);
                self.write_padding(self.f.wid - text.len());
                self.buf.push_str(rest);
                return;
            }
            self.pad(&text);
            return;
        }
        self.pad(text.get(1..).unwrap_or(""));
    }
}

/// A code point as `%c` prints it: invalid ones become U+FFFD.
fn rune(u: u64) -> char {
    u32::try_from(u).ok().and_then(char::from_u32).unwrap_or('\u{fffd}')
}

/// Go's `parsenum`: a decimal number at `start`, or none. A number past 10^6 makes Go give up
/// on the rest of the format (`%!(NOVERB)`).
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let (mut num, mut is_num, mut i) = (0usize, false, start);
    while i < end && s[i].is_ascii_digit() {
        if num > 1_000_000 {
            return (0, false, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        is_num = true;
        i += 1;
    }
    (num, is_num, i)
}

/// Go's `intFromArg`: a `*` width or precision taken from an int operand.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(Value::Int(n)) if n.unsigned_abs() <= MAX_WIDTH as u64 => (*n, true, arg_num + 1),
        Some(_) => (0, false, arg_num + 1),
        None => (0, false, arg_num),
    }
}

/// Go's `argNumber`: an explicit `[n]` operand index at `i`.
fn arg_number(
    arg_num: usize,
    format: &[u8],
    i: usize,
    num_args: usize,
    reordered: &mut bool,
    good: &mut bool,
) -> (usize, usize, bool) {
    if format.get(i) != Some(&b'[') {
        return (arg_num, i, false);
    }
    *reordered = true;
    let rest = format.get(i..).unwrap_or(&[]);
    let (index, wid, ok) = parse_arg_number(rest);
    if ok && index < num_args {
        return (index, i + wid, true);
    }
    *good = false;
    (arg_num, i + wid, ok)
}

/// `[n]` at the start of `format`: the zero-based index, the bytes consumed, whether it parsed.
fn parse_arg_number(format: &[u8]) -> (usize, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, next) = parse_num(format, 1, i);
            if !ok || next != i || width == 0 {
                // "[0]" parses but indexes nothing; Go reports it as a bad index.
                return (usize::MAX, i + 1, ok && next == i);
            }
            return (width - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::value::Struct;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn check(cases: &[(&str, Value, &str)]) {
        for (format, arg, want) in cases {
            let got = sprintf(format, std::slice::from_ref(arg));
            assert_eq!(&got, want, "Sprintf({format:?}, {arg:?})");
        }
    }

    #[test]
    fn go_docs_examples() {
        check(&[
            ("%6.2f", Value::Float(1.23456), "  1.23"),
            ("%-5d|", Value::Int(42), "42   |"),
            ("%05d", Value::Int(42), "00042"),
            ("%05d", Value::Int(-42), "-0042"),
            ("%x", Value::Int(255), "ff"),
            ("%X", Value::Int(255), "FF"),
            ("%#x", Value::Int(255), "0xff"),
            ("%x", s("hi"), "6869"),
            ("%q", s("hi \"there\"\n"), r#""hi \"there\"\n""#),
            ("%t", Value::Bool(true), "true"),
            ("%v", Value::list(vec![s("a"), Value::Int(1), Value::Nil]), "[a 1 <nil>]"),
            ("%d", s("hi"), "%!d(string=hi)"),
            ("%s", Value::Int(5), "%!s(int=5)"),
            ("%d", Value::Nil, "%!d(<nil>)"),
            ("%v", Value::Nil, "<nil>"),
            ("%10v", Value::Nil, "     <nil>"),
            ("%T", s("x"), "string"),
            ("%T", Value::Float(1.0), "float64"),
            ("%T", Value::Nil, "<nil>"),
            ("%T", Value::list(vec![]), "[]interface {}"),
            ("%%", Value::Int(1), "%%!(EXTRA int=1)"),
        ]);
        assert_eq!(sprintf("hi", &[s("guys")]), "hi%!(EXTRA string=guys)");
        assert_eq!(sprintf("hi%d", &[]), "hi%!d(MISSING)");
        assert_eq!(sprintf("%*s", &[Value::Float(4.5), s("hi")]), "%!(BADWIDTH)hi");
        assert_eq!(sprintf("%.*s", &[Value::Float(4.5), s("hi")]), "%!(BADPREC)hi");
        assert_eq!(sprintf("%*[2]d", &[Value::Int(7)]), "%!d(BADINDEX)");
        assert_eq!(sprintf("%.[2]d", &[Value::Int(7)]), "%!d(BADINDEX)");
        assert_eq!(sprintf("%[2]d %[1]d", &[Value::Int(11), Value::Int(22)]), "22 11");
        assert_eq!(sprintf("%[3]*.[2]*[1]f", &[Value::Float(12.0), Value::Int(2), Value::Int(6)]), " 12.00");
        assert_eq!(sprintf("%d %d %#[1]x %#x", &[Value::Int(16), Value::Int(17)]), "16 17 0x10 0x11");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%-", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%d %s", &[Value::Int(1), s("a"), Value::Nil, Value::Int(2)]), "1 a%!(EXTRA <nil>, int=2)");
    }

    #[test]
    fn strings_from_go_fmt_tests() {
        check(&[
            ("%s", s("abc"), "abc"),
            ("%q", s("abc"), r#""abc""#),
            ("%x", s("abc"), "616263"),
            ("%x", s("\u{ff}\u{f0}"), "c3bfc3b0"),
            ("% x", s("xyz"), "78 79 7a"),
            ("% X", s("xyz"), "78 79 7A"),
            ("%#x", s("xyz"), "0x78797a"),
            ("%# x", s("xyz"), "0x78 0x79 0x7a"),
            ("%x", s(""), ""),
            ("%8x", s(""), "        "),
            ("%10x", s("ab"), "      6162"),
            ("%-10x|", s("ab"), "6162      |"),
            ("%q", s(""), r#""""#),
            ("%#q", s(""), "``"),
            ("%q", s("\""), r#""\"""#),
            ("%#q", s("\""), "`\"`"),
            ("%q", s("`"), "\"`\""),
            ("%#q", s("`"), "\"`\""),
            ("%q", s("\n"), r#""\n""#),
            ("%#q", s("\n"), r#""\n""#),
            ("%q", s(r"\n"), r#""\\n""#),
            ("%#q", s(r"\n"), "`\\n`"),
            ("%q", s("日本語"), "\"日本語\""),
            ("%+q", s("日本語"), r#""\u65e5\u672c\u8a9e""#),
            ("%#q", s("日本語"), "`日本語`"),
            ("%#+q", s("日本語"), "`日本語`"),
            ("%q", s("\x07\x08\x0c\n\r\t\x0b\"\\"), r#""\a\b\f\n\r\t\v\"\\""#),
            ("%q", s("☺"), "\"☺\""),
            ("% q", s("☺"), "\"☺\""),
            ("%+q", s("☺"), r#""\u263a""#),
            ("%10q", s("⌘"), "       \"⌘\""),
            ("%+10q", s("⌘"), r#"  "\u2318""#),
            ("%-10q", s("⌘"), "\"⌘\"       "),
            ("%010q", s("⌘"), "0000000\"⌘\""),
            ("%-010q", s("⌘"), "\"⌘\"       "),
            ("%#8q", s("\n"), r#"    "\n""#),
            ("%#-8q", s("\t"), "`\t`     "),
            ("%q", s("\u{10ffff}"), r#""\U0010ffff""#),
            ("%#q", s("\u{10ffff}"), "`\u{10ffff}`"),
            ("%q", s("\u{a0}\u{ad}\u{200b}\u{7f}\x01"), r#""\u00a0\u00ad\u200b\x7f\x01""#),
            ("%q", s("é\u{301}"), "\"é\u{301}\""),
            ("%5s", s("abc"), "  abc"),
            ("%2s", s("\u{263a}"), " ☺"),
            ("%-5s", s("abc"), "abc  "),
            ("%05s", s("abc"), "00abc"),
            ("%5s", s("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnopqrstuvwxyz"),
            ("%.5s", s("abcdefghijklmnopqrstuvwxyz"), "abcde"),
            ("%.0s", s("日本語日本語"), ""),
            ("%.5s", s("日本語日本語"), "日本語日本"),
            ("%.10s", s("日本語日本語"), "日本語日本語"),
            ("%08q", s("abc"), "000\"abc\""),
            ("%-8q", s("abc"), "\"abc\"   "),
            ("%.5q", s("abcdefghijklmnopqrstuvwxyz"), "\"abcde\""),
            ("%.5x", s("abcdefghijklmnopqrstuvwxyz"), "6162636465"),
            ("%.3q", s("日本語日本語"), "\"日本語\""),
            ("%.1x", s("日本語"), "e6"),
            ("%10.1q", s("日本語日本語"), "       \"日\""),
            ("%#v", s("a\"b"), r#""a\"b""#),
            ("%c", s("x"), "%!c(string=x)"),
            ("%5d", s("hi"), "%!d(string=   hi)"),
        ]);
    }

    #[test]
    fn integers_from_go_fmt_tests() {
        let i = Value::Int;
        check(&[
            ("%d", i(-12345), "-12345"),
            ("%d", i(i64::MIN), "-9223372036854775808"),
            ("%.d", i(0), ""),
            ("%.0d", i(0), ""),
            ("%6.0d", i(0), "      "),
            ("%06.0d", i(0), "      "),
            ("% d", i(12345), " 12345"),
            ("%+d", i(12345), "+12345"),
            ("%+d", i(-12345), "-12345"),
            ("%b", i(7), "111"),
            ("%b", i(-6), "-110"),
            ("%#b", i(7), "0b111"),
            ("%#b", i(-6), "-0b110"),
            ("%o", i(0o1234), "1234"),
            ("%o", i(-0o1234), "-1234"),
            ("%#o", i(0o1234), "01234"),
            ("%#o", i(-0o1234), "-01234"),
            ("%O", i(0o1234), "0o1234"),
            ("%O", i(-0o1234), "-0o1234"),
            ("%#X", i(0), "0X0"),
            ("%x", i(0x12abcdef), "12abcdef"),
            ("%X", i(0x12abcdef), "12ABCDEF"),
            ("%x", i(-1), "-1"),
            ("%.20b", i(7), "00000000000000000111"),
            ("%10d", i(12345), "     12345"),
            ("%10d", i(-12345), "    -12345"),
            ("%+10d", i(12345), "    +12345"),
            ("%010d", i(12345), "0000012345"),
            ("%010d", i(-12345), "-000012345"),
            ("%20.8d", i(1234), "            00001234"),
            ("%20.8d", i(-1234), "           -00001234"),
            ("%020.8d", i(1234), "            00001234"),
            ("%-20.8d", i(1234), "00001234            "),
            ("%-#20.8x", i(0x1234abc), "0x01234abc          "),
            ("%-#20.8X", i(0x1234abc), "0X01234ABC          "),
            ("%-#20.8o", i(0o1234), "00001234            "),
            ("%-010d", i(5), "5         "),
            ("%+.3d", i(42), "+042"),
            ("%v", i(42), "42"),
            ("%#v", i(42), "42"),
            ("%+v", i(42), "42"),
            ("%f", i(5), "%!f(int=5)"),
            ("%c", i(0xe4), "ä"),
            ("%c", i(0x672c), "本"),
            ("%.0c", i(0x2318), "⌘"),
            ("%3c", i(0x2318), "  ⌘"),
            ("%-3c", i(0x2318), "⌘  "),
            ("%c", i(-1), "\u{fffd}"),
            ("%c", i(0xdc80), "\u{fffd}"),
            ("%c", i(0x110000), "\u{fffd}"),
            ("%q", i(0), r"'\x00'"),
            ("%q", i('"' as i64), "'\"'"),
            ("%q", i('\'' as i64), r"'\''"),
            ("%q", i('x' as i64), "'x'"),
            ("%q", i(0xff), "'ÿ'"),
            ("%+q", i(0xff), r"'\u00ff'"),
            ("%q", i('\n' as i64), r"'\n'"),
            ("%010q", i(0x2318), "0000000'⌘'"),
            ("%q", i(0xe00), r"'\u0e00'"),
            ("%q", i(0x10ffff), r"'\U0010ffff'"),
            ("%q", i(-1), "'\u{fffd}'"), // Go 1.23: fmtQc maps any out-of-range value to U+FFFD
            ("%q", i(0xdc80), "'\u{fffd}'"),
            ("%U", i(0), "U+0000"),
            ("%U", i(-1), "U+FFFFFFFFFFFFFFFF"),
            ("%#U", i('\n' as i64), "U+000A"),
            ("%+U", i('x' as i64), "U+0078"),
            ("%# U", i('x' as i64), "U+0078 'x'"),
            ("%#.2U", i('x' as i64), "U+0078 'x'"),
            ("%#U", i(0x263a), "U+263A '☺'"),
            ("%#U", i(0x1d6c2), "U+1D6C2 '𝛂'"),
            ("%#14.6U", i(0x2318), "  U+002318 '⌘'"),
            ("%#-14.6U", i(0x2318), "U+002318 '⌘'  "),
            ("%#014.6U", i(0x2318), "  U+002318 '⌘'"),
        ]);
        assert_eq!(sprintf("%068d", &[i(1)]), format!("{}1", "0".repeat(67)));
        assert_eq!(sprintf("%068d", &[i(-1)]), format!("-{}1", "0".repeat(66)));
        assert_eq!(sprintf("%#.68x", &[i(42)]), format!("0x{}2a", "0".repeat(66)));
    }

    #[test]
    fn floats_from_go_fmt_tests() {
        let f = Value::Float;
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        check(&[
            ("%+.3e", f(0.0), "+0.000e+00"),
            ("%+.3e", f(1.0), "+1.000e+00"),
            ("%+.3x", f(0.0), "+0x0.000p+00"),
            ("%+.3x", f(1.0), "+0x1.000p+00"),
            ("%+.3f", f(-1.0), "-1.000"),
            ("%+.3F", f(-1.0), "-1.000"),
            ("%+07.2f", f(1.0), "+001.00"),
            ("%+07.2f", f(-1.0), "-001.00"),
            ("%-07.2f", f(1.0), "1.00   "),
            ("%-07.2f", f(-1.0), "-1.00  "),
            ("%+-07.2f", f(1.0), "+1.00  "),
            ("%+10.2f", f(1.0), "     +1.00"),
            ("%+10.2f", f(-1.0), "     -1.00"),
            ("% .3E", f(-1.0), "-1.000E+00"),
            ("% .3e", f(1.0), " 1.000e+00"),
            ("% .3X", f(-1.0), "-0X1.000P+00"),
            ("% .3x", f(1.0), " 0x1.000p+00"),
            ("%+.3g", f(0.0), "+0"),
            ("%+.3g", f(1.0), "+1"),
            ("%+.3g", f(-1.0), "-1"),
            ("% .3g", f(-1.0), "-1"),
            ("% .3g", f(1.0), " 1"),
            ("%b", f(1.0), "4503599627370496p-52"),
            ("%#g", f(1e-323), "1.00000e-323"),
            ("%#g", f(-1.0), "-1.00000"),
            ("%#g", f(1.1), "1.10000"),
            ("%#g", f(123456.0), "123456."),
            ("%#g", f(1234567.0), "1.234567e+06"),
            ("%#g", f(1230000.0), "1.23000e+06"),
            ("%#g", f(1000000.0), "1.00000e+06"),
            ("%#.0f", f(1.0), "1."),
            ("%#.0e", f(1.0), "1.e+00"),
            ("%#.0x", f(1.0), "0x1.p+00"),
            ("%#.0g", f(1.0), "1."),
            ("%#.0g", f(1100000.0), "1.e+06"),
            ("%#.4f", f(1.0), "1.0000"),
            ("%#.4e", f(1.0), "1.0000e+00"),
            ("%#.4x", f(1.0), "0x1.0000p+00"),
            ("%#.4g", f(1.0), "1.000"),
            ("%#.4g", f(100000.0), "1.000e+05"),
            ("%#.4g", f(1.234), "1.234"),
            ("%#.4g", f(0.1234), "0.1234"),
            ("%#.4g", f(1.23), "1.230"),
            ("%#.4g", f(0.123), "0.1230"),
            ("%#.4g", f(1.2), "1.200"),
            ("%#.4g", f(0.12), "0.1200"),
            ("%#.4g", f(10.2), "10.20"),
            ("%#.4g", f(0.0), "0.000"),
            ("%#.4g", f(0.012), "0.01200"),
            ("%#.0f", f(123.0), "123."),
            ("%#.0e", f(123.0), "1.e+02"),
            ("%#.0x", f(123.0), "0x1.p+07"),
            ("%#.0g", f(123.0), "1.e+02"),
            ("%#.4f", f(123.0), "123.0000"),
            ("%#.4e", f(123.0), "1.2300e+02"),
            ("%#.4x", f(123.0), "0x1.ec00p+06"),
            ("%#.4g", f(123.0), "123.0"),
            ("%#.4g", f(123000.0), "1.230e+05"),
            ("%#9.4g", f(1.0), "    1.000"),
            ("%#b", f(1.0), "4503599627370496p-52"),
            ("%.4b", f(-1.0), "-4503599627370496p-52"),
            ("%f", f(inf), "+Inf"),
            ("%.1f", f(-inf), "-Inf"),
            ("% f", f(nan), " NaN"),
            ("%20f", f(inf), "                +Inf"),
            ("% 20F", f(inf), "                 Inf"),
            ("% 20e", f(-inf), "                -Inf"),
            ("% 20x", f(-inf), "                -Inf"),
            ("%+20E", f(-inf), "                -Inf"),
            ("% +20g", f(-inf), "                -Inf"),
            ("%+-20G", f(inf), "+Inf                "),
            ("%20e", f(nan), "                 NaN"),
            ("% +20E", f(nan), "                +NaN"),
            ("% -20g", f(nan), " NaN                "),
            ("%+-20G", f(nan), "+NaN                "),
            ("%+020e", f(inf), "                +Inf"),
            ("%-020f", f(-inf), "-Inf                "),
            ("%-020E", f(nan), "NaN                 "),
            ("%e", f(1.0), "1.000000e+00"),
            ("%e", f(1234.5678e3), "1.234568e+06"),
            ("%e", f(1234.5678e-8), "1.234568e-05"),
            ("%e", f(-7.0), "-7.000000e+00"),
            ("%e", f(-1e-9), "-1.000000e-09"),
            ("%f", f(1234.5678e3), "1234567.800000"),
            ("%f", f(1234.5678e-8), "0.000012"),
            ("%f", f(-7.0), "-7.000000"),
            ("%f", f(-1e-9), "-0.000000"),
            ("%g", f(1234.5678e3), "1.2345678e+06"),
            ("%g", f(1234.5678e-8), "1.2345678e-05"),
            ("%g", f(-7.0), "-7"),
            ("%g", f(-1e-9), "-1e-09"),
            ("%E", f(1234.5678e3), "1.234568E+06"),
            ("%G", f(1234.5678e3), "1.2345678E+06"),
            ("%G", f(1234.5678e-8), "1.2345678E-05"),
            ("%G", f(-1e-9), "-1E-09"),
            ("%v", f(1e6), "1e+06"),
            ("%v", f(123456.0), "123456"),
            ("%v", f(0.1), "0.1"),
            ("%v", f(-0.0), "-0"),
            ("%v", f(1e21), "1e+21"),
            ("%v", f(1e-7), "1e-07"),
            ("%v", f(5e-324), "5e-324"),
            ("%v", f(1e100), "1e+100"),
            ("%.2f", f(0.125), "0.12"),
            ("%.0f", f(2.5), "2"),
            ("%.0f", f(3.5), "4"),
            ("%.3g", f(1234.0), "1.23e+03"),
            ("%.3g", f(0.0001234), "0.000123"),
            ("%.10g", f(0.1), "0.1"),
            ("%.20f", f(0.1), "0.10000000000000000555"),
            ("%6.2f", f(12.345), " 12.35"),
            ("%.3g", f(12.345), "12.3"),
            ("%x", f(1.0), "0x1p+00"),
            ("%x", f(-0.5), "-0x1p-01"),
            ("%X", f(1e300), "0X1.7E43C8800759CP+996"),
            ("%x", f(5e-324), "0x1p-1074"),
            ("%d", f(1.5), "%!d(float64=1.5)"),
            ("%+d", f(1.5), "%!d(float64=+1.5)"),
        ]);
        assert_eq!(sprintf("%.68f", &[f(1.0)]), format!("1.{}", "0".repeat(68)));
        assert_eq!(sprintf("%.68f", &[f(-1.0)]), format!("-1.{}", "0".repeat(68)));
    }

    #[test]
    fn composites_print_element_by_element() {
        let list = Value::list(vec![s("a"), Value::Int(1), Value::Nil, Value::Bool(true)]);
        let map =
            Value::map(BTreeMap::from([("b".into(), Value::Int(2)), ("a".into(), s("x")), ("c".into(), Value::Nil)]));
        let nested = Value::list(vec![Value::list(vec![Value::Float(1.5)]), map.clone()]);
        let object = Value::Struct(Arc::new(Struct {
            type_name: "main.T",
            fields: vec![("Name", s("n")), ("Age", Value::Int(3)), ("Tags", Value::Nil)],
        }));
        check(&[
            ("%v", list.clone(), "[a 1 <nil> true]"),
            ("%s", list.clone(), "[a %!s(int=1) <nil> %!s(bool=true)]"),
            ("%d", list.clone(), "[%!d(string=a) 1 <nil> %!d(bool=true)]"),
            ("%q", list.clone(), "[\"a\" '\\x01' <nil> %!q(bool=true)]"),
            ("%x", list.clone(), "[61 1 <nil> %!x(bool=true)]"),
            ("%3v", list.clone(), "[  a   1 <nil> true]"),
            ("%#v", list.clone(), "[]interface {}{\"a\", 1, interface {}(nil), true}"),
            ("%v", map.clone(), "map[a:x b:2 c:<nil>]"),
            ("%q", map.clone(), "map[\"a\":\"x\" \"b\":'\\x02' \"c\":<nil>]"),
            ("%#v", map.clone(), "map[string]interface {}{\"a\":\"x\", \"b\":2, \"c\":interface {}(nil)}"),
            ("%x", map.clone(), "map[61:78 62:2 63:<nil>]"),
            ("%v", nested.clone(), "[[1.5] map[a:x b:2 c:<nil>]]"),
            ("%.2f", nested, "[[1.50] map[%!f(string=a):%!f(string=x) %!f(string=b):%!f(int=02) %!f(string=c):<nil>]]"),
            ("%v", object.clone(), "{n 3 <nil>}"),
            ("%+v", object.clone(), "{Name:n Age:3 Tags:<nil>}"),
            ("%#v", object, "main.T{Name:\"n\", Age:3, Tags:interface {}(nil)}"),
            ("%v", Value::list(vec![]), "[]"),
            ("%v", Value::map(BTreeMap::new()), "map[]"),
        ]);
    }

    #[test]
    fn sprint_and_sprintln_spacing() {
        assert_eq!(sprint(&[s("a"), Value::Int(1), Value::Int(2), s("b"), Value::Float(3.5)]), "a1 2b3.5");
        assert_eq!(sprint(&[Value::Nil, Value::Nil]), "<nil> <nil>");
        assert_eq!(sprint(&[s("a"), s("b")]), "ab");
        assert_eq!(sprint(&[Value::Bool(true), s("x"), Value::Bool(false)]), "truexfalse");
        assert_eq!(sprint(&[]), "");
        assert_eq!(sprintln(&[s("a"), s("b"), Value::Int(1)]), "a b 1\n");
        assert_eq!(sprintln(&[]), "\n");
        assert_eq!(sprint(&[Value::list(vec![s("x")]), Value::Int(1)]), "[x] 1");
    }

    #[test]
    fn widths_are_bounded() {
        assert_eq!(sprintf("%10001d", &[Value::Int(1)]), "%!(BADWIDTH)1");
        assert_eq!(sprintf("%.10001d", &[Value::Int(1)]), "%!(BADPREC)1");
        assert_eq!(sprintf("%*d", &[Value::Int(1_000_000), Value::Int(1)]), "%!(BADWIDTH)1");
        assert_eq!(sprintf("%.*d", &[Value::Int(-1), Value::Int(1)]), "%!(BADPREC)1");
        assert_eq!(sprintf("%-*d|", &[Value::Int(-3), Value::Int(1)]), "1  |");
        assert_eq!(sprintf("%*d|", &[Value::Int(-3), Value::Int(1)]), "1  |");
        // Go gives up on numbers past 10^6.
        assert_eq!(sprintf("%99999999999999999999d", &[Value::Int(1)]), "%!(NOVERB)%!(EXTRA int=1)");
        assert_eq!(sprintf("%10000d", &[Value::Int(1)]).len(), 10_000);
        // Per-element padding of a big list stops at the size limit instead of growing to 100 MB.
        let big = Value::list(vec![Value::Int(1); 10_000]);
        let out = sprintf("%10000v", &[big]);
        assert!(out.len() > limits::MAX_STRING && out.len() < limits::MAX_STRING + 2 * MAX_WIDTH);
        let out = sprint(&vec![Value::str("x".repeat(limits::MAX_STRING)); 100]);
        assert!(out.len() <= 2 * limits::MAX_STRING + 1);
    }

    #[test]
    fn odd_formats_never_panic() {
        let args = [s("é"), Value::Int(-1), Value::Float(f64::NAN), Value::Nil, Value::list(vec![s("ü")])];
        for format in [
            "%",
            "%%",
            "%[",
            "%[1",
            "%[1]",
            "%[0]d",
            "%[9]d",
            "%[-1]d",
            "%.",
            "%.*",
            "%*",
            "%*.*",
            "%é",
            "%-é",
            "%5é",
            "é%",
            "%!",
            "%[1]*d",
            "%[2]*[1]d",
            "%.[1]",
            "%[x]d",
            "%1[1]d",
            "%3.[2]d",
            "%#-+ 0v",
            "%ÿ%ÿ",
            "%\u{fffd}",
        ] {
            let _ = sprintf(format, &args);
            let _ = sprintf(format, &[]);
        }
        assert_eq!(sprintf("%é", &[Value::Int(1)]), "%!é(int=1)");
        assert_eq!(sprintf("%[0]d", &[Value::Int(1)]), "%!d(BADINDEX)");
    }

    #[test]
    fn format_float_matches_strconv() {
        for (v, fmt, prec, want) in [
            (1.0, b'e', -1, "1e+00"),
            (123456789.0, b'g', -1, "1.23456789e+08"),
            (0.000001, b'g', -1, "1e-06"),
            (0.0001, b'g', -1, "0.0001"),
            (100.0, b'f', -1, "100"),
            (1.5, b'f', -1, "1.5"),
            (0.0, b'e', 2, "0.00e+00"),
            (9.999, b'e', 2, "1.00e+01"),
            (1e-320, b'g', -1, "1e-320"),
            (2.5, b'e', 0, "2e+00"),
            (123.456, b'g', 0, "1e+02"),
            (1.0, b'b', -1, "4503599627370496p-52"),
            (0.0, b'b', -1, "0p-1074"),
        ] {
            assert_eq!(format_float(v, fmt, prec), want, "{v} {} {prec}", fmt as char);
        }
    }
}
