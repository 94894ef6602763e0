//! One SMTP connection: our tokio I/O loop around `mailin`'s protocol state
//! machine.
//!
//! `mailin` parses the commands (`EHLO`/`HELO`, `MAIL FROM`, several
//! `RCPT TO`, `DATA`, `RSET`, `NOOP`, `QUIT`), keeps the session state and
//! unstuffs the data lines (a leading `.` is removed, `.` alone ends the
//! message). This loop reads lines, bounds them, enforces the idle timeout
//! and writes the replies; [`Delivery`] bounds the message size and hands
//! each complete message to the [`Mailbox`].
//!
//! Limits ([`SmtpLimits`]):
//! - a line longer than `max_line_bytes` gets `500` and the connection is
//!   closed;
//! - a message over `max_message_bytes` is read to its end, then refused
//!   with `552` and the connection closed (`mailin` stays in its data state
//!   after a refused message, so the session cannot go on);
//! - more than `max_recipients` recipients get `452` each;
//! - no complete line within `idle_timeout` gets `421` and the connection is
//!   closed.
//!
//! A line ending in a bare LF is taken as ending in CRLF, so that a tester
//! typing into `nc` is understood.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::parse::{Envelope, received_mail};
use super::store::Mailbox;
use crate::clock::SharedClock;

/// The name the server gives itself in its greeting.
pub const SERVER_NAME: &str = "boite-aux-lettres.pivot.localhost";

/// Bounds of the SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmtpLimits {
    /// Largest message accepted, in bytes after `DATA` (default 1 MiB).
    pub max_message_bytes: usize,
    /// Longest line, CRLF included (default 8 KiB: RFC 5321 asks for at
    /// least 1000, and some senders go beyond).
    pub max_line_bytes: usize,
    /// Longest wait for a complete line from the client (default 60 s).
    pub idle_timeout: Duration,
    /// Most recipients of one message (default 100).
    pub max_recipients: usize,
    /// Most connections open at once (default 64); more get `421`.
    pub max_connections: usize,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 1024 * 1024,
            max_line_bytes: 8 * 1024,
            idle_timeout: Duration::from_secs(60),
            max_recipients: 100,
            max_connections: 64,
        }
    }
}

/// `mailin`'s handler for one connection: collects the envelope and the
/// data of the current message and delivers it at the end of `DATA`.
struct Delivery {
    mailbox: Mailbox,
    clock: SharedClock,
    limits: SmtpLimits,
    envelope: Envelope,
    recipients: usize,
    data: Vec<u8>,
    too_big: bool,
}

impl Delivery {
    fn new(mailbox: Mailbox, clock: SharedClock, limits: SmtpLimits) -> Self {
        Self {
            mailbox,
            clock,
            limits,
            envelope: Envelope::default(),
            recipients: 0,
            data: Vec::new(),
            too_big: false,
        }
    }
}

impl Handler for Delivery {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        // A new transaction: whatever RSET left behind is dropped here.
        self.envelope = Envelope {
            from: from.to_owned(),
            to: Vec::new(),
        };
        self.recipients = 0;
        mailin::response::OK
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        if self.recipients >= self.limits.max_recipients {
            return Response::custom(452, "4.5.3 Too many recipients".to_owned());
        }
        self.recipients += 1;
        mailin::response::OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.envelope = Envelope {
            from: from.to_owned(),
            to: to.to_vec(),
        };
        self.data.clear();
        self.too_big = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.too_big {
            return Ok(());
        }
        if self.data.len() + buf.len() > self.limits.max_message_bytes {
            // Keep reading to the final dot, but keep nothing.
            self.too_big = true;
            self.data = Vec::new();
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let data = std::mem::take(&mut self.data);
        if std::mem::take(&mut self.too_big) {
            let mut refused = Response::custom(
                552,
                format!(
                    "5.3.4 Message too big (at most {} bytes)",
                    self.limits.max_message_bytes
                ),
            );
            refused.action = Action::Close;
            return refused;
        }
        let received_at = self.clock.now().unix_timestamp();
        let mail = received_mail(std::mem::take(&mut self.envelope), &data, received_at);
        let id = self.mailbox.insert(mail);
        tracing::debug!(id, size = data.len(), "sandbox mailbox received a message");
        Response::custom(250, format!("2.0.0 OK: stored as message {id}"))
    }
}

/// What [`read_line`] got.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A complete line, in the buffer.
    Complete,
    /// The line is longer than allowed.
    TooLong,
    /// The client closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads one line, LF included, into `out` (cleared first), reading no more
/// than `max` bytes of it.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<Line> {
    out.clear();
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Line::Eof);
        }
        let (take, complete) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if out.len() + take > max {
            return Ok(Line::TooLong);
        }
        out.extend_from_slice(buf.get(..take).unwrap_or_default());
        reader.consume(take);
        if complete {
            return Ok(Line::Complete);
        }
    }
}

/// A line ending in a bare LF gets its CR: `mailin` wants CRLF.
fn crlf(line: &mut Vec<u8>) {
    if line.ends_with(b"\n") && !line.ends_with(b"\r\n") {
        line.pop();
        line.extend_from_slice(b"\r\n");
    }
}

async fn reply<W: AsyncWrite + Unpin>(out: &mut W, response: &Response) -> io::Result<()> {
    out.write_all(&response.buffer()?).await?;
    out.flush().await
}

/// Refuses a connection over the limit: `421` and close.
pub(super) async fn refuse_busy(mut stream: TcpStream) {
    let busy = Response::custom(
        421,
        "4.3.2 Too many connections, try again later".to_owned(),
    );
    // The client is turned away whether or not it hears why.
    let _ = reply(&mut stream, &busy).await;
}

/// Serves one SMTP connection until the client quits, the connection drops
/// or a limit closes it.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    mailbox: Mailbox,
    clock: SharedClock,
    limits: SmtpLimits,
) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut session =
        SessionBuilder::new(SERVER_NAME).build(peer.ip(), Delivery::new(mailbox, clock, limits));
    reply(&mut writer, &session.greeting()).await?;
    let mut line = Vec::with_capacity(1024);
    loop {
        let read = tokio::time::timeout(
            limits.idle_timeout,
            read_line(&mut reader, &mut line, limits.max_line_bytes),
        )
        .await;
        match read {
            Err(_elapsed) => {
                let timeout = Response::custom(
                    421,
                    "4.4.2 Idle for too long, closing connection".to_owned(),
                );
                return reply(&mut writer, &timeout).await;
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Line::Eof)) => return Ok(()),
            Ok(Ok(Line::TooLong)) => {
                let too_long = Response::custom(500, "5.5.2 Line too long".to_owned());
                return reply(&mut writer, &too_long).await;
            }
            Ok(Ok(Line::Complete)) => {}
        }
        crlf(&mut line);
        let response = session.process(&line);
        match response.action {
            Action::Reply => reply(&mut writer, &response).await?,
            Action::NoReply => {}
            // STARTTLS is never offered, so an upgrade is never asked for.
            Action::Close | Action::UpgradeTls => {
                reply(&mut writer, &response).await?;
                return writer.shutdown().await;
            }
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[tokio::test]
    async fn reads_bounded_lines() {
        let mut input: &[u8] = b"HELO a\r\nNOOP\nxxxxxxxxxxxxxxxxxxxx\r\nlast";
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut line, 16).await.unwrap(),
            Line::Complete
        );
        assert_eq!(line, b"HELO a\r\n");
        assert_eq!(
            read_line(&mut input, &mut line, 16).await.unwrap(),
            Line::Complete
        );
        crlf(&mut line);
        assert_eq!(line, b"NOOP\r\n");
        assert_eq!(
            read_line(&mut input, &mut line, 16).await.unwrap(),
            Line::TooLong
        );
    }

    #[tokio::test]
    async fn partial_last_line_is_end_of_input() {
        let mut input: &[u8] = b"QUI";
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut line, 16).await.unwrap(),
            Line::Eof
        );
    }
}
