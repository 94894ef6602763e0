//! The TCP side: connect to vpcd, serve the card, reconnect when vpcd goes
//! away (pcscd restarted), stop cleanly when asked.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::protocol::{self, Message};
use crate::applet::VirtualCard;

/// Where vpcd listens and how long to wait between connection attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VpcdClient {
    /// Host of pcscd's vpcd driver (`127.0.0.1`).
    pub host: String,
    /// Its port ([`super::DEFAULT_PORT`] for slot 0, 35964 for slot 1).
    pub port: u16,
    /// Wait between attempts while vpcd is not there.
    pub retry: Duration,
}

impl VpcdClient {
    /// `127.0.0.1:port`, retrying every second.
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port,
            retry: Duration::from_secs(1),
        }
    }

    /// Serves `card` until [`StopHandle::stop`]: connects, answers vpcd,
    /// and connects again whenever the connection ends.
    pub fn run(&self, card: &mut VirtualCard, stop: &StopHandle) {
        while !stop.is_stopped() {
            match TcpStream::connect((self.host.as_str(), self.port)) {
                Ok(stream) => {
                    tracing::info!(host = %self.host, port = self.port, "connected to vpcd: card inserted");
                    match serve(stream, card, stop) {
                        _ if stop.is_stopped() => tracing::info!("card taken out"),
                        Ok(()) => tracing::info!("vpcd closed the connection: card removed"),
                        Err(e) => tracing::warn!(%e, "vpcd connection failed"),
                    }
                }
                Err(e) => tracing::debug!(%e, port = self.port, "vpcd not reachable yet"),
            }
            stop.wait(self.retry);
        }
    }
}

/// Serves one connection until vpcd closes it or `stop` is asked.
pub fn serve(mut stream: TcpStream, card: &mut VirtualCard, stop: &StopHandle) -> io::Result<()> {
    stream.set_nodelay(true)?;
    if !stop.attach(&stream)? {
        return Ok(());
    }
    // A new connection is a newly inserted card.
    card.reset();
    let result = loop {
        let mut len = [0u8; 2];
        match stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break Ok(()),
            Err(e) => break Err(e),
        }
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if let Err(e) = stream.read_exact(&mut payload) {
            break Err(e);
        }
        if let Message::Apdu(apdu) = Message::decode(&payload) {
            tracing::debug!(header = %protocol::header(apdu), "APDU");
        }
        if let Some(reply) = protocol::handle(card, &payload) {
            let framed = protocol::frame(&reply)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if let Err(e) = stream.write_all(&framed) {
                break Err(e);
            }
        }
    };
    stop.detach();
    card.reset();
    result
}

/// Stops a running [`VpcdClient::run`] from another thread: wakes the
/// wait between attempts and shuts the live connection down.
#[derive(Clone, Debug, Default)]
pub struct StopHandle {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    stopped: bool,
    stream: Option<TcpStream>,
}

impl StopHandle {
    /// A handle not yet stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the client to stop; returns at once.
    pub fn stop(&self) {
        let mut state = self.lock();
        state.stopped = true;
        if let Some(stream) = state.stream.take() {
            // Unblocks the pending read; the error is moot if already closed.
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.inner.wake.notify_all();
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.lock().stopped
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout`, or less if stopped meanwhile.
    fn wait(&self, timeout: Duration) {
        let state = self.lock();
        if state.stopped {
            return;
        }
        let _ = self
            .inner
            .wake
            .wait_timeout_while(state, timeout, |s| !s.stopped);
    }

    /// Keeps a clone of the live stream so that `stop` can shut it down;
    /// `false` when already stopped.
    fn attach(&self, stream: &TcpStream) -> io::Result<bool> {
        let mut state = self.lock();
        if state.stopped {
            return Ok(false);
        }
        state.stream = Some(stream.try_clone()?);
        Ok(true)
    }

    fn detach(&self) {
        self.lock().stream = None;
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;
    use crate::atr::ATR;
    use crate::sandbox::issue_test_card;
    use crate::vpcd::protocol::exchange;

    fn card() -> VirtualCard {
        issue_test_card("eric-mercier").unwrap()
    }

    /// A fake vpcd: the test plays pcscd's side of the socket.
    #[test]
    fn serves_vpcd_reconnects_and_stops() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = StopHandle::new();
        let client = VpcdClient {
            retry: Duration::from_millis(20),
            ..VpcdClient::local(port)
        };
        let runner = {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut card = card();
                client.run(&mut card, &stop);
                card
            })
        };

        // Given a first connection, when vpcd asks for the ATR and sends APDUs,
        // then the card answers each.
        let (mut vpcd, _) = listener.accept().unwrap();
        assert_eq!(exchange(&mut vpcd, &[0x04]), ATR);
        vpcd.write_all(&protocol::frame(&[0x01]).unwrap()).unwrap();
        let select = [
            0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0, 0x50, 0x49, 0x56, 0x4F, 0x54, 0x01,
        ];
        assert_eq!(exchange(&mut vpcd, &select), [0x90, 0x00]);
        let card_access = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C];
        assert_eq!(exchange(&mut vpcd, &card_access), [0x90, 0x00]);
        // The PIN needs PACE, which the fake vpcd does not run.
        let verify = [0x00, 0x20, 0x00, 0x81, 0x04, b'1', b'2', b'3', b'4'];
        assert_eq!(exchange(&mut vpcd, &verify), [0x69, 0x82]);

        // When vpcd goes away, the card connects again, with a fresh session.
        drop(vpcd);
        let (mut vpcd, _) = listener.accept().unwrap();
        assert_eq!(exchange(&mut vpcd, &card_access), [0x6A, 0x82]);
        assert_eq!(exchange(&mut vpcd, &select), [0x90, 0x00]);
        assert_eq!(exchange(&mut vpcd, &card_access), [0x90, 0x00]);

        // When stopped mid-connection, run returns.
        stop.stop();
        let card = runner.join().unwrap();
        assert!(!card.session_state().selected);
    }

    #[test]
    fn stops_while_vpcd_is_absent() {
        // A port nobody listens on (bound then released).
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let stop = StopHandle::new();
        let runner = {
            let stop = stop.clone();
            thread::spawn(move || {
                let client = VpcdClient {
                    retry: Duration::from_secs(3600),
                    ..VpcdClient::local(port)
                };
                client.run(&mut card(), &stop);
            })
        };
        stop.stop();
        runner.join().unwrap();
    }
}
