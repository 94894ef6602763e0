//! The PC/SC readers watched live: a thread waits in
//! `SCardGetStatusChange` on every reader plus the plug-and-play pseudo
//! reader, and reports the whole [`ReaderList`] each time it changes
//! (reader plugged or unplugged, card put on or taken off). When the
//! service is not running it says so and tries again every
//! [`RETRY`]. [`ReaderWatch::stop`] (or dropping the watch) cancels the wait
//! with `SCardCancel` and joins the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pcsc::{Context, Error, ReaderState, Scope, State};
use pivot_proto::card_reader::ReaderList;

use super::pcsc::{is_pnp, reader_list, reader_names};

/// How long to wait before asking again for a service that is not running.
pub const RETRY: Duration = Duration::from_secs(2);

/// Longest wait in one status call: readers are listed again at least this
/// often, for platforms without plug-and-play notification.
pub const POLL: Duration = Duration::from_secs(3);

/// The running watch.
pub struct ReaderWatch {
    stopped: Arc<AtomicBool>,
    context: Arc<Mutex<Option<Context>>>,
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ReaderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderWatch")
            .field("stopped", &self.stopped.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// Starts watching; `on_change` gets the first list at once, then every
/// change (from the watch's thread: it must not block).
///
/// # Errors
/// When the thread cannot be started.
pub fn spawn(
    on_change: impl Fn(ReaderList) + Send + 'static,
) -> Result<ReaderWatch, std::io::Error> {
    let stopped = Arc::new(AtomicBool::new(false));
    let context = Arc::new(Mutex::new(None));
    let (stop, stop_rx) = mpsc::channel();
    let watcher = Watcher {
        stopped: stopped.clone(),
        context: context.clone(),
        stop: stop_rx,
        last: None,
        on_change: Box::new(on_change),
    };
    let thread = std::thread::Builder::new()
        .name("card-readers".into())
        .spawn(move || watcher.run())?;
    Ok(ReaderWatch {
        stopped,
        context,
        stop,
        thread: Some(thread),
    })
}

impl ReaderWatch {
    /// Stops the watch and waits for its thread.
    pub fn stop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = self.stop.send(());
        if let Ok(guard) = self.context.lock()
            && let Some(ctx) = guard.as_ref()
        {
            let _ = ctx.cancel();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ReaderWatch {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Watcher {
    stopped: Arc<AtomicBool>,
    context: Arc<Mutex<Option<Context>>>,
    stop: mpsc::Receiver<()>,
    last: Option<ReaderList>,
    on_change: Box<dyn Fn(ReaderList) + Send>,
}

impl Watcher {
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn report(&mut self, list: ReaderList) {
        if self.last.as_ref() != Some(&list) {
            self.last = Some(list.clone());
            (self.on_change)(list);
        }
    }

    /// Waits `RETRY` unless stopped; `false` when stopped.
    fn pause(&self) -> bool {
        matches!(
            self.stop.recv_timeout(RETRY),
            Err(RecvTimeoutError::Timeout)
        ) && !self.stopped()
    }

    fn run(mut self) {
        while !self.stopped() {
            match Context::establish(Scope::User) {
                Ok(ctx) => {
                    if let Ok(mut slot) = self.context.lock() {
                        *slot = Some(ctx.clone());
                    }
                    // A stop between the check and the slot: not cancelled.
                    if self.stopped() {
                        return;
                    }
                    self.watch(&ctx);
                    if let Ok(mut slot) = self.context.lock() {
                        *slot = None;
                    }
                }
                Err(_) => self.report(ReaderList::default()),
            }
            if !self.pause() {
                return;
            }
        }
    }

    /// Follows the readers of `ctx` until the service fails or the watch
    /// stops.
    fn watch(&mut self, ctx: &Context) {
        let mut states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
        while !self.stopped() {
            states.retain(|s| {
                is_pnp(s.name()) || !s.event_state().intersects(State::UNKNOWN | State::IGNORE)
            });
            let Ok(names) = reader_names(ctx) else {
                self.report(ReaderList::default());
                return;
            };
            for name in names {
                if !states.iter().any(|s| s.name() == name.as_c_str()) {
                    states.push(ReaderState::new(name, State::UNAWARE));
                }
            }
            for state in &mut states {
                state.sync_current_state();
            }
            match ctx.get_status_change(POLL, &mut states) {
                Ok(()) => self.report(reader_list(&states)),
                // Nothing changed (or no plug-and-play): list again.
                Err(Error::Timeout) => {
                    if self.last.is_none() {
                        self.report(reader_list(&states));
                    }
                }
                Err(Error::Cancelled) if self.stopped() => return,
                Err(_) => {
                    self.report(ReaderList::default());
                    return;
                }
            }
        }
    }
}
