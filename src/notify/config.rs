//! Where and as whom to deliver: the tokens, API bases and per-host settings read from the
//! environment and git config, and the retry policy.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::{forge, github};

/// A forge token. It has no `Display`, its `Debug` hides it, and it is not serialized.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(secret: String) -> Token {
        Token(secret)
    }

    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Bounded retries of transient failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per message, the first included.
    pub attempts: u32,
    /// The first wait; each further wait doubles it. Zero retries without waiting.
    pub base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// The wait before try `tries + 1`, or `None` when the server asks for longer than we wait.
    pub(super) fn wait(&self, tries: u32, asked: Option<Duration>) -> Option<Duration> {
        let longest = self.base * 60;
        match asked {
            Some(asked) if asked > longest => None,
            Some(asked) => Some(asked),
            None => Some((self.base * 2u32.saturating_pow(tries.saturating_sub(1))).min(longest)),
        }
    }
}

/// Where and as whom to deliver.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// The GitHub token (`GITHUB_TOKEN`, else `GH_TOKEN`).
    pub token: Option<Token>,
    /// The GitHub API base for every GitHub consumer (`GITHUB_API_URL`, else
    /// `realm.githubApiUrl`); without it, only github.com repositories are reached on GitHub,
    /// through api.github.com, besides hosts configured one by one.
    pub api_url: Option<String>,
    pub retry: RetryPolicy,
    /// `realm.<host>.forge`, `.apiUrl` and `.tokenEnv`, by lowercase host.
    pub hosts: HashMap<String, forge::HostSettings>,
    /// The other forges' tokens by the variable they came from (`GITLAB_TOKEN`, a `tokenEnv`…).
    pub secrets: HashMap<String, Token>,
    /// The GitLab instance this runs in as a GitLab CI job, where `CI_JOB_TOKEN` is valid.
    pub gitlab_ci_host: Option<String>,
}

impl DeliveryConfig {
    /// The token from `GITHUB_TOKEN` or `GH_TOKEN`, the API base from `GITHUB_API_URL` or else
    /// `configured_api_url` (the caller reads git config `realm.githubApiUrl`), the per-host
    /// settings `host_listing` holds (the output of
    /// `git config --get-regexp '^realm\..+\.(forge|apiurl|tokenenv)$'`), the other forges'
    /// tokens and those of the variables `tokenEnv` names, and the retry base from
    /// `GIT_REALM_RETRY_BASE_MS`.
    pub fn from_env(configured_api_url: Option<String>, host_listing: &str) -> DeliveryConfig {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let token = var("GITHUB_TOKEN")
            .or_else(|| var("GH_TOKEN"))
            .map(Token::new);
        let api_url = var("GITHUB_API_URL").or(configured_api_url.filter(|v| !v.trim().is_empty()));
        let mut retry = RetryPolicy::default();
        if let Some(ms) = var("GIT_REALM_RETRY_BASE_MS").and_then(|v| v.parse().ok()) {
            retry.base = Duration::from_millis(ms);
        }
        let mut hosts = forge::host_settings(host_listing);
        if let Some(gitlab) = var("GITLAB_HOST").or_else(|| var("GL_HOST")) {
            forge::add_gitlab_host(&mut hosts, &gitlab);
        }
        let secrets = forge::TOKEN_VARS
            .iter()
            .copied()
            .chain(hosts.values().filter_map(|h| h.token_env.as_deref()))
            .filter_map(|name| Some((name.to_owned(), Token::new(var(name)?))))
            .collect();
        DeliveryConfig {
            token,
            api_url,
            retry,
            hosts,
            secrets,
            gitlab_ci_host: forge::gitlab_ci_host(var),
        }
    }

    /// The first unusable `realm.<host>.*` setting, as (what is wrong, how to fix it).
    pub fn check_hosts(&self) -> Result<(), (String, String)> {
        forge::check_hosts(&self.hosts)
    }

    /// `text` with every token replaced.
    pub(super) fn scrub(&self, text: &str) -> String {
        self.token
            .iter()
            .chain(self.secrets.values())
            .fold(text.to_owned(), |text, token| github::scrub(&text, token))
    }
}
