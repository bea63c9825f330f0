//! Any text a caller might hand the engine: parsing must answer Ok or Err, and a template
//! that parses must render or fail within its budget — never panic or hang.
#![no_main]

use gotemplate::Template;
use libfuzzer_sys::fuzz_target;

/// The oracle's context and its shape, so templates naming fields get past the parser.
#[path = "../../tests/common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let Ok(template) = Template::parse(source, &common::SHAPE) else { return };
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let _ = template.render(&common::example(), now);
});
