//! `openapi.yaml` as a test oracle: finds the operation a request hit and validates the
//! response's status, content type, body and headers against what the spec declares.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

pub static SPEC: LazyLock<Spec> = LazyLock::new(|| Spec::load("openapi.yaml"));
/// Kong Identity's v2 description as Tessera serves it: Kong's schemas, for `/v2`.
pub static SPEC_V2: LazyLock<Spec> = LazyLock::new(|| Spec::load("openapi-v2.yaml"));

/// The description a path belongs to.
pub fn spec_for(path: &str) -> &'static Spec {
    if path.starts_with("/v2/") { &SPEC_V2 } else { &SPEC }
}

pub struct Spec {
    pub doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

impl Spec {
    fn load(file: &str) -> Spec {
        let text = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("{file} is readable: {e}"));
        let doc: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file} parses: {e}"));
        Spec { doc, validators: Mutex::new(HashMap::new()) }
    }

    /// Every (METHOD, path template) the spec describes.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut operations = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
                if item.get(method).is_some() {
                    operations.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        operations
    }

    /// The template matching a concrete path; literal segments beat parameters.
    pub fn template_for(&self, path: &str) -> Option<String> {
        let concrete = segments(path);
        self.doc["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts = segments(template);
                if parts.len() != concrete.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, actual) in parts.iter().zip(&concrete) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if actual.is_empty() {
                            return None;
                        }
                    } else if part == actual {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.clone()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.resolve(self.doc.pointer(pointer).unwrap_or_else(|| panic!("unresolved $ref {reference}")))
            }
            None => value,
        }
    }

    fn validator(&self, key: &str, schema: &Value) -> Arc<Validator> {
        let mut cache = self.validators.lock().expect("validator cache");
        cache
            .entry(key.to_owned())
            .or_insert_with(|| {
                // The schema sits beside the components so `#/components/...` references resolve.
                let mut root = json!({ "components": self.doc["components"] });
                if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
                    root.extend(schema.clone());
                }
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema for {key} does not compile: {e}"));
                Arc::new(validator)
            })
            .clone()
    }

    /// Checks one response; `Err` says what does not match.
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: &str, body: &[u8]) -> Result<(), String> {
        let Some(template) = self.template_for(path) else {
            // Not ours: only a problem-shaped 404 is acceptable.
            return if status == 404 {
                self.check_problem(content_type, body)
            } else {
                Err(format!("undocumented path {path}"))
            };
        };
        let Some(operation) = self.doc["paths"][&template].get(method.to_lowercase()) else {
            return if status == 405 {
                self.check_problem(content_type, body)
            } else {
                Err(format!("undocumented operation {method} {template}"))
            };
        };
        let responses = &operation["responses"];
        let Some(response) = responses.get(status.to_string()).or_else(|| responses.get("default")) else {
            return Err(format!("status {status} is not documented for {method} {template}"));
        };
        let response = self.resolve(response);
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return if body.is_empty() { Ok(()) } else { Err(format!("a body was sent, but {status} declares none")) };
        };
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let Some(media) = content.get(essence) else {
            return Err(format!("content type {essence:?} is not among {:?}", content.keys().collect::<Vec<_>>()));
        };
        let Some(schema) = media.get("schema") else {
            return Ok(());
        };
        let instance: Value = if essence.ends_with("json") {
            serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?
        } else {
            Value::String(String::from_utf8_lossy(body).into_owned())
        };
        let validator = self.validator(&format!("{method} {template} {status} {essence}"), schema);
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }

    /// Checks the response's headers against those its documented response declares: each
    /// `required` one is present, and each present one matches its schema. Undocumented
    /// operations and statuses are `check`'s to report.
    pub fn check_headers(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &[(String, String)],
    ) -> Result<(), String> {
        let Some(template) = self.template_for(path) else { return Ok(()) };
        let Some(operation) = self.doc["paths"][&template].get(method.to_lowercase()) else { return Ok(()) };
        let responses = &operation["responses"];
        let Some(response) = responses.get(status.to_string()).or_else(|| responses.get("default")) else {
            return Ok(());
        };
        let Some(declared) = self.resolve(response).get("headers").and_then(Value::as_object) else { return Ok(()) };
        let mut problems = Vec::new();
        for (name, header) in declared {
            let header = self.resolve(header);
            let values: Vec<&str> =
                headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
            if values.is_empty() {
                if header["required"] == true {
                    problems.push(format!("required header {name} is missing"));
                }
                continue;
            }
            let Some(schema) = header.get("schema") else { continue };
            let schema = self.resolve(schema);
            let numeric = matches!(schema["type"].as_str(), Some("integer" | "number"));
            let validator = self.validator(&format!("{method} {template} {status} header {name}"), schema);
            for value in values {
                let instance = match value.parse::<f64>() {
                    Ok(number) if numeric => json!(number),
                    _ => Value::String(value.to_owned()),
                };
                problems.extend(validator.iter_errors(&instance).map(|e| format!("header {name}: {e}")));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    fn check_problem(&self, content_type: &str, body: &[u8]) -> Result<(), String> {
        if !content_type.starts_with("application/problem+json") {
            return Err(format!("expected a problem body, got {content_type:?}"));
        }
        let instance: Value = serde_json::from_slice(body).map_err(|e| format!("problem is not JSON: {e}"))?;
        let schema = json!({ "$ref": "#/components/schemas/Problem" });
        let validator = self.validator("problem", &schema);
        let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }
}
