//! `examples/nginx-gateway` as the README tells a newcomer to run it: real nginx (Debian's, with
//! `auth_request`) in front of an echo upstream, asking this test's Tessera. Skipped when nginx
//! is not installed, except under CI (where `.ci/run` installs it), where that is a failure.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, backend_tests, str_of};

fn nginx() -> Option<String> {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("nginx")).find(|path| path.is_file()));
    on_path
        .or_else(|| Some(std::path::PathBuf::from("/usr/sbin/nginx")).filter(|path| path.is_file()))
        .map(|path| path.to_string_lossy().into_owned())
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The API behind nginx: answers every request with the headers it received, as JSON.
async fn echo_upstream() -> String {
    use axum::http::HeaderMap;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let seen: HashMap<String, String> = headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        axum::Json(seen)
    });
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    address.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx started by the example's run.sh; stopped (and its workers with it) when dropped.
struct Nginx {
    child: std::process::Child,
    _prefix: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT would wait for connections; SIGTERM is nginx's fast shutdown of every worker.
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

async fn a_newcomer_puts_nginx_in_front_of_an_api_with_the_example(app: TestApp) {
    let Some(nginx) = nginx() else {
        assert!(!under_ci(), "nginx is not installed; .ci/run installs it (apt-get install nginx-light)");
        eprintln!("skipped: nginx is not installed");
        return;
    };
    // The README's steps: a directory, a principal with an API key and a basic-auth password, a
    // gateway credential for the directory.
    let directory = app.post("/v2/directories", json!({"name": "edge"})).await;
    let directory = str_of(&directory.body, "id").to_owned();
    let principal = app
        .post(
            &format!("/v2/directories/{directory}/principals"),
            json!({"display_name": "Acme Billing", "metadata": {"tier": "gold"}, "labels": {"team": "billing"}}),
        )
        .await;
    let principal = str_of(&principal.body, "id").to_owned();
    let keys = format!("/v2/directories/{directory}/principals/{principal}/api-keys");
    let key = app.post(&keys, json!({"type": "v1"})).await;
    let (api_key, key_id) = (str_of(&key.body, "secret").to_owned(), str_of(&key.body, "id").to_owned());
    let basic = app
        .post(
            &format!("/v2/directories/{directory}/principals/{principal}/basic-auths"),
            json!({"username": "billing"}),
        )
        .await;
    let passwords = format!(
        "/v2/directories/{directory}/principals/{principal}/basic-auths/{}/passwords",
        str_of(&basic.body, "id")
    );
    assert_eq!(app.post(&passwords, json!({"secret": "s3cret-pass"})).await.status, 201);
    let gateway = app
        .post("/v1/admin-credentials", json!({"name": "nginx", "role": "gateway", "directory_ids": [directory]}))
        .await;
    let gateway = str_of(&gateway.body, "token").to_owned();

    let upstream = echo_upstream().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let prefix = tempfile::tempdir().unwrap();
    let tessera = app.address.trim_start_matches("http://").to_owned();
    let child = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nginx-gateway/run.sh"))
        .env("NGINX_BIN", &nginx)
        .env("LISTEN", &listen)
        .env("TESSERA", &tessera)
        .env("UPSTREAM", &upstream)
        .env("DIRECTORY_ID", &directory)
        .env("GATEWAY_TOKEN", &gateway)
        .env("PREFIX", prefix.path())
        .spawn()
        .expect("run.sh starts nginx");
    let _nginx = Nginx { child, _prefix: prefix };
    let base = format!("http://{listen}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(&base).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "nginx listens on {listen}");
    let call = |headers: Vec<(&'static str, String)>| {
        let mut request = http.get(format!("{base}/invoices?month=11"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let forged = ("x-principal-id", "00000000-0000-0000-0000-000000000000".to_owned());
    assert_eq!(call(vec![]).await.0, 401, "no credential");
    assert_eq!(call(vec![("apikey", "tsk_wrong".to_owned()), forged.clone()]).await.0, 401, "a wrong key");
    let (status, seen) = call(vec![("apikey", api_key.clone()), forged.clone()]).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["x-principal-id"], principal.as_str(), "Tessera's answer, not the caller's header: {seen}");
    assert_eq!(seen["x-principal-name"], "Acme%20Billing");
    assert_eq!(
        serde_json::from_str::<Value>(seen["x-principal-metadata"].as_str().unwrap()).unwrap(),
        json!({"tier": "gold"})
    );
    assert_eq!(
        serde_json::from_str::<Value>(seen["x-principal-labels"].as_str().unwrap()).unwrap(),
        json!({"team": "billing"})
    );
    assert!(seen.get("apikey").is_none(), "the upstream never sees the key: {seen}");

    use base64::Engine as _;
    let pair = |password: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("billing:{password}")))
    };
    let (status, seen) = call(vec![("authorization", pair("s3cret-pass"))]).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["x-principal-id"], principal.as_str());
    assert!(seen.get("authorization").is_none(), "the upstream never sees the password: {seen}");
    assert_eq!(call(vec![("authorization", pair("wrong"))]).await.0, 401);
    assert_eq!(call(vec![("authorization", "Bearer some.jwt.token".to_owned())]).await.0, 401, "not a 500");

    // Deleting the key locks its caller out at the next request.
    assert_eq!(app.delete(&format!("{keys}/{key_id}")).await.status, 204);
    assert_eq!(call(vec![("apikey", api_key)]).await.0, 401, "a deleted key");
}

backend_tests!(a_newcomer_puts_nginx_in_front_of_an_api_with_the_example);
