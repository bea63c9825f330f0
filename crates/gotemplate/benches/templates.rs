//! What templates cost: parsing (once per template, when it is saved or loaded) and rendering
//! (each time it is used), for the examples of Kong Identity's claim template documentation,
//! against the context of the render tests. `cargo bench -p gotemplate`.

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use gotemplate::Template;

#[path = "../tests/common/mod.rs"]
mod common;

/// The examples of Kong Identity's documentation: what real claims look like.
const TYPICAL: [(&str, &str); 7] = [
    ("uuid", "${ uuidv4 }"),
    ("name", "${ .Client.Name }"),
    ("date", "${ now | date \"2006-01-02T15:04:05Z07:00\" }"),
    ("concat", "${ .AuthServer.Audience }-${ .Client.ID }"),
    ("default", "${ .Client.Labels.environment | default \"production\" }"),
    ("upper", "${ upper .Client.Name }"),
    ("random", "${ randAlphaNum 16 }"),
];

fn benches(c: &mut Criterion) {
    let root = common::sample();
    let now = Utc::now();
    for (name, source) in TYPICAL {
        c.bench_function(&format!("parse/{name}"), |b| b.iter(|| Template::parse(black_box(source), &common::SHAPE)));
        let Ok(template) = Template::parse(source, &common::SHAPE) else { unreachable!("{source} parses") };
        c.bench_function(&format!("render/{name}"), |b| b.iter(|| template.render(black_box(&root), now)));
    }
}

criterion_group!(template_benches, benches);
criterion_main!(template_benches);
