//! Tests of the sandbox mailbox: messages sent through the real SMTP
//! server (with `lettre`, as the broker sends them, and by hand on a raw
//! socket), the listener stopped and restarted, and the pages served
//! in-process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox as Address, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use time::macros::datetime;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tower::ServiceExt as _;

use super::*;
use crate::clock::{FixedClock, SharedClock};
use crate::web::Templates;

/// How long a test waits for anything over loopback.
const WAIT: Duration = Duration::from_secs(5);

fn clock() -> SharedClock {
    Arc::new(FixedClock::new(datetime!(2025-03-18 13:05:09 UTC)))
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn server_with(limits: SmtpLimits) -> (Mailbox, SmtpServer) {
    let mailbox = Mailbox::new();
    let smtp = SmtpServer::start_with_limits(any_port(), mailbox.clone(), clock(), limits)
        .await
        .unwrap();
    (mailbox, smtp)
}

async fn server() -> (Mailbox, SmtpServer) {
    let mailbox = Mailbox::new();
    let smtp = SmtpServer::start(any_port(), mailbox.clone(), clock())
        .await
        .unwrap();
    (mailbox, smtp)
}

fn transport(smtp: &SmtpServer) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.local_addr().port())
        .timeout(Some(WAIT))
        .build()
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn simple(subject: &str) -> Message {
    Message::builder()
        .from(addr("Pivot <ne-pas-repondre@pivot.test>"))
        .to(addr("renee.martin@example.org"))
        .subject(subject)
        .body(String::from("Bonjour."))
        .unwrap()
}

// ---------------------------------------------------------------- lettre

#[tokio::test]
async fn multipart_french_message_is_stored_decoded() {
    let (mailbox, smtp) = server().await;
    let text = "Bonjour Renée,\n\nUne connexion à votre compte a eu lieu le 18 mars à 14 h 05.\nSi ce n’était pas vous, signalez-le.\n";
    let html = "<p>Bonjour Renée,</p><p>Une connexion à votre compte a eu lieu.</p><p><a href=\"http://127.0.0.1:7000/signaler\">Ce n’était pas moi</a></p>";
    let message = Message::builder()
        .from(addr("Sécurité Pivot <securite@pivot.test>"))
        .to(addr("Renée Martin <renee.martin@example.org>"))
        .to(addr("jean.dupont@example.org"))
        .subject("Nouvelle connexion à votre compte — vérifiez qu’il s’agit bien de vous")
        .multipart(MultiPart::alternative_plain_html(
            text.to_owned(),
            html.to_owned(),
        ))
        .unwrap();
    transport(&smtp).send(message).await.unwrap();

    let [mail] = mailbox.messages().try_into().unwrap();
    assert_eq!(mail.id, 1);
    assert_eq!(
        mail.subject,
        "Nouvelle connexion à votre compte — vérifiez qu’il s’agit bien de vous"
    );
    assert_eq!(mail.from, "Sécurité Pivot <securite@pivot.test>");
    assert_eq!(
        mail.to,
        [
            "Renée Martin <renee.martin@example.org>",
            "jean.dupont@example.org"
        ]
    );
    assert_eq!(mail.envelope_from, "securite@pivot.test");
    assert_eq!(
        mail.envelope_to,
        ["renee.martin@example.org", "jean.dupont@example.org"]
    );
    assert_eq!(mail.text.replace("\r\n", "\n"), text);
    assert_eq!(mail.html.as_deref(), Some(html));
    assert_eq!(
        mail.received_at,
        datetime!(2025-03-18 13:05:09 UTC).unix_timestamp()
    );
    assert!(mail.raw_size > html.len() + text.len() / 2);
    assert!(mail.is_for("JEAN.DUPONT@example.org"));
    assert!(mail.is_for("renee.martin@example.org"));
    assert!(!mail.is_for("securite@pivot.test"));
}

#[tokio::test]
async fn dot_stuffed_line_arrives_unstuffed() {
    let (mailbox, smtp) = server().await;
    let message = Message::builder()
        .from(addr("ne-pas-repondre@pivot.test"))
        .to(addr("renee.martin@example.org"))
        .subject("Points")
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .header(lettre::message::header::ContentTransferEncoding::SevenBit)
                .body(String::from("avant\r\n.hello\r\n..deux\r\n.\r\napres\r\n")),
        )
        .unwrap();
    transport(&smtp).send(message).await.unwrap();
    let mail = mailbox.get(1).unwrap();
    // lettre ends the body with blank lines of its own.
    assert_eq!(
        mail.text.trim_end(),
        "avant\r\n.hello\r\n..deux\r\n.\r\napres"
    );
}

#[tokio::test]
async fn oversize_message_is_refused() {
    let limits = SmtpLimits {
        max_message_bytes: 64 * 1024,
        ..SmtpLimits::default()
    };
    let (mailbox, smtp) = server_with(limits).await;
    let line = "0123456789".repeat(7) + "\n";
    let big = Message::builder()
        .from(addr("ne-pas-repondre@pivot.test"))
        .to(addr("renee.martin@example.org"))
        .subject("Trop gros")
        .body(line.repeat(2000))
        .unwrap();
    let err = transport(&smtp).send(big).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.status().map(u16::from), Some(552));
    assert!(mailbox.is_empty());

    // The server carries on: a small message goes through.
    transport(&smtp).send(simple("Petit")).await.unwrap();
    assert_eq!(mailbox.messages()[0].subject, "Petit");
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let (mailbox, smtp) = server().await;
    let line = "0123456789".repeat(7) + "\n";
    let big = Message::builder()
        .from(addr("ne-pas-repondre@pivot.test"))
        .to(addr("renee.martin@example.org"))
        .subject("Trop gros")
        .body(line.repeat(16 * 1024))
        .unwrap();
    let err = transport(&smtp).send(big).await.unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(552));
    assert!(mailbox.is_empty());
}

#[tokio::test]
async fn stopped_server_refuses_connections_and_restarts_on_the_same_port() {
    let (mailbox, smtp) = server().await;
    let sender = transport(&smtp);
    sender.send(simple("Avant l’arrêt")).await.unwrap();
    // A connection left open (as a pool keeps one) is cut by the stop too.
    let mut idle = Client::connect(&smtp).await;

    smtp.stop().await;
    assert!(!smtp.is_running().await);
    let refused = TcpStream::connect(smtp.local_addr()).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(sender.send(simple("Pendant l’arrêt")).await.is_err());
    assert!(idle.closed().await);
    smtp.stop().await; // twice is fine

    smtp.restart().await.unwrap();
    assert!(smtp.is_running().await);
    smtp.restart().await.unwrap(); // twice is fine
    sender.send(simple("Après le retour")).await.unwrap();
    let subjects: Vec<_> = mailbox.messages().into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["Après le retour", "Avant l’arrêt"]);
}

#[tokio::test]
async fn wait_for_returns_the_awaited_mail() {
    let (mailbox, smtp) = server().await;
    let sender = transport(&smtp);
    sender.send(simple("Premier")).await.unwrap();
    let sending = tokio::spawn(async move {
        sender.send(simple("Deuxième")).await.unwrap();
    });
    let mail = mailbox
        .wait_for(|m| m.subject == "Deuxième", WAIT)
        .await
        .unwrap();
    assert_eq!(mail.id, 2);
    sending.await.unwrap();
    // Already there: found at once.
    let first = mailbox.wait_for(|m| m.subject == "Premier", WAIT).await;
    assert_eq!(first.map(|m| m.id), Some(1));
    // Never coming.
    let none = mailbox
        .wait_for(|m| m.subject == "Jamais", Duration::from_millis(50))
        .await;
    assert_eq!(none, None);
}

// ------------------------------------------------------------ raw socket

/// An SMTP client typing the protocol by hand.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    async fn connect(smtp: &SmtpServer) -> Self {
        let (r, w) = TcpStream::connect(smtp.local_addr())
            .await
            .unwrap()
            .into_split();
        let mut client = Self {
            reader: BufReader::new(r),
            writer: w,
        };
        client.expect(220).await;
        client
    }

    async fn send(&mut self, line: &str) {
        let line = format!("{line}\r\n");
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    /// Reads one reply (all its lines) and checks its code.
    async fn expect(&mut self, code: u16) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "connection closed, expected {code}; got {reply:?}");
            reply.push_str(&line);
            assert!(line.starts_with(&code.to_string()), "{reply:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                return reply;
            }
        }
    }

    async fn command(&mut self, line: &str, code: u16) -> String {
        self.send(line).await;
        self.expect(code).await
    }

    /// Whether the server has closed the connection.
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(WAIT, self.reader.read_to_end(&mut rest)).await,
            Ok(Ok(_)) | Ok(Err(_))
        )
    }
}

#[tokio::test]
async fn speaks_the_protocol() {
    let (mailbox, smtp) = server().await;
    let mut c = Client::connect(&smtp).await;
    let ehlo = c.command("EHLO client.example", 250).await;
    assert!(ehlo.contains("8BITMIME"), "{ehlo}");
    c.command("NOOP", 250).await;
    c.command("DATA", 503).await;
    c.command("MAIL FROM:<a@pivot.test>", 250).await;
    c.command("RCPT TO:<oublie@example.org>", 250).await;
    c.command("RSET", 250).await;
    c.command("MAIL FROM:<b@pivot.test>", 250).await;
    c.command("RCPT TO:<un@example.org>", 250).await;
    c.command("RCPT TO:<deux@example.org>", 250).await;
    c.command("DATA", 354).await;
    for line in ["Subject: essai", "", "..hello", "...", "fin"] {
        c.send(line).await;
    }
    let stored = c.command(".", 250).await;
    assert!(stored.contains("message 1"), "{stored}");
    // Another message on the same connection.
    c.command("MAIL FROM:<b@pivot.test>", 250).await;
    c.command("RCPT TO:<trois@example.org>", 250).await;
    c.command("DATA", 354).await;
    c.send("Subject: encore\r\n\r\ncorps\r\n.").await;
    c.expect(250).await;
    c.command("QUIT", 221).await;
    assert!(c.closed().await);

    let first = mailbox.get(1).unwrap();
    assert_eq!(first.envelope_from, "b@pivot.test");
    assert_eq!(first.envelope_to, ["un@example.org", "deux@example.org"]);
    assert_eq!(first.subject, "essai");
    assert_eq!(first.text, ".hello\r\n..\r\nfin\r\n");
    let second = mailbox.get(2).unwrap();
    assert_eq!(second.envelope_to, ["trois@example.org"]);
    assert_eq!(second.text, "corps\r\n");
}

#[tokio::test]
async fn helo_and_bare_line_feeds_are_understood() {
    let (mailbox, smtp) = server().await;
    let mut c = Client::connect(&smtp).await;
    c.writer
        .write_all(b"HELO nc\nMAIL FROM:<a@pivot.test>\nRCPT TO:<b@example.org>\nDATA\nSubject: nc\n\ntexte\n.\nQUIT\n")
        .await
        .unwrap();
    for code in [250, 250, 250, 354, 250, 221] {
        c.expect(code).await;
    }
    assert_eq!(mailbox.get(1).unwrap().subject, "nc");
}

#[tokio::test]
async fn too_many_recipients_are_refused() {
    let limits = SmtpLimits {
        max_recipients: 2,
        ..SmtpLimits::default()
    };
    let (_, smtp) = server_with(limits).await;
    let mut c = Client::connect(&smtp).await;
    c.command("EHLO client.example", 250).await;
    c.command("MAIL FROM:<a@pivot.test>", 250).await;
    c.command("RCPT TO:<un@example.org>", 250).await;
    c.command("RCPT TO:<deux@example.org>", 250).await;
    c.command("RCPT TO:<trois@example.org>", 452).await;
    // A new transaction starts a new count.
    c.command("RSET", 250).await;
    c.command("MAIL FROM:<a@pivot.test>", 250).await;
    c.command("RCPT TO:<un@example.org>", 250).await;
}

#[tokio::test]
async fn too_long_line_closes_the_connection() {
    let (_, smtp) = server().await;
    let mut c = Client::connect(&smtp).await;
    c.send(&format!("EHLO {}", "a".repeat(10_000))).await;
    c.expect(500).await;
    assert!(c.closed().await);
}

#[tokio::test]
async fn idle_client_is_disconnected() {
    let limits = SmtpLimits {
        idle_timeout: Duration::from_millis(100),
        ..SmtpLimits::default()
    };
    let (_, smtp) = server_with(limits).await;
    let mut c = Client::connect(&smtp).await;
    c.command("EHLO client.example", 250).await;
    let reply = c.expect(421).await;
    assert!(reply.contains("Idle"), "{reply}");
    assert!(c.closed().await);
}

#[tokio::test]
async fn connections_over_the_limit_are_turned_away() {
    let limits = SmtpLimits {
        max_connections: 1,
        ..SmtpLimits::default()
    };
    let (_, smtp) = server_with(limits).await;
    let mut first = Client::connect(&smtp).await;
    let (r, _w) = TcpStream::connect(smtp.local_addr())
        .await
        .unwrap()
        .into_split();
    let mut busy = String::new();
    BufReader::new(r).read_line(&mut busy).await.unwrap();
    assert!(busy.starts_with("421 "), "{busy}");
    first.command("NOOP", 250).await;
}

// ----------------------------------------------------------------- store

fn sample(subject: &str, to: &str) -> ReceivedMail {
    ReceivedMail {
        id: 0,
        received_at: datetime!(2025-03-18 13:05:09 UTC).unix_timestamp(),
        envelope_from: "ne-pas-repondre@pivot.test".into(),
        envelope_to: vec![to.into()],
        from: "Pivot <ne-pas-repondre@pivot.test>".into(),
        to: vec![to.into()],
        subject: subject.into(),
        text: "Bonjour.".into(),
        html: None,
        raw_size: 100,
    }
}

#[test]
fn mailbox_keeps_the_newest_messages() {
    let mailbox = Mailbox::with_capacity(2);
    for s in ["un", "deux", "trois"] {
        mailbox.insert(sample(s, "a@example.org"));
    }
    let kept: Vec<_> = mailbox
        .messages()
        .into_iter()
        .map(|m| (m.id, m.subject))
        .collect();
    assert_eq!(kept, [(3, "trois".to_owned()), (2, "deux".to_owned())]);
    assert_eq!(mailbox.get(1), None);
    mailbox.clear();
    assert!(mailbox.is_empty());
    assert_eq!(mailbox.insert(sample("quatre", "a@example.org")), 4);
}

// ----------------------------------------------------------------- pages

async fn site() -> (Mailbox, SmtpServer, axum::Router) {
    let (mailbox, smtp) = server().await;
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    let app = router(mailbox.clone(), smtp.clone(), templates);
    (mailbox, smtp, app)
}

async fn call(app: &axum::Router, method: &str, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap(), csp)
}

#[tokio::test]
async fn list_page_shows_the_messages_newest_first() {
    let (mailbox, _smtp, app) = site().await;
    let (status, body, _) = call(&app, "GET", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("id=\"empty\""));
    assert!(body.contains("data-smtp-running=\"true\""));

    mailbox.insert(sample("Première <alerte>", "renee@example.org"));
    mailbox.insert(sample(
        "Nouvelle connexion à votre compte",
        "jean@example.org",
    ));
    let (status, body, _) = call(&app, "GET", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html lang=\"fr\""));
    assert!(body.contains("href=\"/mails/1\""));
    assert!(body.contains("href=\"/mails/2\""));
    // Paris time; minijinja escapes the slashes.
    assert!(body.contains("18&#x2f;03&#x2f;2025 à 14:05:09"), "{body}");
    assert!(body.contains("Première &lt;alerte&gt;"));
    let newer = body.find("Nouvelle connexion à votre compte").unwrap();
    let older = body.find("Première &lt;alerte&gt;").unwrap();
    assert!(newer < older);
}

#[tokio::test]
async fn detail_page_shows_html_only_inside_a_sandboxed_frame() {
    let (mailbox, _smtp, app) = site().await;
    let mut mail = sample("Signalement reçu", "renee@example.org");
    mail.text = "Bonjour <b>Renée</b>,\nvotre signalement est enregistré.".into();
    mail.html = Some(
        "<p onclick=\"x()\">Bonjour</p><script>alert(\"piégé\")</script><a href=\"http://127.0.0.1:7000/x\">lien</a>"
            .into(),
    );
    let id = mailbox.insert(mail);
    let (status, body, csp) = call(&app, "GET", &format!("/mails/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1 id=\"subject\">Signalement reçu</h1>"));
    assert!(body.contains("Bonjour &lt;b&gt;Renée&lt;&#x2f;b&gt;,\nvotre signalement"));
    // The HTML part is only the escaped value of srcdoc.
    assert!(!body.contains("<script>alert"));
    assert!(!body.contains("<p onclick"));
    assert!(!body.contains("<a href=\"http://127.0.0.1:7000/x\""));
    let frame = body
        .lines()
        .find(|l| l.contains("<iframe"))
        .expect("a frame");
    assert!(frame.contains(" sandbox=\"allow-popups allow-popups-to-escape-sandbox\" "));
    assert!(frame.contains("srcdoc=\"&lt;base target=&quot;_blank&quot;&gt;&lt;p onclick="));
    assert!(frame.contains("&lt;script&gt;alert(&quot;piégé&quot;)&lt;&#x2f;script&gt;"));
    assert!(!frame.contains("allow-scripts"));
    assert!(!frame.contains("allow-same-origin"));
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn text_only_message_has_no_frame() {
    let (mailbox, _smtp, app) = site().await;
    let id = mailbox.insert(sample("Texte seul", "renee@example.org"));
    let (status, body, _) = call(&app, "GET", &format!("/mails/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("<iframe"));
    assert!(body.contains("<pre id=\"text\" style=\"white-space: pre-wrap\">Bonjour.</pre>"));
}

#[tokio::test]
async fn unknown_message_is_not_found() {
    let (_mailbox, _smtp, app) = site().await;
    for uri in ["/mails/999", "/mails/abc", "/nulle-part"] {
        let (status, body, _) = call(&app, "GET", uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(body.contains("Message introuvable"), "{uri}");
    }
    for uri in ["/api/mails/999", "/api/mails/abc", "/api/nulle-part"] {
        let (status, body, _) = call(&app, "GET", uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "not_found", "{uri}");
    }
}

#[tokio::test]
async fn json_api_lists_gets_filters_and_clears() {
    let (mailbox, _smtp, app) = site().await;
    mailbox.insert(sample("Pour Renée", "renee@example.org"));
    let mut html = sample("Pour Jean", "Jean Dupont <jean@example.org>");
    html.html = Some("<p>Bonjour</p>".into());
    mailbox.insert(html);

    let at = datetime!(2025-03-18 13:05:09 UTC).unix_timestamp();
    let (status, body, _) = call(&app, "GET", "/api/mails").await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        list,
        serde_json::json!([
            {
                "id": 2,
                "received_at": at,
                "envelope_from": "ne-pas-repondre@pivot.test",
                "envelope_to": ["Jean Dupont <jean@example.org>"],
                "from": "Pivot <ne-pas-repondre@pivot.test>",
                "to": ["Jean Dupont <jean@example.org>"],
                "subject": "Pour Jean",
                "text": "Bonjour.",
                "html": "<p>Bonjour</p>",
                "raw_size": 100
            },
            {
                "id": 1,
                "received_at": at,
                "envelope_from": "ne-pas-repondre@pivot.test",
                "envelope_to": ["renee@example.org"],
                "from": "Pivot <ne-pas-repondre@pivot.test>",
                "to": ["renee@example.org"],
                "subject": "Pour Renée",
                "text": "Bonjour.",
                "html": null,
                "raw_size": 100
            }
        ])
    );

    let (_, body, _) = call(&app, "GET", "/api/mails?to=JEAN@example.org").await;
    let filtered: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["subject"], "Pour Jean");

    let (status, body, _) = call(&app, "GET", "/api/mails/1").await;
    assert_eq!(status, StatusCode::OK);
    let one: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(one["subject"], "Pour Renée");

    let (status, _, _) = call(&app, "DELETE", "/api/mails").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(mailbox.is_empty());
    let (_, body, _) = call(&app, "GET", "/api/mails").await;
    assert_eq!(body, "[]");
}

#[tokio::test]
async fn smtp_can_be_stopped_and_started_over_http() {
    let (_mailbox, smtp, app) = site().await;
    let address = smtp.local_addr().to_string();

    let (status, body, _) = call(&app, "POST", "/api/smtp/stop").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "running": false, "address": address })
    );
    assert!(TcpStream::connect(smtp.local_addr()).await.is_err());
    let (_, page, _) = call(&app, "GET", "/").await;
    assert!(page.contains("data-smtp-running=\"false\""));
    assert!(page.contains("Le serveur SMTP est arrêté"));

    let (status, body, _) = call(&app, "POST", "/api/smtp/start").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "running": true, "address": address })
    );
    transport(&smtp).send(simple("De retour")).await.unwrap();
    let (_, body, _) = call(&app, "GET", "/api/smtp").await;
    assert!(body.contains("\"running\":true"));
}

#[test]
fn templates_are_part_of_the_binary() {
    crate::app::templates().unwrap();
}
