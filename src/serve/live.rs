//! Live reload: an event stream at `/_pandafest/events` and the small
//! script ([`LIVE_JS`]) that pages get while they are served. Each event
//! is written through the request's raw writer and flushed at once
//! (tiny_http would buffer a streamed body in 8 KiB chunks).

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;

/// The script of [`super::http::LIVE_HOOK`].
pub const LIVE_JS: &str = include_str!("live.js");

/// The most event streams open at once; the oldest is closed for a new one.
pub const MAX_STREAMS: usize = 64;

/// What the open pages are told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A rebuild finished: the site paths whose bytes changed (`None`:
    /// too many to list, reload every page), and the screen's version.
    Rebuilt {
        /// The changed files, such as `events/<id>/index.html`.
        changed: Option<Vec<String>>,
        /// The content of `screen/version.json`'s `version`.
        screen: String,
    },
    /// The state of the last rebuild: `None` when it worked, else the
    /// error, to show as a banner.
    Status {
        /// The error chain, one cause a line.
        error: Option<String>,
    },
}

/// The open event streams, and what a new one is told first.
#[derive(Default)]
pub struct Live {
    streams: Mutex<Vec<Box<dyn Write + Send>>>,
    status: Mutex<Option<LiveEvent>>,
}

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 1000\n\n";

fn frame(event: &LiveEvent) -> Vec<u8> {
    let data = serde_json::to_string(event).expect("events serialize");
    format!("data: {data}\n\n").into_bytes()
}

impl Live {
    /// Takes over `request` as an event stream: the head, then the last
    /// status. The stream stays open until the page goes or the server
    /// ends.
    pub fn open(&self, request: tiny_http::Request) {
        let mut writer = request.into_writer();
        let status = self.status.lock().expect("not poisoned").clone();
        let mut first = HEAD.to_vec();
        if let Some(status) = status {
            first.extend(frame(&status));
        }
        if writer
            .write_all(&first)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
        let mut streams = self.streams.lock().expect("not poisoned");
        if streams.len() >= MAX_STREAMS {
            streams.remove(0);
        }
        streams.push(writer);
    }

    /// Sends `event` to every open stream, flushing each; streams that
    /// fail are dropped. A status is also kept for streams opened later.
    pub fn send(&self, event: &LiveEvent) {
        if matches!(event, LiveEvent::Status { .. }) {
            *self.status.lock().expect("not poisoned") = Some(event.clone());
        }
        self.write_all(&frame(event));
    }

    /// A comment line to every stream, so that proxies and the front keep
    /// an idle stream open and dead ones are found.
    pub fn keep_alive(&self) {
        self.write_all(b": keep-alive\n\n");
    }

    fn write_all(&self, bytes: &[u8]) {
        self.streams
            .lock()
            .expect("not poisoned")
            .retain_mut(|w| w.write_all(bytes).and_then(|()| w.flush()).is_ok());
    }

    /// How many streams are open.
    pub fn streams(&self) -> usize {
        self.streams.lock().expect("not poisoned").len()
    }
}
