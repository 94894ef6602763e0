use std::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use time::macros::datetime;
use tokio::sync::mpsc;

use super::*;
use crate::{
    clock::{Clock, FixedClock},
    storage::{OutboxRepo, OutboxStats, sqlite::SqliteStorage},
};

/// A transport that fails while told to, and reports each delivered mail
/// on a channel.
#[derive(Debug)]
struct FakeTransport {
    failing: AtomicBool,
    attempts: Mutex<Vec<String>>,
    tx: mpsc::UnboundedSender<NewMail>,
}

impl FakeTransport {
    fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<NewMail>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let t = Arc::new(Self {
            failing: AtomicBool::new(false),
            attempts: Mutex::new(Vec::new()),
            tx,
        });
        (t, rx)
    }

    fn fail(&self, yes: bool) {
        self.failing.store(yes, Ordering::SeqCst);
    }

    fn attempts(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }
}

#[async_trait]
impl MailTransport for FakeTransport {
    async fn send(&self, mail: &NewMail, from: &str) -> Result<(), MailError> {
        self.attempts.lock().unwrap().push(from.to_owned());
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::Other(format!(
                "451 4.3.0 <{}> temporarily refused",
                mail.recipient
            )));
        }
        let _ = self.tx.send(mail.clone());
        Ok(())
    }
}

struct Fixture {
    outbox: Outbox,
    store: Arc<SqliteStorage>,
    clock: FixedClock,
    transport: Arc<FakeTransport>,
    rx: mpsc::UnboundedReceiver<NewMail>,
}

impl Fixture {
    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    async fn stats(&self) -> OutboxStats {
        self.store.outbox_stats().await.unwrap()
    }
}

async fn fixture() -> Fixture {
    let store = Arc::new(SqliteStorage::open("sqlite::memory:").await.unwrap());
    let clock = FixedClock::new(datetime!(2026-11-23 13:05 UTC));
    let (transport, rx) = FakeTransport::new();
    let mut config = MailConfig::new(
        "smtp://127.0.0.1:2525",
        "FranceConnect <ne-pas-repondre@franceconnect.example>",
        "support@franceconnect.example",
    );
    config.retry_base_secs = 30;
    config.retry_max_secs = 3600;
    config.give_up_after_secs = 48 * 3600;
    let outbox = Outbox::new(
        store.clone(),
        Arc::new(clock.clone()),
        config,
        transport.clone(),
    );
    Fixture {
        outbox,
        store,
        clock,
        transport,
        rx,
    }
}

fn mail(n: u32) -> NewMail {
    NewMail {
        kind: "connection_alert".into(),
        recipient: format!("camille{n}@example.org"),
        subject: format!("Alerte {n}"),
        text: "texte".into(),
        html: "<p>html</p>".into(),
    }
}

#[tokio::test]
async fn queue_does_not_send() {
    let f = fixture().await;
    f.outbox.queue(mail(1)).await.unwrap();
    assert_eq!(f.transport.attempts(), 0);
    assert_eq!(f.stats().await.pending, 1);
}

#[tokio::test]
async fn two_queued_mails_are_both_sent() {
    let mut f = fixture().await;
    f.outbox.queue(mail(1)).await.unwrap();
    f.outbox.queue(mail(2)).await.unwrap();
    assert_eq!(f.outbox.run_once().await.unwrap(), 2);
    let first = f.rx.recv().await.unwrap();
    let second = f.rx.recv().await.unwrap();
    assert_eq!(first.subject, "Alerte 1");
    assert_eq!(second.subject, "Alerte 2");
    assert_eq!(
        f.transport.attempts.lock().unwrap().as_slice(),
        [
            "FranceConnect <ne-pas-repondre@franceconnect.example>",
            "FranceConnect <ne-pas-repondre@franceconnect.example>"
        ]
    );
    assert_eq!(
        f.stats().await,
        OutboxStats {
            pending: 0,
            sent: 2,
            failed: 0
        }
    );
    // Nothing left: a second run sends nothing.
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 2);
}

#[tokio::test]
async fn failures_back_off_then_succeed() {
    let mut f = fixture().await;
    f.transport.fail(true);
    let id = f.outbox.queue(mail(1)).await.unwrap();

    // First failure: retried after the base delay.
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 1);
    let t0 = f.now();
    assert!(f.store.due_mails(t0 + 29, 10).await.unwrap().is_empty());
    let due = f.store.due_mails(t0 + 30, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, id);
    assert_eq!(due[0].attempts, 1);

    // Not due yet: nothing is tried.
    f.clock.advance(time::Duration::seconds(29));
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 1);

    // Second failure: twice the base delay.
    f.clock.advance(time::Duration::seconds(1));
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 2);
    let t1 = f.now();
    assert!(f.store.due_mails(t1 + 59, 10).await.unwrap().is_empty());
    let due = f.store.due_mails(t1 + 60, 10).await.unwrap();
    assert_eq!(due[0].attempts, 2);
    assert_eq!(f.stats().await.pending, 1);

    // The server recovers.
    f.transport.fail(false);
    f.clock.advance(time::Duration::seconds(60));
    assert_eq!(f.outbox.run_once().await.unwrap(), 1);
    assert_eq!(f.rx.recv().await.unwrap().recipient, "camille1@example.org");
    assert_eq!(
        f.stats().await,
        OutboxStats {
            pending: 0,
            sent: 1,
            failed: 0
        }
    );
    // Sent: no longer due, ever (its recipient is erased by storage).
    assert!(f.store.due_mails(i64::MAX, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn backoff_doubles_up_to_the_maximum() {
    let f = fixture().await;
    assert_eq!(f.outbox.backoff_secs(0), 30);
    assert_eq!(f.outbox.backoff_secs(1), 60);
    assert_eq!(f.outbox.backoff_secs(2), 120);
    assert_eq!(f.outbox.backoff_secs(6), 1920);
    assert_eq!(f.outbox.backoff_secs(7), 3600);
    assert_eq!(f.outbox.backoff_secs(1000), 3600);
    assert_eq!(f.outbox.backoff_secs(-1), 30);
}

#[tokio::test]
async fn gives_up_after_the_configured_time() {
    let f = fixture().await;
    f.transport.fail(true);
    f.outbox.queue(mail(1)).await.unwrap();
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);

    // Just before the limit: still retried.
    f.clock.advance(time::Duration::seconds(48 * 3600 - 1));
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.stats().await.pending, 1);

    // At the limit: given up.
    f.clock.advance(time::Duration::seconds(3600));
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 3);
    assert_eq!(
        f.stats().await,
        OutboxStats {
            pending: 0,
            sent: 0,
            failed: 1
        }
    );
    assert!(f.store.due_mails(i64::MAX, 10).await.unwrap().is_empty());

    // Even a recovered server does not see it again.
    f.transport.fail(false);
    f.clock.advance(time::Duration::seconds(3600));
    assert_eq!(f.outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.transport.attempts(), 3);
}

#[tokio::test]
async fn a_malformed_mail_is_given_up_at_once() {
    #[derive(Debug)]
    struct BadAddress;
    #[async_trait]
    impl MailTransport for BadAddress {
        async fn send(&self, mail: &NewMail, _from: &str) -> Result<(), MailError> {
            Err(mail
                .recipient
                .parse::<lettre::Address>()
                .unwrap_err()
                .into())
        }
    }
    let f = fixture().await;
    let outbox = Outbox {
        transport: Arc::new(BadAddress),
        ..f.outbox.clone()
    };
    let mut m = mail(1);
    m.recipient = "pas une adresse".into();
    outbox.queue(m).await.unwrap();
    assert_eq!(outbox.run_once().await.unwrap(), 0);
    assert_eq!(f.stats().await.failed, 1);
}

#[tokio::test]
async fn queue_wakes_a_spawned_worker() {
    let mut f = fixture().await;
    // A poll interval far longer than the test: only the notification can
    // make the worker send.
    let mut outbox = f.outbox.clone();
    outbox.poll_interval = Duration::from_secs(3600);
    let worker = outbox.spawn();

    f.outbox.queue(mail(1)).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), f.rx.recv())
        .await
        .expect("the worker was not woken")
        .unwrap();
    assert_eq!(got.subject, "Alerte 1");

    f.outbox.queue(mail(2)).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), f.rx.recv())
        .await
        .expect("the worker was not woken again")
        .unwrap();
    assert_eq!(got.subject, "Alerte 2");
    worker.abort();
}

#[tokio::test]
async fn spawned_worker_retries_on_its_tick() {
    let mut f = fixture().await;
    f.transport.fail(true);
    let mut outbox = f.outbox.clone();
    outbox.poll_interval = Duration::from_millis(200);
    f.outbox.queue(mail(1)).await.unwrap();
    let worker = outbox.spawn();

    // The first attempt fails; once the clock passes the back-off and the
    // server recovers, a tick (no notification) sends it.
    tokio::time::timeout(Duration::from_secs(5), async {
        while f.transport.attempts() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("no first attempt");
    f.transport.fail(false);
    f.clock.advance(time::Duration::seconds(30));
    let got = tokio::time::timeout(Duration::from_secs(5), f.rx.recv())
        .await
        .expect("the retry was not sent on a tick")
        .unwrap();
    assert_eq!(got.subject, "Alerte 1");
    worker.abort();
}

#[test]
fn errors_are_redacted_of_the_recipient() {
    let mut m = mail(1);
    m.recipient = "Camille Martin <Camille@Example.org>".into();
    let e = MailError::Other("550 5.1.1 <camille@example.org>: unknown user".into());
    let s = redact(&e, &m);
    assert!(!s.to_ascii_lowercase().contains("camille"), "{s}");
    assert!(s.contains("[recipient]"));
    assert!(s.contains("unknown user"));
}

#[tokio::test]
async fn debug_hides_secrets() {
    let f = fixture().await;
    let mut cfg = f.outbox.config().clone();
    cfg.smtp_url = "smtp://u:hunter2@mail.example".into();
    cfg.smtp_user = Some("u".into());
    cfg.smtp_password = Some(crate::secret::Secret::new("hunter3"));
    let outbox = Outbox::new(
        f.store.clone(),
        Arc::new(f.clock.clone()),
        cfg,
        f.transport.clone(),
    );
    let dbg = format!("{outbox:?}");
    assert!(
        !dbg.contains("hunter2") && !dbg.contains("hunter3"),
        "{dbg}"
    );
}
