//! Go's `text/template` with the sprig 3.2.3 function library, with `${` and `}` as action
//! delimiters, as Kong Identity renders claim templates. Output matches Go 1.23's byte for
//! byte (an oracle test holds it to Go's own output), except where the README says otherwise.
//!
//! ```text
//! "${ .AuthServer.Audience }-${ .Client.ID }"
//!   lex    → Text / Open Field Field Close / ...        (lex.rs)
//!   parse  → [Action(pipeline), Text, Action(...)]      (parse.rs; checks functions, arity,
//!                                                         fields against a Shape, variables)
//!   render → text, within a work and size budget         (eval.rs, funcs/, `limits`)
//! ```
//!
//! Parse once, render many times: the caller describes its root value with a [`Shape`] so a
//! template naming a field that will not exist fails to parse, and builds the root [`Value`]
//! (usually a [`Struct`] of strings, lists, maps and times) to render against.
//!
//! ```
//! use std::sync::Arc;
//!
//! use gotemplate::{Shape, Struct, Template, Value};
//!
//! // The shape of the root value: templates naming other fields fail to parse.
//! static USER: Shape = Shape::Struct("User", &[("Name", Shape::Scalar("string"))]);
//!
//! let template = Template::parse("Hello, ${ .Name | upper }!", &USER)?;
//! let user = Value::Struct(Arc::new(Struct { type_name: "User", fields: vec![("Name", Value::str("ada"))] }));
//! assert_eq!(template.render(&user, chrono::Utc::now())?, "Hello, ADA!");
//! assert!(Template::parse("${ .Nmae }", &USER).is_err());
//! # Ok::<(), gotemplate::TemplateError>(())
//! ```

// What is public is re-exported below; everything else is `pub(crate)` at most.
#![warn(unreachable_pub)]

mod eval;
mod funcs;
mod gofmt;
mod gotime;
mod lex;
mod methods;
mod parse;
mod shape;
mod value;

use chrono::{DateTime, Utc};

pub use funcs::limits;
pub use gotime::GoTime;
pub use shape::Shape;
pub use value::{Elem, GoList, GoMap, Struct, Value};

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
    pub(crate) fn new(message: impl Into<String>, pos: usize) -> TemplateError {
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
    /// Parses and checks a template, with the fields it names checked against `root`, the
    /// shape of the value it will render against; the error names the problem and where it is.
    pub fn parse(source: &str, root: &Shape) -> Result<Template, TemplateError> {
        let tokens = lex::lex(source)?;
        let nodes = parse::parse(tokens, root)?;
        Ok(Template { source: source.to_owned(), nodes })
    }

    /// Whether the template is plain text with no actions, so it renders to itself.
    pub fn is_static(&self) -> bool {
        self.nodes.iter().all(|node| matches!(node, parse::Node::Text(_)))
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders against `root` (a value of the shape the template was parsed with), at the
    /// instant `now`: what the `now` function returns, one instant for the whole render.
    pub fn render(&self, root: &Value, now: DateTime<Utc>) -> Result<String, TemplateError> {
        eval::render(&self.nodes, root, now)
    }
}

/// Whether a value holds template actions at all (anything else is a static value).
pub fn has_actions(source: &str) -> bool {
    source.contains("${")
}
