//! The tracker on Forgejo and Gitea (Codeberg included): their shared REST v1 issues,
//! comments and labels.
//!
//! Requests follow the Swagger description both serve: `GET /repos/{owner}/{repo}/issues`
//! (`state`, `type=issues`, `labels` by name, `created_by`, `limit`, `page`),
//! `POST /repos/{owner}/{repo}/issues` (`title`, `body`, `labels` as label ids),
//! `PATCH /repos/{owner}/{repo}/issues/{index}` (`title`, `body`, `state`),
//! `POST /repos/{owner}/{repo}/issues/{index}/comments` (`body`), and
//! `GET`/`POST /repos/{owner}/{repo}/labels`: labels are ids there, so the `realm` label is
//! looked up and created when missing. The token goes in `Authorization: token …`, as tea
//! sends it.

use std::collections::HashMap;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::forge::Route;
use super::http::{self, ErrorStyle, Http};
use super::repo_url::{self, RepoRef};
use super::{Issue, LABEL, Token, Tracker, TrackerError};

/// Forgejo's and Gitea's default `MAX_RESPONSE_ITEMS`: a larger `limit` is cut to it.
const PER_PAGE: usize = 50;
const MAX_PAGES: u32 = 20;
const LABEL_COLOR: &str = "#0e8a16";

pub struct Forgejo {
    http: Http,
    api_base: String,
    token: Token,
    token_var: String,
    /// The `realm` label's id per repository, once known; `None` when it cannot be made.
    labels: HashMap<RepoRef, Option<u64>>,
    /// The token's login, once asked: `Some(None)` when the API would not say.
    login: Option<Option<String>>,
}

#[derive(Deserialize)]
struct IssueJson {
    number: u64,
    html_url: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<Value>,
}

#[derive(Deserialize)]
struct LabelJson {
    id: u64,
    name: String,
}

impl IssueJson {
    fn into_issue(self) -> Issue {
        Issue {
            number: self.number,
            url: self.html_url,
            body: self.body.unwrap_or_default(),
        }
    }
}

impl Forgejo {
    pub fn new(
        route: &Route,
        runtime: Rc<tokio::runtime::Runtime>,
    ) -> Result<Forgejo, TrackerError> {
        http::check_base("Forgejo", &route.api_base)?;
        Ok(Forgejo {
            http: Http::new(runtime)?,
            api_base: route.api_base.trim_end_matches('/').to_owned(),
            token: route.token.clone(),
            token_var: route.token_var.clone(),
            labels: HashMap::new(),
            login: None,
        })
    }

    fn repo_path(repo: &RepoRef) -> String {
        format!(
            "/repos/{}/{}",
            http::encode(&repo.owner),
            http::encode(&repo.repo)
        )
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, TrackerError> {
        let what = format!(
            "{method} {}{}",
            repo_url::without_credentials(&self.api_base),
            path.split('?').next().unwrap_or(path)
        );
        let authorization = format!("token {}", self.token.expose());
        let answer = self
            .http
            .send(
                method,
                &format!("{}{path}", self.api_base),
                &[("authorization", &authorization)],
                body.as_ref(),
            )
            .map_err(|e| TrackerError {
                transient: true,
                retry_after: None,
                message: format!("{what} failed: {e}"),
            })?;
        if (200..300).contains(&answer.status) {
            return answer.json("Forgejo", &what);
        }
        let style = ErrorStyle {
            forge: "Forgejo",
            token_source: &self.token_var,
        };
        Err(http::classify(&style, &what, &answer))
    }

    fn list(&self, path: &str) -> Result<Vec<Value>, TrackerError> {
        match self.send("GET", path, None)? {
            Value::Array(list) => Ok(list),
            _ => Err(TrackerError::permanent(format!(
                "GET {path}: Forgejo's answer is not a list"
            ))),
        }
    }

    /// Open issues of `repo` matching `filter`, whose body carries `marker`.
    fn find_in(
        &self,
        repo: &RepoRef,
        filter: &str,
        marker: &str,
    ) -> Result<Option<Issue>, TrackerError> {
        for page in 1..=MAX_PAGES {
            let path = format!(
                "{}/issues?state=open&type=issues&{filter}&limit={PER_PAGE}&page={page}",
                Self::repo_path(repo)
            );
            let list = self.list(&path)?;
            let count = list.len();
            for item in list {
                let Ok(issue) = serde_json::from_value::<IssueJson>(item) else {
                    continue;
                };
                if issue.pull_request.as_ref().is_none_or(Value::is_null)
                    && issue.body.as_deref().is_some_and(|b| b.contains(marker))
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

    /// The id of `repo`'s `realm` label, created when missing; `None` when the token may not
    /// create it (the issue is then opened without it).
    fn label_id(&mut self, repo: &RepoRef) -> Result<Option<u64>, TrackerError> {
        if let Some(id) = self.labels.get(repo) {
            return Ok(*id);
        }
        let mut found = None;
        for page in 1..=MAX_PAGES {
            let path = format!(
                "{}/labels?limit={PER_PAGE}&page={page}",
                Self::repo_path(repo)
            );
            let list = self.list(&path)?;
            let count = list.len();
            found = list
                .into_iter()
                .filter_map(|l| serde_json::from_value::<LabelJson>(l).ok())
                .find(|l| l.name == LABEL)
                .map(|l| l.id);
            if found.is_some() || count < PER_PAGE {
                break;
            }
        }
        let id = match found {
            Some(id) => Some(id),
            None => {
                let path = format!("{}/labels", Self::repo_path(repo));
                let body = json!({
                    "name": LABEL,
                    "color": LABEL_COLOR,
                    "description": "Notifications from git-realm",
                });
                match self.send("POST", &path, Some(body)) {
                    Ok(label) => Some(
                        serde_json::from_value::<LabelJson>(label)
                            .map_err(|e| {
                                TrackerError::permanent(format!(
                                    "Forgejo's label is not in the expected shape: {e}"
                                ))
                            })?
                            .id,
                    ),
                    Err(e) if e.transient => return Err(e),
                    // Without the right to make labels, the issue goes out unlabelled and is
                    // found again by its author.
                    Err(_) => None,
                }
            }
        };
        self.labels.insert(repo.clone(), id);
        Ok(id)
    }

    /// Who the token belongs to; `None` when the API does not say.
    fn login(&mut self) -> Result<Option<String>, TrackerError> {
        if let Some(login) = &self.login {
            return Ok(login.clone());
        }
        let login = match self.send("GET", "/user", None) {
            Ok(user) => user.get("login").and_then(Value::as_str).map(str::to_owned),
            Err(e) if e.transient => return Err(e),
            Err(_) => None,
        };
        self.login = Some(login.clone());
        Ok(login)
    }
}

impl Tracker for Forgejo {
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError> {
        if let Some(issue) = self.find_in(repo, &format!("labels={LABEL}"), marker)? {
            return Ok(Some(issue));
        }
        match self.login()? {
            Some(login) => self.find_in(
                repo,
                &format!("created_by={}", http::encode(&login)),
                marker,
            ),
            None => Ok(None),
        }
    }

    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError> {
        let labels: Vec<u64> = self.label_id(repo)?.into_iter().collect();
        let path = format!("{}/issues", Self::repo_path(repo));
        let created = self.send(
            "POST",
            &path,
            Some(json!({ "title": title, "body": body, "labels": labels })),
        )?;
        serde_json::from_value::<IssueJson>(created)
            .map(IssueJson::into_issue)
            .map_err(|e| {
                TrackerError::permanent(format!(
                    "Forgejo's issue is not in the expected shape: {e}"
                ))
            })
    }

    fn edit(
        &mut self,
        repo: &RepoRef,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), TrackerError> {
        let path = format!("{}/issues/{number}", Self::repo_path(repo));
        self.send(
            "PATCH",
            &path,
            Some(json!({ "title": title, "body": body })),
        )?;
        Ok(())
    }

    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError> {
        let path = format!("{}/issues/{number}/comments", Self::repo_path(repo));
        self.send("POST", &path, Some(json!({ "body": body })))?;
        Ok(())
    }

    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError> {
        let path = format!("{}/issues/{number}", Self::repo_path(repo));
        self.send("PATCH", &path, Some(json!({ "state": "closed" })))?;
        Ok(())
    }
}
