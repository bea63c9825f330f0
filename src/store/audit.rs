//! The audit log. Each event is written inside the transaction of the change it records, so
//! the two commit or roll back together; after the commit it is also logged, as one line, on
//! the `tessera::audit` target (see [`announce`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::{Actor, ActorKind};
use crate::domain::audit::{Event, FieldChange};
use crate::domain::list::{FilterKind, ListParams, ListSchema};

use super::{Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, parse_uuid, to_json};

/// The log target operators route to their SIEM.
pub const LOG_TARGET: &str = "tessera::audit";

pub const LIST: ListSchema = ListSchema {
    sortable: &["occurred_at"],
    filters: &[
        ("occurred_at", FilterKind::Time),
        ("actor_type", FilterKind::Exact),
        ("actor_id", FilterKind::Exact),
        ("action", FilterKind::Exact),
        ("resource_type", FilterKind::Exact),
        ("resource_id", FilterKind::Exact),
        ("auth_server_id", FilterKind::Exact),
    ],
};

const COLUMNS: &str = "id, occurred_at, actor_type, actor_id, actor_name, action, resource_type, resource_id, \
    auth_server_id, request_id, source, changes";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    occurred_at: i64,
    actor_type: String,
    actor_id: String,
    actor_name: Option<String>,
    action: String,
    resource_type: String,
    resource_id: String,
    auth_server_id: Option<String>,
    request_id: String,
    source: String,
    changes: String,
}

impl TryFrom<Row> for Event {
    type Error = Error;

    fn try_from(row: Row) -> Result<Event> {
        let kind = ActorKind::parse(&row.actor_type)
            .ok_or_else(|| Error::Corrupt(format!("actor_type {:?}", row.actor_type)))?;
        Ok(Event {
            id: parse_uuid(&row.id)?,
            occurred_at: from_micros(row.occurred_at)?,
            actor: Actor { kind, id: row.actor_id, name: row.actor_name },
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            auth_server_id: row.auth_server_id.as_deref().map(parse_uuid).transpose()?,
            request_id: row.request_id,
            source: row.source,
            changes: from_json::<Vec<FieldChange>>("changes", &row.changes)?,
        })
    }
}

/// Writes `event` in the transaction of its change; [`Tx::commit`] logs it once committed.
pub(crate) async fn record(tx: &mut Tx, event: Event) -> Result<()> {
    tx.db()
        .execute(
            &format!("INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            args![
                event.id,
                micros(event.occurred_at),
                event.actor.kind.as_str(),
                &event.actor.id,
                event.actor.name.clone(),
                &event.action,
                &event.resource_type,
                &event.resource_id,
                event.auth_server_id,
                &event.request_id,
                &event.source,
                to_json(&event.changes),
            ],
        )
        .await?;
    tx.audited.push(event);
    Ok(())
}

/// Records an event that goes with no other write (a failed authentication).
pub async fn record_alone(store: &Store, event: Event) -> Result<()> {
    let mut tx = store.begin().await?;
    record(&mut tx, event).await?;
    tx.commit().await
}

/// A page of events, oldest first unless sorted otherwise. `visible_auth_servers`, when given,
/// limits the events to those of these auth servers (events of none are left out too).
pub async fn list(
    store: &Store,
    visible_auth_servers: Option<&[Uuid]>,
    params: &ListParams,
) -> Result<ListPage<Event>> {
    let (mut conditions, mut bound) = (Vec::new(), args![]);
    list::restrict_to("auth_server_id", visible_auth_servers, &mut conditions, &mut bound);
    list::fetch_page_ordered::<Row>(
        store,
        COLUMNS,
        "audit_events",
        conditions,
        bound,
        params,
        "occurred_at ASC, id ASC",
    )
    .await?
    .try_map(Event::try_from)
}

/// Deletes events that occurred before `before`; returns how many.
pub async fn purge(store: &Store, before: DateTime<Utc>) -> Result<u64> {
    store.db().execute("DELETE FROM audit_events WHERE occurred_at < $1", args![micros(before)]).await
}

/// One log line per committed event on [`LOG_TARGET`]: in JSON log mode, one JSON object whose
/// fields are the event's (`changes` as JSON text), so a SIEM can take the log without polling.
pub(crate) fn announce(event: &Event) {
    tracing::info!(
        target: LOG_TARGET,
        audit_event_id = %event.id,
        occurred_at = %event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        action = %event.action,
        actor_type = event.actor.kind.as_str(),
        actor_id = %event.actor.id,
        actor_name = event.actor.name.as_deref().unwrap_or(""),
        resource_type = %event.resource_type,
        resource_id = %event.resource_id,
        auth_server_id = %event.auth_server_id.map(|id| id.to_string()).unwrap_or_default(),
        request_id = %event.request_id,
        source = %event.source,
        changes = %to_json(&event.changes),
        "audit event"
    );
}
