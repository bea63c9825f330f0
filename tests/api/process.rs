//! The real `tessera` binary as a child process, for what is global to a process and so cannot
//! be tested in this one: the log subscriber and the trace exporter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::helpers::ADMIN_TOKEN;
use crate::spec::SPEC;

/// The real binary, logging JSON lines at every level; everything it writes is kept.
pub struct Server {
    child: tokio::process::Child,
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start(database_url: &str) -> Server {
        Server::start_with(database_url, &[]).await
    }

    /// Starts the binary with `env` added to its environment. No `OTEL_*` variable of this
    /// process reaches it: only those in `env`.
    pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("OTEL_")) {
            command.env_remove(name);
        }
        let mut child = command
            .env("TESSERA_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TESSERA_LOG", "trace")
            .env("TESSERA_LOG_FORMAT", "json")
            .env_remove("TESSERA_PUBLIC_URL")
            .env_remove("TESSERA_ISSUER_DOMAIN")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the tessera binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = tokio::sync::oneshot::channel();
        let address_tx = Arc::new(Mutex::new(Some(address_tx)));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let readers = vec![
            tokio::spawn(collect(stdout, output.clone(), address_tx.clone())),
            tokio::spawn(collect(stderr, output.clone(), address_tx)),
        ];
        let address = tokio::time::timeout(Duration::from_secs(60), address_rx)
            .await
            .unwrap_or_else(|_| panic!("no `tessera listening` line: {:?}", output.lock().unwrap()))
            .unwrap_or_else(|_| panic!("tessera exited: {:?}", output.lock().unwrap()));
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        Server { child, base: format!("http://{address}"), output, readers, http }
    }

    /// Sends a request and checks the answer against openapi.yaml, as `TestApp::send` does.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, HashMap<String, String>, Value) {
        let request = request.build().unwrap();
        let (method, path) = (request.method().as_str().to_owned(), request.url().path().to_owned());
        let response = self.http.execute(request).await.unwrap();
        let status = response.status().as_u16();
        let headers: HashMap<String, String> = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        let bytes = response.bytes().await.unwrap();
        let content_type = headers.get("content-type").map_or("", String::as_str);
        SPEC.check(&method, &path, status, content_type, &bytes).unwrap();
        let pairs: Vec<(String, String)> = headers.clone().into_iter().collect();
        SPEC.check_headers(&method, &path, status, &pairs).unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).bearer_auth(ADMIN_TOKEN)
    }

    /// Stops the process and returns everything it wrote.
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        self.output().await
    }

    /// Asks the process to stop as an orchestrator does (SIGTERM), waits for it to exit on its
    /// own, and returns everything it wrote.
    pub async fn terminate(mut self) -> String {
        let pid = self.child.id().expect("tessera is running").to_string();
        let sent = tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let exit = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        let status = exit.unwrap_or_else(|_| panic!("tessera did not stop on SIGTERM")).unwrap();
        let output = self.output().await;
        assert!(status.success(), "tessera exited with {status}: {output}");
        output
    }

    async fn output(&mut self) -> String {
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        self.output.lock().unwrap().join("\n")
    }
}

type AddressSender = Arc<Mutex<Option<tokio::sync::oneshot::Sender<String>>>>;

async fn collect(stream: impl AsyncRead + Unpin, output: Arc<Mutex<Vec<String>>>, address: AddressSender) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(event) = serde_json::from_str::<Value>(&line) {
            if event["message"] == "tessera listening" {
                if let Some(tx) = address.lock().unwrap().take() {
                    let _ = tx.send(event["address"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        output.lock().unwrap().push(line);
    }
}
