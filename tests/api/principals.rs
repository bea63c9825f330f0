//! Principals of a directory (Kong Identity v2), each answer checked against Kong's schemas.

use serde_json::{Value, json};

use crate::helpers::{TestApp, backend_tests, str_of};

async fn directory(app: &TestApp, name: &str) -> String {
    let created = app.post("/v2/directories", json!({"name": name})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    str_of(&created.body, "id").to_owned()
}

async fn principal(app: &TestApp, directory: &str, body: Value) -> Value {
    let created = app.post(&format!("/v2/directories/{directory}/principals"), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body
}

async fn a_principal_is_created_read_changed_replaced_and_deleted(app: TestApp) {
    let dir = directory(&app, "partners").await;
    let created = principal(
        &app,
        &dir,
        json!({"display_name": "acme-billing", "metadata": {"tier": "gold", "quota": 1000, "regions": ["eu"]},
               "labels": {"team": "payments"}, "managed_by": {"owner": "terraform", "stack": "prod"}}),
    )
    .await;
    let id = str_of(&created, "id").to_owned();
    let path = format!("/v2/directories/{dir}/principals/{id}");
    assert_eq!(created["provisioned_by"], "konnect_user");
    assert_eq!(created["description"], "");
    assert_eq!(app.get(&path).await.body, created);
    let bare = principal(&app, &dir, json!({})).await;
    assert_eq!(bare["display_name"], "", "every field of a principal is optional");
    assert_eq!(bare["metadata"], json!({}));

    let patched = app
        .patch(&path, json!({"metadata": {"tier": "silver"}, "managed_by": {"stack": null, "team": "billing"}}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["metadata"], json!({"tier": "silver"}), "metadata is replaced whole");
    assert_eq!(patched.body["managed_by"], json!({"owner": "terraform", "team": "billing"}), "managed_by merges");
    assert_eq!(patched.body["labels"], json!({"team": "payments"}));
    let replaced = app.put(&path, json!({"description": "Acme's billing system"})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["display_name"], "", "PUT resets what it leaves out");
    assert_eq!(replaced.body["metadata"], json!({}));
    assert_eq!(replaced.body["created_at"], created["created_at"]);

    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    let actions: Vec<&str> = events.body["data"].as_array().unwrap().iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(actions, ["principal.created", "principal.updated", "principal.updated"]);

    let elsewhere = directory(&app, "elsewhere").await;
    assert_eq!(app.get(&format!("/v2/directories/{elsewhere}/principals/{id}")).await.status, 404);
    let unknown_directory = uuid::Uuid::new_v4();
    let missing = app.post(&format!("/v2/directories/{unknown_directory}/principals"), json!({})).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["detail"], format!("Directory [{unknown_directory}] not found"));
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.patch(&path, json!({"description": "x"})).await.status, 404);
}

async fn principals_are_listed_by_cursor_with_kongs_filters(app: TestApp) {
    let dir = directory(&app, "fleet").await;
    for (name, env) in [("svc-b", "prod"), ("svc-a", "dev"), ("batch-c", "prod")] {
        principal(&app, &dir, json!({"display_name": name, "labels": {"env": env}})).await;
    }
    let base = format!("/v2/directories/{dir}/principals");
    let names = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|p| str_of(p, "display_name").to_owned()).collect()
    };
    let sorted = app.get(&format!("{base}?sort=display_name&page[size]=2")).await;
    assert_eq!(sorted.status, 200, "{}", sorted.text);
    assert_eq!(names(&sorted.body), ["batch-c", "svc-a"]);
    let next = app.get(str_of(&sorted.body["meta"]["page"], "next")).await;
    assert_eq!(names(&next.body), ["svc-b"]);
    let prod = app.get(&format!("{base}?filter[labels.env]=prod&sort=display_name")).await;
    assert_eq!(names(&prod.body), ["batch-c", "svc-b"]);
    let contains = app.get(&format!("{base}?filter[display_name][contains]=svc&sort=display_name desc")).await;
    assert_eq!(names(&contains.body), ["svc-b", "svc-a"]);
    assert_eq!(app.get(&format!("{base}?filter[metadata]=x")).await.status, 400);
    let other = directory(&app, "other").await;
    assert_eq!(app.get(&format!("/v2/directories/{other}/principals")).await.body["data"], json!([]));
}

async fn bad_principals_are_refused_field_by_field(app: TestApp) {
    let dir = directory(&app, "strict").await;
    let keys: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let cases = [
        (json!({"display_name": "x".repeat(256)}), "display_name", "max_length"),
        (json!({"description": 5}), "description", "is_string"),
        (json!({"metadata": keys}), "metadata", "max_items"),
        (json!({"metadata": {"ratio": 0.5}}), "metadata.ratio", "invalid"),
        (json!({"metadata": {"mixed": ["a", 1]}}), "metadata.mixed", "invalid"),
        (json!({"metadata": []}), "metadata", "is_object"),
        (json!({"labels": {"_x": "1"}}), "labels._x", "is_label"),
        (json!({"provisioned_by": "developer_portal"}), "provisioned_by", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let refused = app.post(&format!("/v2/directories/{dir}/principals"), body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }
}

/// Kong's `force`: a directory that holds principals goes only when asked to, and takes them.
async fn a_directory_with_principals_is_deleted_only_with_force(app: TestApp) {
    let dir = directory(&app, "occupied").await;
    let held = principal(&app, &dir, json!({"display_name": "tenant"})).await;
    let refused = app.delete(&format!("/v2/directories/{dir}")).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(app.delete(&format!("/v2/directories/{dir}?force=false")).await.status, 409);
    assert_eq!(app.get(&format!("/v2/directories/{dir}/principals/{}", str_of(&held, "id"))).await.status, 200);
    assert_eq!(app.delete(&format!("/v2/directories/{dir}?force=true")).await.status, 204);
    assert_eq!(app.get(&format!("/v2/directories/{dir}/principals/{}", str_of(&held, "id"))).await.status, 404);
}

backend_tests!(
    a_principal_is_created_read_changed_replaced_and_deleted,
    principals_are_listed_by_cursor_with_kongs_filters,
    bad_principals_are_refused_field_by_field,
    a_directory_with_principals_is_deleted_only_with_force
);
