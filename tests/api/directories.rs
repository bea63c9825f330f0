//! Kong Identity's v2 directories (README "Directories"): every answer is checked against
//! Kong's own schemas (openapi-v2.yaml) by `TestApp::send`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, backend_tests, str_of};

async fn create(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v2/directories", body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body
}

/// The life of a directory as Kong's API describes it: defaults on create, PATCH changes the
/// given fields, PUT resets the rest, the realm configuration is a resource of its own.
async fn a_directory_is_created_read_changed_replaced_and_deleted(app: TestApp) {
    let control_plane = uuid::Uuid::new_v4().to_string();
    let directory =
        create(&app, json!({"name": "prod-eu", "allowed_control_planes": [control_plane], "labels": {"env": "prod"}}))
            .await;
    let id = str_of(&directory, "id").to_owned();
    assert_eq!(directory["ttl_secs"], 600);
    assert_eq!(directory["negative_ttl_secs"], 600);
    assert_eq!(directory["description"], "");
    assert_eq!(directory["allow_all_control_planes"], false);
    assert_eq!(directory["managed_by"], json!({}));
    assert_eq!(app.get(&format!("/v2/directories/{id}")).await.body, directory);

    let patched =
        app.patch(&format!("/v2/directories/{id}"), json!({"ttl_secs": 3600, "allow_all_control_planes": true})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["ttl_secs"], 3600);
    assert_eq!(patched.body["labels"], json!({"env": "prod"}), "what the PATCH left out stays");
    let described = app.patch(&format!("/v2/directories/{id}"), json!({"description": "x"})).await;
    assert_eq!(described.status, 400, "Kong's UpdateDirectoryBody has no description");
    assert_eq!(described.rule_for("description").as_deref(), Some("unknown_property"));

    let realm = app.get(&format!("/v2/directories/{id}/realm-config")).await;
    assert_eq!(realm.body, json!({"ttl": 10, "negative_ttl": 10, "consumer_groups": []}));
    let put =
        app.put(&format!("/v2/directories/{id}/realm-config"), json!({"ttl": 30, "consumer_groups": ["gold"]})).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body, json!({"ttl": 30, "negative_ttl": 10, "consumer_groups": ["gold"]}));

    let replaced = app.put(&format!("/v2/directories/{id}"), json!({"name": "prod-eu", "description": "EU"})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["ttl_secs"], 600, "PUT resets what it leaves out");
    assert_eq!(replaced.body["labels"], json!({}));
    assert_eq!(replaced.body["allowed_control_planes"], json!([]));
    assert_eq!(replaced.body["created_at"], directory["created_at"]);
    assert_eq!(app.get(&format!("/v2/directories/{id}/realm-config")).await.body["ttl"], 30, "the realm is its own");

    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    let actions: Vec<&str> = events.body["data"].as_array().unwrap().iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(
        actions,
        ["directory.created", "directory.updated", "directory.realm_config_replaced", "directory.updated"]
    );

    assert_eq!(app.delete(&format!("/v2/directories/{id}?force=maybe")).await.status, 400);
    assert_eq!(app.delete(&format!("/v2/directories/{id}")).await.status, 204);
    assert_eq!(app.get(&format!("/v2/directories/{id}")).await.status, 404);
    assert_eq!(app.delete(&format!("/v2/directories/{id}")).await.status, 404);
    let patch_gone = app.patch(&format!("/v2/directories/{id}"), json!({"ttl_secs": 900})).await;
    assert_eq!(patch_gone.status, 404);
    assert_eq!(patch_gone.body["detail"], format!("Directory [{id}] not found"));
}

/// Cursor pages: `next` and `previous` are the paths of the neighbouring pages, and following
/// them visits every directory once, in the requested order.
async fn directories_page_by_cursor_in_the_requested_order(app: TestApp) {
    for name in ["b-dir", "c-dir", "a-dir"] {
        create(&app, json!({"name": name})).await;
    }
    let first = app.get("/v2/directories?page[size]=2&sort=name desc").await;
    assert_eq!(first.status, 200, "{}", first.text);
    let names = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|d| str_of(d, "name").to_owned()).collect()
    };
    assert_eq!(names(&first.body), ["c-dir", "b-dir"]);
    assert_eq!(first.body["meta"]["page"]["size"], 2);
    assert_eq!(first.body["meta"]["page"]["previous"], Value::Null);
    let next = str_of(&first.body["meta"]["page"], "next").to_owned();
    assert!(next.starts_with("/v2/directories?"), "{next}");
    let second = app.get(&next).await;
    assert_eq!(names(&second.body), ["a-dir"]);
    assert_eq!(second.body["meta"]["page"]["next"], Value::Null);
    let previous = str_of(&second.body["meta"]["page"], "previous").to_owned();
    assert_eq!(names(&app.get(&previous).await.body), ["c-dir", "b-dir"]);

    for query in ["page[after]=bm9wZQ", "page[number]=2", "page[size]=0", "sort=secret", "page[size]=x"] {
        let refused = app.get(&format!("/v2/directories?{query}")).await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.text);
    }
}

/// Every field as Kong's schema bounds it, each problem named in a Kong-shaped 400; names are
/// unique, with exactly one winner when two requests race.
async fn bad_directories_are_refused_field_by_field(app: TestApp) {
    let many: Vec<String> = (0..33).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let six: serde_json::Map<String, Value> = (0..6).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases = [
        (json!({}), "name", "required"),
        (json!({"name": "Prod"}), "name", "matches_regex"),
        (json!({"name": "a".repeat(256)}), "name", "max_length"),
        (json!({"name": "d", "description": "x".repeat(256)}), "description", "max_length"),
        (json!({"name": "d", "ttl_secs": 299}), "ttl_secs", "min"),
        (json!({"name": "d", "negative_ttl_secs": 86401}), "negative_ttl_secs", "max"),
        (json!({"name": "d", "ttl_secs": "600"}), "ttl_secs", "is_integer"),
        (json!({"name": "d", "allowed_control_planes": many}), "allowed_control_planes", "max_items"),
        (json!({"name": "d", "allowed_control_planes": ["cp"]}), "allowed_control_planes[0]", "is_uuid"),
        (json!({"name": "d", "labels": {"kong-x": "1"}}), "labels.kong-x", "is_label"),
        (json!({"name": "d", "managed_by": six}), "managed_by", "max_items"),
        (json!({"name": "d", "allow_all_control_planes": "yes"}), "allow_all_control_planes", "is_boolean"),
        (json!({"name": "d", "metadata": {}}), "metadata", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let refused = app.post("/v2/directories", body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }
    let realm_of = create(&app, json!({"name": "realm"})).await;
    let realm_path = format!("/v2/directories/{}/realm-config", str_of(&realm_of, "id"));
    for (body, field, rule) in [
        (json!({"ttl": 4}), "ttl", "min"),
        (json!({"consumer_groups": ["a", "a"]}), "consumer_groups[1]", "invalid"),
        (json!({"consumer_groups": [""]}), "consumer_groups[0]", "min_length"),
    ] {
        let refused = app.put(&realm_path, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }

    let racers = (0..8).map(|_| app.post("/v2/directories", json!({"name": "contested"})));
    let statuses: Vec<u16> = futures::future::join_all(racers).await.into_iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 409].contains(s)), "{statuses:?}");
    let other = create(&app, json!({"name": "other"})).await;
    let renamed = app.patch(&format!("/v2/directories/{}", str_of(&other, "id")), json!({"name": "contested"})).await;
    assert_eq!(renamed.status, 409);
    assert_eq!(renamed.body["detail"], "A directory named [contested] already exists");
}

backend_tests!(
    a_directory_is_created_read_changed_replaced_and_deleted,
    directories_page_by_cursor_in_the_requested_order,
    bad_directories_are_refused_field_by_field
);
