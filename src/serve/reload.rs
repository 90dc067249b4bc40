//! Serve: live-reload events over Server-Sent Events (`GET {base}__sitrep/events`). A hub
//! hands each open page a channel; every rebuild broadcasts `reload`, `css` or `diagnostics`.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tiny_http::Request;

use super::Shared;

/// At most this many pages listen at once; more get 503 (each holds a thread).
const MAX_LISTENERS: usize = 256;
/// A comment line this often keeps proxies quiet and finds closed connections.
const KEEPALIVE: Duration = Duration::from_secs(10);

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

/// The open event streams.
#[derive(Default)]
pub struct Hub {
    listeners: Mutex<Vec<Sender<(Event, u64)>>>,
}

impl Hub {
    fn subscribe(&self) -> Option<Receiver<(Event, u64)>> {
        let mut listeners = self.listeners.lock().ok()?;
        if listeners.len() >= MAX_LISTENERS {
            return None;
        }
        let (sender, receiver) = mpsc::channel();
        listeners.push(sender);
        Some(receiver)
    }

    /// Sends `event` of build `generation` to every open page; forgets closed ones.
    pub fn broadcast(&self, event: Event, generation: u64) {
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.retain(|l| l.send((event, generation)).is_ok());
        }
    }

    /// Ends every stream (their threads see the channel close).
    pub fn close(&self) {
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.clear();
        }
    }
}

/// Takes over the connection of an events request and streams events on its own thread.
pub fn stream(request: Request, shared: &Arc<Shared>) {
    let Some(receiver) = shared.hub.subscribe() else {
        let response = tiny_http::Response::from_string("too many open pages\n")
            .with_status_code(tiny_http::StatusCode(503));
        let _ = request.respond(response);
        return;
    };
    let generation = shared.generation();
    let mut writer = request.into_writer();
    let spawned = std::thread::Builder::new()
        .name("sitrep-events".into())
        .spawn(move || {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
                        Connection: close\r\nX-Content-Type-Options: nosniff\r\n\r\nretry: 500\n\n";
            if send(&mut writer, head).is_err()
                || send(
                    &mut writer,
                    &format!("event: hello\ndata: {generation}\n\n"),
                )
                .is_err()
            {
                return;
            }
            loop {
                let text = match receiver.recv_timeout(KEEPALIVE) {
                    Ok((event, generation)) => {
                        format!("event: {}\ndata: {generation}\n\n", event.name())
                    }
                    Err(RecvTimeoutError::Timeout) => ": keepalive\n\n".to_string(),
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                if send(&mut writer, &text).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("sitrep serve: cannot start an event stream: {e}");
    }
}

fn send(writer: &mut Box<dyn Write + Send>, text: &str) -> std::io::Result<()> {
    writer.write_all(text.as_bytes())?;
    writer.flush()
}
