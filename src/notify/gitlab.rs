//! The tracker on GitLab (gitlab.com and self-managed): REST v4 issues, notes and labels,
//! a project addressed by its URL-encoded path (`group%2Fsubgroup%2Fproject`).
//!
//! Requests follow GitLab's REST documentation: `GET /projects/:id/issues` (`labels`,
//! `state=opened`, `scope`, `per_page`, `page`), `POST /projects/:id/issues` (`title`,
//! `description`, `labels` as a comma-separated string; GitLab creates a missing label),
//! `PUT /projects/:id/issues/:iid` (`title`, `description`, `state_event=close`) and
//! `POST /projects/:id/issues/:iid/notes` (`body`). A personal, project or group token goes in
//! `PRIVATE-TOKEN`, as glab sends it; GitLab CI's job token in `JOB-TOKEN`.

use std::rc::Rc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::forge::{Auth, Route};
use super::http::{self, Answer, ErrorStyle, Http};
use super::repo_url::{self, RepoRef};
use super::{Issue, LABEL, Token, Tracker, TrackerError};

/// Pages of 100 issues looked through, as for GitHub.
const MAX_PAGES: u32 = 10;
const PER_PAGE: usize = 100;

pub struct GitLab {
    http: Http,
    api_base: String,
    token: Token,
    token_var: String,
    auth: Auth,
}

#[derive(Deserialize)]
struct IssueJson {
    iid: u64,
    web_url: String,
    #[serde(default)]
    description: Option<String>,
}

impl IssueJson {
    fn into_issue(self) -> Issue {
        Issue {
            number: self.iid,
            url: self.web_url,
            body: self.description.unwrap_or_default(),
        }
    }
}

impl GitLab {
    pub fn new(
        route: &Route,
        runtime: Rc<tokio::runtime::Runtime>,
    ) -> Result<GitLab, TrackerError> {
        http::check_base("GitLab", &route.api_base)?;
        Ok(GitLab {
            http: Http::new(runtime)?,
            api_base: route.api_base.trim_end_matches('/').to_owned(),
            token: route.token.clone(),
            token_var: route.token_var.clone(),
            auth: route.auth,
        })
    }

    fn project(repo: &RepoRef) -> String {
        http::encode(&format!("{}/{}", repo.owner, repo.repo))
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, TrackerError> {
        let what = format!(
            "{method} {}{}",
            repo_url::without_credentials(&self.api_base),
            path.split('?').next().unwrap_or(path)
        );
        let header = match self.auth {
            Auth::Token => "private-token",
            Auth::GitLabJob => "job-token",
        };
        let answer: Answer = self
            .http
            .send(
                method,
                &format!("{}{path}", self.api_base),
                &[(header, self.token.expose())],
                body.as_ref(),
            )
            .map_err(|e| TrackerError {
                transient: true,
                retry_after: None,
                message: format!("{what} failed: {e}"),
            })?;
        if (200..300).contains(&answer.status) {
            return answer.json("GitLab", &what);
        }
        let style = ErrorStyle {
            forge: "GitLab",
            token_source: &self.token_var,
        };
        let mut error = http::classify(&style, &what, &answer);
        if answer.status == 404 && path.contains("/issues") {
            error.message.push_str(" (or its issues are disabled)");
        }
        Err(error)
    }

    /// Open issues of `repo` matching `filter`, whose description carries `marker`.
    fn find_in(
        &self,
        repo: &RepoRef,
        filter: &str,
        marker: &str,
    ) -> Result<Option<Issue>, TrackerError> {
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/projects/{}/issues?{filter}&state=opened&per_page={PER_PAGE}&page={page}",
                Self::project(repo)
            );
            let Value::Array(list) = self.send("GET", &path, None)? else {
                return Err(TrackerError::permanent(format!(
                    "GET {path}: GitLab's answer is not a list"
                )));
            };
            let count = list.len();
            for item in list {
                let Ok(issue) = serde_json::from_value::<IssueJson>(item) else {
                    continue;
                };
                if issue
                    .description
                    .as_deref()
                    .is_some_and(|d| d.contains(marker))
                {
                    return Ok(Some(issue.into_issue()));
                }
            }
            if count < PER_PAGE {
                break;
            }
        }
        Ok(None)
    }

    fn issue(value: Value) -> Result<Issue, TrackerError> {
        serde_json::from_value::<IssueJson>(value)
            .map(IssueJson::into_issue)
            .map_err(|e| {
                TrackerError::permanent(format!("GitLab's issue is not in the expected shape: {e}"))
            })
    }
}

impl Tracker for GitLab {
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError> {
        if let Some(issue) = self.find_in(repo, &format!("labels={LABEL}"), marker)? {
            return Ok(Some(issue));
        }
        // A token below the Planner role opens issues but its labels are dropped: git-realm's
        // own issues are then found among the token's.
        self.find_in(repo, "scope=created_by_me", marker)
    }

    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError> {
        let path = format!("/projects/{}/issues", Self::project(repo));
        let created = self.send(
            "POST",
            &path,
            Some(json!({ "title": title, "description": body, "labels": LABEL })),
        )?;
        Self::issue(created)
    }

    fn edit(
        &mut self,
        repo: &RepoRef,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), TrackerError> {
        let path = format!("/projects/{}/issues/{number}", Self::project(repo));
        self.send(
            "PUT",
            &path,
            Some(json!({ "title": title, "description": body })),
        )?;
        Ok(())
    }

    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError> {
        let path = format!("/projects/{}/issues/{number}/notes", Self::project(repo));
        self.send("POST", &path, Some(json!({ "body": body })))?;
        Ok(())
    }

    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError> {
        let path = format!("/projects/{}/issues/{number}", Self::project(repo));
        self.send("PUT", &path, Some(json!({ "state_event": "close" })))?;
        Ok(())
    }
}
