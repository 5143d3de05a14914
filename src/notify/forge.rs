//! Which forge serves a consumer's `repo_url`, at which API, and with which token.
//!
//! The forge is the user's `realm.<host>.forge`, else known from the host (github.com,
//! gitlab.com, codeberg.org), else the consumer's own `forge:` in its domain.yaml, else GitHub
//! when `GITHUB_API_URL` or `realm.githubApiUrl` names an Enterprise API (as before forges
//! other than GitHub were served). A token is sent only to a host the user named: a known
//! host of its forge, a host with `realm.<host>.*` settings, the Enterprise API configured for
//! GitHub, or the GitLab instance a GitLab CI job runs in (for `CI_JOB_TOKEN`). A realm file
//! can say which kind of forge a host is, never where a token goes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::repo_url::{self, RepoRef};
use super::{DeliveryConfig, Message, Token};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forge {
    GitHub,
    GitLab,
    /// Forgejo and Gitea, which share their REST v1 API.
    Forgejo,
}

impl Forge {
    pub fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Forgejo => "Forgejo",
        }
    }

    /// The forge a well-known public host runs.
    pub fn known(host: &str) -> Option<Forge> {
        match host {
            "github.com" | "www.github.com" => Some(Forge::GitHub),
            "gitlab.com" => Some(Forge::GitLab),
            "codeberg.org" => Some(Forge::Forgejo),
            _ => None,
        }
    }

    fn default_api(self, host: &str) -> String {
        match self {
            Forge::GitHub => repo_url::api_base_for(host),
            Forge::GitLab => format!("https://{host}/api/v4"),
            Forge::Forgejo => format!("https://{host}/api/v1"),
        }
    }

    /// The variables a token for this forge is read from, in order.
    fn token_vars(self) -> &'static [&'static str] {
        match self {
            Forge::GitHub => &["GITHUB_TOKEN", "GH_TOKEN"],
            Forge::GitLab => &["GITLAB_TOKEN"],
            Forge::Forgejo => &["FORGEJO_TOKEN", "GITEA_TOKEN"],
        }
    }
}

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
            Forge::Forgejo => "forgejo",
        })
    }
}

impl FromStr for Forge {
    type Err = String;

    fn from_str(value: &str) -> Result<Forge, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "github" => Ok(Forge::GitHub),
            "gitlab" => Ok(Forge::GitLab),
            "forgejo" | "gitea" => Ok(Forge::Forgejo),
            other => Err(format!(
                "`{other}` is not a forge git-realm knows (github, gitlab, forgejo)"
            )),
        }
    }
}

/// The user's git config for one host: `realm.<host>.forge`, `.apiUrl`, `.tokenEnv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSettings {
    pub forge: Option<String>,
    pub api_url: Option<String>,
    pub token_env: Option<String>,
}

/// `realm.<host>.<key>` settings as `git config --get-regexp` lists them (`key value` lines),
/// by lowercase host; `realm.forge.<host>` is another spelling of `realm.<host>.forge`.
pub fn host_settings(listing: &str) -> HashMap<String, HostSettings> {
    let mut hosts: HashMap<String, HostSettings> = HashMap::new();
    for line in listing.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let Some(rest) = key.strip_prefix("realm.") else {
            continue;
        };
        let Some((mut host, mut name)) = rest.rsplit_once('.') else {
            continue;
        };
        // SPEC's spelling, `realm.forge.<host> <forge>`: the key ends in the host, not in
        // one of the names below.
        if !matches!(
            name.to_ascii_lowercase().as_str(),
            "forge" | "apiurl" | "tokenenv"
        ) && let Some(spec_host) = rest.strip_prefix("forge.")
        {
            (host, name) = (spec_host, "forge");
        }
        let value = value.trim();
        if host.is_empty() || value.is_empty() {
            continue;
        }
        let entry = hosts.entry(host.to_ascii_lowercase()).or_default();
        match name.to_ascii_lowercase().as_str() {
            "forge" => entry.forge = Some(value.to_owned()),
            "apiurl" => entry.api_url = Some(value.to_owned()),
            "tokenenv" => entry.token_env = Some(value.to_owned()),
            _ => {}
        }
    }
    hosts
}

/// The first unusable `realm.<host>.*` setting, as (what is wrong, how to fix it).
pub fn check_hosts(hosts: &HashMap<String, HostSettings>) -> Result<(), (String, String)> {
    let mut names: Vec<&String> = hosts.keys().collect();
    names.sort();
    for host in names {
        let settings = &hosts[host];
        if let Some(forge) = &settings.forge {
            if forge.parse::<Forge>().is_err() {
                return Err((
                    format!(
                        "git config realm.{host}.forge is `{forge}`, not a forge git-realm knows"
                    ),
                    format!(
                        "set it to github, gitlab or forgejo: git config realm.{host}.forge gitlab"
                    ),
                ));
            }
        }
        if let Some(api) = &settings.api_url {
            if super::http::check_base("", api).is_err() {
                return Err((
                    format!(
                        "git config realm.{host}.apiUrl is `{}`, not an http(s) URL",
                        repo_url::without_credentials(api)
                    ),
                    format!("set it to the API base, like https://{host}/api/v4"),
                ));
            }
        }
    }
    Ok(())
}

/// `GITLAB_HOST` (or `GL_HOST`), as glab reads it: the user's GitLab instance, a host name or
/// a URL. Unless git config says otherwise for that host, it is GitLab, its API under the URL
/// given (`<url>/api/v4`), and `GITLAB_TOKEN` goes there.
pub fn add_gitlab_host(hosts: &mut HashMap<String, HostSettings>, value: &str) {
    let value = value.trim().trim_end_matches('/');
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, value),
    };
    let host = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host.is_empty() {
        return;
    }
    let entry = hosts.entry(host).or_default();
    if entry.forge.is_none() {
        entry.forge = Some(Forge::GitLab.to_string());
    }
    if entry.api_url.is_none() {
        if let Some(scheme) = scheme {
            entry.api_url = Some(format!("{scheme}://{rest}/api/v4"));
        }
    }
}

/// How a token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// The forge's usual header for a personal or project token.
    Token,
    /// GitLab CI's `CI_JOB_TOKEN`, sent as `JOB-TOKEN`.
    GitLabJob,
}

/// Where one message goes.
#[derive(Debug, Clone)]
pub struct Route {
    pub forge: Forge,
    pub repo: RepoRef,
    pub api_base: String,
    pub token: Token,
    /// The variable the token came from, named in a 401's hint.
    pub token_var: String,
    pub auth: Auth,
}

/// Where `message` goes; `Ok(None)` when there is nothing to do (a resolution for a domain
/// with no usable `repo_url` can have no issue), `Err` saying why it cannot be sent.
pub fn route(config: &DeliveryConfig, message: &Message) -> Result<Option<Route>, String> {
    let resolution = matches!(message, Message::Resolution(_));
    let Some(url) = message.consumer_repo_url() else {
        if resolution {
            return Ok(None);
        }
        return Err(format!(
            "domain `{}` has no repo_url in its domain.yaml",
            message.names().3
        ));
    };
    match route_url(config, url, message.consumer_forge()) {
        Ok(route) => Ok(Some(route)),
        // No repository, so no issue to close.
        Err(Unroutable::Url(_)) if resolution => Ok(None),
        Err(Unroutable::Url(why) | Unroutable::Other(why)) => Err(why),
    }
}

enum Unroutable {
    /// The repo_url names no repository of its forge.
    Url(String),
    Other(String),
}

impl From<String> for Unroutable {
    fn from(why: String) -> Unroutable {
        Unroutable::Other(why)
    }
}

fn route_url(
    config: &DeliveryConfig,
    url: &str,
    domain_forge: Option<&str>,
) -> Result<Route, Unroutable> {
    let bad_url = |e: repo_url::NotGitHub| Unroutable::Url(e.to_string());
    let (host, _) = repo_url::locate(url).map_err(bad_url)?;
    let settings = config.hosts.get(&host);
    let user_forge = settings
        .and_then(|s| s.forge.as_deref())
        .map(|f| {
            f.parse::<Forge>()
                .map_err(|e| format!("git config realm.{host}.forge: {e}"))
        })
        .transpose()?;
    let known = Forge::known(&host);
    let realm_forge = domain_forge
        .map(|f| {
            f.parse::<Forge>()
                .map_err(|e| format!("the domain's forge in its domain.yaml: {e}"))
        })
        .transpose()?;
    let legacy_github = config.api_url.is_some();
    let forge = user_forge
        .or(known)
        .or(realm_forge)
        .or(legacy_github.then_some(Forge::GitHub));
    let Some(forge) = forge else {
        // The GitHub-only wording of old, with the way to the other forges.
        let repo = repo_url::parse(url).map_err(bad_url)?;
        return Err(Unroutable::Other(format!(
            "repo_url `{repo}` is not on github.com: set GITHUB_API_URL or git config \
             realm.githubApiUrl to its GitHub Enterprise API to send your token there, or git \
             config realm.{host}.forge to github, gitlab or forgejo"
        )));
    };
    let repo = match forge {
        Forge::GitHub => repo_url::parse(url),
        Forge::GitLab => repo_url::parse_gitlab(url),
        Forge::Forgejo => repo_url::parse_forgejo(url),
    }
    .map_err(bad_url)?;
    let ci_host = config.gitlab_ci_host.as_deref() == Some(host.as_str());
    // A host the user named: only there does a token go.
    let named = settings.is_some()
        || known == Some(forge)
        || forge == Forge::GitHub && legacy_github
        || forge == Forge::GitLab && ci_host;
    if !named {
        return Err(Unroutable::Other(format!(
            "repo_url `{repo}` is on `{host}`, which your git config does not name: set git \
             config realm.{host}.forge {forge} to send your {} token there",
            forge.name()
        )));
    }
    let api_base = match settings.and_then(|s| s.api_url.as_deref()) {
        Some(api) => api.trim_end_matches('/').to_owned(),
        None if forge == Forge::GitHub => match &config.api_url {
            Some(api) => api.trim_end_matches('/').to_owned(),
            None => forge.default_api(&repo.host),
        },
        None => forge.default_api(&repo.host),
    };
    let repo = match forge {
        Forge::GitLab => without_relative_root(repo, &api_base),
        _ => repo,
    };
    let (token, token_var, auth) = token_for(config, forge, &host, settings, ci_host)?;
    Ok(Route {
        forge,
        repo,
        api_base,
        token,
        token_var,
        auth,
    })
}

/// A GitLab served under a relative URL root (`https://host/gitlab`, its API at
/// `https://host/gitlab/api/v4`) has that root before each project path in its web URLs.
fn without_relative_root(repo: RepoRef, api_base: &str) -> RepoRef {
    let path = api_base
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or("", |(_, path)| path);
    let Some(root) = path.strip_suffix("api/v4").map(|r| r.trim_matches('/')) else {
        return repo;
    };
    if root.is_empty() {
        return repo;
    }
    match repo
        .owner
        .strip_prefix(root)
        .and_then(|o| o.strip_prefix('/'))
    {
        Some(owner) if !owner.is_empty() => RepoRef {
            owner: owner.to_owned(),
            ..repo
        },
        _ => repo,
    }
}

fn token_for(
    config: &DeliveryConfig,
    forge: Forge,
    host: &str,
    settings: Option<&HostSettings>,
    ci_host: bool,
) -> Result<(Token, String, Auth), String> {
    if let Some(var) = settings.and_then(|s| s.token_env.as_deref()) {
        return match config.secrets.get(var) {
            Some(token) => Ok((token.clone(), var.to_owned(), Auth::Token)),
            None => Err(format!(
                "no token for `{host}`: git config realm.{host}.tokenEnv names {var}, which is \
                 not set"
            )),
        };
    }
    if forge == Forge::GitHub {
        return match &config.token {
            Some(token) => Ok((
                token.clone(),
                "GITHUB_TOKEN or GH_TOKEN".into(),
                Auth::Token,
            )),
            None => Err("no GitHub token: set GITHUB_TOKEN or GH_TOKEN".into()),
        };
    }
    for var in forge.token_vars() {
        if let Some(token) = config.secrets.get(*var) {
            return Ok((token.clone(), (*var).to_owned(), Auth::Token));
        }
    }
    if forge == Forge::GitLab && ci_host {
        if let Some(token) = config.secrets.get("CI_JOB_TOKEN") {
            return Ok((token.clone(), "CI_JOB_TOKEN".into(), Auth::GitLabJob));
        }
    }
    Err(match forge {
        Forge::GitLab => "no GitLab token: set GITLAB_TOKEN".to_owned(),
        _ => "no Forgejo token: set FORGEJO_TOKEN or GITEA_TOKEN".to_owned(),
    })
}

/// The variables [`DeliveryConfig::from_env`] reads tokens from, besides `tokenEnv` ones.
pub const TOKEN_VARS: &[&str] = &[
    "GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "FORGEJO_TOKEN",
    "GITEA_TOKEN",
];

/// The host of the GitLab instance a GitLab CI job runs in (`CI_SERVER_HOST`, with
/// `CI_SERVER_PORT` when not 443), where its `CI_JOB_TOKEN` is valid.
pub fn gitlab_ci_host(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    var("GITLAB_CI")?;
    let host = var("CI_SERVER_HOST")?.to_ascii_lowercase();
    Some(match var("CI_SERVER_PORT") {
        Some(port) if port != "443" => format!("{host}:{port}"),
        _ => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Notice, RetryPolicy};

    fn notice(url: &str, forge: Option<&str>) -> Message {
        Message::Notice(Notice {
            realm: "r".into(),
            provider: "p".into(),
            consumer: "c".into(),
            consumer_repo_url: Some(url.into()),
            consumer_forge: forge.map(str::to_owned),
            export: "e".into(),
            version: "1.1.0".into(),
            previous: None,
            changes: vec![],
            breaking: false,
            effective_from: None,
            binding: None,
        })
    }

    fn config(settings: &str, secrets: &[(&str, &str)]) -> DeliveryConfig {
        DeliveryConfig {
            token: Some(Token::new("ghp".into())),
            api_url: None,
            retry: RetryPolicy::default(),
            hosts: host_settings(settings),
            secrets: secrets
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Token::new((*v).to_owned())))
                .collect(),
            gitlab_ci_host: None,
        }
    }

    fn routed(config: &DeliveryConfig, url: &str, forge: Option<&str>) -> Result<Route, String> {
        route(config, &notice(url, forge)).map(|r| r.expect("a route"))
    }

    #[test]
    fn known_hosts_need_no_config() {
        let c = config("", &[("GITLAB_TOKEN", "glpat"), ("FORGEJO_TOKEN", "fj")]);
        let r = routed(
            &c,
            "git@gitlab.com:cultivarium/infra/letemcook-cdk.git",
            None,
        )
        .unwrap();
        assert_eq!(r.forge, Forge::GitLab);
        assert_eq!(r.api_base, "https://gitlab.com/api/v4");
        assert_eq!(
            (r.repo.owner.as_str(), r.repo.repo.as_str()),
            ("cultivarium/infra", "letemcook-cdk")
        );
        assert_eq!(r.token_var, "GITLAB_TOKEN");
        let r = routed(&c, "https://codeberg.org/some.one/x_y", None).unwrap();
        assert_eq!(r.forge, Forge::Forgejo);
        assert_eq!(r.api_base, "https://codeberg.org/api/v1");
        assert_eq!(r.token_var, "FORGEJO_TOKEN");
    }

    #[test]
    fn a_realm_file_says_what_a_host_runs_but_not_where_tokens_go() {
        let c = config("", &[("GITLAB_TOKEN", "glpat")]);
        let e = routed(&c, "https://git.evil.example/a/b", Some("gitlab")).unwrap_err();
        assert_eq!(
            e,
            "repo_url `git.evil.example/a/b` is on `git.evil.example`, which your git config \
             does not name: set git config realm.git.evil.example.forge gitlab to send your \
             GitLab token there"
        );
        let c = config(
            "realm.git.corp.example.apiurl https://git.corp.example/gl/api/v4\n",
            &[("GITLAB_TOKEN", "glpat")],
        );
        let r = routed(&c, "https://git.corp.example/a/b/c", Some("gitlab")).unwrap();
        assert_eq!(
            (r.forge, r.api_base.as_str()),
            (Forge::GitLab, "https://git.corp.example/gl/api/v4")
        );
    }

    #[test]
    fn per_host_settings_choose_forge_api_and_token() {
        let c = config(
            "realm.Forge.Corp.example:8443.forge gitea\nrealm.forge.corp.example:8443.tokenenv CORP_TOKEN\n",
            &[("CORP_TOKEN", "x"), ("FORGEJO_TOKEN", "fj")],
        );
        let r = routed(&c, "https://forge.corp.example:8443/team/app.git", None).unwrap();
        assert_eq!(r.forge, Forge::Forgejo);
        assert_eq!(r.api_base, "https://forge.corp.example:8443/api/v1");
        assert_eq!(r.token_var, "CORP_TOKEN");
        // SPEC's spelling of the same setting.
        let c = config(
            "realm.forge.git.corp.example gitlab\n",
            &[("GITLAB_TOKEN", "glpat")],
        );
        let r = routed(&c, "https://git.corp.example/a/b", None).unwrap();
        assert_eq!(
            (r.forge, r.api_base.as_str()),
            (Forge::GitLab, "https://git.corp.example/api/v4")
        );
        let c = config("realm.x.example.forge svn\n", &[]);
        assert_eq!(
            routed(&c, "https://x.example/a/b", None).unwrap_err(),
            "git config realm.x.example.forge: `svn` is not a forge git-realm knows (github, gitlab, forgejo)"
        );
        let c = config(
            "realm.x.example.tokenenv NOPE\nrealm.x.example.forge gitlab\n",
            &[],
        );
        assert!(
            routed(&c, "https://x.example/a/b", None)
                .unwrap_err()
                .contains("names NOPE, which is not set")
        );
    }

    #[test]
    fn a_gitlab_ci_job_token_goes_only_to_its_own_instance() {
        let mut c = config(
            "realm.gitlab.corp.example.forge gitlab\nrealm.other.example.forge gitlab\n",
            &[("CI_JOB_TOKEN", "job")],
        );
        c.gitlab_ci_host = Some("gitlab.corp.example".into());
        let r = routed(&c, "https://gitlab.corp.example/a/b", None).unwrap();
        assert_eq!(
            (r.auth, r.token_var.as_str()),
            (Auth::GitLabJob, "CI_JOB_TOKEN")
        );
        assert_eq!(
            routed(&c, "https://other.example/a/b", None).unwrap_err(),
            "no GitLab token: set GITLAB_TOKEN"
        );
        let host = gitlab_ci_host(|v| match v {
            "GITLAB_CI" => Some("true".into()),
            "CI_SERVER_HOST" => Some("GitLab.corp.example".into()),
            "CI_SERVER_PORT" => Some("8443".into()),
            _ => None,
        });
        assert_eq!(host.as_deref(), Some("gitlab.corp.example:8443"));
        assert_eq!(gitlab_ci_host(|_| None), None);
    }

    #[test]
    fn gitlab_host_names_the_user_s_instance_as_glab_does() {
        let mut c = config(
            "realm.gl.two.example.forge github\n",
            &[("GITLAB_TOKEN", "glpat")],
        );
        add_gitlab_host(&mut c.hosts, "https://GL.one.example/gitlab/");
        add_gitlab_host(&mut c.hosts, "gl.two.example");
        // A GitLab under a relative URL root: the project path comes after the root.
        let r = routed(&c, "https://gl.one.example/gitlab/g/p", None).unwrap();
        assert_eq!(r.api_base, "https://GL.one.example/gitlab/api/v4");
        assert_eq!((r.repo.owner.as_str(), r.repo.repo.as_str()), ("g", "p"));
        let r = routed(&c, "https://gl.one.example/g/p", None).unwrap();
        assert_eq!(
            (r.forge, r.token_var.as_str()),
            (Forge::GitLab, "GITLAB_TOKEN")
        );
        // git config wins over the environment.
        assert_eq!(
            routed(&c, "https://gl.two.example/g/p", None)
                .unwrap()
                .forge,
            Forge::GitHub
        );
    }

    #[test]
    fn gitlab_project_urls_are_checked() {
        let c = config("", &[("GITLAB_TOKEN", "glpat")]);
        for url in ["https://gitlab.com/solo", "https://gitlab.com/g/p/-/issues"] {
            assert!(
                routed(&c, url, None)
                    .unwrap_err()
                    .contains("does not name a GitLab project"),
                "{url}"
            );
        }
    }
}
