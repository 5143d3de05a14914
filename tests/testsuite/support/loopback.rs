//! What the GitLab and Forgejo fakes share: a tiny_http server on loopback that hands each
//! request, read whole, to a handler over shared state; JSON answers; query parsing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde_json::Value;

/// A request as the fakes see it.
pub struct Request {
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub path: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// An answer: status, JSON body, extra headers.
pub type Answer = (u16, Value, Vec<(String, String)>);

/// A failure to answer with instead of handling the next request.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

pub struct Server<S> {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    state: Arc<Mutex<S>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl<S: Send + 'static> Server<S> {
    pub fn start(state: S, handle: fn(&mut S, Request) -> Answer) -> Server<S> {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let state = Arc::new(Mutex::new(state));
        let thread = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut text = String::new();
                    let _ = request.as_reader().read_to_string(&mut text);
                    let url = request.url().to_owned();
                    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
                    let seen = Request {
                        method: request.method().as_str().to_owned(),
                        path: path.to_owned(),
                        params: query
                            .split('&')
                            .filter(|p| !p.is_empty())
                            .map(|p| {
                                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                                (decode(k), decode(v))
                            })
                            .collect(),
                        headers: request
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.as_str().to_owned()))
                            .collect(),
                        body: serde_json::from_str(&text).unwrap_or(Value::Null),
                    };
                    let (status, body, headers) = {
                        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                        handle(&mut state, seen)
                    };
                    respond(request, status, &body, &headers);
                }
            })
        };
        Server {
            origin: format!("http://127.0.0.1:{port}"),
            state,
            server,
            thread: Some(thread),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S> Drop for Server<S> {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `times` failures with `status` and `headers`, queued.
pub fn queue_failures(
    queue: &mut VecDeque<Failure>,
    status: u16,
    body: Value,
    headers: &[(&str, &str)],
    times: usize,
) {
    for _ in 0..times {
        queue.push_back(Failure {
            status,
            body: body.clone(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
    }
}

fn respond(request: tiny_http::Request, status: u16, body: &Value, headers: &[(String, String)]) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut response = tiny_http::Response::from_string(text).with_status_code(status);
    let mut all = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    all.extend_from_slice(headers);
    for (key, value) in all {
        if let Ok(header) = tiny_http::Header::from_bytes(key.as_bytes(), value.as_bytes()) {
            response = response.with_header(header);
        }
    }
    let _ = request.respond(response);
}

/// Percent-decoding (and `+` as a space, as in a query string).
pub fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
