//! Identities of principals (Kong Identity v2), each answer checked against Kong's schemas.

use serde_json::{Value, json};
use tessera::domain::identity::{ClaimMatch, IdentityKey};
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{TestApp, backend_tests, str_of};

async fn directory(app: &TestApp, name: &str) -> String {
    let created = app.post("/v2/directories", json!({"name": name})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    str_of(&created.body, "id").to_owned()
}

/// A principal of `directory`, and the path of its identities.
async fn principal(app: &TestApp, directory: &str) -> (String, String) {
    let created = app.post(&format!("/v2/directories/{directory}/principals"), json!({})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = str_of(&created.body, "id").to_owned();
    let path = format!("/v2/directories/{directory}/principals/{id}/identities");
    (id, path)
}

async fn identity(app: &TestApp, path: &str, body: Value) -> Value {
    let created = app.post(path, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body
}

fn store(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap()
}

fn actions(events: &Value) -> Vec<String> {
    events["data"].as_array().unwrap().iter().map(|e| str_of(e, "action").to_owned()).collect()
}

/// The life of identities of each type: created as Kong's bodies say, PATCH changes the given
/// fields of the identity's own type, PUT replaces it, every write audited.
async fn identities_of_every_type_are_created_read_changed_replaced_and_deleted(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let dir = directory(&app, "people").await;
    let (_, base) = principal(&app, &dir).await;
    let oidc = identity(
        &app,
        &base,
        json!({"type": "oidc", "issuer": "https://idp.example", "claim": {"name": "sub", "value": "u-1"},
               "labels": {"source": "okta"}}),
    )
    .await;
    assert_eq!(oidc["claim"], json!({"name": "sub", "value": "u-1"}));
    assert_eq!(oidc["labels"], json!({"source": "okta"}));
    let client = identity(
        &app,
        &base,
        json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id}),
    )
    .await;
    assert_eq!(client["client_id"], seed.client_id.as_str());
    assert_eq!(client["labels"], json!({}), "labels default to none");
    let consumer = identity(
        &app,
        &base,
        json!({"type": "control_plane_consumer", "control_plane_id": "cp-1", "consumer_id": "c-1"}),
    )
    .await;
    assert!(consumer.get("workspace_id").is_none(), "an absent workspace is left out: {consumer}");
    let custom = identity(&app, &base, json!({"type": "custom", "key": "employee_id", "value": "E-42"})).await;

    let id = str_of(&oidc, "id").to_owned();
    let path = format!("{base}/{id}");
    assert_eq!(app.get(&path).await.body, oidc);
    let listed = app.get(&base).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 4);

    let patched = app.patch(&path, json!({"claim": {"value": "u-2"}})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["claim"], json!({"name": "sub", "value": "u-2"}), "claim.name stays");
    assert_eq!(patched.body["labels"], json!({"source": "okta"}));
    let same = app.patch(&path, json!({"type": "oidc", "issuer": "https://idp.example"})).await;
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.body["updated_at"], patched.body["updated_at"], "a PATCH that changes nothing writes nothing");
    let replaced = app
        .put(
            &path,
            json!({"type": "oidc", "issuer": "https://login.example", "claim": {"name": "email", "value": "a@b.c"}}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["labels"], json!({}), "PUT resets what it leaves out");
    assert_eq!(replaced.body["created_at"], oidc["created_at"]);
    let custom_path = format!("{base}/{}", str_of(&custom, "id"));
    let relabelled = app.patch(&custom_path, json!({"value": "E-43", "labels": {"hr": "yes"}})).await;
    assert_eq!(relabelled.status, 200, "{}", relabelled.text);
    assert_eq!(
        (relabelled.body["key"].clone(), relabelled.body["value"].clone()),
        (json!("employee_id"), json!("E-43"))
    );
    assert_eq!(relabelled.body["labels"], json!({"hr": "yes"}));

    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    assert_eq!(actions(&events.body), ["identity.created", "identity.updated", "identity.updated"]);
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    let gone = app.delete(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["detail"], format!("Identity [{id}] not found"));
    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    assert_eq!(actions(&events.body).last().map(String::as_str), Some("identity.deleted"));
}

/// Unknown directories, principals and identities are each a 404 naming what is missing, and a
/// principal's identities are reached only through its own directory.
async fn identities_answer_404_for_what_is_not_there(app: TestApp) {
    let dir = directory(&app, "home").await;
    let (principal_id, base) = principal(&app, &dir).await;
    let created = identity(&app, &base, json!({"type": "custom", "key": "k", "value": "v"})).await;
    let id = str_of(&created, "id");
    let elsewhere = directory(&app, "elsewhere").await;
    let moved = app.get(&format!("/v2/directories/{elsewhere}/principals/{principal_id}/identities/{id}")).await;
    assert_eq!(moved.status, 404);
    assert_eq!(moved.body["detail"], format!("Principal [{principal_id}] not found"));
    let unknown = uuid::Uuid::new_v4();
    let no_directory = app
        .post(
            &format!("/v2/directories/{unknown}/principals/{principal_id}/identities"),
            json!({"type": "custom", "key": "a", "value": "b"}),
        )
        .await;
    assert_eq!(no_directory.status, 404);
    assert_eq!(no_directory.body["detail"], format!("Directory [{unknown}] not found"));
    let (_, other_base) = principal(&app, &dir).await;
    assert_eq!(app.get(&format!("{other_base}/{id}")).await.status, 404, "another principal's identity");
    assert_eq!(app.patch(&format!("{base}/{unknown}"), json!({"value": "x"})).await.status, 404);
    assert_eq!(
        app.put(&format!("{base}/{unknown}"), json!({"type": "custom", "key": "a", "value": "b"})).await.status,
        404
    );
    assert_eq!(app.get(&format!("{base}/not-a-uuid")).await.status, 400);

    // A principal's identities go with it.
    assert_eq!(app.delete(&format!("/v2/directories/{dir}/principals/{principal_id}")).await.status, 204);
    let key = IdentityKey::Custom { key: "k".into(), value: "v".into() };
    assert_eq!(tessera::store::identities::principal_for_identity(&store(&app), None, &key).await.unwrap(), None);
}

/// Kong's bodies field by field: the type decides which fields are required, fields of other
/// types are refused by name, and a type never changes.
async fn bad_identities_are_refused_field_by_field(app: TestApp) {
    let dir = directory(&app, "strict").await;
    let (_, base) = principal(&app, &dir).await;
    let cases = [
        (json!({}), "type", "required"),
        (json!({"type": "consumer"}), "type", "enum"),
        (json!({"type": "oidc", "claim": {"name": "sub", "value": "1"}}), "issuer", "required"),
        (json!({"type": "oidc", "issuer": "https://i"}), "claim", "required"),
        (json!({"type": "oidc", "issuer": "https://i", "claim": {"name": "sub"}}), "claim.value", "required"),
        (
            json!({"type": "oidc", "issuer": "https://i", "claim": {"name": "sub", "value": "1", "x": 1}}),
            "claim.x",
            "unknown_property",
        ),
        (json!({"type": "oidc", "issuer": "", "claim": {"name": "sub", "value": "1"}}), "issuer", "min_length"),
        (
            json!({"type": "oidc", "issuer": "i", "claim": {"name": "s", "value": "1"}, "key": "k"}),
            "key",
            "unknown_property",
        ),
        (json!({"type": "custom", "key": "k"}), "value", "required"),
        (json!({"type": "custom", "key": "k", "value": "x".repeat(1025)}), "value", "max_length"),
        (json!({"type": "custom", "key": "k", "value": "v", "client_id": "c"}), "client_id", "unknown_property"),
        (json!({"type": "custom", "key": 7, "value": "v"}), "key", "is_string"),
        (json!({"type": "custom", "key": "k", "value": "v", "labels": {"kong-x": "1"}}), "labels.kong-x", "is_label"),
        (json!({"type": "custom", "key": "k", "value": "v", "principal_id": "p"}), "principal_id", "unknown_property"),
        (json!({"type": "auth_server_client", "auth_server_id": "x", "client_id": "c"}), "auth_server_id", "is_uuid"),
        (json!({"type": "control_plane_consumer", "consumer_id": "c"}), "control_plane_id", "required"),
        (
            json!({"type": "control_plane_consumer", "control_plane_id": "cp", "consumer_id": "c", "issuer": "i"}),
            "issuer",
            "unknown_property",
        ),
    ];
    for (body, field, rule) in cases {
        let refused = app.post(&base, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }

    let custom = identity(&app, &base, json!({"type": "custom", "key": "k", "value": "v"})).await;
    let path = format!("{base}/{}", str_of(&custom, "id"));
    for (body, field, rule) in [
        (json!({"type": "oidc"}), "type", "invalid"),
        (json!({"issuer": "https://i"}), "issuer", "unknown_property"),
        (json!({"claim": {"value": "x"}}), "claim", "unknown_property"),
        (json!({"value": ""}), "value", "min_length"),
    ] {
        let refused = app.patch(&path, body.clone()).await;
        assert_eq!(refused.status, 400, "PATCH {body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "PATCH {body}: {}", refused.text);
    }
    let retyped = app.put(&path, json!({"type": "oidc", "issuer": "i", "claim": {"name": "s", "value": "v"}})).await;
    assert_eq!(retyped.status, 400, "{}", retyped.text);
    assert_eq!(retyped.rule_for("type").as_deref(), Some("invalid"));
    assert_eq!(app.put(&path, json!({"key": "k"})).await.rule_for("value").as_deref(), Some("required"));
    assert_eq!(app.get(&path).await.body, custom, "nothing refused changed anything");
}

/// A key belongs to one principal of a directory (409, one winner when requests race), may be
/// used again in another directory, and lookups find its principal.
async fn an_identity_key_belongs_to_one_principal_per_directory(app: TestApp) {
    let dir = directory(&app, "unique").await;
    let (first, first_base) = principal(&app, &dir).await;
    let (_, second_base) = principal(&app, &dir).await;
    let oidc = json!({"type": "oidc", "issuer": "https://idp", "claim": {"name": "sub", "value": "alice"}});
    identity(&app, &first_base, oidc.clone()).await;
    let taken = app.post(&second_base, oidc.clone()).await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert_eq!(taken.body["detail"], "This oidc identity already belongs to a principal of this directory");
    assert_eq!(app.post(&first_base, oidc.clone()).await.status, 409, "nor twice to the same principal");
    let other_claim = json!({"type": "oidc", "issuer": "https://idp", "claim": {"name": "email", "value": "alice"}});
    let bob = identity(&app, &second_base, other_claim).await;
    let moved = app.patch(&format!("{second_base}/{}", str_of(&bob, "id")), json!({"claim": {"name": "sub"}})).await;
    assert_eq!(moved.status, 409, "a PATCH onto a taken key: {}", moved.text);

    let elsewhere = directory(&app, "elsewhere").await;
    let (other_principal, other_base) = principal(&app, &elsewhere).await;
    identity(&app, &other_base, oidc.clone()).await;

    let racers = (0..6).map(|_| app.post(&second_base, json!({"type": "custom", "key": "badge", "value": "7"})));
    let statuses: Vec<u16> = futures::future::join_all(racers).await.into_iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 409].contains(s)), "{statuses:?}");

    let store = store(&app);
    let key = IdentityKey::Oidc {
        issuer: "https://idp".into(),
        claim: ClaimMatch { name: "sub".into(), value: "alice".into() },
    };
    let lookup = |directory: &str| uuid::Uuid::parse_str(directory).unwrap();
    let found = tessera::store::identities::principal_for_identity(&store, Some(lookup(&dir)), &key).await.unwrap();
    assert_eq!(found, Some((lookup(&dir), lookup(&first))));
    let found =
        tessera::store::identities::principal_for_identity(&store, Some(lookup(&elsewhere)), &key).await.unwrap();
    assert_eq!(found, Some((lookup(&elsewhere), lookup(&other_principal))));
    assert_eq!(
        tessera::store::identities::principal_for_identity(&store, None, &key).await.unwrap(),
        Some((lookup(&dir), lookup(&first))),
        "across directories the oldest link wins"
    );
    let unknown = IdentityKey::Custom { key: "badge".into(), value: "8".into() };
    assert_eq!(tessera::store::identities::principal_for_identity(&store, None, &unknown).await.unwrap(), None);
}

/// Kong's limit of 10 identities per principal: the 11th is a 409 that says so.
async fn a_principal_holds_at_most_ten_identities(app: TestApp) {
    let dir = directory(&app, "limited").await;
    let (_, base) = principal(&app, &dir).await;
    let racers = (0..12).map(|i| app.post(&base, json!({"type": "custom", "key": "n", "value": i.to_string()})));
    let statuses: Vec<u16> = futures::future::join_all(racers).await.into_iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    let refused = app.post(&base, json!({"type": "custom", "key": "n", "value": "last"})).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["detail"], "A principal can have at most 10 identities: delete one before adding another");
    let page = app.get(&format!("{base}?page[size]=100")).await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 10);
    let (_, other_base) = principal(&app, &dir).await;
    identity(&app, &other_base, json!({"type": "custom", "key": "n", "value": "last"})).await;
}

/// An `auth_server_client` identity names an existing auth server and client (400
/// `missing_reference` otherwise), finds its principal for tokens, and goes with the client.
async fn a_client_identity_needs_its_client_and_goes_with_it(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let dir = directory(&app, "machines").await;
    let (principal_id, base) = principal(&app, &dir).await;
    let unknown_server = uuid::Uuid::new_v4().to_string();
    for (body, field) in [
        (
            json!({"type": "auth_server_client", "auth_server_id": unknown_server, "client_id": seed.client_id}),
            "auth_server_id",
        ),
        (json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": "nobody"}), "client_id"),
    ] {
        let refused = app.post(&base, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some("missing_reference"), "{}", refused.text);
    }
    let linked = identity(
        &app,
        &base,
        json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id}),
    )
    .await;
    let path = format!("{base}/{}", str_of(&linked, "id"));
    let dangling = app.patch(&path, json!({"client_id": "nobody"})).await;
    assert_eq!(dangling.status, 400, "{}", dangling.text);
    assert_eq!(dangling.rule_for("client_id").as_deref(), Some("missing_reference"));

    let store = store(&app);
    let server = uuid::Uuid::parse_str(&seed.server_id).unwrap();
    let ids = (uuid::Uuid::parse_str(&dir).unwrap(), uuid::Uuid::parse_str(&principal_id).unwrap());
    let found = tessera::store::identities::principal_for_client(&store, server, &seed.client_id).await.unwrap();
    assert_eq!(found, Some(ids));
    assert_eq!(tessera::store::identities::principal_for_client(&store, server, "nobody").await.unwrap(), None);

    let deleted = app.delete(&format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(app.get(&path).await.status, 404, "the identity went with its client");
    assert_eq!(tessera::store::identities::principal_for_client(&store, server, &seed.client_id).await.unwrap(), None);
}

/// Cursor pages, Kong's sort attributes and `filter[type]` (`oeq` takes several; Kong's
/// `consumer` names the control-plane consumer type).
async fn identities_are_listed_by_cursor_sorted_and_filtered_by_type(app: TestApp) {
    let dir = directory(&app, "listed").await;
    let (_, base) = principal(&app, &dir).await;
    identity(&app, &base, json!({"type": "custom", "key": "a", "value": "1"})).await;
    identity(&app, &base, json!({"type": "oidc", "issuer": "https://i", "claim": {"name": "sub", "value": "1"}})).await;
    identity(
        &app,
        &base,
        json!({"type": "control_plane_consumer", "control_plane_id": "cp", "workspace_id": "w", "consumer_id": "c"}),
    )
    .await;
    let types = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|i| str_of(i, "type").to_owned()).collect()
    };
    let first = app.get(&format!("{base}?sort=type&page[size]=2")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(types(&first.body), ["control_plane_consumer", "custom"]);
    let next = app.get(str_of(&first.body["meta"]["page"], "next")).await;
    assert_eq!(types(&next.body), ["oidc"]);
    assert_eq!(next.body["meta"]["page"]["next"], Value::Null);
    assert_eq!(
        types(&app.get(&format!("{base}?sort=created_at desc")).await.body),
        ["control_plane_consumer", "oidc", "custom"]
    );
    let some = app.get(&format!("{base}?filter[type][oeq]=oidc,custom&sort=type")).await;
    assert_eq!(types(&some.body), ["custom", "oidc"]);
    assert_eq!(types(&app.get(&format!("{base}?filter[type]=consumer")).await.body), ["control_plane_consumer"]);
    assert_eq!(types(&app.get(&format!("{base}?filter[type]=%22oidc%22")).await.body), ["oidc"]);
    let too_many = format!("filter[type][oeq]={}", ",".repeat(100));
    for query in ["sort=key", "filter[key]=a", "filter[type][contains]=o", "page[after]=nope", &too_many] {
        let refused = app.get(&format!("{base}?{query}")).await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.text);
    }
}

backend_tests!(
    identities_of_every_type_are_created_read_changed_replaced_and_deleted,
    identities_answer_404_for_what_is_not_there,
    bad_identities_are_refused_field_by_field,
    an_identity_key_belongs_to_one_principal_per_directory,
    a_principal_holds_at_most_ten_identities,
    a_client_identity_needs_its_client_and_goes_with_it,
    identities_are_listed_by_cursor_sorted_and_filtered_by_type
);
