//! sprig's encoding functions: base64 and base32, hashes, UUIDs (with Kong's `uuidParse` and
//! `uuidValidate`), and `urlParse`/`urlJoin`. Decoders and the URL parser follow Go's own
//! (`encoding/base64`, `encoding/base32`, `net/url`, `google/uuid`) byte for byte, since
//! their quirks and error texts reach the rendered text.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::Digest as _;

use super::defaults::kind_name;
use super::{Call, Func, FuncError, FuncResult, func, map_arg, string_arg, string_result};
use crate::value::Value;

pub(super) const FUNCS: &[Func] = &[
    func!("b64enc", 1, b64enc),
    func!("b64dec", 1, b64dec),
    func!("b32enc", 1, b32enc),
    func!("b32dec", 1, b32dec),
    func!("sha1sum", 1, sha1sum),
    func!("sha256sum", 1, sha256sum),
    func!("sha512sum", 1, sha512sum),
    func!("adler32sum", 1, adler32sum),
    func!("uuidv4", 0, uuidv4),
    func!("uuidParse", 1, uuid_parse),
    func!("uuidValidate", 1, uuid_validate),
    func!("urlParse", 1, url_parse),
    func!("urlJoin", 1, url_join),
];

/// The string argument, with its length charged: every function here reads all of it.
fn input<'a>(call: &mut Call, args: &'a [Value]) -> Result<&'a str, FuncError> {
    let s = string_arg(args, 0)?;
    call.charge(s.len())?;
    Ok(s)
}

/// Go strings may hold any bytes; ours are UTF-8, so each byte outside a valid sequence
/// becomes U+FFFD, as Go's JSON encoder writes it (`from_utf8_lossy` would
/// merge a truncated sequence into one).
fn bytes_to_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(err) => {
            let bytes = err.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                out.extend(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER));
            }
            out
        }
    }
}

// ---- base64 / base32 ----

fn b64enc(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    string_result(call, base64::engine::general_purpose::STANDARD.encode(s))
}

/// sprig returns the decoder's error text as the result instead of failing.
fn b64dec(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    match go_base64_decode(s.as_bytes()) {
        Ok(bytes) => string_result(call, bytes_to_string(bytes)),
        Err(at) => string_result(call, format!("illegal base64 data at input byte {at}")),
    }
}

fn b32enc(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    string_result(call, data_encoding::BASE32.encode(s.as_bytes()))
}

fn b32dec(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    match go_base32_decode(s.as_bytes()) {
        Ok(bytes) => string_result(call, bytes_to_string(bytes)),
        Err(at) => string_result(call, format!("illegal base32 data at input byte {at}")),
    }
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n` skipped anywhere,
/// non-zero trailing bits tolerated; the error is the offset Go reports.
fn go_base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut trailing_garbage = None;
        let mut j = 0;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                // Ran out mid-quantum: the encoding wants padding.
                return if j == 0 { Ok(out) } else { Err(si - j) };
            };
            si += 1;
            if let Some(v) = base64_value(c) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                // "==" expected; the first is consumed.
                si = skip_newlines(src, si);
                match src.get(si) {
                    None => return Err(src.len()),
                    Some(b'=') => si += 1,
                    Some(_) => return Err(si - 1),
                }
            }
            si = skip_newlines(src, si);
            if si < src.len() {
                trailing_garbage = Some(si);
            }
            len = j;
            break;
        }
        let value = quantum.iter().fold(0u32, |acc, v| (acc << 6) | u32::from(*v));
        let bytes = [(value >> 16) as u8, (value >> 8) as u8, value as u8];
        out.extend_from_slice(bytes.get(..len - 1).unwrap_or_default());
        if let Some(at) = trailing_garbage {
            return Err(at);
        }
    }
    Ok(out)
}

fn skip_newlines(src: &[u8], mut si: usize) -> usize {
    while matches!(src.get(si), Some(b'\n' | b'\r')) {
        si += 1;
    }
    si
}

fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// `base32.StdEncoding.DecodeString`: newlines removed first (offsets count without them),
/// upper-case alphabet only, padding required; as in Go, up to 7 bytes after the padding
/// are not looked at.
fn go_base32_decode(input: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = input.iter().copied().filter(|b| *b != b'\n' && *b != b'\r').collect();
    let total = src.len();
    let mut rest = src.as_slice();
    let mut out = Vec::with_capacity(total / 8 * 5);
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut quantum = [0u8; 8];
        let mut len = 8;
        let mut j = 0;
        while j < 8 {
            let Some((&c, tail)) = rest.split_first() else {
                return Err(total - j);
            };
            rest = tail;
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(total);
                }
                for k in 0..7 - j {
                    if rest.get(k).is_some_and(|b| *b != b'=') {
                        return Err(total - rest.len() + k - 1);
                    }
                }
                if matches!(j, 1 | 3 | 6) {
                    return Err(total - rest.len() - 1);
                }
                len = j;
                end = true;
                break;
            }
            match base32_value(c) {
                Some(v) => quantum[j] = v,
                None => return Err(total - rest.len() - 1),
            }
            j += 1;
        }
        let q = quantum;
        let bytes = [
            (q[0] << 3) | (q[1] >> 2),
            (q[1] << 6) | (q[2] << 1) | (q[3] >> 4),
            (q[3] << 4) | (q[4] >> 1),
            (q[4] << 7) | (q[5] << 2) | (q[6] >> 3),
            (q[6] << 5) | q[7],
        ];
        let produced = match len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            _ => 1,
        };
        out.extend_from_slice(bytes.get(..produced).unwrap_or_default());
    }
    Ok(out)
}

// ---- hashes ----

fn sha1sum(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    string_result(call, hex::encode(sha1::Sha1::digest(s.as_bytes())))
}

fn sha256sum(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    string_result(call, hex::encode(sha2::Sha256::digest(s.as_bytes())))
}

fn sha512sum(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    string_result(call, hex::encode(sha2::Sha512::digest(s.as_bytes())))
}

/// `hash/adler32`'s checksum, printed in decimal.
fn adler32sum(call: &mut Call, args: &[Value]) -> FuncResult {
    const MOD: u32 = 65521;
    let s = input(call, args)?;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the most bytes whose sums cannot overflow u32 before reducing.
    for chunk in s.as_bytes().chunks(5552) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    string_result(call, ((b << 16) | a).to_string())
}

// ---- UUIDs ----

/// A random (version 4) UUID from the OS CSPRNG, lower-case and hyphenated.
fn uuidv4(call: &mut Call, _: &[Value]) -> FuncResult {
    string_result(call, uuid::Uuid::new_v4().hyphenated().to_string())
}

fn uuid_parse(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    let bytes = go_uuid_parse(s.as_bytes()).map_err(FuncError::new)?;
    string_result(call, uuid::Uuid::from_bytes(bytes).hyphenated().to_string())
}

fn uuid_validate(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    Ok(Value::Bool(go_uuid_parse(s.as_bytes()).is_ok()))
}

/// The forms `google/uuid` accepts: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, with a
/// case-insensitive `urn:uuid:` prefix, in braces, or as 32 bare hex digits. Braces are
/// checked as `uuid.Validate` does (`uuid.Parse` only skips the first and last byte).
fn go_uuid_parse(s: &[u8]) -> Result<[u8; 16], String> {
    let body = match s.len() {
        36 => s,
        45 => {
            let (prefix, rest) = s.split_at(9);
            if !prefix.eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!("invalid urn prefix: {}", go_quote(prefix)));
            }
            rest
        }
        38 => match s {
            [b'{', body @ .., b'}'] => body,
            _ => return Err("invalid bracketed UUID format".into()),
        },
        32 => {
            let mut out = [0u8; 16];
            for (slot, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
                *slot = hex_pair(pair).ok_or("invalid UUID format")?;
            }
            return Ok(out);
        }
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if [8, 13, 18, 23].iter().any(|&i| body.get(i) != Some(&b'-')) {
        return Err("invalid UUID format".into());
    }
    let mut out = [0u8; 16];
    const OFFSETS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    for (slot, offset) in out.iter_mut().zip(OFFSETS) {
        *slot = body.get(offset..offset + 2).and_then(hex_pair).ok_or("invalid UUID format")?;
    }
    Ok(out)
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| char::from(c).to_digit(16);
    match pair {
        [hi, lo] => Some((digit(*hi)? * 16 + digit(*lo)?) as u8),
        _ => None,
    }
}

// ---- URLs ----

/// `urlParse URL`: a dict of the parts Go's `url.Parse` finds (path and fragment decoded,
/// query and opaque as written, userinfo re-escaped). An unparsable URL is an error.
fn url_parse(call: &mut Call, args: &[Value]) -> FuncResult {
    let s = input(call, args)?;
    let url = GoUrl::parse(s).map_err(|err| FuncError::new(format!("unable to parse url: {err}")))?;
    let userinfo = url.user.as_ref().map(Userinfo::to_go_string).unwrap_or_default();
    let hostname = url.hostname().to_owned();
    let parts = [
        ("scheme", url.scheme),
        ("host", url.host),
        ("hostname", hostname),
        ("path", url.path),
        ("query", url.raw_query),
        ("opaque", url.opaque),
        ("fragment", url.fragment),
        ("userinfo", userinfo),
    ];
    let dict: BTreeMap<String, Value> = parts.into_iter().map(|(k, v)| (k.to_owned(), Value::Str(v))).collect();
    call.charge(dict.values().map(Value::weight).sum())?;
    Ok(Value::map(dict))
}

/// `urlJoin DICT`: builds a `url.URL` from the dict's string fields (missing ones empty)
/// and prints it as Go does; `hostname` is ignored, as in sprig.
fn url_join(call: &mut Call, args: &[Value]) -> FuncResult {
    let dict = map_arg(args, 0)?;
    let field = |key: &str| -> Result<String, FuncError> {
        match dict.get(key) {
            None => Ok(String::new()),
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(other) => Err(FuncError::new(format!(
                "unable to parse {key} key, must be of type string, but {} found",
                kind_name(other)
            ))),
        }
    };
    let mut url = GoUrl {
        scheme: field("scheme")?,
        host: field("host")?,
        path: field("path")?,
        raw_query: field("query")?,
        opaque: field("opaque")?,
        fragment: field("fragment")?,
        user: None,
    };
    let userinfo = field("userinfo")?;
    if !userinfo.is_empty() {
        // sprig reads userinfo back through the parser; a `/`, `?` or `#` in it leaves no user.
        let probe = GoUrl::parse(&format!("proto://{userinfo}@host"))
            .map_err(|err| FuncError::new(format!("unable to parse userinfo in dict: {err}")))?;
        url.user = probe.user;
    }
    call.charge(dict.len())?;
    string_result(call, url.to_go_string())
}

/// The parts of Go's `url.URL` that `urlParse` and `urlJoin` use (`RawPath` and
/// `RawFragment` are never set by them, `ForceQuery` and `OmitHost` never read).
#[derive(Default)]
struct GoUrl {
    scheme: String,
    opaque: String,
    user: Option<Userinfo>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

/// Kept as bytes: `urlJoin` decodes and re-escapes it, and Go round-trips any byte.
struct Userinfo {
    username: Vec<u8>,
    password: Option<Vec<u8>>,
}

impl Userinfo {
    fn to_go_string(&self) -> String {
        let mut out = escape(&self.username, Mode::UserPassword);
        if let Some(password) = &self.password {
            out.push(':');
            out.push_str(&escape(password, Mode::UserPassword));
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

impl GoUrl {
    /// `url.Parse`; the error reads as Go's `*url.Error` does.
    fn parse(raw: &str) -> Result<GoUrl, String> {
        let (reference, fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let mut url = Self::parse_reference(reference)
            .map_err(|err| format!("parse {}: {err}", go_quote(reference.as_bytes())))?;
        if !fragment.is_empty() {
            url.fragment = unescape(fragment, Mode::Fragment)
                .map_err(|err| format!("parse {}: {err}", go_quote(raw.as_bytes())))?;
        }
        Ok(url)
    }

    fn parse_reference(raw: &str) -> Result<GoUrl, String> {
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        let mut url = GoUrl::default();
        if raw == "*" {
            url.path = "*".into();
            return Ok(url);
        }
        let (scheme, mut rest) = split_scheme(raw)?;
        url.scheme = scheme.to_ascii_lowercase();
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            rest = &rest[..rest.len() - 1];
        } else if let Some((before, query)) = rest.split_once('?') {
            rest = before;
            url.raw_query = query.to_owned();
        }
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                // A rootless path after a scheme is opaque (`mailto:x@y`).
                url.opaque = rest.to_owned();
                return Ok(url);
            }
            if rest.split('/').next().is_some_and(|segment| segment.contains(':')) {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
            let (user, host) = parse_authority(authority)?;
            url.user = user;
            url.host = host;
            rest = path;
        }
        url.path = unescape(rest, Mode::Path)?;
        Ok(url)
    }

    /// `u.Hostname()`: the host without a valid port, and without IPv6 brackets.
    fn hostname(&self) -> &str {
        let host = self.host.as_str();
        let host = match host.rfind(':') {
            Some(colon) if valid_optional_port(&host[colon..]) => &host[..colon],
            _ => host,
        };
        host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
    }

    /// `u.String()`.
    fn to_go_string(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    out.push_str("//");
                }
                if let Some(user) = &self.user {
                    out.push_str(&user.to_go_string());
                    out.push('@');
                }
                out.push_str(&escape(self.host.as_bytes(), Mode::Host));
            }
            let path = if self.path == "*" { "*".to_owned() } else { escape(self.path.as_bytes(), Mode::Path) };
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            // A first segment with a colon would read as a scheme (RFC 3986 §4.2).
            if out.is_empty() && path.split('/').next().is_some_and(|segment| segment.contains(':')) {
                out.push_str("./");
            }
            out.push_str(&path);
        }
        if !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&escape(self.fragment.as_bytes(), Mode::Fragment));
        }
        out
    }
}

/// Go's `getScheme`: `[a-zA-Z][a-zA-Z0-9+.-]*:`, else no scheme.
fn split_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_authority(authority: &str) -> Result<(Option<Userinfo>, String), String> {
    let at = authority.rfind('@');
    let host = parse_host(at.map_or(authority, |i| &authority[i + 1..]))?;
    let Some(at) = at else {
        return Ok((None, host));
    };
    let userinfo = &authority[..at];
    if !userinfo.chars().all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c)) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => Userinfo { username: unescape_bytes(userinfo, Mode::UserPassword)?, password: None },
        Some((username, password)) => Userinfo {
            username: unescape_bytes(username, Mode::UserPassword)?,
            password: Some(unescape_bytes(password, Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let close = host.rfind(']').ok_or("missing ']' in host")?;
        let port = &host[close + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port.as_bytes())));
        }
        // RFC 6874: `%25` starts an IPv6 zone, which may escape more than a host may.
        if let Some(zone) = host[..close].find("%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.push_str(&unescape(&host[zone..close], Mode::Zone)?);
            out.push_str(&unescape(&host[close..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(colon) = host.rfind(':') {
        let port = &host[colon..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port.as_bytes())));
        }
    }
    unescape(host, Mode::Host)
}

/// "" or `:` followed by digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || port.strip_prefix(':').is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':')
    {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && matches!(c, b'[' | b']' | b'<' | b'>' | b'"') {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::Fragment => false,
            // Host and Zone: the only remaining ones here are `/`, `?` and `@`.
            Mode::Host | Mode::Zone => true,
        },
        b'!' | b'(' | b')' | b'*' if mode == Mode::Fragment => false,
        _ => true,
    }
}

fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    unescape_bytes(s, mode).map(bytes_to_string)
}

/// Go's `unescape`: `%XX` decoded, with the host and zone restrictions; errors as Go words them.
fn unescape_bytes(s: &str, mode: Mode) -> Result<Vec<u8>, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'%' {
            let escape_error = || format!("invalid URL escape {}", go_quote(&bytes[i..(i + 3).min(bytes.len())]));
            let (Some(hi), Some(lo)) = (bytes.get(i + 1).and_then(hex_digit), bytes.get(i + 2).and_then(hex_digit))
            else {
                return Err(escape_error());
            };
            let is_percent = hi == 2 && lo == 5;
            // Hosts may only escape non-ASCII bytes (and `%25` for zones).
            if mode == Mode::Host && hi < 8 && !is_percent {
                return Err(escape_error());
            }
            let value = (hi << 4) | lo;
            if mode == Mode::Zone && !is_percent && value != b' ' && should_escape(value, Mode::Host) {
                return Err(escape_error());
            }
            out.push(value);
            i += 3;
        } else {
            if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                return Err(format!("invalid character {} in host name", go_quote(&[c])));
            }
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

fn hex_digit(c: &u8) -> Option<u8> {
    char::from(*c).to_digit(16).map(|d| d as u8)
}

fn escape(s: &[u8], mode: Mode) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if should_escape(c, mode) {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

/// `strconv.Quote` of possibly invalid UTF-8, for error messages.
fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> FuncResult {
        super::super::call_by_name(name, args)
    }

    fn text(name: &str, arg: &str) -> String {
        match call(name, &[Value::str(arg)]).unwrap() {
            Value::Str(s) => s,
            other => panic!("{name} returned {other:?}"),
        }
    }

    fn dict(entries: &[(&str, &str)]) -> Value {
        Value::map(entries.iter().map(|(k, v)| ((*k).to_owned(), Value::str(*v))).collect())
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = FUNCS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCS.len());
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(text("b64enc", "hello"), "aGVsbG8=");
        assert_eq!(text("b64enc", ""), "");
        assert_eq!(text("b64dec", "aGVsbG8="), "hello");
        assert_eq!(text("b64dec", ""), "");
        assert_eq!(text("b64dec", "aGVs\r\nbG8="), "hello");
        assert_eq!(text("b64dec", "aGVsbG8=\n"), "hello");
        assert_eq!(text("b64dec", "aA=\n="), "h");
        // Non-zero trailing bits are tolerated by Go's (non-strict) StdEncoding.
        assert_eq!(text("b64dec", "aB=="), "h");
        // A missing value for a string parameter is an error in Go ("invalid value").
        assert!(call("b64dec", &[Value::Nil]).is_err());
        assert!(call("b64enc", &[Value::Int(1)]).is_err());
    }

    #[test]
    fn base64_errors_are_the_result_text() {
        for (input, at) in [
            ("aGVsbG8", 4),   // missing padding: the start of the unfinished quantum
            ("aGVsbG8=x", 8), // trailing garbage after padding
            ("a", 0),
            ("a===", 1),
            ("aG=x", 2), // Go points at the first "="
            ("aG=", 3),
            ("!!!!", 0),
            ("aGVs!G8=", 4),
            ("aGk=aGk=", 4),
            ("====", 0),
            ("é", 0),
        ] {
            assert_eq!(text("b64dec", input), format!("illegal base64 data at input byte {at}"), "{input}");
        }
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(text("b32enc", "hello"), "NBSWY3DP");
        assert_eq!(text("b32enc", "hi"), "NBUQ====");
        assert_eq!(text("b32dec", "NBSWY3DP"), "hello");
        assert_eq!(text("b32dec", "NBUQ===="), "hi");
        assert_eq!(text("b32dec", "NBUQ\n===="), "hi");
        assert_eq!(text("b32dec", ""), "");
        for s in ["f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(text("b32dec", &text("b32enc", s)), s);
        }
        // Go stops after the padded quantum without looking further.
        assert_eq!(text("b32dec", "NBUQ====X"), "hi");
    }

    #[test]
    fn base32_errors_are_the_result_text() {
        for (input, at) in [
            ("NBSWY3D", 0),  // missing padding
            ("nbswy3dp", 0), // lower case is not the standard alphabet
            ("NBUQ==", 6),   // not enough padding
            ("NBUQ===X", 6), // wrong padding
            ("NBU=====", 3), // 3 symbols is not a valid quantum
            ("NBUQ====NBUQ====", 4),
            ("NB1Q====", 2),
        ] {
            assert_eq!(text("b32dec", input), format!("illegal base32 data at input byte {at}"), "{input}");
        }
    }

    #[test]
    fn hashes_match_go() {
        assert_eq!(
            text("sha256sum", "Hello world!"),
            "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a"
        );
        assert_eq!(text("sha1sum", "Hello world!"), "d3486ae9136e7856bc42212385ea797094475802");
        assert_eq!(
            text("sha512sum", "Hello world!"),
            "f6cde2a0f819314cdde55fc227d8d7dae3d28cc556222a0a8ad66d91ccad4aad6094f517a2182360c9aacf6a3dc323162cb6fd8cdffedb0fe038f55e85ffb5b6"
        );
        assert_eq!(text("sha256sum", ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        // Values from zlib.adler32, the same algorithm as Go's hash/adler32.
        assert_eq!(text("adler32sum", "Hello world!"), "487130206");
        assert_eq!(text("adler32sum", ""), "1");
        let long = "x".repeat(20_000);
        let expected = "1699193117";
        assert_eq!(text("adler32sum", &long), expected);
    }

    #[test]
    fn uuidv4_is_random_v4() {
        let a = match call("uuidv4", &[]).unwrap() {
            Value::Str(s) => s,
            other => panic!("{other:?}"),
        };
        let b = call("uuidv4", &[]).unwrap();
        assert_ne!(Value::str(a.clone()), b);
        assert_eq!(a.len(), 36);
        assert_eq!(a, a.to_lowercase());
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.hyphenated().to_string(), a);
    }

    #[test]
    fn uuid_parse_accepts_google_uuid_forms() {
        let canonical = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
        for form in [
            canonical,
            "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "URN:UUID:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
            "6ba7b8109dad11d180b400c04fd430c8",
        ] {
            assert_eq!(text("uuidParse", form), canonical, "{form}");
            assert_eq!(call("uuidValidate", &[Value::str(form)]).unwrap(), Value::Bool(true), "{form}");
        }
        for (bad, message) in [
            ("", "invalid UUID length: 0"),
            ("6ba7b810-9dad-11d1-80b4-00c04fd430c", "invalid UUID length: 35"),
            ("6ba7b810x9dad-11d1-80b4-00c04fd430c8", "invalid UUID format"),
            ("6ba7b810-9dad-11d1-80b4-00c04fd430cg", "invalid UUID format"),
            ("urn:uuix:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "invalid urn prefix: \"urn:uuix:\""),
            ("(6ba7b810-9dad-11d1-80b4-00c04fd430c8)", "invalid bracketed UUID format"),
            ("6ba7b8109dad11d180b400c04fd430cz", "invalid UUID format"),
            ("+ba7b810-9dad-11d1-80b4-00c04fd430c8", "invalid UUID format"),
            ("ééééééééééééééééé-ab", "invalid UUID length: 37"),
        ] {
            assert_eq!(call("uuidParse", &[Value::str(bad)]).unwrap_err().0, message, "{bad}");
            assert_eq!(call("uuidValidate", &[Value::str(bad)]).unwrap(), Value::Bool(false), "{bad}");
        }
        // A multi-byte character straddling the URN prefix boundary must not panic.
        let odd = format!("urn:uuid{}6ba7b810-9dad-11d1-80b4-00c04fd430c", 'é');
        assert_eq!(odd.len(), 45);
        assert!(call("uuidParse", &[Value::str(odd)]).is_err());
    }

    fn parsed(url: &str) -> BTreeMap<String, String> {
        match call("urlParse", &[Value::str(url)]).unwrap() {
            Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.to_go_string())).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn fields(map: &BTreeMap<String, String>) -> [&str; 8] {
        ["scheme", "host", "hostname", "path", "query", "opaque", "fragment", "userinfo"]
            .map(|k| map.get(k).map(String::as_str).unwrap())
    }

    #[test]
    fn url_parse_sprig_example() {
        let map = parsed("http://admin:secret@server.com:8080/api?list=false#anchor");
        assert_eq!(map.len(), 8);
        assert_eq!(
            fields(&map),
            ["http", "server.com:8080", "server.com", "/api", "list=false", "", "anchor", "admin:secret"]
        );
    }

    #[test]
    fn url_parse_follows_net_url() {
        let cases: &[(&str, [&str; 8])] = &[
            ("", ["", "", "", "", "", "", "", ""]),
            ("HTTPS://Example.COM", ["https", "Example.COM", "Example.COM", "", "", "", "", ""]),
            ("mailto:joe@example.com?subject=hi", ["mailto", "", "", "", "subject=hi", "joe@example.com", "", ""]),
            ("/a%20b/c?x=%zz#f%20g", ["", "", "", "/a b/c", "x=%zz", "", "f g", ""]),
            ("//host/p", ["", "host", "host", "/p", "", "", "", ""]),
            ("///p", ["", "", "", "///p", "", "", "", ""]),
            ("http://[::1]:80/", ["http", "[::1]:80", "::1", "/", "", "", "", ""]),
            ("http://[fe80::1%25en0]/", ["http", "[fe80::1%en0]", "fe80::1%en0", "/", "", "", "", ""]),
            ("http://u%40x@h/", ["http", "h", "h", "/", "", "", "", "u%40x"]),
            ("http://a@b@h/", ["http", "h", "h", "/", "", "", "", "a%40b"]),
            ("http://user@h", ["http", "h", "h", "", "", "", "", "user"]),
            ("http://h:/", ["http", "h:", "h", "/", "", "", "", ""]),
            ("http://h/?", ["http", "h", "h", "/", "", "", "", ""]),
            ("http://h/a?b?c", ["http", "h", "h", "/a", "b?c", "", "", ""]),
            ("*", ["", "", "", "*", "", "", "", ""]),
            ("a/b:c", ["", "", "", "a/b:c", "", "", "", ""]),
            ("http://h/#a#b", ["http", "h", "h", "/", "", "", "a#b", ""]),
            ("http://bücher.de/ü", ["http", "bücher.de", "bücher.de", "/ü", "", "", "", ""]),
        ];
        for (url, expected) in cases {
            assert_eq!(fields(&parsed(url)), *expected, "{url}");
        }
    }

    #[test]
    fn url_parse_errors_like_go() {
        for (url, message) in [
            (":foo", "parse \":foo\": missing protocol scheme"),
            ("a:b/c:d", ""),
            ("1a:b", "parse \"1a:b\": first path segment in URL cannot contain colon"),
            ("http://h:x/", "parse \"http://h:x/\": invalid port \":x\" after host"),
            ("http://[::1/", "parse \"http://[::1/\": missing ']' in host"),
            ("http://h/%zz", "parse \"http://h/%zz\": invalid URL escape \"%zz\""),
            ("http://h/%4", "parse \"http://h/%4\": invalid URL escape \"%4\""),
            ("http://h/#%x", "parse \"http://h/#%x\": invalid URL escape \"%x\""),
            ("http://h%41/", "parse \"http://h%41/\": invalid URL escape \"%41\""),
            ("http://h^/", "parse \"http://h^/\": invalid character \"^\" in host name"),
            ("http://a b@h/", "parse \"http://a b@h/\": net/url: invalid userinfo"),
            ("http://h/\n", "parse \"http://h/\\n\": net/url: invalid control character in URL"),
        ] {
            let result = call("urlParse", &[Value::str(url)]);
            if message.is_empty() {
                assert!(result.is_ok(), "{url}");
            } else {
                assert_eq!(result.unwrap_err().0, format!("unable to parse url: {message}"), "{url}");
            }
        }
    }

    #[test]
    fn url_join_sprig_examples() {
        let d = dict(&[
            ("fragment", "fragment"),
            ("host", "host:80"),
            ("path", "/path"),
            ("query", "query"),
            ("scheme", "http"),
        ]);
        assert_eq!(call("urlJoin", &[d]).unwrap(), Value::str("http://host:80/path?query#fragment"));
        let d = dict(&[("host", "host:80"), ("path", "/path"), ("scheme", "http"), ("userinfo", "admin:secret")]);
        assert_eq!(call("urlJoin", &[d]).unwrap(), Value::str("http://admin:secret@host:80/path"));
        // Parse then join gives the URL back.
        let url = "http://admin:secret@server.com:8080/api?list=false#anchor";
        let map = call("urlParse", &[Value::str(url)]).unwrap();
        assert_eq!(call("urlJoin", &[map]).unwrap(), Value::str(url));
    }

    #[test]
    fn url_join_follows_url_string() {
        for (entries, expected) in [
            (vec![], ""),
            (vec![("scheme", "mailto"), ("opaque", "joe@example.com"), ("query", "x=1")], "mailto:joe@example.com?x=1"),
            (vec![("path", "a b/c?d")], "a%20b/c%3Fd"),
            (vec![("path", "a:b/c")], "./a:b/c"),
            (vec![("host", "h"), ("path", "rel")], "//h/rel"),
            (vec![("scheme", "http"), ("host", "bücher.de")], "http://b%C3%BCcher.de"),
            (vec![("scheme", "http")], "http:"),
            (vec![("scheme", "file"), ("path", "/etc")], "file:///etc"),
            (vec![("fragment", "a b!(c)'")], "#a%20b!(c)%27"),
            (vec![("scheme", "http"), ("host", "h"), ("userinfo", "a%40b:p%3Aw")], "http://a%40b:p%3Aw@h"),
            (vec![("scheme", "http"), ("host", "h"), ("userinfo", "me")], "http://me@h"),
            // sprig re-parses userinfo inside a URL: a slash leaves no user at all.
            (vec![("scheme", "http"), ("host", "h"), ("userinfo", "a/b")], "http://h"),
            (vec![("hostname", "ignored"), ("scheme", "s"), ("host", "h")], "s://h"),
        ] {
            assert_eq!(call("urlJoin", &[dict(&entries)]).unwrap(), Value::str(expected), "{entries:?}");
        }
        assert_eq!(call("urlJoin", &[Value::Nil]).unwrap(), Value::str(""));
        let bad = Value::map([("host".to_owned(), Value::Int(80))].into());
        assert_eq!(
            call("urlJoin", &[bad]).unwrap_err().0,
            "unable to parse host key, must be of type string, but int found"
        );
        let bad = dict(&[("userinfo", "a%zz")]);
        assert!(call("urlJoin", &[bad]).unwrap_err().0.starts_with("unable to parse userinfo in dict: parse "));
        assert!(call("urlJoin", &[Value::str("http://x")]).is_err());
    }

    #[test]
    fn go_quote_escapes_like_strconv() {
        assert_eq!(go_quote(b"a\"b\\c\n\x01\x7f"), "\"a\\\"b\\\\c\\n\\x01\\x7f\"");
        assert_eq!(go_quote(&[b'%', 0xe2, 0x82]), "\"%\\xe2\\x82\"");
        assert_eq!(go_quote("é".as_bytes()), "\"é\"");
    }

    #[test]
    fn no_panics_on_odd_inputs() {
        let inputs = [
            "",
            "%",
            "%%",
            "=",
            "==",
            "[",
            "]",
            "@",
            ":",
            "//",
            "///",
            "?#",
            "http://[",
            "http://[]",
            "http://@",
            "a:",
            "http://[::1]:x",
            "http://h:1:2",
            "\u{2028}",
            "é%",
            "%é",
            "%e9",
            "x://é@é/é?é#é%",
        ];
        for name in FUNCS.iter().map(|f| f.name).filter(|n| *n != "uuidv4" && *n != "urlJoin") {
            for input in inputs {
                let _ = call(name, &[Value::str(input)]);
            }
        }
        for input in inputs {
            for key in ["scheme", "host", "path", "query", "opaque", "fragment", "userinfo"] {
                let _ = call("urlJoin", &[dict(&[(key, input)])]);
            }
        }
    }

    #[test]
    fn outputs_respect_the_size_limit() {
        let big = "a".repeat(super::super::limits::MAX_STRING);
        assert!(call("b64enc", &[Value::str(big.clone())]).is_err());
        assert!(call("b32enc", &[Value::str(big.clone())]).is_err());
        assert!(call("sha256sum", &[Value::str(big)]).is_ok());
    }
}
