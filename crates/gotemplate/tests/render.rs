//! The engine end to end: templates against a fixed context and clock, compared with what
//! Go's text/template + sprig print for the same input.

use chrono::{DateTime, TimeZone, Utc};
use gotemplate::{Shape, Template, Value};

mod common;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap()
}

fn render(source: &str) -> Result<String, String> {
    let template = Template::parse(source, &common::SHAPE).map_err(|e| format!("parse: {}", e.describe(source)))?;
    template.render(&common::sample(), now()).map_err(|e| format!("render: {}", e.describe(source)))
}

#[test]
fn the_language_renders_like_go_text_template() {
    let cases: &[(&str, &str)] = &[
        ("plain text", "plain text"),
        ("${ .Client.Name }", "billing-service"),
        ("${ .AuthServer.Audience }-${ .Client.ID }", "http://myhttpbin.dev-abc123"),
        ("${ .Client.Labels.environment }", "staging"),
        ("${ .Client.Labels.missing }", "<no value>"),
        ("${ .Client.GrantTypes }", "[client_credentials authorization_code]"),
        ("${ .Client.AllowAllScopes }", "true"),
        ("${ .Client.LoginURI }", ""),
        ("${ $.Client.ID }", "abc123"),
        ("${ 42 }|${ -1.5 }|${ 1e3 }|${ 0x1F }|${ 'a' }|${ true }", "42|-1.5|1000|31|97|true"),
        ("${ \"quoted\" }${ `raw` }", "quotedraw"),
        ("${ $x := 5 }${ $x }", "5"),
        ("${ $x := 1 }${ $x = 2 }${ $x }", "2"),
        ("${ if .Client.AllowAllScopes }all${ else }some${ end }", "all"),
        (
            "${ if eq .Client.Labels.environment \"prod\" }p${ else if eq .Client.Labels.environment \"staging\" }s${ else }o${ end }",
            "s",
        ),
        ("${ with .Client.Labels.tier }tier ${ . }${ end }", "tier 3"),
        ("${ with .Client.Labels.missing }x${ else }none${ end }", "none"),
        ("${ range .Client.GrantTypes }[${ . }]${ end }", "[client_credentials][authorization_code]"),
        (
            "${ range $i, $g := .Client.GrantTypes }${ $i }=${ $g } ${ end }",
            "0=client_credentials 1=authorization_code ",
        ),
        ("${ range .Client.RedirectURIs }${ . }${ else }none${ end }", "https://app.example.com/cb"),
        ("${ range 3 }${ . }${ end }", "012"),
        ("${ range $i, $e := list 1 2 3 4 }${ if eq $i 2 }${ break }${ end }${ $e }${ end }", "12"),
        ("${ range list 1 2 3 }${ if eq . 2 }${ continue }${ end }${ . }${ end }", "13"),
        ("${ range $k, $v := .Client.Labels }${ $k }:${ $v };${ end }", "environment:staging;tier:3;"),
        ("${ len .Client.Name }", "15"),
        ("${ index .Client.GrantTypes 1 }", "authorization_code"),
        ("${ (index .Client.GrantTypes 0) }", "client_credentials"),
        ("${ and 1 0 }|${ or 0 \"\" \"x\" }|${ not false }", "0|x|true"),
        ("${ or .Client.Labels.missing \"fallback\" }", "fallback"),
        ("${ and false (index .Client.GrantTypes 99) }", "false"),
        ("a  ${- 1 -}  b", "a1b"),
        ("x${/* a comment */}y", "xy"),
        ("${ add 1 2 | mul 10 }", "30"),
        ("${ (add 1 2).Foo | print }", "render"),
        ("${ $d := dict \"a\" 1 }${ $_ := set $d \"b\" 2 }${ $d.b }", "2"),
        ("${ (dict \"k\" \"v\").k }", "v"),
        ("${ list 1 \"a\" (list 2.5 true) }", "[1 a [2.5 true]]"),
        ("${ dict \"b\" 2 \"a\" 1 }", "map[a:1 b:2]"),
        ("${ .Client.CreatedAt }", "2024-02-03 04:05:06 +0000 UTC"),
        (
            "${ .AuthServer }",
            "{5f9fd312-a987-4628-b4c5-bb4f4fddd5f7 2024-01-02 03:04:05 +0000 UTC 2024-01-02 03:04:05 +0000 UTC Payments Payments issuer http://myhttpbin.dev RS256 map[region:eu]}",
        ),
    ];
    for (source, expected) in cases {
        match render(source) {
            Ok(text) => assert_eq!(&text, expected, "template {source}"),
            Err(error) => assert!(error.starts_with(expected), "template {source}: {error}"),
        }
    }
}

#[test]
fn templates_are_checked_when_saved_with_positions() {
    let cases: &[(&str, &str)] = &[
        ("${ nosuchfunc 1 }", "function \"nosuchfunc\" not defined at column 4"),
        ("${ .Client.Nmae }", "unknown field .Client.Nmae: Client has no field Nmae"),
        ("${ .Client.Name.First }", "can't evaluate field First of .Client.Name: it is a string"),
        ("${ .Tenant }", "unknown field .Tenant: Context has no field Tenant (it has AuthServer, Client) at column 4"),
        ("${ $.Client.Secret }", "unknown field $.Client.Secret"),
        ("${ $y }", "undefined variable: $y at column 4"),
        ("${ $y = 1 }", "undefined variable: $y"),
        ("${ add1 }", "wrong number of arguments for add1: want 1, got 0 at column 4"),
        ("${ 1 | add1 2 }", "wrong number of arguments for add1: want 1, got 2"),
        ("${ .Client.Name | .Client.ID }", "cannot take the piped value"),
        ("${ \"a\" \"b\" }", "is not a function and cannot take arguments"),
        ("${ if true }unclosed", "unexpected end of template: if has no end"),
        ("${ end }", "unexpected ${ end }"),
        ("${ else }", "unexpected ${ else }"),
        ("${ break }", "break outside of range"),
        ("${ }", "missing value for command"),
        ("${ nil }", "nil is not a command"),
        ("${ template \"x\" }", "template is not supported in claim templates"),
        ("${ .Client.Name", "unclosed action: missing }"),
        ("line one\n${ bad( }", "line 2, column"),
        ("${ 1 }${ range $a, $b := 1 }${ end }${ $a }", "undefined variable: $a"),
    ];
    for (source, expected) in cases {
        let error = Template::parse(source, &common::SHAPE).map(|_| ()).map_err(|e| e.describe(source));
        let Err(error) = error else { panic!("{source} should not parse") };
        assert!(error.contains(expected), "{source}: got {error:?}, want {expected:?}");
    }
}

#[test]
fn runaway_templates_are_stopped_by_the_budget() {
    for (source, expected) in [
        ("${ range until 10000 }${ range until 10000 }x${ end }${ end }", "limit"),
        ("${ range until 10000 }${ range until 10000 }${ end }${ end }", "work budget"),
        ("${ $l := list }${ range until 100 }${ $l = list $l }${ end }", "nests deeper"),
        ("${ until 100000 }", "exceed the limit"),
    ] {
        let error = render(source).unwrap_err();
        assert!(error.contains(expected), "{source}: {error}");
    }
}

#[test]
fn static_text_is_recognised() {
    assert!(Template::parse("hello $ { }", &common::SHAPE).unwrap().is_static());
    assert!(!Template::parse("${ 1 }", &common::SHAPE).unwrap().is_static());
}

/// The examples of Kong Identity's claim template documentation, with what they must print
/// for the sample client.
#[test]
fn kong_identity_s_documented_examples_render_as_documented() {
    let exact: &[(&str, &str)] = &[
        ("${ .Client.Name }", "billing-service"),
        ("${ now | date \"2006-01-02T15:04:05Z07:00\" }", "2024-03-05T07:08:09Z"),
        ("${ .AuthServer.Audience }-${ .Client.ID }", "http://myhttpbin.dev-abc123"),
        ("${ .Client.Labels.environment | default \"production\" }", "staging"),
        ("${ .Client.Labels.nope | default \"production\" }", "production"),
        ("${ upper .Client.Name }", "BILLING-SERVICE"),
    ];
    for (source, expected) in exact {
        assert_eq!(render(source).as_deref(), Ok(*expected), "{source}");
    }
    let uuid = render("${ uuidv4 }").unwrap();
    assert_eq!(uuid::Uuid::parse_str(&uuid).map(|u| u.get_version_num()), Ok(4), "{uuid}");
    assert_ne!(render("${ uuidv4 }").unwrap(), uuid, "random each time");
    let random = render("${ randAlphaNum 16 }").unwrap();
    assert!(random.len() == 16 && random.bytes().all(|b| b.is_ascii_alphanumeric()), "{random}");
}

#[test]
fn the_test_contexts_have_every_field_the_shape_names() {
    let Shape::Struct(_, shapes) = &common::SHAPE else { panic!("a struct shape") };
    for context in [common::example(), common::sample()] {
        let Value::Struct(root) = context else { panic!("a struct") };
        for (name, shape) in shapes.iter() {
            let Some(Value::Struct(inner)) = root.field(name) else { panic!("{name}") };
            let Shape::Struct(_, fields) = shape else { panic!("{name} shape") };
            let names: Vec<&str> = inner.fields.iter().map(|(n, _)| *n).collect();
            let expected: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, expected, "{name}");
        }
    }
}
