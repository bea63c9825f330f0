//! /v1/auth-servers/{authServerId}/keys: a Tessera extension to see and rotate signing keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::TimeDelta;
use serde::Serialize;
use uuid::Uuid;

use crate::http::extract::{OptionalApiJson, PathIds};
use crate::http::routes::{ROTATE_SIGNING_KEY, SIGNING_KEYS};
use crate::http::validate::{Body, string};
use crate::http::{ApiError, AppState, Routes};
use crate::keys::{JWKS_MAX_AGE_SECONDS, Mode, RETIRED_KEY_PUBLISH_SECONDS, Refusal, RotateError};
use crate::store;
use crate::store::signing_keys::{KeyState, StoredKey, Transition};

use super::{auth_server_not_found, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(SIGNING_KEYS, list).post(ROTATE_SIGNING_KEY, rotate)
}

/// A published key: never its private half.
#[derive(Clone, Serialize)]
struct KeyView {
    kid: String,
    algorithm: &'static str,
    /// `next`, `current` or `retired`.
    state: &'static str,
    /// Signs new tokens (the current key); kept for callers from before key states.
    active: bool,
    created_at: String,
    activated_at: Option<String>,
    /// A next key's scheduled start of signing.
    activates_at: Option<String>,
    retired_at: Option<String>,
    /// When a retired key leaves the JWKS.
    published_until: Option<String>,
    public_jwk: serde_json::Value,
}

fn view(key: StoredKey) -> KeyView {
    let state = key.state();
    KeyView {
        kid: key.kid,
        algorithm: key.algorithm.as_str(),
        state: state.as_str(),
        active: state == KeyState::Current,
        created_at: timestamp(key.created_at),
        activated_at: key.activated_at.map(timestamp),
        activates_at: key.activates_at.filter(|_| state == KeyState::Next).map(timestamp),
        retired_at: key.retired_at.map(timestamp),
        published_until: key.retired_at.map(|at| timestamp(at + TimeDelta::seconds(RETIRED_KEY_PUBLISH_SECONDS))),
        public_jwk: key.public_jwk,
    }
}

#[derive(Serialize)]
struct KeyList {
    data: Vec<KeyView>,
}

async fn published(state: &AppState, id: Uuid) -> Result<Vec<KeyView>, ApiError> {
    let keys = store::signing_keys::published(&state.store, id, state.now(), RETIRED_KEY_PUBLISH_SECONDS).await?;
    Ok(keys.into_iter().map(view).collect())
}

async fn list(State(state): State<AppState>, ids: PathIds) -> Result<Json<KeyList>, ApiError> {
    let id = ids.auth_server()?;
    super::require_auth_server(&state, id).await?;
    Ok(Json(KeyList { data: published(&state, id).await? }))
}

/// What a rotation did: the key it published, promoted or put in place, and then every
/// published key with its state.
#[derive(Serialize)]
struct RotationView {
    /// `publish`, `promote` or `emergency`: what was done.
    mode: &'static str,
    #[serde(flatten)]
    key: KeyView,
    keys: Vec<KeyView>,
}

/// `{"mode": "publish" | "promote" | "emergency"}`, or no body: promote the next key if there
/// is one, otherwise publish one (see `keys::requested_step`).
async fn rotate(
    State(state): State<AppState>,
    origin: crate::domain::admin::Origin,
    ids: PathIds,
    OptionalApiJson(json): OptionalApiJson,
) -> Result<(StatusCode, Json<RotationView>), ApiError> {
    let id = ids.auth_server()?;
    let mut body = Body::new(json, &["mode"]);
    let mode = body.optional("mode", |v| Mode::parse(&string(v)?));
    body.finish()?;

    let applied =
        crate::keys::rotate(&state.store, state.cache.sealer(), id, mode, state.key_schedule.lead, origin.at, &origin)
            .await
            .map_err(|e| rotate_error(id, e))?;
    let (done, kid, status) = match &applied {
        Transition::PublishNext(key) => (Mode::Publish, &key.kid, StatusCode::CREATED),
        Transition::Promote { kid, .. } => (Mode::Promote, kid, StatusCode::OK),
        Transition::Replace(key) => (Mode::Emergency, &key.kid, StatusCode::CREATED),
    };
    let keys = published(&state, id).await?;
    let Some(key) = keys.iter().find(|key| key.kid == *kid).cloned() else {
        return Err(ApiError::internal(format!("rotated key {kid} is not published")));
    };
    Ok((status, Json(RotationView { mode: done.as_str(), key, keys })))
}

fn rotate_error(id: Uuid, error: RotateError) -> ApiError {
    let refused = match error {
        RotateError::NotFound => return auth_server_not_found(id),
        RotateError::Store(e) => return e.into(),
        RotateError::Generate(e) => return ApiError::internal(e),
        RotateError::Refused(refusal) => refusal,
    };
    ApiError::conflict(match refused {
        Refusal::NoNextKey => format!(
            "Auth server [{id}] has no next key to promote: rotate with mode [publish] to publish one, \
             or [emergency] to replace the signing key at once"
        ),
        Refusal::NextKeyExists { kid, activates_at } => format!(
            "Auth server [{id}] already has a next key [{kid}], which signs from {}: promote it, \
             or rotate with mode [emergency] to replace the signing key at once",
            activates_at.map(timestamp).unwrap_or_else(|| "its promotion".to_owned())
        ),
        Refusal::NextKeyTooNew { kid, promotable_at } => format!(
            "Next key [{kid}] has been in the JWKS for less than {JWKS_MAX_AGE_SECONDS} s, how long gateways \
             may cache it: promote it from {}, or rotate with mode [emergency] to replace the signing key at once",
            timestamp(promotable_at)
        ),
        Refusal::Changed => {
            format!("The signing keys of auth server [{id}] changed during the rotation; send the request again")
        }
    })
}
