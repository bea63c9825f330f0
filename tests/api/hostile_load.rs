//! Clients that try to hold the server: slow or silent connections, and more of them than it
//! serves at once.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, backend_fns};

/// Connects and sends the start of a request whose header never ends.
async fn trickle(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Slow: ").await.unwrap();
    stream
}

/// Reads until the server closes the connection; what it sent, if anything.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.unwrap_or_default();
    String::from_utf8_lossy(&received).into_owned()
}

async fn a_client_that_never_finishes_its_header_is_disconnected(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.header_read_timeout_seconds = 1).await;
    let mut slow = trickle(&app).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), until_closed(&mut slow)).await;
    let answer = closed.expect("the server closes a connection whose header never ends");
    assert!(!answer.contains("200 OK"), "{answer}");
    // The server itself is unharmed.
    assert_eq!(app.get("/healthz").await.status, 200);
    app.stop().await;
}

async fn past_the_connection_limit_a_new_connection_waits_for_a_free_slot(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.max_connections = 1;
        s.header_read_timeout_seconds = 3;
    })
    .await;
    let mut holder = trickle(&app).await;
    let mut waiting = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    waiting.write_all(b"GET /healthz HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(1), waiting.read(&mut first)).await;
    assert!(early.is_err(), "served while the only slot was held");
    // The holder is dropped at its header timeout; then the waiting request is served.
    let answer = tokio::time::timeout(Duration::from_secs(15), until_closed(&mut waiting)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let held = tokio::time::timeout(Duration::from_secs(1), until_closed(&mut holder)).await;
    assert!(held.is_ok(), "the holder was closed first");
    app.stop().await;
}

backend_fns!(
    a_client_that_never_finishes_its_header_is_disconnected,
    past_the_connection_limit_a_new_connection_waits_for_a_free_slot
);
