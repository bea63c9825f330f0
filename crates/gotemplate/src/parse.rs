//! Builds the tree of a template from its tokens, following Go's text/template parser, and
//! checks at save time what Go would only find when executing: unknown functions, argument
//! counts, fields the context does not have, and variables never declared.

use super::TemplateError;
use super::funcs::{self, Func};
use super::lex::{Tok, Token};
use super::shape::Shape;
use super::value::{Value, parse_go_float, parse_go_int};

/// How deeply parentheses and blocks may nest; keeps the recursive parser and evaluator
/// far from the stack's end.
const MAX_NESTING: usize = 50;

#[derive(Debug)]
pub(crate) enum Node {
    Text(String),
    /// `${ pipeline }`: prints the pipeline's value unless it declares variables.
    Action(Pipeline),
    If(Branch),
    With(Branch),
    Range(Branch),
    Break,
    Continue,
}

/// `if`/`with`/`range`: the condition, the body, and what `else` holds (an `else if`
/// becomes a nested `if` there, as in Go).
#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipeline,
    pub body: Vec<Node>,
    pub otherwise: Vec<Node>,
}

#[derive(Debug)]
pub(crate) struct Pipeline {
    pub pos: usize,
    /// Variables declared (`$x :=`) or assigned (`$x =`) with the pipeline's value.
    pub decl: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Operand>,
}

#[derive(Debug)]
pub(crate) enum Operand {
    /// A function, called with the rest of the command as arguments (or none, as an argument).
    Func(&'static Func, usize),
    /// `.A.B` from dot.
    Field(Vec<String>, usize),
    Dot,
    /// `$x.A.B`.
    Variable(String, Vec<String>, usize),
    /// `(pipeline).A.B`.
    Sub(Box<Pipeline>, Vec<String>),
    Literal(Value),
    Nil(usize),
}

pub(crate) fn parse(tokens: Vec<Token>, root: &Shape) -> Result<Vec<Node>, TemplateError> {
    let mut parser =
        Parser { tokens, pos: 0, root, scopes: vec![vec!["$".to_owned()]], dot: vec![Some(root)], loops: 0 };
    let (nodes, end) = parser.list()?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End(pos) => Err(TemplateError::new("unexpected ${ end }", pos)),
        Stop::Else(pos, _) => Err(TemplateError::new("unexpected ${ else }", pos)),
    }
}

/// What closed a list of nodes.
enum Stop {
    Eof,
    End(usize),
    /// `else`, possibly followed by `if`/`with` and its pipeline (`else if ...`).
    Else(usize, Option<(String, usize)>),
}

struct Parser<'s> {
    tokens: Vec<Token>,
    pos: usize,
    root: &'s Shape,
    /// Declared variable names, innermost block last.
    scopes: Vec<Vec<String>>,
    /// What dot is, innermost block last; `None` once `with` or `range` changed it.
    dot: Vec<Option<&'s Shape>>,
    /// How many `range` loops enclose the current position (for `break`/`continue`).
    loops: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn here(&self) -> usize {
        self.peek().or(self.tokens.last()).map_or(0, |t| t.pos)
    }

    fn expect_close(&mut self, context: &str) -> Result<(), TemplateError> {
        match self.next() {
            Some(Token { tok: Tok::Close, .. }) => Ok(()),
            other => Err(TemplateError::new(
                format!("unexpected {} in {context}", describe(other.as_ref())),
                other.map_or_else(|| self.here(), |t| t.pos),
            )),
        }
    }

    fn nesting_check(&self, pos: usize) -> Result<(), TemplateError> {
        if self.scopes.len() > MAX_NESTING {
            return Err(TemplateError::new(format!("blocks nest deeper than {MAX_NESTING}"), pos));
        }
        Ok(())
    }

    /// Nodes up to the end of input, `${ end }` or `${ else }`.
    fn list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(token) = self.next() {
            match token.tok {
                Tok::Text(text) => nodes.push(Node::Text(text)),
                Tok::Open => {
                    if let Some(end) = self.action(&mut nodes)? {
                        return Ok((nodes, end));
                    }
                }
                other => {
                    return Err(TemplateError::new(format!("unexpected {}", describe_tok(&other)), token.pos));
                }
            }
        }
        Ok((nodes, Stop::Eof))
    }

    /// One action after `${`; keywords that close a block are returned to the caller.
    fn action(&mut self, nodes: &mut Vec<Node>) -> Result<Option<Stop>, TemplateError> {
        let Some(first) = self.peek().cloned() else {
            return Err(TemplateError::new("unclosed action", self.here()));
        };
        if let Tok::Ident(word) = &first.tok {
            let pos = first.pos;
            match word.as_str() {
                "end" => {
                    self.pos += 1;
                    self.expect_close("end")?;
                    return Ok(Some(Stop::End(pos)));
                }
                "else" => {
                    self.pos += 1;
                    if let Some(Token { tok: Tok::Ident(next), pos: next_pos, .. }) = self.peek().cloned() {
                        if next == "if" || next == "with" {
                            self.pos += 1;
                            return Ok(Some(Stop::Else(pos, Some((next, next_pos)))));
                        }
                    }
                    self.expect_close("else")?;
                    return Ok(Some(Stop::Else(pos, None)));
                }
                "if" | "with" | "range" => {
                    self.pos += 1;
                    let keyword = word.clone();
                    nodes.push(self.block(&keyword, pos)?);
                    return Ok(None);
                }
                "break" | "continue" => {
                    self.pos += 1;
                    if self.loops == 0 {
                        return Err(TemplateError::new(format!("{word} outside of range"), pos));
                    }
                    self.expect_close(word)?;
                    nodes.push(if word == "break" { Node::Break } else { Node::Continue });
                    return Ok(None);
                }
                "define" | "template" | "block" => {
                    return Err(TemplateError::new(format!("{word} is not supported in claim templates"), pos));
                }
                _ => {}
            }
        }
        let pipe = self.pipeline(true, false)?;
        self.expect_close("command")?;
        nodes.push(Node::Action(pipe));
        Ok(None)
    }

    /// `if`/`with`/`range` through its `end`, with `else` and `else if`/`else with` chains.
    fn block(&mut self, keyword: &str, pos: usize) -> Result<Node, TemplateError> {
        self.nesting_check(pos)?;
        self.scopes.push(Vec::new());
        let pipe = self.pipeline(true, keyword == "range")?;
        self.expect_close(keyword)?;
        let changes_dot = keyword != "if";
        self.dot.push(if changes_dot { None } else { self.dot.last().copied().flatten() });
        if keyword == "range" {
            self.loops += 1;
        }
        let body = self.scoped_list();
        if keyword == "range" {
            self.loops -= 1;
        }
        self.dot.pop();
        let (body, end) = body?;
        let otherwise = match end {
            Stop::Eof => {
                return Err(TemplateError::new(format!("unexpected end of template: {keyword} has no end"), pos));
            }
            Stop::End(_) => Vec::new(),
            Stop::Else(_, None) => {
                let (otherwise, end) = self.scoped_list()?;
                match end {
                    Stop::End(_) => otherwise,
                    Stop::Else(else_pos, _) => return Err(TemplateError::new("expected end; found else", else_pos)),
                    Stop::Eof => {
                        return Err(TemplateError::new(
                            format!("unexpected end of template: {keyword} has no end"),
                            pos,
                        ));
                    }
                }
            }
            // `else if` shares the outer block's `end`, so the nested block consumes it.
            Stop::Else(else_pos, Some((nested, nested_pos))) => {
                if keyword == "range" || (nested == "with") != (keyword == "with") {
                    return Err(TemplateError::new(format!("else {nested} is not allowed in {keyword}"), else_pos));
                }
                vec![self.block(&nested, nested_pos)?]
            }
        };
        self.scopes.pop();
        let branch = Branch { pipe, body, otherwise };
        Ok(match keyword {
            "if" => Node::If(branch),
            "with" => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    fn scoped_list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        self.scopes.push(Vec::new());
        let result = self.list();
        self.scopes.pop();
        result
    }

    fn declared(&self, name: &str) -> bool {
        self.scopes.iter().any(|scope| scope.iter().any(|v| v == name))
    }

    /// A pipeline up to `}` or `)`, with an optional declaration (`$x :=`, `$x =`, and in
    /// `range`, `$i, $e :=`).
    fn pipeline(&mut self, allow_decl: bool, is_range: bool) -> Result<Pipeline, TemplateError> {
        let pos = self.here();
        let mut decl = Vec::new();
        let mut assign = false;
        if allow_decl {
            if let Some((names, is_assign)) = self.declaration(is_range)? {
                decl = names;
                assign = is_assign;
            }
        }
        let mut cmds = Vec::new();
        loop {
            let stage = cmds.len();
            let cmd = self.command(stage)?;
            cmds.push(cmd);
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Pipe) => {
                    self.pos += 1;
                    // Go's parser takes a `|` with nothing after it (`${ 1 | }`) as the end.
                    if matches!(self.peek().map(|t| &t.tok), Some(Tok::Close | Tok::RightParen)) {
                        break;
                    }
                }
                _ => break,
            }
        }
        // Variables come into scope after their pipeline, as in Go.
        if !assign {
            if let Some(scope) = self.scopes.last_mut() {
                scope.extend(decl.iter().cloned());
            }
        }
        Ok(Pipeline { pos, decl, assign, cmds })
    }

    fn declaration(&mut self, is_range: bool) -> Result<Option<(Vec<String>, bool)>, TemplateError> {
        let start = self.pos;
        let Some(Token { tok: Tok::Variable(first), pos: first_pos, .. }) = self.peek().cloned() else {
            return Ok(None);
        };
        self.pos += 1;
        let mut names = vec![first];
        if is_range && matches!(self.peek().map(|t| &t.tok), Some(Tok::Comma)) {
            self.pos += 1;
            match self.next() {
                Some(Token { tok: Tok::Variable(second), .. }) => names.push(second),
                other => {
                    return Err(TemplateError::new(
                        format!("expected a variable after the comma, found {}", describe(other.as_ref())),
                        other.map_or(first_pos, |t| t.pos),
                    ));
                }
            }
        }
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Declare) => {
                self.pos += 1;
                Ok(Some((names, false)))
            }
            Some(Tok::Assign) if names.len() == 1 => {
                self.pos += 1;
                if !self.declared(&names[0]) {
                    return Err(TemplateError::new(format!("undefined variable: {}", names[0]), first_pos));
                }
                Ok(Some((names, true)))
            }
            _ if names.len() == 2 => Err(TemplateError::new("range can only initialize variables with :=", first_pos)),
            _ => {
                // Not a declaration after all: `$x.Field | ...`.
                self.pos = start;
                Ok(None)
            }
        }
    }

    /// Operands up to `|`, `)` or `}`. Later stages receive the previous value as their
    /// last argument, so they must be function calls (Go: "non executable command").
    fn command(&mut self, stage: usize) -> Result<Command, TemplateError> {
        let pos = self.here();
        let mut args = Vec::new();
        while let Some(token) = self.peek() {
            if matches!(token.tok, Tok::Pipe | Tok::RightParen | Tok::Close) {
                break;
            }
            if !args.is_empty() && !token.spaced && !matches!(token.tok, Tok::LeftParen) {
                return Err(TemplateError::new(format!("missing space before {}", describe(Some(token))), token.pos));
            }
            args.push(self.operand()?);
        }
        let Some(first) = args.first() else {
            return Err(TemplateError::new("missing value for command", pos));
        };
        let piped = usize::from(stage > 0);
        match first {
            Operand::Func(func, func_pos) => {
                let count = args.len() - 1 + piped;
                if !func.accepts(count) {
                    return Err(TemplateError::new(
                        format!("wrong number of arguments for {}: want {}, got {count}", func.name, func.arity()),
                        *func_pos,
                    ));
                }
            }
            Operand::Nil(nil_pos) => return Err(TemplateError::new("nil is not a command", *nil_pos)),
            // A method that takes arguments (`.Client.CreatedAt.Format "2006"`), called with
            // them and any piped value; the evaluator checks how many.
            other if takes_arguments(other) => {}
            other => {
                if stage > 0 {
                    return Err(TemplateError::new(
                        format!("{} cannot take the piped value: only functions can follow |", operand_name(other)),
                        pos,
                    ));
                }
                if args.len() > 1 {
                    return Err(TemplateError::new(
                        format!("{} is not a function and cannot take arguments", operand_name(other)),
                        pos,
                    ));
                }
            }
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> Result<Operand, TemplateError> {
        let Some(token) = self.next() else {
            return Err(TemplateError::new("unclosed action", self.here()));
        };
        let pos = token.pos;
        let operand = match token.tok {
            Tok::Ident(word) => match word.as_str() {
                "true" => Operand::Literal(Value::Bool(true)),
                "false" => Operand::Literal(Value::Bool(false)),
                "nil" => Operand::Nil(pos),
                name => match funcs::lookup(name) {
                    Some(func) => Operand::Func(func, pos),
                    None => {
                        let keyword = ["if", "else", "end", "range", "with", "break", "continue"].contains(&name);
                        let message = if keyword {
                            format!("unexpected keyword {name} inside an action")
                        } else {
                            format!("function {name:?} not defined")
                        };
                        return Err(TemplateError::new(message, pos));
                    }
                },
            },
            Tok::Dot => Operand::Dot,
            Tok::Field(name) => {
                let mut chain = vec![name];
                chain.extend(self.chain());
                if let Some(shape) = self.dot.last().copied().flatten() {
                    shape.check(&chain, ".").map_err(|message| TemplateError::new(message, pos))?;
                }
                Operand::Field(chain, pos)
            }
            Tok::Variable(name) => {
                if !self.declared(&name) {
                    return Err(TemplateError::new(format!("undefined variable: {name}"), pos));
                }
                let chain = self.chain();
                if name == "$" {
                    self.root.check(&chain, "$.").map_err(|message| TemplateError::new(message, pos))?;
                }
                Operand::Variable(name, chain, pos)
            }
            Tok::Number(text) => Operand::Literal(number(&text).map_err(|m| TemplateError::new(m, pos))?),
            Tok::Str(text) => Operand::Literal(Value::Str(text)),
            Tok::Char(code) => Operand::Literal(Value::Int(code)),
            Tok::LeftParen => {
                if self.scopes.len() + self.dot.len() > 2 * MAX_NESTING {
                    return Err(TemplateError::new(format!("expressions nest deeper than {MAX_NESTING}"), pos));
                }
                self.scopes.push(Vec::new());
                self.dot.push(self.dot.last().copied().flatten());
                let pipe = self.pipeline(false, false);
                self.dot.pop();
                self.scopes.pop();
                let pipe = pipe?;
                match self.next() {
                    Some(Token { tok: Tok::RightParen, .. }) => {}
                    other => {
                        return Err(TemplateError::new(
                            format!("unclosed left paren: found {}", describe(other.as_ref())),
                            pos,
                        ));
                    }
                }
                Operand::Sub(Box::new(pipe), self.chain())
            }
            other => return Err(TemplateError::new(format!("unexpected {} in operand", describe_tok(&other)), pos)),
        };
        let field_follows = matches!(self.peek(), Some(Token { tok: Tok::Field(_), spaced: false, .. }));
        // `now.Year`: Go calls the function without arguments and reads the field of its
        // result, as `(now).Year`.
        if let (Operand::Func(func, func_pos), true) = (&operand, field_follows) {
            let (func, func_pos) = (*func, *func_pos);
            if !func.accepts(0) {
                return Err(TemplateError::new(
                    format!("wrong number of arguments for {}: want {}, got 0", func.name, func.arity()),
                    func_pos,
                ));
            }
            let call = Command { pos: func_pos, args: vec![operand] };
            let pipe = Pipeline { pos: func_pos, decl: Vec::new(), assign: false, cmds: vec![call] };
            return Ok(Operand::Sub(Box::new(pipe), self.chain()));
        }
        // `"x".Field` and friends: Go rejects fields on literals at parse time.
        if matches!(operand, Operand::Literal(_) | Operand::Nil(_) | Operand::Dot) && field_follows {
            return Err(TemplateError::new(format!("unexpected field after {}", operand_name(&operand)), pos));
        }
        Ok(operand)
    }

    /// Field names directly attached to the previous token (`$x.A.B`, `(...).A`).
    fn chain(&mut self) -> Vec<String> {
        let mut chain = Vec::new();
        while let Some(Token { tok: Tok::Field(name), spaced: false, .. }) = self.peek() {
            chain.push(name.clone());
            self.pos += 1;
        }
        chain
    }
}

/// A Go number constant: integers stay integers (an `int`: past int64 it is an error, as Go's
/// "overflows int"); anything with a fraction or exponent is a float64, as text/template
/// passes it to an `interface{}` parameter. Go's complex constants (`1i`) are not supported.
fn number(text: &str) -> Result<Value, String> {
    let lower = text.to_ascii_lowercase();
    let hex = lower.trim_start_matches(['+', '-']).starts_with("0x");
    let is_float = lower.contains('.') || (!hex && lower.contains('e')) || (hex && lower.contains('p'));
    if !is_float {
        return match parse_go_int(text) {
            Some(int) => Ok(Value::Int(int)),
            // Digits Go reads as a float but not as an integer: too big, or `08`.
            None if parse_go_float(text).is_some() => Err(format!("integer overflow: {text:?}")),
            None => Err(format!("illegal number syntax: {text:?}")),
        };
    }
    parse_go_float(text).map(Value::Float).ok_or_else(|| format!("illegal number syntax: {text:?}"))
}

/// Whether an operand names a method that takes arguments, so a command may pass it some.
fn takes_arguments(operand: &Operand) -> bool {
    let chain = match operand {
        Operand::Field(chain, _) | Operand::Variable(_, chain, _) | Operand::Sub(_, chain) => chain,
        _ => return false,
    };
    chain.last().is_some_and(|name| super::methods::takes_arguments(name))
}

fn operand_name(operand: &Operand) -> String {
    match operand {
        Operand::Func(func, _) => func.name.to_owned(),
        Operand::Field(chain, _) => format!(".{}", chain.join(".")),
        Operand::Dot => ".".to_owned(),
        Operand::Variable(name, chain, _) => {
            if chain.is_empty() {
                name.clone()
            } else {
                format!("{name}.{}", chain.join("."))
            }
        }
        Operand::Sub(..) => "a parenthesized pipeline".to_owned(),
        Operand::Literal(Value::Str(s)) => format!("{s:?}"),
        Operand::Literal(value) => value.to_go_string(),
        Operand::Nil(_) => "nil".to_owned(),
    }
}

fn describe(token: Option<&Token>) -> String {
    token.map_or_else(|| "end of template".to_owned(), |t| describe_tok(&t.tok))
}

fn describe_tok(tok: &Tok) -> String {
    match tok {
        Tok::Text(_) => "text".into(),
        Tok::Open => "${".into(),
        Tok::Close => "}".into(),
        Tok::Ident(word) => format!("identifier {word}"),
        Tok::Field(name) => format!("field .{name}"),
        Tok::Dot => "\".\"".into(),
        Tok::Variable(name) => format!("variable {name}"),
        Tok::Number(text) => format!("number {text}"),
        Tok::Str(text) => format!("string {text:?}"),
        Tok::Char(_) => "character constant".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LeftParen => "\"(\"".into(),
        Tok::RightParen => "\")\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
    }
}
