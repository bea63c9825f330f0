//! Any text an admin might save as a claim value: parsing must answer Ok or Err, and a
//! template that parses must render or fail within its budget — never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::claims::template::{Template, context};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let Ok(template) = Template::parse(source) else { return };
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let _ = template.render(&context::example(), now);
});
