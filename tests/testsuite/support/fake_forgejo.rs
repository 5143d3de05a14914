//! A small stateful fake of the Forgejo/Gitea REST v1 issues API on loopback, with the request
//! and response shapes of their Swagger description (Issue, Comment, Label, User): labels are
//! ids and must exist before an issue carries them, `labels=` filters by name (unknown names
//! are discarded, as Gitea does), `limit` is capped at 50, `Authorization: token …` is checked,
//! and failures come on demand.

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::loopback::{self, Answer, Failure, Request, Server};

#[derive(Debug, Clone, PartialEq)]
pub struct ForgejoIssue {
    pub owner: String,
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// Label ids.
    pub labels: Vec<u64>,
    pub comments: Vec<String>,
    pub poster: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForgejoLabel {
    pub owner: String,
    pub repo: String,
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: String,
}

#[derive(Debug, Default)]
pub struct ForgejoState {
    /// `owner/repo` of each repository served.
    pub repos: Vec<String>,
    pub issues: Vec<ForgejoIssue>,
    pub labels: Vec<ForgejoLabel>,
    pub requests: Vec<String>,
    /// Every request's `Authorization` header, or "".
    pub authorizations: Vec<String>,
    pub failures: VecDeque<Failure>,
    /// Whether the token may create labels (repository write access).
    pub may_create_labels: bool,
    pub login: String,
    pub token: String,
    /// Where the web pages live (`https://codeberg.org`).
    pub web: String,
    next_id: u64,
}

pub struct FakeForgejo {
    /// The API base to configure (`http://127.0.0.1:PORT/api/v1`).
    pub url: String,
    server: Server<ForgejoState>,
}

const PREFIX: &str = "/api/v1";
const MAX_RESPONSE_ITEMS: usize = 50;

impl FakeForgejo {
    /// A Forgejo serving `repos` (`owner/repo`) at `web`, accepting `token`.
    pub fn start(token: &str, web: &str, repos: &[&str]) -> FakeForgejo {
        let state = ForgejoState {
            repos: repos.iter().map(|r| (*r).to_owned()).collect(),
            may_create_labels: true,
            login: "realm-bot".to_owned(),
            token: token.to_owned(),
            web: web.to_owned(),
            next_id: 100,
            ..ForgejoState::default()
        };
        let server = Server::start(state, handle);
        FakeForgejo {
            url: format!("{}{PREFIX}", server.origin),
            server,
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, ForgejoState> {
        self.server.state()
    }

    pub fn issues(&self) -> Vec<ForgejoIssue> {
        self.state().issues.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    /// A label the repository has already.
    pub fn add_label(&self, repo: &str, name: &str) -> u64 {
        let mut state = self.state();
        let (owner, name_of_repo) = repo.split_once('/').expect("owner/repo");
        state.next_id += 1;
        let id = state.next_id;
        state.labels.push(ForgejoLabel {
            owner: owner.to_owned(),
            repo: name_of_repo.to_owned(),
            id,
            name: name.to_owned(),
            color: "e11d21".to_owned(),
            description: String::new(),
        });
        id
    }

    /// The names of an issue's labels.
    pub fn label_names(&self, issue: &ForgejoIssue) -> Vec<String> {
        let state = self.state();
        issue
            .labels
            .iter()
            .filter_map(|id| state.labels.iter().find(|l| l.id == *id))
            .map(|l| l.name.clone())
            .collect()
    }

    /// Answer the next `times` requests with `status` and `headers`.
    pub fn fail_next(&self, status: u16, headers: &[(&str, &str)], times: usize) {
        let body =
            json!({ "message": format!("{status}"), "url": "https://codeberg.org/api/swagger" });
        loopback::queue_failures(&mut self.state().failures, status, body, headers, times);
    }
}

fn error(status: u16, message: &str) -> Answer {
    (
        status,
        json!({ "message": message, "url": "https://codeberg.org/api/swagger" }),
        Vec::new(),
    )
}

fn user_json(state: &ForgejoState, login: &str) -> Value {
    json!({
        "id": 7,
        "login": login,
        "login_name": "",
        "source_id": 0,
        "full_name": "",
        "email": format!("{login}@noreply.codeberg.org"),
        "avatar_url": format!("{}/avatars/0", state.web),
        "html_url": format!("{}/{login}", state.web),
        "language": "",
        "is_admin": false,
        "last_login": "0001-01-01T00:00:00Z",
        "created": "2026-01-01T00:00:00Z",
        "restricted": false,
        "active": false,
        "prohibit_login": false,
        "location": "",
        "pronouns": "",
        "website": "",
        "description": "",
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
        "username": login,
    })
}

fn label_json(state: &ForgejoState, label: &ForgejoLabel) -> Value {
    json!({
        "id": label.id,
        "name": label.name,
        "exclusive": false,
        "is_archived": false,
        "color": label.color,
        "description": label.description,
        "url": format!("{}{PREFIX}/repos/{}/{}/labels/{}", state.web, label.owner, label.repo, label.id),
    })
}

fn issue_json(state: &ForgejoState, issue: &ForgejoIssue) -> Value {
    let labels: Vec<Value> = issue
        .labels
        .iter()
        .filter_map(|id| state.labels.iter().find(|l| l.id == *id))
        .map(|l| label_json(state, l))
        .collect();
    let closed = issue.state == "closed";
    json!({
        "id": issue.number * 1000,
        "url": format!("{}{PREFIX}/repos/{}/{}/issues/{}", state.web, issue.owner, issue.repo, issue.number),
        "html_url": format!("{}/{}/{}/issues/{}", state.web, issue.owner, issue.repo, issue.number),
        "number": issue.number,
        "user": user_json(state, &issue.poster),
        "original_author": "",
        "original_author_id": 0,
        "title": issue.title,
        "body": issue.body,
        "ref": "",
        "assets": [],
        "labels": labels,
        "milestone": null,
        "assignee": null,
        "assignees": null,
        "state": issue.state,
        "is_locked": false,
        "comments": issue.comments.len(),
        "created_at": "2026-01-24T10:00:00Z",
        "updated_at": "2026-01-24T10:00:00Z",
        "closed_at": if closed { json!("2026-01-24T11:00:00Z") } else { Value::Null },
        "due_date": null,
        "pull_request": null,
        "repository": {
            "id": 1,
            "name": issue.repo,
            "owner": issue.owner,
            "full_name": format!("{}/{}", issue.owner, issue.repo)
        },
        "pin_order": 0,
    })
}

fn comment_json(state: &ForgejoState, issue: &ForgejoIssue, id: u64, body: &str) -> Value {
    json!({
        "id": id,
        "html_url": format!("{}/{}/{}/issues/{}#issuecomment-{id}", state.web, issue.owner, issue.repo, issue.number),
        "pull_request_url": "",
        "issue_url": format!("{}/{}/{}/issues/{}", state.web, issue.owner, issue.repo, issue.number),
        "user": user_json(state, &issue.poster),
        "original_author": "",
        "original_author_id": 0,
        "body": body,
        "assets": [],
        "created_at": "2026-01-24T10:00:00Z",
        "updated_at": "2026-01-24T10:00:00Z",
    })
}

fn page_of<T>(items: Vec<T>, request: &Request) -> Vec<T> {
    let limit: usize = request
        .param("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_RESPONSE_ITEMS)
        .clamp(1, MAX_RESPONSE_ITEMS);
    let page: usize = request
        .param("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect()
}

fn handle(state: &mut ForgejoState, request: Request) -> Answer {
    let query = if request.params.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = request
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("?{}", pairs.join("&"))
    };
    state
        .requests
        .push(format!("{} {}{query}", request.method, request.path));
    let authorization = request.header("Authorization").unwrap_or_default();
    state.authorizations.push(authorization.clone());
    if let Some(failure) = state.failures.pop_front() {
        return (failure.status, failure.body, failure.headers);
    }
    let accepted = [
        format!("token {}", state.token),
        format!("Bearer {}", state.token),
    ];
    if !accepted.contains(&authorization) {
        return error(401, "token is required");
    }
    let Some(path) = request.path.strip_prefix(PREFIX) else {
        return error(404, "Not Found");
    };
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(loopback::decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let body = &request.body;
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["user"]) => {
            let login = state.login.clone();
            (200, user_json(state, &login), Vec::new())
        }
        (method, ["repos", owner, repo, rest @ ..]) => {
            if !state.repos.contains(&format!("{owner}/{repo}")) {
                return error(404, "The target couldn't be found.");
            }
            repo_request(state, method, owner, repo, rest, &request, body)
        }
        _ => error(404, "Not Found"),
    }
}

fn repo_request(
    state: &mut ForgejoState,
    method: &str,
    owner: &str,
    repo: &str,
    rest: &[&str],
    request: &Request,
    body: &Value,
) -> Answer {
    let in_repo = |l: &&ForgejoLabel| l.owner == owner && l.repo == repo;
    match (method, rest) {
        ("GET", ["labels"]) => {
            let labels: Vec<Value> = state
                .labels
                .iter()
                .filter(in_repo)
                .map(|l| label_json(state, l))
                .collect();
            (200, json!(page_of(labels, request)), Vec::new())
        }
        ("POST", ["labels"]) => {
            if !state.may_create_labels {
                return error(
                    403,
                    "user should have specific permission or be a site admin",
                );
            }
            let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
            let color = body
                .get("color")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let hex = color.trim_start_matches('#');
            if name.is_empty() || hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return error(422, "[Name Color]: Required");
            }
            if state.labels.iter().filter(in_repo).any(|l| l.name == name) {
                return error(409, "label already exists");
            }
            state.next_id += 1;
            let label = ForgejoLabel {
                owner: owner.to_owned(),
                repo: repo.to_owned(),
                id: state.next_id,
                name: name.to_owned(),
                color: hex.to_owned(),
                description: body
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            };
            let answer = label_json(state, &label);
            state.labels.push(label);
            (201, answer, Vec::new())
        }
        ("GET", ["issues"]) => {
            let wanted = request.param("state").unwrap_or_else(|| "open".to_owned());
            if request.param("type").is_some_and(|t| t == "pulls") {
                return (200, json!([]), Vec::new());
            }
            // Names of labels the repository lacks are discarded from the filter.
            let label_ids: Vec<u64> = request
                .param("labels")
                .map(|names| {
                    names
                        .split(',')
                        .filter_map(|n| {
                            state
                                .labels
                                .iter()
                                .filter(in_repo)
                                .find(|l| l.name == n)
                                .map(|l| l.id)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let created_by = request.param("created_by");
            let matching: Vec<Value> = state
                .issues
                .iter()
                .rev()
                .filter(|i| i.owner == owner && i.repo == repo)
                .filter(|i| wanted == "all" || i.state == wanted)
                .filter(|i| label_ids.iter().all(|id| i.labels.contains(id)))
                .filter(|i| created_by.as_ref().is_none_or(|c| *c == i.poster))
                .map(|i| issue_json(state, i))
                .collect();
            let total = matching.len();
            (
                200,
                json!(page_of(matching, request)),
                vec![("X-Total-Count".to_owned(), total.to_string())],
            )
        }
        ("POST", ["issues"]) => {
            let Some(title) = body.get("title").and_then(Value::as_str) else {
                return error(422, "[Title]: Required");
            };
            let mut labels = Vec::new();
            for id in body
                .get("labels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(id) = id.as_u64() else {
                    return error(422, "labels: expected integer ids");
                };
                if !state.labels.iter().filter(in_repo).any(|l| l.id == id) {
                    return error(422, &format!("label {id} does not exist"));
                }
                labels.push(id);
            }
            let number = state
                .issues
                .iter()
                .filter(|i| i.owner == owner && i.repo == repo)
                .count() as u64
                + 1;
            let issue = ForgejoIssue {
                owner: owner.to_owned(),
                repo: repo.to_owned(),
                number,
                title: title.to_owned(),
                body: body
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                state: "open".to_owned(),
                labels,
                comments: Vec::new(),
                poster: state.login.clone(),
            };
            let answer = issue_json(state, &issue);
            state.issues.push(issue);
            (201, answer, Vec::new())
        }
        ("PATCH", ["issues", number]) => {
            let Some(index) = find(state, owner, repo, number) else {
                return error(404, "The target couldn't be found.");
            };
            let issue = &mut state.issues[index];
            if let Some(title) = body.get("title").and_then(Value::as_str) {
                issue.title = title.to_owned();
            }
            if let Some(text) = body.get("body").and_then(Value::as_str) {
                issue.body = text.to_owned();
            }
            if let Some(new_state) = body.get("state").and_then(Value::as_str) {
                if new_state != "open" && new_state != "closed" {
                    return error(422, "[State]: invalid");
                }
                issue.state = new_state.to_owned();
            }
            let answer = issue_json(state, &state.issues[index]);
            (201, answer, Vec::new())
        }
        ("POST", ["issues", number, "comments"]) => {
            let Some(text) = body.get("body").and_then(Value::as_str).map(str::to_owned) else {
                return error(422, "[Body]: Required");
            };
            let Some(index) = find(state, owner, repo, number) else {
                return error(404, "The target couldn't be found.");
            };
            state.issues[index].comments.push(text.clone());
            state.next_id += 1;
            let id = state.next_id;
            let answer = comment_json(state, &state.issues[index], id, &text);
            (201, answer, Vec::new())
        }
        _ => error(404, "Not Found"),
    }
}

fn find(state: &ForgejoState, owner: &str, repo: &str, number: &str) -> Option<usize> {
    let number: u64 = number.parse().ok()?;
    state
        .issues
        .iter()
        .position(|i| i.owner == owner && i.repo == repo && i.number == number)
}
