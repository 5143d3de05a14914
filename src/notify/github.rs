//! The tracker on GitHub and GitHub Enterprise: octocrab over a current-thread tokio runtime,
//! with requests shaped by GitHub's OpenAPI description (`../shared/github-rest`).

use std::rc::Rc;
use std::time::Duration;

use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::{Value, json};

use super::repo_url::RepoRef;
use super::{Issue, LABEL, Token, Tracker, TrackerError};

/// Pages of 100 issues; a repository with more open `realm` issues than this is not looked
/// through further (the creator filter below still finds git-realm's own).
const MAX_PAGES: u32 = 10;

pub struct GitHub {
    client: Octocrab,
    runtime: Rc<tokio::runtime::Runtime>,
    token: Token,
    api_base: String,
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

impl GitHub {
    pub fn new(
        api_base: &str,
        token: &Token,
        runtime: Rc<tokio::runtime::Runtime>,
    ) -> Result<GitHub, TrackerError> {
        let api_base = api_base.trim_end_matches('/').to_owned();
        let builder = Octocrab::builder()
            .base_uri(api_base.as_str())
            .map_err(|_| TrackerError::permanent(format!("invalid GitHub API URL `{api_base}`")))?
            // Retries are ours (bounded, injectable backoff, re-looking before re-creating).
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .set_write_timeout(Some(Duration::from_secs(30)))
            .personal_token(token.expose().to_owned());
        // Building spawns the client's worker, which needs the runtime.
        let client = {
            let _entered = runtime.enter();
            builder
                .build()
                .map_err(|e| TrackerError::permanent(scrub(&describe(&e), token)))?
        };
        Ok(GitHub {
            client,
            runtime,
            token: token.clone(),
            api_base,
            login: None,
        })
    }

    /// Send one request; the JSON answer on success, a classified error otherwise.
    fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, TrackerError> {
        let what = format!(
            "{} {}{}",
            method.name(),
            super::repo_url::without_credentials(&self.api_base),
            path.split('?').next().unwrap_or(path)
        );
        let result = self.runtime.block_on(async {
            let response = match method {
                Method::Get => self.client._get(path).await,
                Method::Post => self.client._post(path, body.as_ref()).await,
                Method::Patch => self.client._patch(path, body.as_ref()).await,
            }
            .map_err(|e| Failure::Transport(describe(&e)))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
            let remaining = header("x-ratelimit-remaining");
            let reset = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok());
            let text = self
                .client
                .body_to_string(response)
                .await
                .map_err(|e| Failure::Transport(describe(&e)))?;
            Ok::<_, Failure>((status, retry_after, remaining, reset, text))
        });
        let (status, retry_after, remaining, reset, text) = match result {
            Ok(answer) => answer,
            Err(Failure::Transport(e)) => {
                return Err(TrackerError {
                    transient: true,
                    retry_after: None,
                    message: scrub(&format!("{what} failed: {e}"), &self.token),
                });
            }
        };
        if (200..300).contains(&status) {
            return serde_json::from_str(if text.trim().is_empty() {
                "null"
            } else {
                &text
            })
            .map_err(|e| TrackerError {
                transient: false,
                retry_after: None,
                message: format!("{what}: GitHub's answer is not the JSON expected: {e}"),
            });
        }
        let github_message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let rate_limited = status == 429
            || status == 403
                && (retry_after.is_some()
                    || remaining.as_deref() == Some("0")
                    || github_message.to_ascii_lowercase().contains("rate limit"));
        let retry_after = retry_after.map(Duration::from_secs).or_else(|| {
            let reset = reset.filter(|_| rate_limited)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs();
            Some(Duration::from_secs(reset.saturating_sub(now)))
        });
        let hint = match status {
            401 => "; check the token in GITHUB_TOKEN or GH_TOKEN",
            403 if !rate_limited => {
                "; the token may lack permission to write issues in this repository"
            }
            404 => "; the repository does not exist or the token cannot see it",
            410 => "; issues are disabled in this repository",
            _ if rate_limited => "; rate limited by GitHub",
            _ => "",
        };
        let said = if github_message.is_empty() {
            String::new()
        } else {
            format!(": {}", one_line(&github_message))
        };
        Err(TrackerError {
            transient: status >= 500 || rate_limited,
            retry_after: retry_after.filter(|_| rate_limited || status >= 500),
            message: scrub(
                &format!("{what} answered {status}{said}{hint}"),
                &self.token,
            ),
        })
    }

    fn issue(value: Value) -> Result<Issue, TrackerError> {
        let issue: IssueJson = serde_json::from_value(value).map_err(|e| TrackerError {
            transient: false,
            retry_after: None,
            message: format!("GitHub's issue is not in the expected shape: {e}"),
        })?;
        Ok(Issue {
            number: issue.number,
            url: issue.html_url,
            body: issue.body.unwrap_or_default(),
        })
    }

    /// Open issues of `repo` matching `filter` (a query string), whose body carries `marker`.
    fn find_in(
        &self,
        repo: &RepoRef,
        filter: &str,
        marker: &str,
    ) -> Result<Option<Issue>, TrackerError> {
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{}/{}/issues?{filter}&state=open&per_page=100&page={page}",
                repo.owner, repo.repo
            );
            let list = match self.send(Method::Get, &path, None)? {
                Value::Array(list) => list,
                _ => {
                    return Err(TrackerError::permanent(format!(
                        "GET {path}: GitHub's answer is not a list"
                    )));
                }
            };
            let count = list.len();
            for item in list {
                let issue: IssueJson = match serde_json::from_value(item) {
                    Ok(issue) => issue,
                    Err(_) => continue,
                };
                if issue.pull_request.is_none()
                    && issue.body.as_deref().is_some_and(|b| b.contains(marker))
                {
                    return Ok(Some(Issue {
                        number: issue.number,
                        url: issue.html_url,
                        body: issue.body.unwrap_or_default(),
                    }));
                }
            }
            if count < 100 {
                break;
            }
        }
        Ok(None)
    }

    /// Who the token belongs to; `None` when the API does not say (an Actions token cannot
    /// read `/user`).
    fn login(&mut self) -> Result<Option<String>, TrackerError> {
        if let Some(login) = &self.login {
            return Ok(login.clone());
        }
        let login = match self.send(Method::Get, "/user", None) {
            Ok(user) => user.get("login").and_then(Value::as_str).map(str::to_owned),
            Err(e) if e.transient => return Err(e),
            Err(_) => None,
        };
        self.login = Some(login.clone());
        Ok(login)
    }
}

impl Tracker for GitHub {
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError> {
        if let Some(issue) = self.find_in(repo, &format!("labels={LABEL}"), marker)? {
            return Ok(Some(issue));
        }
        // GitHub silently drops the label when the token may not label issues in that
        // repository; git-realm's own issues are then found by their author.
        match self.login()? {
            Some(login) => self.find_in(repo, &format!("creator={}", query_value(&login)), marker),
            None => Ok(None),
        }
    }

    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError> {
        let path = format!("/repos/{}/{}/issues", repo.owner, repo.repo);
        let created = self.send(
            Method::Post,
            &path,
            Some(json!({ "title": title, "body": body, "labels": [LABEL] })),
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
        let path = format!("/repos/{}/{}/issues/{number}", repo.owner, repo.repo);
        self.send(
            Method::Patch,
            &path,
            Some(json!({ "title": title, "body": body })),
        )?;
        Ok(())
    }

    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError> {
        let path = format!(
            "/repos/{}/{}/issues/{number}/comments",
            repo.owner, repo.repo
        );
        self.send(Method::Post, &path, Some(json!({ "body": body })))?;
        Ok(())
    }

    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError> {
        let path = format!("/repos/{}/{}/issues/{number}", repo.owner, repo.repo);
        self.send(
            Method::Patch,
            &path,
            Some(json!({ "state": "closed", "state_reason": "completed" })),
        )?;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

enum Failure {
    Transport(String),
}

/// An octocrab error and its causes on one line (octocrab's own display is often just a name).
fn describe(err: &octocrab::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    one_line(&parts.join(": "))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` with the token replaced, whatever produced it.
pub fn scrub(text: &str, token: &Token) -> String {
    let secret = token.expose();
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "***")
    }
}

/// A query-string value, percent-encoded (bot logins carry `[bot]`).
fn query_value(value: &str) -> String {
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

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query_value("github-actions[bot]"),
            "github-actions%5Bbot%5D"
        );
    }

    /// Every kind of request git-realm sends, against Prism serving GitHub's OpenAPI
    /// description with `--errors` (`.ci/prism-check.sh` starts it): a request the
    /// description does not allow is answered 422 (bad body or query) or 404 (no such path).
    /// Prism keeps no state, so this checks the requests, not the behaviour.
    #[test]
    #[ignore = "needs Prism at GIT_REALM_PRISM_URL; run .ci/prism-check.sh"]
    fn requests_conform_to_githubs_openapi_description() {
        use crate::notify::{DeliveryConfig, Notice, Resolution, RetryPolicy, deliver, issue};

        let base = std::env::var("GIT_REALM_PRISM_URL")
            .expect("GIT_REALM_PRISM_URL names a running `prism mock --errors`");
        let runtime = Rc::new(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        );
        let token = Token::new("ghp_prism".into());
        let mut github = GitHub::new(&base, &token, runtime).expect("client");
        let repo = RepoRef {
            host: "github.com".into(),
            owner: "octocat".into(),
            repo: "Hello-World".into(),
        };
        let conform = |what: &str, result: Result<(), TrackerError>| {
            if let Err(e) = result {
                panic!("{what} does not conform: {}", e.message);
            }
        };

        // The checks have teeth: what GitHub would refuse, Prism refuses.
        let refused = github.send(
            Method::Get,
            "/repos/octocat/Hello-World/issues?state=bogus",
            None,
        );
        assert!(
            refused.is_err_and(|e| e.message.contains("answered 422")),
            "Prism runs without --errors?"
        );
        let refused = github.send(
            Method::Post,
            "/repos/octocat/Hello-World/issues",
            Some(json!({ "body": "no title" })),
        );
        assert!(refused.is_err_and(|e| e.message.contains("answered 422")));
        let refused = github.send(Method::Get, "/repos/octocat/Hello-World/issue", None);
        assert!(refused.is_err_and(|e| e.message.contains("answered 404")));

        let marker = issue::marker(
            "letemcook",
            "aperture",
            "required-s3-permissions",
            "letemcook-cdk",
        );
        conform(
            "looking up the issue (label, /user, creator)",
            github.find_open(&repo, &marker).map(drop),
        );
        github.login = None;
        conform("/user", github.login().map(drop));
        conform(
            "listing by creator",
            github
                .find_in(&repo, "creator=github-actions%5Bbot%5D", &marker)
                .map(drop),
        );
        conform(
            "creating the issue",
            github
                .create(&repo, "Update for aperture/x 1.4.0", "body")
                .map(drop),
        );
        conform(
            "editing title and body",
            github.edit(&repo, 1347, "Update for aperture/x 1.5.0", "body"),
        );
        conform(
            "commenting",
            github.comment(&repo, 1347, "**aperture** published 1.5.0"),
        );
        conform("closing", github.close(&repo, 1347));

        // And the public entry point, end to end (Prism's lists never hold our marker).
        let config = DeliveryConfig {
            token: Some(token),
            api_url: Some(base),
            retry: RetryPolicy {
                attempts: 1,
                base: Duration::ZERO,
            },
            ..DeliveryConfig::default()
        };
        let notice = Notice {
            realm: "letemcook".into(),
            provider: "aperture".into(),
            consumer: "letemcook-cdk".into(),
            consumer_repo_url: Some("git@github.com:octocat/Hello-World.git".into()),
            consumer_forge: None,
            export: "required-s3-permissions".into(),
            version: "1.4.0".into(),
            previous: Some("1.3.0".into()),
            changes: vec!["Added training-metrics/experiments/* (read, write)".into()],
            breaking: true,
            effective_from: Some("2026-02-07".into()),
            binding: Some("cdk/training_tools_access_stack.py".into()),
        };
        let resolution = Resolution {
            realm: "letemcook".into(),
            provider: "aperture".into(),
            consumer: "letemcook-cdk".into(),
            consumer_repo_url: Some("https://github.com/octocat/Hello-World".into()),
            consumer_forge: None,
            export: "required-s3-permissions".into(),
            version: "1.4.0".into(),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let report = deliver(&config, dir.path(), vec![notice], vec![resolution]);
        assert!(report.not_notified.is_empty(), "{report:#?}");
        assert_eq!(report.delivered.len(), 1, "{report:#?}");
    }

    #[test]
    fn scrub_hides_the_token() {
        let token = Token::new("ghp_secret".into());
        assert_eq!(
            scrub("Bearer ghp_secret failed", &token),
            "Bearer *** failed"
        );
    }
}
