//! Claim value templates, as Kong Identity has them: Go text/template actions between `${`
//! and `}`, with sprig's functions, rendered each time a token is minted.
//!
//! ```text
//! "${ .AuthServer.Audience }-${ .Client.ID }"
//!   lex    → Text / Open Field Field Close / ...        (lex.rs)
//!   parse  → [Action(pipeline), Text, Action(...)]      (parse.rs; checks functions, arity,
//!                                                         context fields, variables)
//!   render → text, within a work and size budget         (eval.rs, funcs/)
//! ```
//!
//! A claim is parsed once when it is saved (errors are the admin's 400) and once when its
//! auth server's configuration is cached; minting a token only renders.

pub mod context;
mod eval;
pub mod funcs;
pub mod gofmt;
pub mod gotime;
mod lex;
mod methods;
mod parse;
pub mod value;

use chrono::{DateTime, Utc};

use value::Value;

/// A template that parsed and passed the checks, ready to render.
#[derive(Debug)]
pub struct Template {
    source: String,
    nodes: Vec<parse::Node>,
}

/// A parse or render failure at a byte offset of the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub pos: usize,
}

impl TemplateError {
    pub fn new(message: impl Into<String>, pos: usize) -> TemplateError {
        TemplateError { message: message.into(), pos }
    }

    /// The message with its place in `source`: "... at column 9", or line and column when
    /// the template has several lines.
    pub fn describe(&self, source: &str) -> String {
        let pos = floor_char_boundary(source, self.pos);
        let before = &source[..pos];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        if source.contains('\n') {
            format!("{} at line {line}, column {column}", self.message)
        } else {
            format!("{} at column {column}", self.message)
        }
    }
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl Template {
    /// Parses and checks a template; the error names the problem and where it is.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let tokens = lex::lex(source)?;
        let nodes = parse::parse(tokens, &context::ROOT)?;
        Ok(Template { source: source.to_owned(), nodes })
    }

    /// Whether the template is plain text with no actions, so it renders to itself.
    pub fn is_static(&self) -> bool {
        self.nodes.iter().all(|node| matches!(node, parse::Node::Text(_)))
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders against a context built by [`context::root`], at the instant `now`.
    pub fn render(&self, context: &Value, now: DateTime<Utc>) -> Result<String, TemplateError> {
        eval::render(&self.nodes, context, now)
    }
}

/// Whether a value holds template actions at all (anything else is a static value).
pub fn has_actions(source: &str) -> bool {
    source.contains("${")
}

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
pub(crate) mod tests;
