//! New signing keys and their rotation. A new key is published in the JWKS as the *next* key
//! before it signs, so gateways that cache the JWKS know it before any token carries it:
//!
//! ```text
//!   publish (lead time before)  ──►  next ──promote──►  current ──►  retired ──(30 days)──► deleted
//!   emergency replace           ─────────────────────►  current      (the old current retires;
//!                                                                     the next key is withdrawn)
//! ```
//!
//! The decisions are pure functions of an auth server's live keys, the settings and `now`
//! ([`scheduled_step`], [`requested_step`]); [`store::signing_keys::transition`] applies them
//! under the auth server's row lock, deciding once more there, so nodes racing agree.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::domain::{Invalid, SigningAlgorithm};
use crate::store::signing_keys::{LiveKeys, StoredKey, Transition};
use crate::store::{self, Store};
use crate::telemetry::spawn_blocking_with_tracing;

use super::{JWKS_MAX_AGE_SECONDS, Sealer, generate};

/// Generates (off the async runtime: RSA takes tens of milliseconds) and seals a key for an
/// auth server, ready to store as its current key (see [`StoredKey::into_next`]).
pub async fn new_key(
    sealer: &Sealer,
    auth_server_id: Uuid,
    algorithm: SigningAlgorithm,
    now: DateTime<Utc>,
) -> Result<StoredKey, String> {
    let generated = spawn_blocking_with_tracing(move || generate(algorithm))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let sealed = sealer.seal(&generated.kid, &generated.private_der).map_err(|e| e.to_string())?;
    Ok(StoredKey {
        kid: generated.kid,
        auth_server_id,
        algorithm,
        sealed_private_key: sealed,
        public_jwk: generated.public_jwk,
        created_at: now,
        activated_at: Some(now),
        activates_at: None,
        retired_at: None,
    })
}

/// When scheduled rotation acts (`TESSERA_KEY_ROTATION_DAYS`, `TESSERA_KEY_PUBLISH_LEAD_SECONDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// A current key is replaced this long after it began signing; `None`: never on schedule.
    pub rotate_after: Option<TimeDelta>,
    /// A new key is published this long before it signs.
    pub lead: TimeDelta,
}

impl Schedule {
    pub fn new(rotation_days: u32, lead_seconds: u32) -> Schedule {
        Schedule {
            rotate_after: (rotation_days > 0).then(|| TimeDelta::days(i64::from(rotation_days))),
            lead: TimeDelta::seconds(i64::from(lead_seconds)),
        }
    }
}

/// A change to make to an auth server's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Publish a new key as the next key, to sign from `activates_at`.
    Publish { activates_at: DateTime<Utc> },
    /// The next key signs from now on; the current key retires.
    Promote,
    /// A new key signs from now on; the current key retires and the next key is withdrawn.
    Replace,
}

/// What scheduled rotation does now, if anything: promote a next key whose time has come;
/// otherwise, once the current key is within the lead time of its rotation age, publish a next
/// key that signs when the current key reaches that age, and never sooner than the lead time.
pub fn scheduled_step(keys: &LiveKeys, schedule: &Schedule, now: DateTime<Utc>) -> Option<Step> {
    if let Some(next) = &keys.next {
        return next.activates_at.is_some_and(|at| at <= now).then_some(Step::Promote);
    }
    let due = keys.current.as_ref()?.activated_at? + schedule.rotate_after?;
    (due - schedule.lead <= now).then(|| Step::Publish { activates_at: due.max(now + schedule.lead) })
}

/// What `POST …/keys/rotate` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Publish a next key, which scheduled rotation promotes after the lead time.
    Publish,
    /// Make the next key sign now.
    Promote,
    /// Make a new key sign now, for a key that must stop signing at once.
    Emergency,
}

impl Mode {
    pub const ALL: [&'static str; 3] = ["publish", "promote", "emergency"];

    pub fn parse(text: &str) -> Result<Mode, Invalid> {
        match text {
            "publish" => Ok(Mode::Publish),
            "promote" => Ok(Mode::Promote),
            "emergency" => Ok(Mode::Emergency),
            _ => Err(Invalid::one_of(&Mode::ALL)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Publish => "publish",
            Mode::Promote => "promote",
            Mode::Emergency => "emergency",
        }
    }
}

/// Why a requested rotation is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `promote` without a next key.
    NoNextKey,
    /// `publish` while a next key is already published.
    NextKeyExists { kid: String, activates_at: Option<DateTime<Utc>> },
    /// `promote` of a next key published less than the JWKS cache lifetime ago: a gateway that
    /// fetched the JWKS just before it appeared would not know it yet.
    NextKeyTooNew { kid: String, promotable_at: DateTime<Utc> },
    /// The keys changed between deciding and applying (another request, another node).
    Changed,
}

/// The step an administrator's rotation makes. Without a mode: promote the next key if there
/// is one, otherwise publish one; neither makes an unpublished key sign.
pub fn requested_step(
    mode: Option<Mode>,
    keys: &LiveKeys,
    lead: TimeDelta,
    now: DateTime<Utc>,
) -> Result<Step, Refusal> {
    let mode = mode.unwrap_or(if keys.next.is_some() { Mode::Promote } else { Mode::Publish });
    match (mode, &keys.next) {
        (Mode::Emergency, _) => Ok(Step::Replace),
        (Mode::Publish, None) => Ok(Step::Publish { activates_at: now + lead }),
        (Mode::Publish, Some(next)) => {
            Err(Refusal::NextKeyExists { kid: next.kid.clone(), activates_at: next.activates_at })
        }
        (Mode::Promote, None) => Err(Refusal::NoNextKey),
        (Mode::Promote, Some(next)) => {
            let promotable_at = next.created_at + TimeDelta::seconds(JWKS_MAX_AGE_SECONDS);
            if promotable_at > now {
                Err(Refusal::NextKeyTooNew { kid: next.kid.clone(), promotable_at })
            } else {
                Ok(Step::Promote)
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("no such auth server")]
    NotFound,
    #[error("rotation refused: {0:?}")]
    Refused(Refusal),
    #[error("cannot generate a signing key: {0}")]
    Generate(String),
    #[error(transparent)]
    Store(store::Error),
}

impl From<store::Error> for RotateError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::NotFound => RotateError::NotFound,
            other => RotateError::Store(other),
        }
    }
}

/// The transition for `step`, with `fresh` as the new key where the step needs one; `None`
/// when `fresh` is missing or no longer of the auth server's algorithm.
fn transition_for(
    step: Step,
    keys: &LiveKeys,
    algorithm: SigningAlgorithm,
    fresh: Option<StoredKey>,
    now: DateTime<Utc>,
) -> Option<Transition> {
    let fresh = fresh.filter(|key| key.algorithm == algorithm);
    match step {
        Step::Publish { activates_at } => fresh.map(|key| Transition::PublishNext(key.into_next(activates_at))),
        Step::Replace => fresh.map(Transition::Replace),
        Step::Promote => keys
            .next
            .as_ref()
            .filter(|next| next.algorithm == algorithm)
            .map(|next| Transition::Promote { kid: next.kid.clone(), at: now }),
    }
}

/// A new key for `step` if it needs one.
async fn fresh_key(
    sealer: &Sealer,
    auth_server_id: Uuid,
    algorithm: SigningAlgorithm,
    step: Step,
    now: DateTime<Utc>,
) -> Result<Option<StoredKey>, RotateError> {
    match step {
        Step::Promote => Ok(None),
        Step::Publish { .. } | Step::Replace => {
            new_key(sealer, auth_server_id, algorithm, now).await.map(Some).map_err(RotateError::Generate)
        }
    }
}

/// Rotates an auth server's keys as an administrator asks (see [`requested_step`]); answers
/// what was applied.
pub async fn rotate(
    store: &Store,
    sealer: &Sealer,
    auth_server_id: Uuid,
    mode: Option<Mode>,
    lead: TimeDelta,
    now: DateTime<Utc>,
    origin: &crate::domain::admin::Origin,
) -> Result<Transition, RotateError> {
    let algorithm = store::auth_servers::get(store, auth_server_id).await?.signing_algorithm;
    let keys = store::signing_keys::live(store, auth_server_id).await?;
    let planned = requested_step(mode, &keys, lead, now).map_err(RotateError::Refused)?;
    let fresh = fresh_key(sealer, auth_server_id, algorithm, planned, now).await?;
    let applied = store::signing_keys::transition(store, auth_server_id, Some(origin), |algorithm, keys| {
        let step = requested_step(mode, keys, lead, now).map_err(RotateError::Refused)?;
        if step != planned {
            return Err(RotateError::Refused(Refusal::Changed));
        }
        transition_for(step, keys, algorithm, fresh, now).map(Some).ok_or(RotateError::Refused(Refusal::Changed))
    })
    .await?;
    let applied = applied.ok_or(RotateError::Refused(Refusal::Changed))?;
    tracing::info!(%auth_server_id, transition = ?applied, "rotated signing keys on request");
    Ok(applied)
}

/// Scheduled rotation for every auth server with something due (see [`scheduled_step`]);
/// answers the auth servers whose keys changed, for the caller to invalidate. Nodes may run it
/// at once: each step is decided again under the auth server's lock, so one of them acts.
pub async fn rotate_due(store: &Store, sealer: &Sealer, schedule: &Schedule, now: DateTime<Utc>) -> Vec<Uuid> {
    let publish_before = schedule.rotate_after.map(|after| now - after + schedule.lead);
    let due = match store::signing_keys::due_for_rotation(store, now, publish_before).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for keys to rotate");
            return Vec::new();
        }
    };
    let mut changed = Vec::new();
    for (auth_server_id, algorithm) in due {
        match advance(store, sealer, auth_server_id, algorithm, schedule, now).await {
            Ok(Some(transition)) => {
                tracing::info!(%auth_server_id, ?transition, "scheduled signing key rotation");
                changed.push(auth_server_id);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, %auth_server_id, "cannot rotate signing keys"),
        }
    }
    changed
}

/// One auth server's scheduled step; `None` when another node has taken it already.
async fn advance(
    store: &Store,
    sealer: &Sealer,
    auth_server_id: Uuid,
    algorithm: SigningAlgorithm,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, RotateError> {
    let keys = store::signing_keys::live(store, auth_server_id).await?;
    let Some(planned) = scheduled_step(&keys, schedule, now) else { return Ok(None) };
    let fresh = fresh_key(sealer, auth_server_id, algorithm, planned, now).await?;
    store::signing_keys::transition(store, auth_server_id, None, |algorithm, keys| {
        Ok(scheduled_step(keys, schedule, now).and_then(|step| transition_for(step, keys, algorithm, fresh, now)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, created_at: DateTime<Utc>) -> StoredKey {
        StoredKey {
            kid: kid.to_owned(),
            auth_server_id: Uuid::nil(),
            algorithm: SigningAlgorithm::ES256,
            sealed_private_key: String::new(),
            public_jwk: serde_json::Value::Null,
            created_at,
            activated_at: Some(created_at),
            activates_at: None,
            retired_at: None,
        }
    }

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::days(days)
    }

    fn hours(hours: i64) -> TimeDelta {
        TimeDelta::hours(hours)
    }

    const SCHEDULE: Schedule = Schedule { rotate_after: Some(TimeDelta::days(90)), lead: TimeDelta::hours(24) };

    #[test]
    fn scheduled_rotation_publishes_the_next_key_a_lead_time_before_the_current_key_is_due() {
        let keys = LiveKeys { current: Some(key("current", at(0))), next: None };
        assert_eq!(scheduled_step(&keys, &SCHEDULE, at(89) - hours(1)), None, "not yet within the lead time");
        assert_eq!(
            scheduled_step(&keys, &SCHEDULE, at(89)),
            Some(Step::Publish { activates_at: at(90) }),
            "signs when the current key reaches its age"
        );
        assert_eq!(
            scheduled_step(&keys, &SCHEDULE, at(200)),
            Some(Step::Publish { activates_at: at(200) + hours(24) }),
            "a key long overdue (scheduler off, or lead time raised) still gets the whole lead time"
        );
        let off = Schedule { rotate_after: None, ..SCHEDULE };
        assert_eq!(scheduled_step(&keys, &off, at(1000)), None, "scheduled rotation off");
    }

    #[test]
    fn scheduled_rotation_promotes_the_next_key_when_its_time_has_come_and_not_before() {
        let next = key("next", at(89)).into_next(at(90));
        let keys = LiveKeys { current: Some(key("current", at(0))), next: Some(next) };
        assert_eq!(scheduled_step(&keys, &SCHEDULE, at(90) - hours(1)), None);
        assert_eq!(scheduled_step(&keys, &SCHEDULE, at(90)), Some(Step::Promote));
        let off = Schedule { rotate_after: None, ..SCHEDULE };
        assert_eq!(scheduled_step(&keys, &off, at(90)), Some(Step::Promote), "a published key is promoted anyway");
    }

    #[test]
    fn requested_rotations_promote_publish_or_replace_and_refuse_precisely() {
        let current = Some(key("current", at(0)));
        let none = LiveKeys { current: current.clone(), next: None };
        let fresh = LiveKeys { current: current.clone(), next: Some(key("next", at(10)).into_next(at(11))) };
        let now = at(10) + TimeDelta::seconds(60);
        let later = at(10) + TimeDelta::seconds(JWKS_MAX_AGE_SECONDS);
        let lead = hours(24);
        let too_new = Refusal::NextKeyTooNew { kid: "next".into(), promotable_at: later };
        let exists = Refusal::NextKeyExists { kid: "next".into(), activates_at: Some(at(11)) };
        let cases = [
            (None, &none, now, Ok(Step::Publish { activates_at: now + lead }), "default without a next key"),
            (None, &fresh, now, Err(too_new.clone()), "default with a next key gateways may not know yet"),
            (None, &fresh, later, Ok(Step::Promote), "default with a next key published long enough"),
            (Some(Mode::Publish), &none, now, Ok(Step::Publish { activates_at: now + lead }), "publish"),
            (Some(Mode::Publish), &fresh, later, Err(exists), "publish while a next key waits"),
            (Some(Mode::Promote), &none, now, Err(Refusal::NoNextKey), "promote without a next key"),
            (Some(Mode::Promote), &fresh, now, Err(too_new), "promote too early"),
            (Some(Mode::Promote), &fresh, later, Ok(Step::Promote), "promote"),
            (Some(Mode::Emergency), &none, now, Ok(Step::Replace), "emergency"),
            (Some(Mode::Emergency), &fresh, now, Ok(Step::Replace), "emergency with a next key"),
        ];
        for (mode, keys, now, expected, case) in cases {
            assert_eq!(requested_step(mode, keys, lead, now), expected, "{case}");
        }
    }

    #[test]
    fn a_fresh_key_of_a_replaced_algorithm_is_not_put_in_place() {
        let keys = LiveKeys { current: Some(key("current", at(0))), next: None };
        let step = Step::Publish { activates_at: at(1) };
        assert!(transition_for(step, &keys, SigningAlgorithm::RS256, Some(key("new", at(0))), at(0)).is_none());
        assert!(matches!(
            transition_for(step, &keys, SigningAlgorithm::ES256, Some(key("new", at(0))), at(0)),
            Some(Transition::PublishNext(StoredKey { activated_at: None, activates_at: Some(_), .. }))
        ));
    }

    #[test]
    fn modes_parse_from_their_names_only() {
        for name in Mode::ALL {
            assert_eq!(Mode::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(Mode::parse("now").unwrap_err().rule, "enum");
    }
}
