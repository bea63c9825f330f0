//! Differential test against real Go text/template + sprig: `tests/data/go_oracle.json` holds
//! what Go printed (or that it failed) for each template, rendered against the same context
//! as `common::example` at the same instant. `tools/go-oracle` regenerates it.
//!
//! Where Go printed text, we must print the same bytes; where Go failed (at parse or at
//! execution), we must fail too, with any message. Entries marked `deviation` record our
//! expected result instead of Go's, with the reason and Go's result alongside.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use gotemplate::Template;

mod common;

const ORACLE: &str = include_str!("data/go_oracle.json");

/// The instant `now` returns in the Go program: 2024-03-05T07:08:09.123456789Z.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap() + chrono::Duration::nanoseconds(123_456_789)
}

#[derive(Deserialize)]
struct Case {
    template: String,
    output: Option<String>,
    error: Option<String>,
    deviation: Option<String>,
}

fn render(source: &str) -> Result<String, String> {
    let template = Template::parse(source, &common::SHAPE).map_err(|e| format!("parse: {}", e.describe(source)))?;
    template.render(&common::example(), now()).map_err(|e| format!("render: {}", e.describe(source)))
}

#[test]
fn templates_render_as_go_and_sprig_render_them() {
    let cases: Vec<Case> = serde_json::from_str(ORACLE).unwrap();
    assert!(cases.len() > 500, "the oracle file holds {} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let ours = render(&case.template);
        let note = case.deviation.as_deref().map(|why| format!(" (deviation: {why})")).unwrap_or_default();
        match (&case.output, &case.error, &ours) {
            (Some(expected), None, Ok(got)) if got == expected => {}
            (None, Some(_), Err(_)) => {}
            (Some(expected), None, _) => {
                mismatches.push(format!("{:?}{note}\n    want {expected:?}\n    got  {ours:?}", case.template));
            }
            (None, Some(error), Ok(got)) => {
                mismatches.push(format!("{:?}{note}\n    want an error ({error})\n    got  {got:?}", case.template));
            }
            _ => mismatches.push(format!("{:?}: the entry needs exactly one of output and error", case.template)),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} templates differ from Go + sprig:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
