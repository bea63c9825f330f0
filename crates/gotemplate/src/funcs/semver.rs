//! sprig's `semver` and `semverCompare`, ported from Masterminds/semver v3.2.0 (the version
//! sprig 3.2.3 pins): its loose version parsing (`1.2`, `v1.2.3`, prerelease and build
//! metadata), its ordering, and its constraint language (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~`,
//! `^`, `x`/`X`/`*` wildcards, hyphen ranges `1.2 - 1.4.5`, `||`, and `,` or space for AND),
//! where a prerelease version satisfies a comparison only if the constraint names a
//! prerelease too.
//!
//! The library's regular expressions are used as they are: Go's and the regex crate's both
//! take the leftmost-first match, so the library's quirks (a range rewritten inside a longer
//! constraint, `|` inside its wildcard class) come out the same.
//!
//! `semver` returns a `*semver.Version`, which templates see as a struct with its methods'
//! results as fields (`.Major`, `.Minor`, `.Patch`, `.Prerelease`, `.Metadata`, `.Original`,
//! `.String`); it prints as its `String()`, as Go prints a `fmt.Stringer`. Go's `uint64`
//! segments are integers here; one past the largest int64 is held as its decimal string.
//! The methods that compute new versions (`IncMajor`, `Compare`, `SetPrerelease`...) are not
//! provided.

use std::cmp::Ordering;
use std::fmt;
use std::sync::{Arc, LazyLock};

use regex::{Captures, Regex};

use super::super::value::{Struct, Value};
use super::{Call, Func, FuncError, FuncResult, func, string_arg};

pub(super) const FUNCS: &[Func] = &[func!("semver", 1, semver), func!("semverCompare", 2, semver_compare)];

/// Go's `*semver.Version`, as `%T` prints it.
pub(super) const TYPE_NAME: &str = "*semver.Version";

/// `semver VERSION`: the parsed version, or the library's error.
fn semver(call: &mut Call, args: &[Value]) -> FuncResult {
    let version = string_arg(args, 0)?;
    call.charge(version.len())?;
    Ok(Version::parse(version).map_err(FuncError::new)?.to_value())
}

/// `semverCompare CONSTRAINT VERSION`: whether the version satisfies the constraint; an
/// invalid constraint (checked first) or version is an error.
fn semver_compare(call: &mut Call, args: &[Value]) -> FuncResult {
    let constraint = string_arg(args, 0)?;
    let version = string_arg(args, 1)?;
    call.charge(constraint.len() + version.len())?;
    let constraints = Constraints::parse(constraint).map_err(FuncError::new)?;
    let version = Version::parse(version).map_err(FuncError::new)?;
    Ok(Value::Bool(constraints.check(&version)))
}

// ---- the library's regular expressions ----

/// Go's `\s` (RE2's Perl class): ASCII whitespace without `\v`.
const WS: &str = r"[\t\n\f\r ]";

/// `semVerRegex`: what `NewVersion` accepts.
const SEMVER: &str =
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// `cvRegex`: a version in a constraint, with wildcards (the class holds `|` too, as the
/// library's does).
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// The operators, in the library's order (the empty one second): leftmost-first tries them
/// in this order.
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Patterns {
    /// `versionRegex`.
    version: Regex,
    /// `constraintRegex`: one operator and version.
    constraint: Regex,
    /// `constraintRangeRegex`: `A - B`.
    range: Regex,
    /// `findConstraintRegex`: the constraints of an AND group.
    find: Regex,
    /// `validConstraintRegex`: a whole AND group.
    valid: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        version: Regex::new(&format!("^{SEMVER}$")).ok()?,
        constraint: Regex::new(&format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")).ok()?,
        range: Regex::new(&format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")).ok()?,
        find: Regex::new(&format!(r"({OPS}){WS}*({CV})")).ok()?,
        valid: Regex::new(&format!(r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"))
            .ok()?,
    })
});

fn patterns() -> Result<&'static Patterns, String> {
    PATTERNS.as_ref().ok_or_else(|| "semver: the version patterns failed to compile".to_owned())
}

/// Capture group `i`, or "" where it did not take part (as Go's submatch slices give).
fn group<'t>(captures: &Captures<'t>, i: usize) -> &'t str {
    captures.get(i).map_or("", |m| m.as_str())
}

/// `strconv.ParseUint(s, 10, 64)`: decimal digits only, in range.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---- versions ----

/// `semver.Version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl Version {
    /// `NewVersion`: a semantic version, or something close to one (`v1.2`, `1`), with the
    /// library's errors.
    pub(super) fn parse(v: &str) -> Result<Version, String> {
        let captures = patterns()?.version.captures(v).ok_or("Invalid Semantic Version")?;
        let segment = |i: usize| -> Result<u64, String> {
            let digits = group(&captures, i).trim_start_matches('.');
            if digits.is_empty() {
                return Ok(0);
            }
            parse_uint(digits).ok_or_else(|| {
                format!("Error parsing version segment: strconv.ParseUint: parsing {digits:?}: value out of range")
            })
        };
        let version = Version {
            major: segment(1)?,
            minor: segment(2)?,
            patch: segment(3)?,
            pre: group(&captures, 5).to_owned(),
            metadata: group(&captures, 8).to_owned(),
            original: v.to_owned(),
        };
        // `validatePrerelease`; the pattern already limits both parts to [0-9A-Za-z-], which
        // is all `validateMetadata` checks.
        let leading_zero =
            |part: &str| part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit());
        if version.pre.split('.').any(leading_zero) {
            return Err("Version segment starts with 0".to_owned());
        }
        Ok(version)
    }

    /// `Compare`: by major, minor, patch, then prerelease (a release is above its
    /// prereleases); metadata is ignored.
    pub(super) fn compare(&self, other: &Version) -> Ordering {
        let segments = (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if segments.is_ne() {
            return segments;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_prerelease(&self.pre, &other.pre),
        }
    }

    fn zero() -> Version {
        Version { major: 0, minor: 0, patch: 0, pre: String::new(), metadata: String::new(), original: String::new() }
    }

    fn less_than(&self, other: &Version) -> bool {
        self.compare(other).is_lt()
    }

    /// The value templates see: the methods' results as fields, `String` last.
    pub(super) fn to_value(&self) -> Value {
        // Go's uint64 segments; past int64 only the digits can be kept.
        let segment = |n: u64| i64::try_from(n).map_or_else(|_| Value::Str(n.to_string()), Value::Int);
        Value::Struct(Arc::new(Struct {
            type_name: TYPE_NAME,
            fields: vec![
                ("Major", segment(self.major)),
                ("Minor", segment(self.minor)),
                ("Patch", segment(self.patch)),
                ("Prerelease", Value::str(self.pre.as_str())),
                ("Metadata", Value::str(self.metadata.as_str())),
                ("Original", Value::str(self.original.as_str())),
                ("String", Value::Str(self.to_string())),
            ],
        }))
    }
}

/// `String()`: the canonical form, without the original's `v`, with missing segments as 0.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

/// `comparePrerelease`: dot-separated parts in turn, a missing part below any other.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    (0..a.len().max(b.len()))
        .map(|i| compare_pre_part(a.get(i).copied().unwrap_or(""), b.get(i).copied().unwrap_or("")))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// `comparePrePart`: numbers below words, numbers by value, words bytewise. As in the
/// library, two different spellings of one number (`01`, `1`) compare as less both ways.
fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (parse_uint(s), parse_uint(o)) {
        (None, None) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(si), Some(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

// ---- constraints ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `` and `=`: equal, or a tilde range when the version has wildcards.
    TildeOrEqual,
    NotEqual,
    GreaterThan,
    LessThan,
    /// `>=`, `=>`.
    GreaterThanEqual,
    /// `<=`, `=<`.
    LessThanEqual,
    /// `~`, `~>`.
    Tilde,
    Caret,
}

impl Op {
    fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::GreaterThan,
            "<" => Op::LessThan,
            ">=" | "=>" => Op::GreaterThanEqual,
            "<=" | "=<" => Op::LessThanEqual,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            _ => return None,
        })
    }
}

/// One `constraint`: an operator and the version it compares with, wildcards as zeros
/// with the flags saying which segments were wild.
#[derive(Debug)]
struct Constraint {
    op: Op,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// `Constraints`: alternatives (`||`), each a list that must all hold.
#[derive(Debug)]
pub(super) struct Constraints(Vec<Vec<Constraint>>);

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// `NewConstraint`, with its errors.
    pub(super) fn parse(c: &str) -> Result<Constraints, String> {
        let patterns = patterns()?;
        let c = rewrite_range(patterns, c);
        let mut alternatives = Vec::new();
        for group in c.split("||") {
            if !patterns.valid.is_match(group) {
                return Err(format!("improper constraint: {group}"));
            }
            let found: Vec<&str> = patterns.find.find_iter(group).map(|m| m.as_str()).collect();
            let found = if found.is_empty() { vec![group] } else { found };
            alternatives.push(found.into_iter().map(|s| parse_constraint(patterns, s)).collect::<Result<_, _>>()?);
        }
        Ok(Constraints(alternatives))
    }

    /// `Check`: whether some alternative holds entirely.
    pub(super) fn check(&self, v: &Version) -> bool {
        self.0.iter().any(|all| all.iter().all(|c| c.check(v)))
    }
}

/// `rewriteRange`: each `A - B` becomes `>= A, <= B`, replacing the first occurrence of the
/// matched text (surrounding spaces included) as the library does.
fn rewrite_range(patterns: &Patterns, c: &str) -> String {
    let mut out = c.to_owned();
    for m in patterns.range.captures_iter(c) {
        let replacement = format!(">= {}, <= {}", group(&m, 1), group(&m, 11));
        out = out.replacen(group(&m, 0), &replacement, 1);
    }
    out
}

/// `parseConstraint`.
fn parse_constraint(patterns: &Patterns, c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        // Equivalent to `*`; unreachable through `Constraints::parse`, kept as the library has it.
        let con = Version { original: "0.0.0".to_owned(), ..Version::zero() };
        return Ok(Constraint { op: Op::TildeOrEqual, con, minor_dirty: false, patch_dirty: false, dirty: true });
    }
    let m = patterns.constraint.captures(c).ok_or_else(|| format!("improper constraint: {c}"))?;
    let op = Op::parse(group(&m, 1)).ok_or_else(|| format!("improper constraint: {c}"))?;
    let (major, minor, patch, pre) = (group(&m, 3), group(&m, 4), group(&m, 5), group(&m, 6));
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let version = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        group(&m, 2).to_owned()
    };
    let con = Version::parse(&version).map_err(|_| "constraint Parser Error".to_owned())?;
    Ok(Constraint { op, con, minor_dirty, patch_dirty, dirty })
}

impl Constraint {
    /// The library's constraint functions, without their explanations (`Check` drops them).
    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        // A prerelease satisfies only constraints that name a prerelease (the library's
        // issue 21); `!=` checks this only for versions with wildcards.
        let excluded_prerelease = !v.pre.is_empty() && c.pre.is_empty();
        match self.op {
            Op::NotEqual => self.not_equal(v),
            _ if excluded_prerelease => false,
            Op::GreaterThan => self.greater_than(v),
            Op::LessThan => v.compare(c).is_lt(),
            Op::GreaterThanEqual => v.compare(c).is_ge(),
            Op::LessThanEqual => self.less_than_equal(v),
            Op::Tilde => self.tilde(v),
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c).is_eq()
                }
            }
            Op::Caret => self.caret(v),
        }
    }

    /// `constraintNotEqual`.
    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if !v.pre.is_empty() && c.pre.is_empty() {
                return false;
            }
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch != v.patch && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return compare_prerelease(&v.pre, &c.pre).is_ne();
                }
                return false;
            }
        }
        v.compare(c).is_ne()
    }

    /// `constraintGreaterThan`: `>1` means 2.0.0 and above, `>1.1` 1.2.0 and above.
    fn greater_than(&self, v: &Version) -> bool {
        let c = &self.con;
        if !self.dirty {
            return v.compare(c).is_gt();
        }
        if v.major != c.major {
            return v.major > c.major;
        }
        if self.minor_dirty {
            return false;
        }
        if self.patch_dirty {
            return v.minor > c.minor;
        }
        v.compare(c).is_gt()
    }

    /// `constraintLessThanEqual`: `<=1.2` takes all of 1.2.x.
    fn less_than_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if !self.dirty {
            return v.compare(c).is_le();
        }
        if v.major > c.major {
            return false;
        }
        !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
    }

    /// `constraintTilde`: `~1.2.3` is >=1.2.3 <1.3.0, `~1` is >=1.0.0 <2.0.0, `~0.0.0` any.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.less_than(c) {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    /// `constraintCaret`: `^1.2.3` is >=1.2.3 <2.0.0, `^0.2.3` >=0.2.3 <0.3.0, `^0.0.3` =0.0.3.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.less_than(c) {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn satisfies(constraint: &str, version: &str) -> bool {
        let constraints = Constraints::parse(constraint).unwrap_or_else(|e| panic!("{constraint}: {e}"));
        constraints.check(&v(version))
    }

    #[test]
    fn the_patterns_compile() {
        assert!(PATTERNS.is_some());
    }

    #[test]
    fn versions_parse_loosely_as_new_version_does() {
        for (input, string) in [
            ("1.2.3", "1.2.3"),
            ("v1.2.3", "1.2.3"),
            ("1.2", "1.2.0"),
            ("1", "1.0.0"),
            ("v1", "1.0.0"),
            ("01.002.3", "1.2.3"),
            ("1.2.3-beta.1+build.5", "1.2.3-beta.1+build.5"),
            ("1.2-rc1", "1.2.0-rc1"),
            ("1+meta", "1.0.0+meta"),
            ("1.2.3-0", "1.2.3-0"),
            ("1.2.3-x-y--z", "1.2.3-x-y--z"),
            ("1.2.3+001", "1.2.3+001"),
            ("18446744073709551615.0.0", "18446744073709551615.0.0"),
        ] {
            assert_eq!(v(input).to_string(), string, "{input}");
            assert_eq!(v(input).original, input);
        }
        for (input, error) in [
            ("", "Invalid Semantic Version"),
            ("V1.2.3", "Invalid Semantic Version"),
            ("1.2.3.4", "Invalid Semantic Version"),
            (" 1.2.3", "Invalid Semantic Version"),
            ("1.2.3-", "Invalid Semantic Version"),
            ("1.2.3-beta..1", "Invalid Semantic Version"),
            ("1.2.3+", "Invalid Semantic Version"),
            ("1.x", "Invalid Semantic Version"),
            ("1.2.3-01", "Version segment starts with 0"),
            (
                "18446744073709551616",
                "Error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range",
            ),
        ] {
            assert_eq!(Version::parse(input).unwrap_err(), error, "{input:?}");
        }
    }

    #[test]
    fn versions_order_as_semver_specifies() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(v(pair[0]).compare(&v(pair[1])), Ordering::Less, "{pair:?}");
            assert_eq!(v(pair[1]).compare(&v(pair[0])), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(v("1.2.3+a").compare(&v("v1.2.3+b")), Ordering::Equal);
        // The library's quirk: two spellings of one number are each below the other.
        assert_eq!(compare_prerelease("01", "1"), Ordering::Less);
        assert_eq!(compare_prerelease("1", "01"), Ordering::Less);
    }

    #[test]
    fn constraints_follow_the_library() {
        for (constraint, version, want) in [
            (">=1.2.0", "1.2.3", true),
            ("<1.0", "1.2.3", false),
            ("1.2.3", "1.2.3", true),
            ("=1.2.3", "v1.2.3+meta", true),
            ("!=1.2.3", "1.2.4", true),
            ("!=1.2.3", "1.2.3", false),
            ("!=1.2.x", "1.2.9", false),
            ("!=1.2.x", "1.3.0", true),
            ("!=1.2.3", "1.2.4-beta", true),
            ("!=1.x", "1.2.4-beta", false),
            (">1", "1.9.9", false),
            (">1", "2.0.0", true),
            (">1.1", "1.1.9", false),
            (">1.1", "1.2.0", true),
            ("<=1.2", "1.2.99", true),
            ("<=1.2", "1.3.0", false),
            ("<=1.2.3", "1.2.4", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("~0", "0.9.0", true),
            ("~0.0.0", "5.0.0", true),
            ("~>2.1", "2.1.5", true),
            ("^1.2.3", "1.9.0", true),
            ("^1.2.3", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0", "0.9.9", true),
            ("^0", "1.0.0", false),
            ("^0.0", "0.0.9", true),
            ("^0.0", "0.1.0", false),
            ("1.2.x", "1.2.7", true),
            ("1.2.x", "1.3.0", false),
            ("*", "9.9.9", true),
            ("x", "0.0.0", true),
            ("1.x.3", "1.7.0", true),
            ("1.2 - 1.4.5", "1.4.5", true),
            ("1.2 - 1.4.5", "1.4.6", false),
            ("1.2 - 1.4.5", "1.1.9", false),
            (">=1.0, <2.0", "1.5.0", true),
            (">=1.0 <2.0", "2.0.0", false),
            ("<1.0 || >=2.0", "2.1.0", true),
            ("<1.0 || >=2.0", "1.1.0", false),
            // Prereleases satisfy only constraints that name one.
            (">=1.0.0", "1.2.0-beta", false),
            (">=1.2.0-alpha", "1.2.0-beta", true),
            (">=1.2.0-alpha", "1.3.0-beta", true),
            ("1.2.x", "1.2.1-beta", false),
            ("*", "1.0.0-beta", false),
            ("^1.2.0-0", "1.5.0-beta", true),
        ] {
            assert_eq!(satisfies(constraint, version), want, "{constraint} {version}");
        }
    }

    #[test]
    fn bad_constraints_are_the_library_errors() {
        for (constraint, error) in [
            ("", "improper constraint: "),
            ("1.2 ||", "improper constraint: "),
            ("1.2 || ", "improper constraint:  "),
            (">>1", "improper constraint: >>1"),
            ("1.2.3.4", "improper constraint: 1.2.3.4"),
            ("abc", "improper constraint: abc"),
            ("1|2", "constraint Parser Error"),
            ("1.2.3-01", "constraint Parser Error"),
            // A range inside a longer constraint swallows the space before it.
            (">=1.0 1.2 - 1.4", "improper constraint: >=1.0>= 1.2, <= 1.4"),
        ] {
            assert_eq!(Constraints::parse(constraint).unwrap_err(), error, "{constraint:?}");
        }
    }

    #[test]
    fn the_functions_return_a_version_and_a_bool() {
        use super::super::call_by_name;
        let version = call_by_name("semver", &[Value::str("v1.2.3-beta.1+build")]).unwrap();
        let Value::Struct(s) = &version else { panic!("a struct") };
        assert_eq!(s.type_name, "*semver.Version");
        assert_eq!(s.field("Major"), Some(&Value::Int(1)));
        assert_eq!(s.field("Prerelease"), Some(&Value::str("beta.1")));
        assert_eq!(s.field("Original"), Some(&Value::str("v1.2.3-beta.1+build")));
        assert_eq!(version.to_go_string(), "1.2.3-beta.1+build");
        assert_eq!(call_by_name("semverCompare", &[Value::str("^1"), Value::str("1.9")]), Ok(Value::Bool(true)));
        assert!(call_by_name("semverCompare", &[Value::str("^1"), Value::str("x")]).is_err());
        assert!(call_by_name("semverCompare", &[Value::str("!"), Value::str("1")]).is_err());
        assert!(call_by_name("semver", &[Value::Int(1)]).is_err());
        let huge = call_by_name("semver", &[Value::str("9223372036854775808.1")]).unwrap();
        let Value::Struct(s) = &huge else { panic!("a struct") };
        assert_eq!(s.field("Major"), Some(&Value::str("9223372036854775808")));
        assert_eq!(s.field("Minor"), Some(&Value::Int(1)));
    }
}
