//! Serve: live-reload events over Server-Sent Events (`GET {base}__sitrep/events`). A hub
//! hands each open page a channel; every rebuild broadcasts `reload`, `css` or `diagnostics`.
//! A heartbeat finds the streams of closed pages and frees their slots; a new page is never
//! refused (at the limit, the oldest stream ends and its page, if still open, reconnects).

use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tiny_http::{HTTPVersion, Request};

use super::Shared;

/// At most this many streams are open at once (each holds a thread); one more ends the oldest.
const MAX_LISTENERS: usize = 256;
/// A comment line this often keeps proxies quiet and finds closed connections: writing to one
/// fails (at the latest on the second beat), which ends its stream and frees its slot.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// What a page should do after a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Pages changed: reload.
    Reload,
    /// Only stylesheets changed: re-fetch them, keep the page.
    Css,
    /// The diagnostics changed (a build failed, or errors were fixed without output changes).
    Diagnostics,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::Reload => "reload",
            Event::Css => "css",
            Event::Diagnostics => "diagnostics",
        }
    }
}

/// The open event streams, oldest first.
#[derive(Default)]
pub struct Hub {
    listeners: Mutex<Vec<Listener>>,
}

struct Listener {
    sender: Sender<(Event, u64)>,
    /// Upgradable while the stream's thread runs (it holds the `Subscription`).
    running: Weak<()>,
}

/// What a stream's thread holds: its page's events, and its slot in the hub (freed on drop).
struct Subscription {
    events: Receiver<(Event, u64)>,
    _slot: Arc<()>,
}

impl Subscription {
    /// The next event, waiting at most `timeout`. A method, so a closure that calls it
    /// captures the whole subscription (slot included), not just the receiver.
    fn next(&self, timeout: Duration) -> Result<(Event, u64), RecvTimeoutError> {
        self.events.recv_timeout(timeout)
    }
}

impl Hub {
    fn listeners(&self) -> MutexGuard<'_, Vec<Listener>> {
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a new stream. Streams that ended give theirs back; with every slot held by
    /// a running stream, the oldest is ended (its channel closes).
    fn subscribe(&self) -> Subscription {
        let mut listeners = self.listeners();
        listeners.retain(|l| l.running.strong_count() > 0);
        if listeners.len() >= MAX_LISTENERS {
            let excess = listeners.len() + 1 - MAX_LISTENERS;
            listeners.drain(..excess);
        }
        let (sender, events) = mpsc::channel();
        let slot = Arc::new(());
        listeners.push(Listener {
            sender,
            running: Arc::downgrade(&slot),
        });
        Subscription {
            events,
            _slot: slot,
        }
    }

    /// Sends `event` of build `generation` to every open page; forgets closed ones.
    pub fn broadcast(&self, event: Event, generation: u64) {
        self.listeners()
            .retain(|l| l.sender.send((event, generation)).is_ok());
    }

    /// Ends every stream (their threads see the channel close).
    pub fn close(&self) {
        self.listeners().clear();
    }
}

/// Takes over the connection of an events request and streams events on its own thread,
/// until the page goes away (a write fails) or the hub closes its channel.
pub fn stream(request: Request, shared: &Arc<Shared>) {
    let subscription = shared.hub.subscribe();
    let generation = shared.generation();
    // An HTTP/1.1 client keeps the connection after a response, so a stream the server ends
    // must end its body: chunks, then the last (empty) one, and the page's EventSource
    // reconnects. HTTP/1.0 has no chunks; its connection closes when the stream ends.
    let chunked = *request.http_version() >= HTTPVersion(1, 1);
    let mut out = Output {
        writer: request.into_writer(),
        chunked,
    };
    let spawned = std::thread::Builder::new()
        .name("sitrep-events".into())
        .spawn(move || {
            let framing = if chunked {
                "Transfer-Encoding: chunked"
            } else {
                "Connection: close"
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
                 {framing}\r\nX-Content-Type-Options: nosniff\r\n\r\n"
            );
            if out.head(&head).is_err()
                || out
                    .send(&format!(
                        "retry: 500\n\nevent: hello\ndata: {generation}\n\n"
                    ))
                    .is_err()
            {
                return;
            }
            loop {
                let text = match subscription.next(HEARTBEAT) {
                    Ok((event, generation)) => {
                        format!("event: {}\ndata: {generation}\n\n", event.name())
                    }
                    Err(RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
                    Err(RecvTimeoutError::Disconnected) => {
                        let _ = out.end();
                        break;
                    }
                };
                if out.send(&text).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("sitrep serve: cannot start an event stream: {e}");
    }
}

/// The body of an event stream, chunked or not.
struct Output {
    writer: Box<dyn Write + Send>,
    chunked: bool,
}

impl Output {
    fn head(&mut self, head: &str) -> std::io::Result<()> {
        self.writer.write_all(head.as_bytes())?;
        self.writer.flush()
    }

    fn send(&mut self, text: &str) -> std::io::Result<()> {
        if self.chunked {
            write!(self.writer, "{:x}\r\n{text}\r\n", text.len())?;
        } else {
            self.writer.write_all(text.as_bytes())?;
        }
        self.writer.flush()
    }

    /// Ends the body (the connection stays open for the next request if it is chunked).
    fn end(&mut self) -> std::io::Result<()> {
        if self.chunked {
            self.writer.write_all(b"0\r\n\r\n")?;
        }
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::TryRecvError;

    #[test]
    fn ended_streams_give_their_slot_back() {
        let hub = Hub::default();
        let first: Vec<Subscription> = (0..MAX_LISTENERS).map(|_| hub.subscribe()).collect();
        drop(first);
        let second: Vec<Subscription> = (0..MAX_LISTENERS).map(|_| hub.subscribe()).collect();
        assert_eq!(hub.listeners().len(), MAX_LISTENERS);
        hub.broadcast(Event::Css, 7);
        for subscription in &second {
            assert_eq!(subscription.events.try_recv(), Ok((Event::Css, 7)));
        }
    }

    #[test]
    fn a_new_stream_beyond_the_limit_ends_the_oldest() {
        let hub = Hub::default();
        let open: Vec<Subscription> = (0..=MAX_LISTENERS).map(|_| hub.subscribe()).collect();
        assert_eq!(hub.listeners().len(), MAX_LISTENERS);
        assert_eq!(open[0].events.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(open[1].events.try_recv(), Err(TryRecvError::Empty));
        hub.broadcast(Event::Reload, 3);
        assert_eq!(
            open[MAX_LISTENERS].events.try_recv(),
            Ok((Event::Reload, 3))
        );
        assert_eq!(open[1].events.try_recv(), Ok((Event::Reload, 3)));
        hub.close();
        assert_eq!(open[1].events.try_recv(), Err(TryRecvError::Disconnected));
    }
}
