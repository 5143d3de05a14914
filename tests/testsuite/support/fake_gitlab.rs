//! A small stateful fake of GitLab's REST v4 issues API on loopback, with the request and
//! response shapes of GitLab's documentation (Issues API, Notes API, REST authentication,
//! pagination and rate-limit headers): projects addressed by numeric id or URL-encoded path
//! (nested groups included), issues by `iid`, labels as names created on first use,
//! `PRIVATE-TOKEN` or `JOB-TOKEN` checked, and failures on demand.

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::loopback::{self, Answer, Failure, Request, Server};

#[derive(Debug, Clone, PartialEq)]
pub struct GitLabIssue {
    pub project: String,
    pub iid: u64,
    pub title: String,
    pub description: String,
    /// `opened` or `closed`.
    pub state: String,
    pub labels: Vec<String>,
    pub notes: Vec<String>,
    pub author: String,
}

#[derive(Debug, Default)]
pub struct GitLabState {
    /// Project paths (`group/subgroup/project`); the id of each is its index + 1.
    pub projects: Vec<String>,
    pub issues: Vec<GitLabIssue>,
    /// Labels per project, made when an issue first names them.
    pub labels: Vec<(String, String)>,
    /// Every request as `METHOD /path?query` (the path as sent, still encoded).
    pub requests: Vec<String>,
    /// Every request's token header (`PRIVATE-TOKEN: …` or `JOB-TOKEN: …`), or "".
    pub credentials: Vec<String>,
    pub failures: VecDeque<Failure>,
    /// Whether the token's role may set labels; below Planner GitLab drops them silently.
    pub may_label: bool,
    pub username: String,
    pub token: String,
    pub job_token: Option<String>,
    /// Where the web pages live (`https://gitlab.com`).
    pub web: String,
}

pub struct FakeGitLab {
    /// The API base to configure (`http://127.0.0.1:PORT/api/v4`).
    pub url: String,
    server: Server<GitLabState>,
}

const PREFIX: &str = "/api/v4";

impl FakeGitLab {
    /// A GitLab serving `projects` at `web`, accepting `token`.
    pub fn start(token: &str, web: &str, projects: &[&str]) -> FakeGitLab {
        let state = GitLabState {
            projects: projects.iter().map(|p| (*p).to_owned()).collect(),
            may_label: true,
            username: "realm-bot".to_owned(),
            token: token.to_owned(),
            web: web.to_owned(),
            ..GitLabState::default()
        };
        let server = Server::start(state, handle);
        FakeGitLab {
            url: format!("{}{PREFIX}", server.origin),
            server,
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, GitLabState> {
        self.server.state()
    }

    pub fn issues(&self) -> Vec<GitLabIssue> {
        self.state().issues.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    /// Answer the next `times` requests with `status` and `headers`.
    pub fn fail_next(&self, status: u16, headers: &[(&str, &str)], times: usize) {
        let body = match status {
            429 => json!({ "message": "Retry later" }),
            _ => json!({ "message": format!("{status} Server Error") }),
        };
        loopback::queue_failures(&mut self.state().failures, status, body, headers, times);
    }
}

fn error(status: u16, message: Value) -> Answer {
    (status, json!({ "message": message }), Vec::new())
}

fn user_json(state: &GitLabState) -> Value {
    json!({
        "id": 1,
        "username": state.username,
        "name": "Realm Bot",
        "state": "active",
        "locked": false,
        "avatar_url": "https://www.gravatar.com/avatar/0?s=80&d=identicon",
        "web_url": format!("{}/{}", state.web, state.username),
    })
}

fn issue_json(state: &GitLabState, issue: &GitLabIssue) -> Value {
    let project_id = project_id(state, &issue.project).unwrap_or(0);
    let closed = issue.state == "closed";
    json!({
        "id": project_id * 1000 + issue.iid,
        "iid": issue.iid,
        "project_id": project_id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "created_at": "2026-01-24T10:00:00.000Z",
        "updated_at": "2026-01-24T10:00:00.000Z",
        "closed_at": if closed { json!("2026-01-24T11:00:00.000Z") } else { Value::Null },
        "closed_by": if closed { user_json(state) } else { Value::Null },
        "labels": issue.labels,
        "milestone": null,
        "assignees": [],
        "author": user_json(state),
        "type": "ISSUE",
        "assignee": null,
        "user_notes_count": issue.notes.len(),
        "merge_requests_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": null,
        "confidential": false,
        "discussion_locked": null,
        "issue_type": "issue",
        "web_url": format!("{}/{}/-/issues/{}", state.web, issue.project, issue.iid),
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": null,
            "human_total_time_spent": null
        },
        "task_completion_status": { "count": 0, "completed_count": 0 },
        "has_tasks": false,
        "references": {
            "short": format!("#{}", issue.iid),
            "relative": format!("#{}", issue.iid),
            "full": format!("{}#{}", issue.project, issue.iid)
        },
        "severity": "UNKNOWN",
        "_links": {
            "self": format!("{}{PREFIX}/projects/{project_id}/issues/{}", state.web, issue.iid),
            "notes": format!("{}{PREFIX}/projects/{project_id}/issues/{}/notes", state.web, issue.iid),
            "award_emoji": format!("{}{PREFIX}/projects/{project_id}/issues/{}/award_emoji", state.web, issue.iid),
            "project": format!("{}{PREFIX}/projects/{project_id}", state.web)
        },
    })
}

fn note_json(state: &GitLabState, issue: &GitLabIssue, id: u64, body: &str) -> Value {
    json!({
        "id": id,
        "type": null,
        "body": body,
        "attachment": null,
        "author": user_json(state),
        "created_at": "2026-01-24T10:00:00.000Z",
        "updated_at": "2026-01-24T10:00:00.000Z",
        "system": false,
        "noteable_id": project_id(state, &issue.project).unwrap_or(0) * 1000 + issue.iid,
        "noteable_type": "Issue",
        "project_id": project_id(state, &issue.project),
        "resolvable": false,
        "confidential": false,
        "internal": false,
        "noteable_iid": issue.iid,
        "commands_changes": {},
    })
}

fn project_id(state: &GitLabState, path: &str) -> Option<u64> {
    state
        .projects
        .iter()
        .position(|p| p == path)
        .map(|i| i as u64 + 1)
}

/// A project by numeric id or URL-encoded path: an unencoded `/` never reaches here as one
/// segment, so a nested path sent raw is a 404, as on GitLab.
fn project(state: &GitLabState, id: &str) -> Option<String> {
    match id.parse::<usize>() {
        Ok(n) => state.projects.get(n.checked_sub(1)?).cloned(),
        Err(_) => {
            let path = loopback::decode(id);
            state.projects.iter().find(|p| **p == path).cloned()
        }
    }
}

fn handle(state: &mut GitLabState, request: Request) -> Answer {
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
    let private = request.header("PRIVATE-TOKEN");
    let job = request.header("JOB-TOKEN");
    state.credentials.push(match (&private, &job) {
        (Some(t), _) => format!("PRIVATE-TOKEN: {t}"),
        (None, Some(t)) => format!("JOB-TOKEN: {t}"),
        _ => String::new(),
    });
    if let Some(failure) = state.failures.pop_front() {
        return (failure.status, failure.body, failure.headers);
    }
    let authorized =
        private.as_deref() == Some(state.token.as_str()) || job.is_some() && job == state.job_token;
    if !authorized {
        return error(401, json!("401 Unauthorized"));
    }
    let Some(path) = request.path.strip_prefix(PREFIX) else {
        return error(404, json!("404 Not Found"));
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = &request.body;
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["user"]) => (200, user_json(state), Vec::new()),
        (method, ["projects", id, rest @ ..]) => {
            let Some(project) = project(state, id) else {
                return error(404, json!("404 Project Not Found"));
            };
            project_request(state, method, &project, rest, &request, body)
        }
        _ => error(404, json!("404 Not Found")),
    }
}

fn project_request(
    state: &mut GitLabState,
    method: &str,
    project: &str,
    rest: &[&str],
    request: &Request,
    body: &Value,
) -> Answer {
    match (method, rest) {
        ("GET", ["issues"]) => {
            let wanted = request.param("state").unwrap_or_else(|| "all".to_owned());
            if !matches!(wanted.as_str(), "opened" | "closed" | "all") {
                return (
                    400,
                    json!({ "error": "state does not have a valid value" }),
                    Vec::new(),
                );
            }
            let labels: Vec<String> = request
                .param("labels")
                .map(|l| {
                    l.split(',')
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let mine = match request.param("scope").as_deref() {
                None | Some("all") => false,
                Some("created_by_me") => true,
                Some(_) => {
                    return (
                        400,
                        json!({ "error": "scope does not have a valid value" }),
                        Vec::new(),
                    );
                }
            };
            let per_page: usize = request
                .param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20)
                .clamp(1, 100);
            let page: usize = request
                .param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let matching: Vec<&GitLabIssue> = state
                .issues
                .iter()
                .rev() // created_at descending, GitLab's default order
                .filter(|i| i.project == project)
                .filter(|i| wanted == "all" || i.state == wanted)
                .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
                .filter(|i| !mine || i.author == state.username)
                .collect();
            let total = matching.len();
            let shown: Vec<Value> = matching
                .into_iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| issue_json(state, i))
                .collect();
            let next = if page * per_page < total {
                (page + 1).to_string()
            } else {
                String::new()
            };
            let headers = vec![
                ("X-Page".to_owned(), page.to_string()),
                ("X-Per-Page".to_owned(), per_page.to_string()),
                ("X-Next-Page".to_owned(), next),
                ("X-Total".to_owned(), total.to_string()),
            ];
            (200, json!(shown), headers)
        }
        ("POST", ["issues"]) => {
            let Some(title) = body.get("title").and_then(Value::as_str) else {
                return (400, json!({ "error": "title is missing" }), Vec::new());
            };
            let labels: Vec<String> = match body.get("labels") {
                Some(Value::String(names)) => names
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                Some(Value::Array(names)) => names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            let labels = if state.may_label { labels } else { Vec::new() };
            for label in &labels {
                let known = (project.to_owned(), label.clone());
                if !state.labels.contains(&known) {
                    state.labels.push(known);
                }
            }
            let iid = state.issues.iter().filter(|i| i.project == project).count() as u64 + 1;
            let issue = GitLabIssue {
                project: project.to_owned(),
                iid,
                title: title.to_owned(),
                description: body
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                state: "opened".to_owned(),
                labels,
                notes: Vec::new(),
                author: state.username.clone(),
            };
            let answer = issue_json(state, &issue);
            state.issues.push(issue);
            (201, answer, Vec::new())
        }
        ("PUT", ["issues", iid]) => {
            let Some(index) = find(state, project, iid) else {
                return error(404, json!("404 Issue Not Found"));
            };
            let issue = &mut state.issues[index];
            if let Some(title) = body.get("title").and_then(Value::as_str) {
                issue.title = title.to_owned();
            }
            if let Some(text) = body.get("description").and_then(Value::as_str) {
                issue.description = text.to_owned();
            }
            match body.get("state_event").and_then(Value::as_str) {
                None => {}
                Some("close") => issue.state = "closed".to_owned(),
                Some("reopen") => issue.state = "opened".to_owned(),
                Some(_) => {
                    return (
                        400,
                        json!({ "error": "state_event does not have a valid value" }),
                        Vec::new(),
                    );
                }
            }
            let answer = issue_json(state, &state.issues[index]);
            (200, answer, Vec::new())
        }
        ("POST", ["issues", iid, "notes"]) => {
            let Some(text) = body.get("body").and_then(Value::as_str).map(str::to_owned) else {
                return (400, json!({ "error": "body is missing" }), Vec::new());
            };
            let Some(index) = find(state, project, iid) else {
                return error(404, json!("404 Issue Not Found"));
            };
            state.issues[index].notes.push(text.clone());
            let id = state.issues.iter().map(|i| i.notes.len() as u64).sum();
            let answer = note_json(state, &state.issues[index], id, &text);
            (201, answer, Vec::new())
        }
        _ => error(404, json!("404 Not Found")),
    }
}

fn find(state: &GitLabState, project: &str, iid: &str) -> Option<usize> {
    let iid: u64 = iid.parse().ok()?;
    state
        .issues
        .iter()
        .position(|i| i.project == project && i.iid == iid)
}
