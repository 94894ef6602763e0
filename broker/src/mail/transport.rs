//! Sending one mail: the [`MailTransport`] trait and its SMTP implementation.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
    transport::smtp::authentication::Credentials,
};
use time::OffsetDateTime;

use super::{MailConfig, MailError};
use crate::{clock::SharedClock, storage::NewMail};

/// Something that delivers a mail (SMTP in production, fakes in tests).
#[async_trait]
pub trait MailTransport: Send + Sync + std::fmt::Debug {
    /// Sends `mail` from the `from` mailbox.
    ///
    /// # Errors
    /// Fails when the mail cannot be built or was not accepted.
    async fn send(&self, mail: &NewMail, from: &str) -> Result<(), MailError>;
}

/// Sends through an SMTP server (lettre, connection pool, TLS as the URL
/// says).
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    clock: SharedClock,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport").finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// A transport to the server of `cfg`; the `Date` header is read from
    /// `clock`. Nothing is connected until the first mail.
    ///
    /// # Errors
    /// Fails when the URL is not a valid SMTP URL.
    pub fn new(cfg: &MailConfig, clock: SharedClock) -> Result<Self, MailError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.smtp_url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
        match (&cfg.smtp_user, &cfg.smtp_password) {
            (Some(user), Some(password)) => {
                builder =
                    builder.credentials(Credentials::new(user.clone(), password.expose().into()));
            }
            (None, None) => {}
            _ => {
                return Err(MailError::Config(
                    "smtp_user and smtp_password go together".into(),
                ));
            }
        }
        Ok(Self {
            inner: builder.build(),
            clock,
        })
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, mail: &NewMail, from: &str) -> Result<(), MailError> {
        let message = build_message(mail, from, self.clock.now())?;
        self.inner.send(message).await?;
        Ok(())
    }
}

/// The `Auto-Submitted: auto-generated` header (RFC 3834): auto-responders
/// must not answer.
#[derive(Clone, Copy, Debug)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("auto-generated") {
            Ok(Self)
        } else {
            Err("unsupported Auto-Submitted value".into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Builds the MIME message: `multipart/alternative` with a UTF-8 plain-text
/// and an HTML part, dated `at`, with a `Message-ID` in the sender's domain.
///
/// # Errors
/// Fails when an address does not parse.
pub fn build_message(mail: &NewMail, from: &str, at: OffsetDateTime) -> Result<Message, MailError> {
    let from: Mailbox = from.parse()?;
    let to: Mailbox = mail.recipient.parse()?;
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .date(SystemTime::from(at))
        .message_id(Some(message_id))
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::macros::datetime;
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
        sync::mpsc,
    };

    use super::*;
    use crate::clock::FixedClock;

    /// What the fake SMTP server saw of one mail.
    #[derive(Debug, Default)]
    struct Captured {
        mail_from: String,
        rcpt_to: Vec<String>,
        data: String,
    }

    /// A minimal SMTP server: accepts connections, answers every command and
    /// sends each mail's envelope and DATA to the channel.
    async fn fake_smtp() -> (u16, mpsc::UnboundedReceiver<Captured>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    w.write_all(b"220 fake.example ESMTP\r\n").await.unwrap();
                    let mut cur = Captured::default();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let cmd = line.trim_end().to_owned();
                        let upper = cmd.to_ascii_uppercase();
                        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            w.write_all(b"250-fake.example\r\n250 8BITMIME\r\n")
                                .await
                                .unwrap();
                        } else if upper.starts_with("MAIL FROM:") {
                            cur.mail_from = cmd[10..].to_owned();
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        } else if upper.starts_with("RCPT TO:") {
                            cur.rcpt_to.push(cmd[8..].to_owned());
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        } else if upper == "DATA" {
                            w.write_all(b"354 go ahead\r\n").await.unwrap();
                            loop {
                                line.clear();
                                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                cur.data.push_str(&line);
                            }
                            w.write_all(b"250 queued\r\n").await.unwrap();
                            tx.send(std::mem::take(&mut cur)).unwrap();
                        } else if upper == "QUIT" {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        } else {
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        }
                    }
                });
            }
        });
        (port, rx)
    }

    fn mail() -> NewMail {
        NewMail {
            kind: "connection_alert".into(),
            recipient: "Camille Martin <camille@example.org>".into(),
            subject: "Alerte de connexion au service Impôts avec FranceConnect".into(),
            text: "Bonjour,\nvous vous êtes connecté à Impôts.\n".into(),
            html: "<p>Bonjour,</p><p>vous vous êtes connecté à Impôts.</p>".into(),
        }
    }

    #[tokio::test]
    async fn smtp_transport_delivers_both_parts() {
        let (port, mut rx) = fake_smtp().await;
        let clock = FixedClock::new(datetime!(2026-11-23 13:05 UTC));
        let cfg = MailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "FranceConnect <ne-pas-repondre@franceconnect.example>",
            "support@franceconnect.example",
        );
        let t = SmtpTransport::new(&cfg, Arc::new(clock)).unwrap();
        t.send(&mail(), &cfg.from).await.unwrap();

        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.mail_from, "<ne-pas-repondre@franceconnect.example>");
        assert_eq!(got.rcpt_to, vec!["<camille@example.org>".to_owned()]);

        let parsed = mail_parser::MessageParser::default()
            .parse(got.data.as_bytes())
            .unwrap();
        assert_eq!(
            parsed.subject(),
            Some("Alerte de connexion au service Impôts avec FranceConnect")
        );
        assert_eq!(
            parsed
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address()),
            Some("camille@example.org")
        );
        assert_eq!(
            parsed.body_text(0).as_deref(),
            // Lines end with CRLF on the wire.
            Some("Bonjour,\r\nvous vous êtes connecté à Impôts.\r\n")
        );
        assert!(
            parsed
                .body_html(0)
                .unwrap()
                .contains("<p>vous vous êtes connecté à Impôts.</p>")
        );
        assert!(got.data.contains("multipart/alternative"));
        assert!(got.data.contains("text/plain; charset=utf-8"));
        assert!(got.data.contains("text/html; charset=utf-8"));
        assert!(got.data.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(
            got.data
                .contains("Date: Mon, 23 Nov 2026 13:05:00 +0000\r\n")
        );
        assert!(
            parsed
                .message_id()
                .unwrap()
                .ends_with("@franceconnect.example")
        );
    }

    #[tokio::test]
    async fn unreachable_server_is_an_smtp_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut cfg = MailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "a@franceconnect.example",
            "s@franceconnect.example",
        );
        cfg.timeout_secs = 2;
        let clock = FixedClock::new(datetime!(2026-11-23 13:05 UTC));
        let t = SmtpTransport::new(&cfg, Arc::new(clock)).unwrap();
        let err = t.send(&mail(), &cfg.from).await.unwrap_err();
        assert!(matches!(err, MailError::Smtp(_)), "{err:?}");
        assert!(!err.is_permanent());
    }

    #[test]
    fn bad_urls_and_addresses_are_rejected() {
        let clock: SharedClock = Arc::new(FixedClock::new(datetime!(2026-11-23 13:05 UTC)));
        let cfg = MailConfig::new("http://x", "a@b.example", "c@d.example");
        assert!(matches!(
            SmtpTransport::new(&cfg, clock.clone()),
            Err(MailError::Config(_))
        ));
        let mut m = mail();
        m.recipient = "not an address".into();
        let err = build_message(&m, "a@b.example", clock.now()).unwrap_err();
        assert!(err.is_permanent());
    }
}
