//! Drives Debian's headless Chromium over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: commands on fd 3, answers on fd 4, each a
//! JSON message ended by a NUL byte), so a test can read a live page's DOM
//! again and again and collect its console messages.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one protocol call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether Chromium is there; without it a test prints a note and passes,
/// except on CI (`CI` set), where it panics.
pub fn available() -> bool {
    if std::path::Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing on CI"
    );
    eprintln!("note: {CHROMIUM} is missing; the browser part of this test is skipped");
    false
}

/// A pipe: its read end, then its write end, both closed on exec.
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let done = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(done, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are new and owned by nothing else.
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

/// One headless Chromium with one page.
pub struct Browser {
    child: Child,
    to: File,
    from: Receiver<Value>,
    next: u64,
    session: String,
    /// Console calls, exceptions and error log entries, as text.
    pub problems: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with the device time zone `tz` (the `TZ` variable)
    /// and opens `url` in a page, watching its console from the start.
    pub fn open(url: &str, tz: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (chrome_reads, to) = pipe();
        let (from, chrome_writes) = pipe();
        let (r, w) = (chrome_reads.as_raw_fd(), chrome_writes.as_raw_fd());
        let mut command = Command::new(CHROMIUM);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-pipe",
                "--window-size=1280,720",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .env("TZ", tz)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: between fork and exec only async-signal-safe calls
        // (fcntl, dup2) are made. The pipe ends are first copied above fd
        // 10, so that dup2 onto 3 and 4 never meets one of them.
        unsafe {
            command.pre_exec(move || {
                let (r, w) = (
                    libc::fcntl(r, libc::F_DUPFD, 10),
                    libc::fcntl(w, libc::F_DUPFD, 10),
                );
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        drop((chrome_reads, chrome_writes));
        let (send, receive) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).unwrap_or(0) > 0 {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(value) = serde_json::from_slice::<Value>(&message)
                    && send.send(value).is_err()
                {
                    break;
                }
                message.clear();
            }
        });
        let mut browser = Browser {
            child,
            to,
            from: receive,
            next: 0,
            session: String::new(),
            problems: Vec::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}), false);
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
            false,
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.call(domain, json!({}), true);
        }
        browser.call("Page.navigate", json!({"url": url}), true);
        browser
    }

    /// Sends one command (to the page's session when `page`) and returns
    /// its result, noting the events that come before it.
    fn call(&mut self, method: &str, params: Value, page: bool) -> Value {
        self.next += 1;
        let id = self.next;
        let mut message = json!({"id": id, "method": method, "params": params});
        if page {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let started = Instant::now();
        loop {
            let left = CALL_TIMEOUT.saturating_sub(started.elapsed());
            let value = match self.from.recv_timeout(left) {
                Ok(value) => value,
                Err(RecvTimeoutError::Timeout) => panic!("chromium did not answer {method}"),
                Err(RecvTimeoutError::Disconnected) => panic!("chromium quit during {method}"),
            };
            if value["id"].as_u64() == Some(id) {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.note(&value);
        }
    }

    fn note(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") => self.problems.push(format!(
                "console.{}: {}",
                params["type"].as_str().unwrap_or("?"),
                params["args"]
            )),
            Some("Runtime.exceptionThrown") => self
                .problems
                .push(format!("exception: {}", params["exceptionDetails"])),
            Some("Page.javascriptDialogOpening") => {
                self.problems.push(format!("dialog: {}", params["message"]))
            }
            Some("Log.entryAdded") if params["entry"]["level"] != "verbose" => {
                self.problems.push(format!("log: {}", params["entry"]))
            }
            _ => {}
        }
    }

    /// Opens `url` in the page, and returns once the page that was there
    /// is gone (the new one may still be loading).
    pub fn navigate(&mut self, url: &str) {
        self.eval("window.__leaving = true");
        self.call("Page.navigate", json!({"url": url}), true);
        self.wait_for(
            "window.__leaving !== true && document.readyState !== 'loading'",
            CALL_TIMEOUT,
            "the page loads",
        );
    }

    /// Makes the page's viewport `width` × `height` CSS pixels, as a
    /// window of that size would (a resize event follows).
    pub fn resize(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            true,
        );
    }

    /// The value of the JavaScript expression `expression` in the page
    /// (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            true,
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` every 20 ms until it gives `true`; returns
    /// how long that took, or panics with `what` after `timeout`.
    pub fn wait_for(&mut self, expression: &str, timeout: Duration, what: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.eval(expression) == json!(true) {
                return started.elapsed();
            }
            if started.elapsed() > timeout {
                let text = self.eval("document.body ? document.body.innerText : ''");
                panic!("{what}: not after {timeout:?}; the page shows:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
