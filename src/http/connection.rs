//! A new connection must start talking within the header-read timeout.
//!
//! hyper's HTTP/1 header-read timer only starts once hyper-util's protocol detection has
//! seen bytes that are not the HTTP/2 preface; a client that connects and sends nothing (or
//! a trickle of the preface) would wait in that detection forever, holding a connection
//! slot. [`FirstBytes`] fails the connection's reads at the deadline until the protocol is
//! told apart; from then on hyper's own timers apply.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// RFC 9113 §3.4: what an HTTP/2 connection with prior knowledge starts with.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub struct FirstBytes {
    stream: TcpStream,
    /// Armed until the protocol can be told apart.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Bytes seen so far that match the HTTP/2 preface.
    matched: usize,
}

impl FirstBytes {
    pub fn new(stream: TcpStream, timeout: Duration) -> FirstBytes {
        FirstBytes { stream, deadline: Some(Box::pin(tokio::time::sleep(timeout))), matched: 0 }
    }

    /// Disarms the deadline once the bytes read cannot be, or complete, the HTTP/2 preface.
    fn saw(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if self.matched >= H2_PREFACE.len() || H2_PREFACE.get(self.matched) != Some(&byte) {
                self.deadline = None;
                return;
            }
            self.matched += 1;
        }
        if self.matched >= H2_PREFACE.len() {
            self.deadline = None;
        }
    }
}

impl AsyncRead for FirstBytes {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.deadline.is_some() {
                    let read = buf.filled().get(before..).unwrap_or_default().to_vec();
                    this.saw(&read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let expired = this.deadline.as_mut().is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
                if expired {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent no request within the header-read timeout",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for FirstBytes {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
