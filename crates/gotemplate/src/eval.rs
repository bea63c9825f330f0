//! Executes a parsed template against a context, as Go's text/template does, within the
//! render budget of `funcs::limits`.

use chrono::{DateTime, Utc};

use super::TemplateError;
use super::funcs::{self, Call, Func, FuncError, limits};
use super::methods;
use super::parse::{Branch, Command, Node, Operand, Pipeline};
use super::value::Value;

/// How a list of nodes finished: normally, or through `break`/`continue` in a range.
enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) fn render(nodes: &[Node], context: &Value, now: DateTime<Utc>) -> Result<String, TemplateError> {
    let mut state = State { call: Call::new(now), vars: vec![("$".to_owned(), context.clone())], out: String::new() };
    state.walk(context, nodes)?;
    Ok(state.out)
}

struct State {
    call: Call,
    /// Variables in scope, innermost last; `$` is the context.
    vars: Vec<(String, Value)>,
    out: String,
}

fn fail(message: impl Into<String>, pos: usize) -> TemplateError {
    TemplateError::new(message, pos)
}

impl State {
    fn spend(&mut self, units: usize, pos: usize) -> Result<(), TemplateError> {
        self.call.charge(units).map_err(|e| fail(e.0, pos))
    }

    fn write(&mut self, text: &str, pos: usize) -> Result<(), TemplateError> {
        if self.out.len() + text.len() > limits::MAX_STRING {
            return Err(fail(format!("output exceeds the {} byte limit", limits::MAX_STRING), pos));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node]) -> Result<Flow, TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.write(text, 0)?,
                Node::Action(pipe) => {
                    let value = self.pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let text = match &value {
                            // text/template prints a missing value this way.
                            Value::Nil => "<no value>".to_owned(),
                            other => other.to_go_string(),
                        };
                        self.write(&text, pipe.pos)?;
                    }
                }
                Node::If(branch) => {
                    if let flow @ (Flow::Break | Flow::Continue) = self.conditional(dot, branch, false)? {
                        return Ok(flow);
                    }
                }
                Node::With(branch) => {
                    if let flow @ (Flow::Break | Flow::Continue) = self.conditional(dot, branch, true)? {
                        return Ok(flow);
                    }
                }
                Node::Range(branch) => self.range(dot, branch)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    /// `if` and `with`: the body when the pipeline's value is true, otherwise the else part.
    fn conditional(&mut self, dot: &Value, branch: &Branch, with: bool) -> Result<Flow, TemplateError> {
        let mark = self.vars.len();
        let value = self.pipeline(dot, &branch.pipe)?;
        let flow = if value.is_true() {
            let inner = if with { value } else { dot.clone() };
            self.scoped(&inner, &branch.body)
        } else {
            self.scoped(dot, &branch.otherwise)
        };
        self.vars.truncate(mark);
        flow
    }

    fn scoped(&mut self, dot: &Value, nodes: &[Node]) -> Result<Flow, TemplateError> {
        let mark = self.vars.len();
        let flow = self.walk(dot, nodes);
        self.vars.truncate(mark);
        flow
    }

    /// `range`: over a list's items, a map's values in key order, or 0..n for an integer.
    fn range(&mut self, dot: &Value, branch: &Branch) -> Result<(), TemplateError> {
        let pipe = &branch.pipe;
        let mark = self.vars.len();
        let value = self.evaluate_commands(dot, &pipe.cmds)?;
        let items: Vec<(Value, Value)> = match &value {
            Value::List(items) => items.iter().enumerate().map(|(i, v)| (Value::Int(i as i64), v.clone())).collect(),
            Value::Map(entries) => entries.iter().map(|(k, v)| (Value::str(k.as_str()), v.clone())).collect(),
            Value::Int(n) => {
                let n = usize::try_from(*n).unwrap_or(0);
                if n > limits::MAX_ITEMS {
                    return Err(fail(format!("range over {n} exceeds the limit of {}", limits::MAX_ITEMS), pipe.pos));
                }
                (0..n as i64).map(|i| (Value::Int(i), Value::Int(i))).collect()
            }
            Value::Nil => Vec::new(),
            other => return Err(fail(format!("range can't iterate over {}", other.to_go_string()), pipe.pos)),
        };
        for name in &pipe.decl {
            self.vars.push((name.clone(), Value::Nil));
        }
        if items.is_empty() {
            let result = self.scoped(dot, &branch.otherwise);
            self.vars.truncate(mark);
            return result.map(|_| ());
        }
        for (key, element) in items {
            self.spend(1, pipe.pos)?;
            match pipe.decl.len() {
                1 => self.vars[mark].1 = element.clone(),
                2 => {
                    self.vars[mark].1 = key;
                    self.vars[mark + 1].1 = element.clone();
                }
                _ => {}
            }
            match self.scoped(&element, &branch.body) {
                Ok(Flow::Break) => break,
                Ok(Flow::Normal | Flow::Continue) => {}
                Err(error) => {
                    self.vars.truncate(mark);
                    return Err(error);
                }
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    /// Evaluates a pipeline and binds its declared variables.
    fn pipeline(&mut self, dot: &Value, pipe: &Pipeline) -> Result<Value, TemplateError> {
        let value = self.evaluate_commands(dot, &pipe.cmds)?;
        for name in &pipe.decl {
            if pipe.assign {
                if let Some(slot) = self.vars.iter_mut().rev().find(|(var, _)| var == name) {
                    slot.1 = value.clone();
                }
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn evaluate_commands(&mut self, dot: &Value, cmds: &[Command]) -> Result<Value, TemplateError> {
        let mut value = None;
        for cmd in cmds {
            value = Some(self.command(dot, cmd, value)?);
        }
        Ok(value.unwrap_or(Value::Nil))
    }

    /// One command; `piped` is the previous command's value, passed as the last argument.
    fn command(&mut self, dot: &Value, cmd: &Command, piped: Option<Value>) -> Result<Value, TemplateError> {
        self.spend(1, cmd.pos)?;
        let Some(first) = cmd.args.first() else { return Ok(Value::Nil) };
        match first {
            Operand::Func(func, pos) => self.call(dot, func, *pos, &cmd.args[1..], piped),
            other if cmd.args.len() > 1 || piped.is_some() => self.method_call(dot, other, &cmd.args[1..], piped),
            other => self.operand(dot, other),
        }
    }

    /// `.Client.CreatedAt.Format "2006"`: the last name of the chain is a method, called with
    /// the command's arguments and the piped value.
    fn method_call(
        &mut self,
        dot: &Value,
        operand: &Operand,
        args: &[Operand],
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let (base, chain, pos) = self.chain_base(dot, operand)?;
        let Some((name, receiver_chain)) = chain.split_last() else {
            return Err(fail("can't give argument to non-function", pos));
        };
        let receiver = fields(base, receiver_chain, pos)?;
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.operand(dot, arg)?);
        }
        values.extend(piped);
        let result = match &receiver {
            Value::Time(t) => match methods::call(t, name, &values) {
                Some(result) => result.map_err(|message| fail(format!("error calling {name}: {message}"), pos))?,
                None => return Err(fail(format!("can't evaluate field {name} in type time.Time"), pos)),
            },
            _ => return Err(fail(format!("{name} has arguments but cannot be invoked as function"), pos)),
        };
        // `Format` with a long layout makes a long string: charged and bounded like a function's.
        self.check_value(&result, pos)?;
        Ok(result)
    }

    /// An operand that reads fields (`.A.B`, `$x.A`, `(pipeline).A`): the value the fields
    /// are read from, the field names, and the position.
    fn chain_base<'o>(
        &mut self,
        dot: &Value,
        operand: &'o Operand,
    ) -> Result<(Value, &'o [String], usize), TemplateError> {
        match operand {
            Operand::Field(chain, pos) => Ok((dot.clone(), chain, *pos)),
            Operand::Variable(name, chain, pos) => {
                let value = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(var, _)| var == name)
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| fail(format!("undefined variable: {name}"), *pos))?;
                Ok((value, chain, *pos))
            }
            Operand::Sub(pipe, chain) => {
                let mark = self.vars.len();
                let value = self.evaluate_commands(dot, &pipe.cmds);
                self.vars.truncate(mark);
                Ok((value?, chain, pipe.pos))
            }
            other => Ok((self.operand(dot, other)?, &[], 0)),
        }
    }

    fn call(
        &mut self,
        dot: &Value,
        func: &Func,
        pos: usize,
        args: &[Operand],
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        // Go 1.18+: `and`/`or` stop evaluating at the first argument that decides the result.
        if func.name == "and" || func.name == "or" {
            let mut last = Value::Nil;
            for arg in args {
                last = self.operand(dot, arg)?;
                if last.is_true() != (func.name == "and") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.operand(dot, arg)?);
        }
        values.extend(piped);
        if !func.accepts(values.len()) {
            return Err(fail(
                format!("wrong number of arguments for {}: want {}, got {}", func.name, func.arity(), values.len()),
                pos,
            ));
        }
        let result = (func.call)(&mut self.call, &values)
            .map_err(|FuncError(message)| fail(format!("error calling {}: {message}", func.name), pos))?;
        self.check_value(&result, pos)?;
        // Go's `set $d ...` changes the map $d holds; store the new map back into $d.
        if funcs::MUTATING.contains(&func.name) {
            if let Some(Operand::Variable(name, chain, _)) = args.first() {
                if chain.is_empty() {
                    if let Some(slot) = self.vars.iter_mut().rev().find(|(var, _)| var == name) {
                        slot.1 = result.clone();
                    }
                }
            }
        }
        Ok(result)
    }

    /// Charges a function's result to the budget and refuses values nested too deeply for
    /// printing and JSON to handle.
    fn check_value(&mut self, value: &Value, pos: usize) -> Result<(), TemplateError> {
        match value {
            Value::Str(s) => {
                if s.len() > limits::MAX_STRING {
                    return Err(fail(format!("a value exceeds the {} byte limit", limits::MAX_STRING), pos));
                }
                self.spend(s.len() / 16 + 1, pos)
            }
            Value::List(_) | Value::Map(_) => {
                let mut visited = 0usize;
                if !within_depth(value, limits::MAX_DEPTH, &mut visited) {
                    return Err(fail(format!("a value nests deeper than {}", limits::MAX_DEPTH), pos));
                }
                self.spend(visited, pos)
            }
            _ => Ok(()),
        }
    }

    /// The value of an argument or of a command's only operand.
    fn operand(&mut self, dot: &Value, operand: &Operand) -> Result<Value, TemplateError> {
        match operand {
            // A function named as an argument is called without arguments (`upper uuidv4`).
            Operand::Func(func, pos) => self.call(dot, func, *pos, &[], None),
            Operand::Field(..) | Operand::Variable(..) | Operand::Sub(..) => {
                let (base, chain, pos) = self.chain_base(dot, operand)?;
                fields(base, chain, pos)
            }
            Operand::Dot => Ok(dot.clone()),
            Operand::Literal(value) => Ok(value.clone()),
            // `nil` as an argument (the parser refuses it as a command).
            Operand::Nil(_) => Ok(Value::Nil),
        }
    }
}

/// Follows `.A.B` from a value: struct fields, map keys, methods of times. As in Go, a
/// missing key (or a value that is already missing) gives no value, and so do fields after
/// it; a nil stored in a map is a nil interface, whose fields are an error.
fn fields(mut value: Value, chain: &[String], pos: usize) -> Result<Value, TemplateError> {
    let mut stored_nil = false;
    for name in chain {
        let was_stored_nil = std::mem::replace(&mut stored_nil, false);
        value = match &value {
            Value::Struct(s) => s
                .field(name)
                .cloned()
                .ok_or_else(|| fail(format!("can't evaluate field {name} in type {}", s.type_name), pos))?,
            Value::Map(entries) => match entries.get(name) {
                Some(found) => {
                    stored_nil = matches!(found, Value::Nil);
                    found.clone()
                }
                None => Value::Nil,
            },
            Value::Time(t) => match methods::call(t, name, &[]) {
                Some(result) => result.map_err(|message| fail(format!("error calling {name}: {message}"), pos))?,
                None => return Err(fail(format!("can't evaluate field {name} in type time.Time"), pos)),
            },
            Value::Nil if was_stored_nil => {
                return Err(fail(format!("nil pointer evaluating interface {{}}.{name}"), pos));
            }
            Value::Nil => Value::Nil,
            other => return Err(fail(format!("can't evaluate field {name} in type {}", other.type_name()), pos)),
        };
    }
    Ok(value)
}

/// Whether `value` nests at most `depth` lists/maps deep; counts the values it looked at.
fn within_depth(value: &Value, depth: usize, visited: &mut usize) -> bool {
    *visited += 1;
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::List(items) => Box::new(items.iter()),
        Value::Map(entries) => Box::new(entries.values()),
        _ => return true,
    };
    if depth == 0 {
        return false;
    }
    let mut children = children.peekable();
    if children.peek().is_none() {
        return true;
    }
    children.all(|child| within_depth(child, depth - 1, visited))
}
