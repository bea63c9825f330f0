//! CORS for the issuer endpoints, driven by the auth server's `trusted_origins`; nothing
//! else gets CORS headers.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

use super::Issuer;

/// Preflight requests are answered by the middleware; this route only makes them routable.
pub async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The CORS middleware's state: the app, and the methods its route group allows.
#[derive(Clone)]
pub struct Cors {
    pub state: AppState,
    pub methods: HeaderValue,
}

/// Adds CORS headers when the request's Origin is one of the auth server's trusted origins.
pub async fn middleware(State(Cors { state, methods }): State<Cors>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = request.method() == Method::OPTIONS;
    let (mut parts, body) = request.into_parts();
    let issuer = <Issuer as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await;
    if let Ok(issuer) = &issuer {
        parts.extensions.insert(issuer.clone());
    }
    let trusted = match (&issuer, &origin) {
        (Ok(issuer), Some(origin)) => {
            issuer.entry.server.trusted_origins.iter().any(|o| origin.as_bytes() == o.as_str().as_bytes())
        }
        _ => false,
    };
    let mut response = if preflight {
        match issuer {
            Ok(_) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => e.into_response(),
        }
    } else {
        next.run(Request::from_parts(parts, body)).await
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (trusted, origin) {
        allow(headers, origin, preflight.then_some(methods));
    }
    response
}

/// `preflight_methods` is set for a preflight request: the methods its endpoint takes.
fn allow(headers: &mut HeaderMap, origin: HeaderValue, preflight_methods: Option<HeaderValue>) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if let Some(methods) = preflight_methods {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
}
