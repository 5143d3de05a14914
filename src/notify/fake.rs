//! A small stateful fake of GitHub's issues API on loopback, for tests: it keeps issues,
//! comments and labels, answers with payloads built from GitHub's documented examples
//! (`fixtures/github-examples.json`), checks the token, and can be told to fail.
//!
//! Self-contained (std, tiny_http, serde_json) so the integration tests include the same file.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde_json::{Value, json};

const EXAMPLES: &str = include_str!("fixtures/github-examples.json");

#[derive(Debug, Clone, PartialEq)]
pub struct FakeIssue {
    pub owner: String,
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub comments: Vec<String>,
    pub creator: String,
}

/// A failure to answer with instead of handling the next request.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub issues: Vec<FakeIssue>,
    /// Every request as `METHOD /path?query`, in order.
    pub requests: Vec<String>,
    /// Every request's `Authorization` header (or an empty string).
    pub authorizations: Vec<String>,
    pub failures: VecDeque<Failure>,
    /// Whether the token may label issues; GitHub silently drops labels otherwise.
    pub may_label: bool,
    /// Whether `/user` answers (an Actions token gets 403 there).
    pub user_readable: bool,
    /// Misbehave by echoing the `Authorization` header in error messages.
    pub echo_authorization: bool,
    pub login: String,
    pub token: String,
    /// A path prefix the API lives under (`/api/v3` on GitHub Enterprise).
    pub prefix: String,
}

pub struct FakeGitHub {
    /// The API base to hand to git-realm (`http://127.0.0.1:PORT` plus any prefix).
    pub url: String,
    state: Arc<Mutex<FakeState>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGitHub {
    /// A server accepting `token`, serving the API at the root.
    pub fn start(token: &str) -> FakeGitHub {
        FakeGitHub::start_under(token, "")
    }

    /// A server accepting `token`, serving the API under `prefix` (like `/api/v3`).
    pub fn start_under(token: &str, prefix: &str) -> FakeGitHub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let state = Arc::new(Mutex::new(FakeState {
            may_label: true,
            user_readable: true,
            login: "realm-bot".to_owned(),
            token: token.to_owned(),
            prefix: prefix.to_owned(),
            ..FakeState::default()
        }));
        let thread = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(&state, request);
                }
            })
        };
        FakeGitHub {
            url: format!("http://127.0.0.1:{port}{prefix}"),
            state,
            server,
            thread: Some(thread),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answer the next `times` requests with `status`.
    pub fn fail_next(&self, status: u16, times: usize) {
        self.fail_next_with(status, &[], times);
    }

    pub fn fail_next_with(&self, status: u16, headers: &[(&str, &str)], times: usize) {
        let failure = Failure {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let mut state = self.state();
        for _ in 0..times {
            state.failures.push_back(failure.clone());
        }
    }

    pub fn issues(&self) -> Vec<FakeIssue> {
        self.state().issues.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    /// An issue as the fake serves it, for checking its shape.
    pub fn issue_json(&self, number: u64) -> Value {
        let state = self.state();
        let issue = state
            .issues
            .iter()
            .find(|i| i.number == number)
            .expect("issue exists");
        issue_json(issue)
    }

    pub fn comment_json(&self, number: u64, body: &str) -> Value {
        let state = self.state();
        let issue = state
            .issues
            .iter()
            .find(|i| i.number == number)
            .expect("issue exists");
        comment_json(issue, 1, body)
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn examples() -> Value {
    serde_json::from_str(EXAMPLES).expect("fixture is JSON")
}

fn user_json(login: &str) -> Value {
    let mut user = examples()["user"].clone();
    user["login"] = json!(login);
    user["html_url"] = json!(format!("https://github.com/{login}"));
    user
}

fn issue_json(issue: &FakeIssue) -> Value {
    let examples = examples();
    let mut out = examples["issue"].clone();
    let repo_api = format!(
        "https://api.github.com/repos/{}/{}",
        issue.owner, issue.repo
    );
    let object = out.as_object_mut().expect("issue example is an object");
    // A plain issue, not the pull request the example describes.
    object.remove("pull_request");
    object.insert("id".into(), json!(issue.number * 1000));
    object.insert("number".into(), json!(issue.number));
    object.insert(
        "url".into(),
        json!(format!("{repo_api}/issues/{}", issue.number)),
    );
    object.insert("repository_url".into(), json!(repo_api));
    object.insert(
        "comments_url".into(),
        json!(format!("{repo_api}/issues/{}/comments", issue.number)),
    );
    object.insert(
        "html_url".into(),
        json!(format!(
            "https://github.com/{}/{}/issues/{}",
            issue.owner, issue.repo, issue.number
        )),
    );
    object.insert("title".into(), json!(issue.title));
    object.insert("body".into(), json!(issue.body));
    object.insert("state".into(), json!(issue.state));
    object.insert("state_reason".into(), json!(issue.state_reason));
    object.insert("locked".into(), json!(false));
    object.insert("active_lock_reason".into(), Value::Null);
    object.insert("comments".into(), json!(issue.comments.len()));
    object.insert("user".into(), user_json(&issue.creator));
    object.insert("assignee".into(), Value::Null);
    object.insert("assignees".into(), json!([]));
    object.insert("milestone".into(), Value::Null);
    let closed = issue.state == "closed";
    object.insert(
        "closed_at".into(),
        if closed {
            json!("2026-01-24T10:00:00Z")
        } else {
            Value::Null
        },
    );
    object.insert(
        "closed_by".into(),
        if closed {
            user_json(&issue.creator)
        } else {
            Value::Null
        },
    );
    let labels: Vec<Value> = issue
        .labels
        .iter()
        .map(|name| {
            let mut label = examples["label"].clone();
            label["name"] = json!(name);
            label["url"] = json!(format!("{repo_api}/labels/{name}"));
            label["default"] = json!(false);
            label["description"] = Value::Null;
            label
        })
        .collect();
    object.insert("labels".into(), json!(labels));
    out
}

fn comment_json(issue: &FakeIssue, id: u64, body: &str) -> Value {
    let mut out = examples()["issue-comment"].clone();
    let repo = format!("{}/{}", issue.owner, issue.repo);
    out["id"] = json!(id);
    out["body"] = json!(body);
    out["url"] = json!(format!(
        "https://api.github.com/repos/{repo}/issues/comments/{id}"
    ));
    out["html_url"] = json!(format!(
        "https://github.com/{repo}/issues/{}#issuecomment-{id}",
        issue.number
    ));
    out["issue_url"] = json!(format!(
        "https://api.github.com/repos/{repo}/issues/{}",
        issue.number
    ));
    out["user"] = user_json(&issue.creator);
    out
}

fn error_json(message: &str) -> Value {
    json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": "" })
}

fn respond(request: tiny_http::Request, status: u16, body: &Value, headers: &[(String, String)]) {
    let mut response = tiny_http::Response::from_string(body.to_string()).with_status_code(status);
    let mut all = vec![(
        "Content-Type".to_owned(),
        "application/json; charset=utf-8".to_owned(),
    )];
    all.extend_from_slice(headers);
    for (key, value) in all {
        if let Ok(header) = tiny_http::Header::from_bytes(key.as_bytes(), value.as_bytes()) {
            response = response.with_header(header);
        }
    }
    let _ = request.respond(response);
}

fn handle(state: &Mutex<FakeState>, mut request: tiny_http::Request) {
    let mut text = String::new();
    let _ = request.as_reader().read_to_string(&mut text);
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_owned())
        .unwrap_or_default();
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.requests.push(format!("{method} {url}"));
    state.authorizations.push(authorization.clone());

    if let Some(failure) = state.failures.pop_front() {
        let message = if state.echo_authorization {
            format!("Server Error (you sent {authorization})")
        } else {
            "Server Error".to_owned()
        };
        return respond(
            request,
            failure.status,
            &error_json(&message),
            &failure.headers,
        );
    }
    let accepted = [
        format!("Bearer {}", state.token),
        format!("token {}", state.token),
    ];
    if !accepted.contains(&authorization) {
        let message = if state.echo_authorization {
            format!("Bad credentials: {authorization}")
        } else {
            "Bad credentials".to_owned()
        };
        return respond(request, 401, &error_json(&message), &[]);
    }

    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let Some(path) = path.strip_prefix(state.prefix.as_str()) else {
        return respond(request, 404, &error_json("Not Found"), &[]);
    };
    let params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), decode(v))
        })
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();

    match (method.as_str(), segments.as_slice()) {
        ("GET", ["user"]) => {
            if state.user_readable {
                let login = state.login.clone();
                respond(request, 200, &user_json(&login), &[])
            } else {
                respond(
                    request,
                    403,
                    &error_json("Resource not accessible by integration"),
                    &[],
                )
            }
        }
        ("GET", ["repos", owner, repo, "issues"]) => {
            let wanted_state = param("state").unwrap_or_else(|| "open".to_owned());
            let labels: Vec<String> = param("labels")
                .map(|l| {
                    l.split(',')
                        .map(str::to_owned)
                        .filter(|l| !l.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let creator = param("creator");
            let per_page: usize = param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30)
                .clamp(1, 100);
            let page: usize = param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let matching: Vec<Value> = state
                .issues
                .iter()
                .rev() // newest first, like GitHub's default sort
                .filter(|i| i.owner == *owner && i.repo == *repo)
                .filter(|i| wanted_state == "all" || i.state == wanted_state)
                .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
                .filter(|i| creator.as_ref().is_none_or(|c| *c == i.creator))
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(issue_json)
                .collect();
            respond(request, 200, &json!(matching), &[])
        }
        ("POST", ["repos", owner, repo, "issues"]) => {
            let Some(title) = body.get("title").and_then(Value::as_str) else {
                return respond(
                    request,
                    422,
                    &error_json("Invalid request.\n\n\"title\" wasn't supplied."),
                    &[],
                );
            };
            let labels = if state.may_label {
                body.get("labels")
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let issue = FakeIssue {
                owner: (*owner).to_owned(),
                repo: (*repo).to_owned(),
                number: state.issues.len() as u64 + 1,
                title: title.to_owned(),
                body: body
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                state: "open".to_owned(),
                state_reason: None,
                labels,
                comments: Vec::new(),
                creator: state.login.clone(),
            };
            let answer = issue_json(&issue);
            state.issues.push(issue);
            respond(request, 201, &answer, &[])
        }
        ("PATCH", ["repos", owner, repo, "issues", number]) => {
            let Some(issue) = find(&mut state, owner, repo, number) else {
                return respond(request, 404, &error_json("Not Found"), &[]);
            };
            if let Some(title) = body.get("title").and_then(Value::as_str) {
                issue.title = title.to_owned();
            }
            if let Some(text) = body.get("body").and_then(Value::as_str) {
                issue.body = text.to_owned();
            }
            if let Some(new_state) = body.get("state").and_then(Value::as_str) {
                if new_state != "open" && new_state != "closed" {
                    return respond(request, 422, &error_json("Validation Failed"), &[]);
                }
                issue.state = new_state.to_owned();
                issue.state_reason = body
                    .get("state_reason")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            let answer = issue_json(issue);
            respond(request, 200, &answer, &[])
        }
        ("POST", ["repos", owner, repo, "issues", number, "comments"]) => {
            let Some(text) = body.get("body").and_then(Value::as_str).map(str::to_owned) else {
                return respond(
                    request,
                    422,
                    &error_json("Invalid request.\n\n\"body\" wasn't supplied."),
                    &[],
                );
            };
            let Some(issue) = find(&mut state, owner, repo, number) else {
                return respond(request, 404, &error_json("Not Found"), &[]);
            };
            issue.comments.push(text.clone());
            let id = issue.comments.len() as u64;
            let answer = comment_json(issue, id, &text);
            respond(request, 201, &answer, &[])
        }
        _ => respond(request, 404, &error_json("Not Found"), &[]),
    }
}

fn find<'s>(
    state: &'s mut FakeState,
    owner: &str,
    repo: &str,
    number: &str,
) -> Option<&'s mut FakeIssue> {
    let number: u64 = number.parse().ok()?;
    state
        .issues
        .iter_mut()
        .find(|i| i.owner == owner && i.repo == repo && i.number == number)
}

fn decode(value: &str) -> String {
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
