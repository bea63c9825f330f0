//! Splits a template into literal text and the tokens of its `${ ... }` actions, following
//! Go's text/template lexer with the delimiters set to `${` and `}`: trim markers (`${- `,
//! ` -}`), comments (`${/* */}`), Go string, raw string, rune and number literals.

use super::TemplateError;

const LEFT: &str = "${";
const RIGHT: &str = "}";

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// Literal text between actions.
    Text(String),
    /// `${`: an action begins.
    Open,
    /// `}`: the action ends.
    Close,
    Ident(String),
    /// `.Name`, without the dot.
    Field(String),
    Dot,
    /// `$` or `$name`, with the dollar sign.
    Variable(String),
    /// A number literal, as written.
    Number(String),
    /// A string literal, unquoted.
    Str(String),
    /// A rune literal's code point.
    Char(i64),
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offset in the source.
    pub pos: usize,
    /// Whether spaces separate it from the previous token (`.A.B` is one chain, `.A .B` two operands).
    pub spaced: bool,
}

pub(crate) fn lex(source: &str) -> Result<Vec<Token>, TemplateError> {
    let mut lexer = Lexer { src: source, pos: 0, tokens: Vec::new() };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn emit(&mut self, tok: Tok, pos: usize, spaced: bool) {
        self.tokens.push(Token { tok, pos, spaced });
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        let mut trim_next_text = false;
        while self.pos < self.src.len() {
            let start = self.pos;
            let text_end = self.rest().find(LEFT).map_or(self.src.len(), |i| self.pos + i);
            let mut text = &self.src[start..text_end];
            if trim_next_text {
                text = text.trim_start_matches(is_space);
            }
            self.pos = text_end;
            // `${- ` trims the spaces before the action (the dash needs a space after it).
            let trims_left = self
                .rest()
                .strip_prefix(LEFT)
                .is_some_and(|r| r.strip_prefix('-').is_some_and(|after| after.starts_with(is_space)));
            if trims_left {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.emit(Tok::Text(text.to_owned()), start, false);
            }
            if self.pos >= self.src.len() {
                break;
            }
            trim_next_text = self.action(trims_left)?;
        }
        Ok(())
    }

    /// Lexes one action starting at `${`; returns whether it ends with a right trim marker.
    fn action(&mut self, trims_left: bool) -> Result<bool, TemplateError> {
        let open = self.pos;
        self.pos += LEFT.len() + if trims_left { 2 } else { 0 };
        if self.rest().starts_with("/*") {
            return self.comment(open);
        }
        self.emit(Tok::Open, open, false);
        let mut parens = 0usize;
        loop {
            let before = self.pos;
            while self.peek().is_some_and(is_space) {
                self.pos += 1;
            }
            let spaced = self.pos > before;
            let start = self.pos;
            let Some(c) = self.peek() else {
                return Err(TemplateError::new("unclosed action: missing }", open));
            };
            if spaced && self.rest().starts_with("-}") {
                self.pos += 2;
                self.emit(Tok::Close, start, true);
                return Ok(true);
            }
            if self.rest().starts_with(RIGHT) {
                if parens > 0 {
                    return Err(TemplateError::new("unclosed left paren", start));
                }
                self.pos += RIGHT.len();
                self.emit(Tok::Close, start, spaced);
                return Ok(false);
            }
            let tok = match c {
                '|' => self.single(Tok::Pipe),
                ',' => self.single(Tok::Comma),
                '(' => {
                    parens += 1;
                    self.single(Tok::LeftParen)
                }
                ')' => {
                    if parens == 0 {
                        return Err(TemplateError::new("unexpected right paren", start));
                    }
                    parens -= 1;
                    self.single(Tok::RightParen)
                }
                '=' => self.single(Tok::Assign),
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err(TemplateError::new("expected :=", start));
                    }
                    self.pos += 2;
                    Tok::Declare
                }
                '"' => Tok::Str(self.quoted(start)?),
                '`' => Tok::Str(self.raw(start)?),
                '\'' => Tok::Char(self.rune(start)?),
                '$' => {
                    self.pos += 1;
                    Tok::Variable(format!("${}", self.word()))
                }
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    if next.is_some_and(|n| n.is_ascii_digit()) {
                        Tok::Number(self.number(start)?)
                    } else {
                        self.pos += 1;
                        let name = self.word();
                        if name.is_empty() { Tok::Dot } else { Tok::Field(name) }
                    }
                }
                '+' | '-' | '0'..='9' => Tok::Number(self.number(start)?),
                c if is_alphanumeric(c) => {
                    let word = self.word();
                    self.check_terminator(&word, start)?;
                    Tok::Ident(word)
                }
                other => {
                    return Err(TemplateError::new(format!("unexpected {other:?} in action"), start));
                }
            };
            self.emit(tok, start, spaced);
        }
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.pos += 1;
        tok
    }

    fn word(&mut self) -> String {
        let len = self.rest().find(|c: char| !is_alphanumeric(c)).unwrap_or(self.rest().len());
        let word = self.rest()[..len].to_owned();
        self.pos += len;
        word
    }

    /// Go requires an identifier to be followed by a space, a delimiter or punctuation.
    fn check_terminator(&self, word: &str, start: usize) -> Result<(), TemplateError> {
        match self.peek() {
            None => Ok(()),
            Some(c) if is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '}' | '=') => Ok(()),
            Some(c) => Err(TemplateError::new(format!("bad character {c:?} after {word}"), start)),
        }
    }

    /// `${/* ... */}`: must close right before the delimiter.
    fn comment(&mut self, open: usize) -> Result<bool, TemplateError> {
        let Some(end) = self.rest().find("*/") else {
            return Err(TemplateError::new("unclosed comment", open));
        };
        self.pos += end + 2;
        if self.rest().starts_with(" -}") {
            self.pos += 3;
            return Ok(true);
        }
        if self.rest().starts_with(RIGHT) {
            self.pos += RIGHT.len();
            return Ok(false);
        }
        Err(TemplateError::new("comment ends before closing delimiter", open))
    }

    /// A Go number literal: decimal, hex, octal or binary, with `_`, fraction and exponent.
    fn number(&mut self, start: usize) -> Result<String, TemplateError> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut i = 0;
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        let mut exponent: &[u8] = b"eE";
        if bytes.get(i) == Some(&b'0') {
            match bytes.get(i + 1) {
                Some(b'x' | b'X') => {
                    i += 2;
                    digits = b"0123456789abcdefABCDEF_";
                    exponent = b"pP";
                }
                Some(b'o' | b'O') => {
                    i += 2;
                    digits = b"01234567_";
                    exponent = b"";
                }
                Some(b'b' | b'B') => {
                    i += 2;
                    digits = b"01_";
                    exponent = b"";
                }
                _ => {}
            }
        }
        let scan = |i: &mut usize, set: &[u8]| {
            while bytes.get(*i).is_some_and(|b| set.contains(b)) {
                *i += 1;
            }
        };
        scan(&mut i, digits);
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            scan(&mut i, digits);
        }
        if !exponent.is_empty() && bytes.get(i).is_some_and(|b| exponent.contains(b)) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            scan(&mut i, b"0123456789_");
        }
        let text = &rest[..i];
        if rest[i..].starts_with(is_alphanumeric) || !text.bytes().any(|b| b.is_ascii_digit()) {
            let bad_len = rest[i..].find(|c: char| !is_alphanumeric(c)).unwrap_or(rest.len() - i);
            return Err(TemplateError::new(format!("bad number syntax: {:?}", &rest[..i + bad_len]), start));
        }
        self.pos += i;
        Ok(text.to_owned())
    }

    /// A double-quoted Go string with its escapes.
    fn quoted(&mut self, start: usize) -> Result<String, TemplateError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(TemplateError::new("unterminated quoted string", start));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\n' => return Err(TemplateError::new("unterminated quoted string", start)),
                '\\' => self.escape(&mut out, '"', start)?,
                c => out.push(c),
            }
        }
    }

    /// A backquoted raw string: no escapes; carriage returns are dropped, as Go does.
    fn raw(&mut self, start: usize) -> Result<String, TemplateError> {
        self.pos += 1;
        let Some(end) = self.rest().find('`') else {
            return Err(TemplateError::new("unterminated raw quoted string", start));
        };
        let text = self.rest()[..end].replace('\r', "");
        self.pos += end + 1;
        Ok(text)
    }

    /// A rune literal: one character or escape between single quotes.
    fn rune(&mut self, start: usize) -> Result<i64, TemplateError> {
        self.pos += 1;
        let mut out = String::new();
        match self.peek() {
            Some('\\') => {
                self.pos += 1;
                self.escape(&mut out, '\'', start)?;
            }
            Some(c) if c != '\'' && c != '\n' => {
                self.pos += c.len_utf8();
                out.push(c);
            }
            _ => return Err(TemplateError::new("malformed character constant", start)),
        }
        if self.peek() != Some('\'') {
            return Err(TemplateError::new("unterminated character constant", start));
        }
        self.pos += 1;
        let mut chars = out.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(i64::from(u32::from(c))),
            _ => Err(TemplateError::new("malformed character constant", start)),
        }
    }

    /// One escape sequence after a backslash (Go spec, "Rune literals").
    fn escape(&mut self, out: &mut String, quote: char, start: usize) -> Result<(), TemplateError> {
        let bad = || TemplateError::new("invalid escape sequence in quoted string", start);
        let c = self.peek().ok_or_else(bad)?;
        self.pos += c.len_utf8();
        let simple = match c {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            c if c == quote => Some(c),
            _ => None,
        };
        if let Some(simple) = simple {
            out.push(simple);
            return Ok(());
        }
        let (len, radix) = match c {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => return Err(bad()),
        };
        let digits = self.rest().get(..len).ok_or_else(bad)?;
        let digits = if c.is_ascii_digit() { format!("{c}{digits}") } else { digits.to_owned() };
        let code = u32::from_str_radix(&digits, radix).map_err(|_| bad())?;
        self.pos += len;
        if c == 'x' || c.is_ascii_digit() {
            // A byte escape; Go strings may hold any bytes, ours hold UTF-8, so bytes ≥ 0x80 map to U+FFFD.
            if code > 0xff {
                return Err(bad());
            }
            out.push(if code < 0x80 { char::from(code as u8) } else { char::REPLACEMENT_CHARACTER });
        } else {
            out.push(char::from_u32(code).ok_or_else(bad)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(source: &str) -> Vec<Tok> {
        lex(source).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_actions_alternate() {
        assert_eq!(
            toks("a-${ .Client.ID }-b"),
            vec![
                Tok::Text("a-".into()),
                Tok::Open,
                Tok::Field("Client".into()),
                Tok::Field("ID".into()),
                Tok::Close,
                Tok::Text("-b".into())
            ]
        );
        assert_eq!(toks("no actions, just $ and { }"), vec![Tok::Text("no actions, just $ and { }".into())]);
    }

    #[test]
    fn literals_decode_like_go() {
        assert_eq!(
            toks(r#"${ "a\tb\u00e9" `raw\n` 'x' '\n' 0x1F -2.5e3 }"#)[1..7],
            [
                Tok::Str("a\tb\u{e9}".into()),
                Tok::Str("raw\\n".into()),
                Tok::Char(120),
                Tok::Char(10),
                Tok::Number("0x1F".into()),
                Tok::Number("-2.5e3".into())
            ]
        );
    }

    #[test]
    fn trim_markers_and_comments_remove_text() {
        assert_eq!(
            toks("a  ${- 1 -}  b"),
            vec![Tok::Text("a".into()), Tok::Open, Tok::Number("1".into()), Tok::Close, Tok::Text("b".into())]
        );
        assert_eq!(toks("a${/* note */}b"), vec![Tok::Text("a".into()), Tok::Text("b".into())]);
    }

    #[test]
    fn malformed_actions_are_errors_with_positions() {
        for (source, message, pos) in [
            ("x ${ upper", "unclosed action", 2),
            ("${ \"abc }", "unterminated quoted string", 3),
            ("${ 12abc }", "bad number syntax", 3),
            ("${ a ) }", "unexpected right paren", 5),
            ("${ (a }", "unclosed left paren", 6),
            ("${ # }", "unexpected '#'", 3),
            ("${/* x */ y}", "comment ends before closing delimiter", 0),
            ("${ '\\q' }", "invalid escape", 3),
        ] {
            let error = lex(source).unwrap_err();
            assert!(error.message.contains(message), "{source}: {}", error.message);
            assert_eq!(error.pos, pos, "{source}");
        }
    }
}
