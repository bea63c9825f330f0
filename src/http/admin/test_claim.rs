//! POST /v1/auth-servers/{authServerId}/clients/{clientId}/test-claim: renders claim
//! templates for a client as a token would, so admins can try a template before saving it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};

use crate::claims::{self, RenderContext};
use crate::domain::{Invalid, claim};
use crate::http::error::{InvalidParameter, ResultExt};
use crate::http::extract::{ApiJson, PathIds};
use crate::http::routes::TEST_CLAIM;
use crate::http::validate::string;
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::auth_server_not_found;

/// At most this many templates per request.
const MAX_TEMPLATES: usize = 100;

pub fn routes() -> Routes<AppState> {
    Routes::default().post(TEST_CLAIM, test_claim)
}

async fn test_claim(
    State(state): State<AppState>,
    ids: PathIds,
    ApiJson(body): ApiJson,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let client_id = ids.client()?;
    let server = store::auth_servers::get(&state.store, auth_server_id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| auth_server_not_found(auth_server_id)))?;
    let client = store::clients::get(&state.store, auth_server_id, &client_id)
        .await
        .or_not_found(|| format!("Client [{client_id}]"))?;
    let templates = templates(body)?;
    let principal = store::principals::of_client(&state.store, auth_server_id, client_id.as_str()).await?;
    let mut context = RenderContext::new(&server, &client, principal.as_ref(), state.now());
    let rendered = claims::test_render(&templates, &mut context)
        .map_err(|e| ApiError::invalid_field(&e.claim, Invalid::new("template", e.reason)))?;
    Ok(Json(rendered))
}

/// The body is a map of claim name to template, each a string within a claim value's limits.
fn templates(body: Map<String, Value>) -> Result<BTreeMap<String, String>, ApiError> {
    if body.len() > MAX_TEMPLATES {
        return Err(ApiError::bad_request(format!("At most {MAX_TEMPLATES} templates can be tested at once")));
    }
    let mut templates = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, value) in body {
        match string(value).and_then(claim::parse_value) {
            Ok(template) => {
                templates.insert(name, template);
            }
            Err(invalid) => errors.push(InvalidParameter::new(&name, "body", invalid)),
        }
    }
    if errors.is_empty() { Ok(templates) } else { Err(ApiError::invalid(errors)) }
}
