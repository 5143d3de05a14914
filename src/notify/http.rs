//! A small JSON-over-HTTPS client for the trackers octocrab does not serve (GitLab, Forgejo),
//! over the hyper, hyper-util and rustls stack octocrab already brings, on the same
//! current-thread runtime. One call is one request: retries are the caller's.

use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::TrackerError;

const CONNECT_AND_ANSWER: Duration = Duration::from_secs(30);

pub struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    runtime: Rc<tokio::runtime::Runtime>,
}

/// A server's answer.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    }

    /// The JSON body of a 2xx answer.
    pub fn json(&self, forge: &str, what: &str) -> Result<Value, TrackerError> {
        let text = if self.text.trim().is_empty() {
            "null"
        } else {
            &self.text
        };
        serde_json::from_str(text).map_err(|e| {
            TrackerError::permanent(format!(
                "{what}: {forge}'s answer is not the JSON expected: {e}"
            ))
        })
    }
}

impl Http {
    pub fn new(runtime: Rc<tokio::runtime::Runtime>) -> Result<Http, TrackerError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| {
                TrackerError::permanent(format!("failed to load the system's TLS roots: {e}"))
            })?
            // Plain http only where an API base says so (a test server on loopback).
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Http { client, runtime })
    }

    /// Send one request; `Err` only for a transport failure (always worth retrying).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/json")
            .header(
                "user-agent",
                concat!("git-realm/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let payload = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(payload))
            .map_err(|e| format!("invalid request: {e}"))?;
        self.runtime.block_on(async {
            let exchange = async {
                let response = self
                    .client
                    .request(request)
                    .await
                    .map_err(|e| describe(&e))?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| describe(&e))?
                    .to_bytes();
                Ok(Answer {
                    status,
                    headers,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                })
            };
            tokio::time::timeout(CONNECT_AND_ANSWER, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "no answer within {}s",
                        CONNECT_AND_ANSWER.as_secs()
                    ))
                })
        })
    }
}

/// An API base that requests can be sent to: an http(s) URL with a host.
pub fn check_base(forge: &str, base: &str) -> Result<(), TrackerError> {
    let uri: Option<http::Uri> = base.parse().ok();
    let usable = uri.is_some_and(|u| {
        matches!(u.scheme_str(), Some("https" | "http")) && u.authority().is_some()
    });
    if usable {
        Ok(())
    } else {
        Err(TrackerError::permanent(format!(
            "invalid {forge} API URL `{}`: it must be an https URL like https://HOST/api/…",
            super::repo_url::without_credentials(base)
        )))
    }
}

/// How a forge's error answer reads, for [`classify`].
pub struct ErrorStyle<'a> {
    /// The forge's name in messages (`GitLab`).
    pub forge: &'a str,
    /// Where the token came from, for a 401 (`GITLAB_TOKEN`).
    pub token_source: &'a str,
}

/// A non-2xx answer as a [`TrackerError`]: rate limits (429, with `Retry-After`, or GitLab's
/// `RateLimit-Reset`) and 5xx are transient; the message names the request, the status, what
/// the server said and, where known, the fix.
pub fn classify(style: &ErrorStyle, what: &str, answer: &Answer) -> TrackerError {
    let status = answer.status;
    let said = server_message(&answer.text);
    let retry_after = answer
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| {
            let reset = answer.header("ratelimit-reset")?.parse::<u64>().ok()?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
            Some(reset.saturating_sub(now))
        })
        .map(Duration::from_secs);
    let rate_limited =
        status == 429 || status == 403 && answer.header("ratelimit-remaining") == Some("0");
    let hint = match status {
        401 => format!("; check the token in {}", style.token_source),
        403 if !rate_limited => {
            "; the token may lack permission to write issues in this repository".to_owned()
        }
        404 => "; the repository does not exist or the token cannot see it".to_owned(),
        _ if rate_limited => format!("; rate limited by {}", style.forge),
        _ => String::new(),
    };
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    TrackerError {
        transient: status >= 500 || rate_limited,
        retry_after: retry_after.filter(|_| rate_limited || status >= 500),
        message: format!("{what} answered {status}{said}{hint}"),
    }
}

/// The error text of a GitLab (`message` or `error`, a string or a map of field errors) or
/// Forgejo (`message`) answer, on one line.
fn server_message(text: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return String::new();
    };
    let said = match value.get("message").or_else(|| value.get("error")) {
        Some(Value::String(s)) => s.clone(),
        Some(other @ (Value::Object(_) | Value::Array(_))) => other.to_string(),
        _ => String::new(),
    };
    let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
    if said.chars().count() > 300 {
        let mut short: String = said.chars().take(299).collect();
        short.push('…');
        short
    } else {
        said
    }
}

/// A transport error and its causes on one line.
fn describe(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One path segment or query value, percent-encoded (a GitLab project path's `/` included).
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)], text: &str) -> Answer {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().expect("header value"));
        }
        Answer {
            status,
            headers: map,
            text: text.to_owned(),
        }
    }

    const STYLE: ErrorStyle = ErrorStyle {
        forge: "GitLab",
        token_source: "GITLAB_TOKEN",
    };

    #[test]
    fn rate_limits_are_transient_and_say_how_long_to_wait() {
        let e = classify(
            &STYLE,
            "GET x",
            &answer(429, &[("retry-after", "7")], r#"{"message":"Retry later"}"#),
        );
        assert!(e.transient);
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(
            e.message,
            "GET x answered 429: Retry later; rate limited by GitLab"
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let e = classify(
            &STYLE,
            "GET x",
            &answer(429, &[("ratelimit-reset", &(now + 30).to_string())], ""),
        );
        assert!(
            e.retry_after
                .is_some_and(|d| d.as_secs() <= 30 && d.as_secs() >= 28)
        );
    }

    #[test]
    fn client_errors_are_permanent_with_a_hint() {
        let e = classify(
            &STYLE,
            "POST x",
            &answer(401, &[], r#"{"message":"401 Unauthorized"}"#),
        );
        assert!(!e.transient);
        assert_eq!(
            e.message,
            "POST x answered 401: 401 Unauthorized; check the token in GITLAB_TOKEN"
        );
        let e = classify(
            &STYLE,
            "POST x",
            &answer(400, &[], r#"{"message":{"title":["can't be blank"]}}"#),
        );
        assert_eq!(
            e.message,
            r#"POST x answered 400: {"title":["can't be blank"]}"#
        );
    }

    #[test]
    fn api_bases_must_be_http_urls() {
        assert!(check_base("GitLab", "https://gitlab.example.com/api/v4").is_ok());
        assert!(check_base("GitLab", "http://127.0.0.1:8080/api/v4").is_ok());
        let e = check_base("Forgejo", "codeberg.org/api/v1").unwrap_err();
        assert!(!e.transient);
        assert_eq!(
            e.message,
            "invalid Forgejo API URL `codeberg.org/api/v1`: it must be an https URL like https://HOST/api/…"
        );
    }

    #[test]
    fn nested_project_paths_are_one_segment() {
        assert_eq!(
            encode("group/sub group/proj.x"),
            "group%2Fsub%20group%2Fproj.x"
        );
    }
}
