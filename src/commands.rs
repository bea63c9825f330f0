//! `tessera admin-credentials …`: creating, listing and disabling admin credentials straight in
//! the database, for the first credentials of a deployment and for when every admin token is
//! lost. The same rules as `/v1/admin-credentials` apply; the token is printed once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::{AdminCredentialsCommand, Settings};
use crate::domain::Name;
use crate::domain::admin::{Access, AdminCredential, Origin, Role};
use crate::domain::secret::{AdminToken, token_digest};
use crate::startup::{connect, migrate_with_retry};
use crate::store::{self, Store};

pub async fn admin_credentials(settings: &Settings, command: AdminCredentialsCommand) -> Result<(), String> {
    let store = connect(settings)?;
    migrate_with_retry(&store).await?;
    let result = run(&store, command, Utc::now()).await;
    store.close().await;
    result
}

/// Who ran the subcommand, for the audit log: the OS user, when the environment names one.
pub(crate) fn operator(what: &str, now: DateTime<Utc>) -> Origin {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default();
    Origin::command_line(&user, what, now)
}

async fn run(store: &Store, command: AdminCredentialsCommand, now: DateTime<Utc>) -> Result<(), String> {
    match command {
        AdminCredentialsCommand::Create { name, role, auth_servers, expires_at } => {
            let origin = operator("admin-credentials create", now);
            create(store, name, &role, auth_servers, expires_at, &origin).await
        }
        AdminCredentialsCommand::List => list(store).await,
        AdminCredentialsCommand::Disable { credential } => {
            disable(store, &credential, &operator("admin-credentials disable", now)).await
        }
    }
}

async fn create(
    store: &Store,
    name: String,
    role: &str,
    auth_servers: Vec<Uuid>,
    expires_at: Option<String>,
    origin: &Origin,
) -> Result<(), String> {
    let now = origin.at;
    let name = Name::parse(name).map_err(|invalid| format!("--name {}", invalid.reason))?;
    let role = Role::parse(role).map_err(|invalid| format!("--role {}", invalid.reason))?;
    let auth_servers = (!auth_servers.is_empty()).then_some(auth_servers);
    let access = Access { role, auth_servers, directories: None };
    access.check().map_err(|refused| match *refused {
        ("directory_ids", invalid) => {
            format!("the {} role needs directories, which the API sets: {}", role.as_str(), invalid.reason)
        }
        (_, invalid) => format!("--auth-server: {}", invalid.reason),
    })?;
    let Access { auth_servers, .. } = access;
    for id in auth_servers.iter().flatten() {
        if !store::auth_servers::exists(store, *id).await.map_err(|e| e.to_string())? {
            return Err(format!("--auth-server {id}: no such auth server"));
        }
    }
    let expires_at = match expires_at {
        Some(text) => {
            let at = DateTime::parse_from_rfc3339(&text)
                .map_err(|_| format!("--expires-at {text:?} is not an RFC 3339 date-time"))?
                .with_timezone(&Utc);
            if at <= now {
                return Err(format!("--expires-at {text} has passed"));
            }
            Some(at)
        }
        None => None,
    };
    let credential = AdminCredential {
        id: Uuid::new_v4(),
        name,
        access: Access { role, auth_servers, directories: None },
        enabled: true,
        expires_at,
        last_used_at: None,
        created_at: now,
        updated_at: now,
    };
    let token = AdminToken::generate();
    store::admin_credentials::insert(store, &credential, &token_digest(token.expose()), origin).await.map_err(|e| {
        match e {
            store::Error::Conflict { .. } => format!("an admin credential named {:?} exists", credential.name.as_str()),
            other => format!("cannot store the credential: {other}"),
        }
    })?;
    // Printed to the terminal once, never through the log pipeline.
    println!("Created admin credential {} ({}, role {}).", credential.id, credential.name.as_str(), role.as_str());
    println!("Its token, shown only now: {}", token.expose());
    Ok(())
}

async fn list(store: &Store) -> Result<(), String> {
    let all = store::admin_credentials::all(store).await.map_err(|e| e.to_string())?;
    println!("{:<36}  {:<18}  {:<8}  {:<25}  NAME", "ID", "ROLE", "ENABLED", "EXPIRES");
    for credential in all {
        let expires = credential.expires_at.map_or_else(|| "never".to_owned(), |at| at.to_rfc3339());
        println!(
            "{:<36}  {:<18}  {:<8}  {:<25}  {}",
            credential.id,
            credential.access.role.as_str(),
            credential.enabled,
            expires,
            credential.name.as_str()
        );
    }
    Ok(())
}

async fn disable(store: &Store, credential: &str, origin: &Origin) -> Result<(), String> {
    let all = store::admin_credentials::all(store).await.map_err(|e| e.to_string())?;
    let found = all
        .iter()
        .find(|c| c.id.to_string() == credential || c.name.as_str() == credential)
        .ok_or_else(|| format!("no admin credential has the id or name {credential:?}"))?;
    store::admin_credentials::modify(store, found.id, origin, |mut c| {
        c.enabled = false;
        c.updated_at = origin.at;
        Ok::<_, store::Error>((c, None))
    })
    .await
    .map_err(|e| match e {
        store::Error::LastAdmin => {
            "it is the last enabled admin credential: create another admin first (tessera admin-credentials create)"
                .to_owned()
        }
        other => other.to_string(),
    })?;
    println!("Disabled admin credential {} ({}).", found.id, found.name.as_str());
    Ok(())
}
