//! The state of an interactive sign-in, sealed into the strings that carry it instead of
//! rows: the login challenge handed to the client's login page, the login verifier the
//! browser brings back, and the authorization code. Each is AES-256-GCM over JSON, bound to
//! its kind and auth server, with an expiry; only this deployment's key can make or read one.
//!
//! ```text
//! /authorize ─▶ login_uri?login_challenge=C ─▶ POST /v1/…/login-requests/C/accept
//!            ◀─ {redirect_to: $ISSUER/oauth/authorize?login_verifier=V} ◀─┘
//! /authorize?login_verifier=V ─▶ redirect_uri?code=K&state=… ─▶ /oauth/token (code=K, code_verifier)
//! ```

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use uuid::Uuid;

/// How long each artefact lives: the login page has minutes, the redirects seconds.
pub const CHALLENGE_SECONDS: i64 = 600;
pub const VERIFIER_SECONDS: i64 = 120;
/// RFC 6749 §4.1.2: a short lifetime, ten minutes at most; one is plenty for a redirect.
pub const CODE_SECONDS: i64 = 60;

/// What a validated authorization request asked for and was granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// RFC 6749 §4.1.3: when the request named the redirect URI, the token request must repeat it.
    pub redirect_uri_sent: bool,
    /// RFC 8707 §2.1: the resources the grant is for; the token requests it allows may name
    /// some of them. Empty: the auth server's own audience, or what the token request names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
    /// Space-separated, as requested: "code", "id_token token", ...
    pub response_type: String,
    pub response_mode: ResponseMode,
    /// Granted scope names, `openid` included when asked for.
    pub scope: Vec<String>,
    /// Whether the request named any scope (claims "only when no scope was requested").
    pub scope_requested: bool,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// RFC 7636: the S256 challenge the code's redeemer must answer.
    pub code_challenge: Option<String>,
    /// OpenID Connect Core §3.1.2.1, passed to the login page: `prompt` (e.g. `login`),
    /// `max_age` in seconds, `acr_values`, `login_hint`, `ui_locales`.
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub acr_values: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// When the request arrived (Unix seconds): `prompt=login` needs a sign-in after it.
    pub requested_at: i64,
    /// Digest of the cookie set on the browser that made the request: the sign-in completes
    /// only in that browser (no login CSRF, no sign-in injected into another browser).
    pub browser: String,
}

/// The cookie that binds a sign-in to the browser that started it: a random value, its
/// digest sealed into the request, and a name derived from the digest so that parallel
/// sign-ins in one browser do not overwrite each other.
pub struct BrowserBinding {
    pub cookie_name: String,
    pub cookie_value: String,
    pub digest: String,
}

impl BrowserBinding {
    pub fn generate() -> BrowserBinding {
        let value = crate::domain::random::alphanumeric(43);
        let digest = Self::digest_of(&value);
        BrowserBinding { cookie_name: Self::cookie_name(&digest), cookie_value: value, digest }
    }

    pub fn digest_of(value: &str) -> String {
        use sha2::Digest;
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(value.as_bytes()))
    }

    pub fn cookie_name(digest: &str) -> String {
        let prefix: String = digest.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        format!("tessera_signin_{prefix}")
    }

    /// Whether `cookie_header` holds the cookie of the request whose digest is `digest`.
    pub fn presented_in(cookie_header: &str, digest: &str) -> bool {
        let name = Self::cookie_name(digest);
        cookie_header.split(';').filter_map(|pair| pair.trim().split_once('=')).any(|(key, value)| {
            key == name && subtle::ConstantTimeEq::ct_eq(Self::digest_of(value).as_bytes(), digest.as_bytes()).into()
        })
    }
}

impl AuthorizationRequest {
    pub fn wants(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }
}

/// RFC 6749 §4.1.2 query, §4.2.2 fragment, and OAuth 2.0 Form Post Response Mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub const NAMES: [&'static str; 3] = ["query", "fragment", "form_post"];

    pub fn parse(value: &str) -> Option<ResponseMode> {
        match value {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            _ => None,
        }
    }
}

/// Who signed in, as the login page reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Login {
    pub subject: String,
    /// Claims about the user for the ID token and userinfo.
    pub claims: Map<String, Value>,
    /// When the user authenticated (OpenID Connect Core §2 `auth_time`), Unix seconds.
    pub auth_time: i64,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
}

/// A request waiting for the login page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    pub request: AuthorizationRequest,
}

/// The login page's answer: the browser brings this back to the authorization endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verifier {
    pub request: AuthorizationRequest,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted(Login),
    /// RFC 6749 §4.1.2.1 (`access_denied`) or OpenID Connect Core §3.1.2.6 codes.
    Rejected {
        error: String,
        description: Option<String>,
    },
}

/// An authorization code: what the token endpoint may issue, and to whom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub request: AuthorizationRequest,
    pub login: Login,
}

/// The kinds of sealed artefact; a string sealed as one kind never opens as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Challenge,
    Verifier,
    Code,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Challenge => "login_challenge",
            Kind::Verifier => "login_verifier",
            Kind::Code => "code",
        }
    }
}

/// An opened artefact: its payload, unique id (for single use) and expiry.
#[derive(Debug, PartialEq)]
pub struct Opened<T> {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub payload: T,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    id: Uuid,
    exp: i64,
    #[serde(rename = "p")]
    payload: T,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FlowError {
    #[error("not a valid {0}")]
    Invalid(&'static str),
    #[error("the {0} has expired")]
    Expired(&'static str),
    #[error("cannot seal: {0}")]
    Seal(String),
}

/// Seals and opens flow artefacts with one deployment-wide key. Each seal uses its own
/// AES-256-GCM key, derived from the deployment key and a random 32-byte salt carried in the
/// artefact, so the unauthenticated authorization endpoint can seal without bound and random
/// nonces never approach GCM's per-key limit. After a rotation, artefacts sealed under the
/// previous keys still open (until a key's deadline, when it has one): they live minutes.
pub struct FlowSealer {
    /// The key that seals, then previous keys that only open, each with its last instant.
    keys: Vec<(aws_lc_rs::hmac::Key, Option<i64>)>,
    rng: SystemRandom,
}

const SALT_LEN: usize = 32;

impl FlowSealer {
    pub fn new(key: &[u8; 32]) -> Result<FlowSealer, FlowError> {
        Ok(FlowSealer { keys: vec![(Self::hmac(key), None)], rng: SystemRandom::new() })
    }

    /// Also opens what `key` sealed, until `until` when given.
    pub fn also_opening(mut self, key: &[u8; 32], until: Option<DateTime<Utc>>) -> FlowSealer {
        self.keys.push((Self::hmac(key), until.map(|at| at.timestamp())));
        self
    }

    fn hmac(key: &[u8; 32]) -> aws_lc_rs::hmac::Key {
        aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key)
    }

    fn subkey(key: &aws_lc_rs::hmac::Key, salt: &[u8]) -> Result<LessSafeKey, FlowError> {
        let derived = aws_lc_rs::hmac::sign(key, salt);
        let key = UnboundKey::new(&AES_256_GCM, derived.as_ref()).map_err(|e| FlowError::Seal(e.to_string()))?;
        Ok(LessSafeKey::new(key))
    }

    fn aad(kind: Kind, auth_server_id: Uuid) -> String {
        format!("tessera:{}:{auth_server_id}", kind.as_str())
    }

    /// Seals `payload` as a `kind` of `auth_server_id`, valid for `lifetime` seconds from `now`.
    pub fn seal<T: Serialize>(
        &self,
        kind: Kind,
        auth_server_id: Uuid,
        payload: &T,
        lifetime: i64,
        now: DateTime<Utc>,
    ) -> Result<String, FlowError> {
        let envelope = Envelope { id: Uuid::new_v4(), exp: now.timestamp() + lifetime, payload };
        let mut data = serde_json::to_vec(&envelope).map_err(|e| FlowError::Seal(e.to_string()))?;
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut salt).map_err(|e| FlowError::Seal(e.to_string()))?;
        self.rng.fill(&mut nonce).map_err(|e| FlowError::Seal(e.to_string()))?;
        let aad = Self::aad(kind, auth_server_id);
        let current = self.keys.first().map(|(key, _)| key).ok_or_else(|| FlowError::Seal("no key".into()))?;
        Self::subkey(current, &salt)?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad.as_bytes()), &mut data)
            .map_err(|e| FlowError::Seal(e.to_string()))?;
        let mut out = salt.to_vec();
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a `kind` of `auth_server_id`; anything forged, altered, of another kind or
    /// server, or expired at `now` is refused.
    pub fn open<T: DeserializeOwned>(
        &self,
        kind: Kind,
        auth_server_id: Uuid,
        sealed: &str,
        now: DateTime<Utc>,
    ) -> Result<Opened<T>, FlowError> {
        let invalid = || FlowError::Invalid(kind.as_str());
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| invalid())?;
        if bytes.len() < SALT_LEN + NONCE_LEN {
            return Err(invalid());
        }
        let (salt, rest) = bytes.split_at(SALT_LEN);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = Self::aad(kind, auth_server_id);
        let open = |key: &aws_lc_rs::hmac::Key| -> Option<Vec<u8>> {
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut data = ciphertext.to_vec();
            let plain =
                Self::subkey(key, salt).ok()?.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut data).ok()?;
            Some(plain.to_vec())
        };
        let plain = self
            .keys
            .iter()
            .filter(|(_, until)| until.is_none_or(|until| now.timestamp() <= until))
            .find_map(|(key, _)| open(key))
            .ok_or_else(invalid)?;
        let envelope: Envelope<T> = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        if envelope.exp <= now.timestamp() {
            return Err(FlowError::Expired(kind.as_str()));
        }
        let expires_at = DateTime::from_timestamp(envelope.exp, 0).ok_or_else(invalid)?;
        Ok(Opened { id: envelope.id, expires_at, payload: envelope.payload })
    }
}

/// A random 32-byte key, for deployments that configured none.
pub fn generate_key() -> Result<[u8; 32], FlowError> {
    let mut key = [0u8; 32];
    SystemRandom::new().fill(&mut key).map_err(|e| FlowError::Seal(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "c".into(),
            redirect_uri: "https://app.example.com/cb".into(),
            redirect_uri_sent: true,
            resource: vec![],
            response_type: "code".into(),
            response_mode: ResponseMode::Query,
            scope: vec!["openid".into()],
            scope_requested: true,
            state: Some("s".into()),
            nonce: None,
            code_challenge: Some("x".into()),
            prompt: None,
            max_age: None,
            acr_values: None,
            login_hint: None,
            ui_locales: None,
            requested_at: 0,
            browser: String::new(),
        }
    }

    #[test]
    fn sealed_state_opens_only_as_its_kind_for_its_server_before_it_expires() {
        let sealer = FlowSealer::new(&[7u8; 32]).unwrap();
        let server = Uuid::new_v4();
        let now = Utc::now();
        let challenge = Challenge { request: request() };
        let sealed = sealer.seal(Kind::Challenge, server, &challenge, 60, now).unwrap();
        let opened: Opened<Challenge> = sealer.open(Kind::Challenge, server, &sealed, now).unwrap();
        assert_eq!(opened.payload, challenge);
        let as_code = sealer.open::<Challenge>(Kind::Code, server, &sealed, now);
        assert_eq!(as_code.unwrap_err(), FlowError::Invalid("code"));
        let elsewhere = sealer.open::<Challenge>(Kind::Challenge, Uuid::new_v4(), &sealed, now);
        assert_eq!(elsewhere.unwrap_err(), FlowError::Invalid("login_challenge"));
        let later = sealer.open::<Challenge>(Kind::Challenge, server, &sealed, now + TimeDelta::seconds(60));
        assert_eq!(later.unwrap_err(), FlowError::Expired("login_challenge"));
        let other_key = FlowSealer::new(&[8u8; 32]).unwrap();
        assert!(other_key.open::<Challenge>(Kind::Challenge, server, &sealed, now).is_err());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 5;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(sealer.open::<Challenge>(Kind::Challenge, server, &tampered, now).is_err());
        assert!(sealer.open::<Challenge>(Kind::Challenge, server, "", now).is_err());
        assert!(sealer.open::<Challenge>(Kind::Challenge, server, "!!!", now).is_err());
    }

    #[test]
    fn a_browser_binding_is_recognised_only_with_its_own_cookie() {
        let binding = BrowserBinding::generate();
        let header = format!("other=1; {}={}; x=y", binding.cookie_name, binding.cookie_value);
        assert!(BrowserBinding::presented_in(&header, &binding.digest));
        let other = BrowserBinding::generate();
        assert!(!BrowserBinding::presented_in(&header, &other.digest));
        let forged = format!("{}=guess", binding.cookie_name);
        assert!(!BrowserBinding::presented_in(&forged, &binding.digest));
        assert!(!BrowserBinding::presented_in("", &binding.digest));
    }

    #[test]
    fn state_sealed_under_a_previous_key_opens_until_that_key_s_deadline() {
        let server = Uuid::new_v4();
        let now = Utc::now();
        let challenge = Challenge { request: request() };
        let before = FlowSealer::new(&[1u8; 32]).unwrap().seal(Kind::Challenge, server, &challenge, 600, now).unwrap();
        let rotated = FlowSealer::new(&[2u8; 32]).unwrap().also_opening(&[1u8; 32], None);
        assert_eq!(rotated.open::<Challenge>(Kind::Challenge, server, &before, now).unwrap().payload, challenge);
        let after = rotated.seal(Kind::Challenge, server, &challenge, 600, now).unwrap();
        assert!(FlowSealer::new(&[1u8; 32]).unwrap().open::<Challenge>(Kind::Challenge, server, &after, now).is_err());
        let until = now + TimeDelta::seconds(30);
        let bounded = FlowSealer::new(&[2u8; 32]).unwrap().also_opening(&[1u8; 32], Some(until));
        assert!(bounded.open::<Challenge>(Kind::Challenge, server, &before, until).is_ok());
        let late = bounded.open::<Challenge>(Kind::Challenge, server, &before, until + TimeDelta::seconds(1));
        assert_eq!(late.unwrap_err(), FlowError::Invalid("login_challenge"), "past its deadline");
    }

    #[test]
    fn each_seal_is_unique() {
        let sealer = FlowSealer::new(&[1u8; 32]).unwrap();
        let server = Uuid::new_v4();
        let now = Utc::now();
        let a = sealer.seal(Kind::Code, server, &Challenge { request: request() }, 60, now).unwrap();
        let b = sealer.seal(Kind::Code, server, &Challenge { request: request() }, 60, now).unwrap();
        assert_ne!(a, b);
        let (a, b): (Opened<Challenge>, Opened<Challenge>) =
            (sealer.open(Kind::Code, server, &a, now).unwrap(), sealer.open(Kind::Code, server, &b, now).unwrap());
        assert_ne!(a.id, b.id, "ids make single use possible");
    }
}
