//! A real browser for the console's tests: headless Chromium driven over WebDriver by
//! `fantoccini`, through Debian's `chromedriver`. Each [`Browser`] has its own chromedriver and
//! browser profile, and at most two run at once (these machines have two cores). Without
//! Chromium the browser tests are skipped with a note, except under `CI=true`, where they fail.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

static SESSIONS: LazyLock<std::sync::Arc<Semaphore>> = LazyLock::new(|| std::sync::Arc::new(Semaphore::new(2)));

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn program(variable: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    path.exists().then_some(path)
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    driver_port: u16,
    session: String,
    _profile: tempfile::TempDir,
    _permit: OwnedSemaphorePermit,
}

/// A fresh headless Chromium, or `None` (with a note) when this machine has none. Under CI a
/// missing browser fails the test: `.ci/run` installs it.
pub async fn browser() -> Option<Browser> {
    let (Some(chromium), Some(chromedriver)) =
        (program("TESSERA_CHROMIUM", "/usr/bin/chromium"), program("TESSERA_CHROMEDRIVER", "/usr/bin/chromedriver"))
    else {
        assert!(
            !under_ci(),
            "CI needs Chromium and chromedriver for the console's browser tests (.ci/run installs them)"
        );
        eprintln!("skipped: no /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)");
        return None;
    };
    let permit = SESSIONS.clone().acquire_owned().await.expect("semaphore open");
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < PATIENCE, "chromedriver did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().expect("a profile directory");
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                     format!("--user-data-dir={}", profile.path().display())],
        },
        // Every console message, CSP violations included, for `problems`.
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let Value::Object(capabilities) = capabilities else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    let session = client.session_id().await.expect("session id").expect("a session");
    Some(Browser { client, driver, driver_port: port, session, _profile: profile, _permit: permit })
}

/// Chromium's legacy log endpoint, which chromedriver still serves: the console messages since
/// the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no {css} on the page after {PATIENCE:?}: {e}\n{}", self.describe().await),
        }
    }

    /// Whether an element matching `css` is on the page now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.unwrap_or_default().is_empty()
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let started = Instant::now();
        while self.exists(css).await {
            assert!(started.elapsed() < PATIENCE, "{css} is still on the page\n{}", self.describe().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        // Centred first: scrolled only to the edge, it would sit under the sticky header. A
        // button still being enabled is retried.
        if let Ok(handle) = serde_json::to_value(&element) {
            let _ = self.client.execute("arguments[0].scrollIntoView({block: 'center'})", vec![handle]).await;
        }
        let started = Instant::now();
        loop {
            match element.click().await {
                Ok(()) => return,
                Err(e) if started.elapsed() < PATIENCE => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}\n{}", self.describe().await),
            }
        }
    }

    /// Clicks the label that reads `text` inside the form `#form_id` (ticking its checkbox).
    pub async fn click_label(&self, form_id: &str, text: &str) {
        let xpath = format!("//form[@id='{form_id}']//label[normalize-space()='{text}']");
        let label = match self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await {
            Ok(label) => label,
            Err(e) => panic!("no label {text:?} in #{form_id}: {e}\n{}", self.describe().await),
        };
        label.click().await.unwrap_or_else(|e| panic!("cannot click the label {text:?}: {e}"));
    }

    /// Waits until the page has rendered: no loading indicator left in the console's `#app`.
    pub async fn wait_loaded(&self) {
        self.find("#app > *").await;
        self.wait_gone("#app .loading").await;
    }

    /// Replaces the value of the field matching `css` with `text`, as typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("cannot clear {css}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_else(|e| panic!("cannot read {css}: {e}"))
    }

    /// Waits until the text of the element matching `css` contains `expected`; returns the text.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
                && text.contains(expected)
            {
                return text;
            }
            if started.elapsed() > PATIENCE {
                panic!("{css} never said {expected:?}\n{}", self.describe().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element matching `css` has `attribute` equal to one of `values`.
    pub async fn wait_for_attribute(&self, css: &str, attribute: &str, values: &[&str]) -> String {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(Some(value)) = element.attr(attribute).await
                && values.contains(&value.as_str())
            {
                return value;
            }
            if started.elapsed() > PATIENCE {
                panic!("{css}[{attribute}] never became one of {values:?}\n{}", self.describe().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` in the page (as a function body; `arguments` holds `args`).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// `fetch` from the page with the session's CSRF token (read from `GET /console/session`,
    /// as the console does) unless `csrf` is false: returns the status.
    pub async fn fetch_as_console(&self, method: &str, path: &str, body: Value, csrf: bool) -> u16 {
        let script = "const [method, path, body, csrf, done] = arguments;
            fetch('/console/session', {credentials: 'same-origin'}).then(r => r.json()).then(session => {
              const headers = {'Content-Type': 'application/json'};
              if (csrf) headers['X-CSRF-Token'] = session.csrf_token;
              return fetch(path, {method, headers, credentials: 'same-origin', body: body === null ? undefined : JSON.stringify(body)});
            }).then(r => done(r.status), e => done(String(e)));";
        let status = self
            .client
            .execute_async(script, vec![json!(method), json!(path), body, json!(csrf)])
            .await
            .unwrap_or_else(|e| panic!("fetch failed: {e}"));
        status.as_u64().unwrap_or_else(|| panic!("fetch {method} {path}: {status}")) as u16
    }

    /// The console messages since the last call that mean something is broken: errors and CSP
    /// violations. A 4xx answer to a request is not one: the console shows those as intended.
    pub async fn problems(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.expect("the browser log");
        log.as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let level = entry["level"].as_str().unwrap_or_default();
                let message = entry["message"].as_str().unwrap_or_default().to_owned();
                let csp = message.contains("Content Security Policy");
                let answered_4xx = message.contains("the server responded with a status of 4");
                ((level == "SEVERE" && !answered_4xx) || csp).then_some(message)
            })
            .collect()
    }

    pub async fn assert_no_problems(&self, where_: &str) {
        let problems = self.problems().await;
        assert!(problems.is_empty(), "{where_}: the browser console shows problems: {problems:#?}");
    }

    /// Saves a screenshot to `docs/console/<name>.png` when `TESSERA_SCREENSHOTS` is set (how
    /// the README's pictures are made); otherwise does nothing.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var_os("TESSERA_SCREENSHOTS").is_none() {
            return;
        }
        // A picture of the page, not of the notices that fade from it.
        self.execute("document.querySelectorAll('.toast').forEach(t => t.remove())", vec![]).await;
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console");
        std::fs::create_dir_all(&dir).expect("docs/console");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    /// Scrolls the first element matching `css` to the top of the window.
    pub async fn scroll_to(&self, css: &str) {
        let element = self.find(css).await;
        let handle = serde_json::to_value(&element).expect("an element reference");
        self.execute("arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -80)", vec![handle]).await;
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("window resized");
    }

    /// Where the page is and what it shows, for a failure message.
    async fn describe(&self) -> String {
        let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(2000).collect();
        format!("at {url}, the page says:\n{text}")
    }
}

impl Drop for Browser {
    /// Ends the WebDriver session (which quits Chromium) and stops chromedriver, even when a
    /// test panicked: a plain blocking request, as no runtime can be relied on here.
    fn drop(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver_port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
