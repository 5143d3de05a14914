//! Which repository a domain's `repo_url` names (on GitHub, GitLab or Forgejo), and which API
//! serves it.

use std::fmt;

/// A repository: on GitLab, `owner` is the namespace, groups and subgroups `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoRef {
    /// The web host, with a port if the URL had one (`github.example.com:8443`).
    pub host: String,
    pub owner: String,
    pub repo: String,
}

impl fmt::Display for RepoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.owner, self.repo)
    }
}

/// Why a `repo_url` names no GitHub repository (the message shows the URL without credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotGitHub(pub String);

impl fmt::Display for NotGitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hosts known to be something other than GitHub, so not mistaken for GitHub Enterprise.
const OTHER_FORGES: &[&str] = &[
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "sr.ht",
    "git.sr.ht",
];

/// Parse the https, `git@host:owner/repo.git` and `ssh://` forms of a GitHub repository URL.
pub fn parse(url: &str) -> Result<RepoRef, NotGitHub> {
    let (host, path) = locate(url)?;
    if OTHER_FORGES.contains(&host.as_str()) {
        return Err(NotGitHub(format!(
            "repo_url `{}` is not on GitHub",
            without_credentials(url.trim())
        )));
    }
    let repo = owner_and_repo(url, host, &path, true)?;
    let host = if repo.host == "www.github.com" {
        "github.com".to_owned()
    } else {
        repo.host
    };
    Ok(RepoRef { host, ..repo })
}

/// A Forgejo or Gitea repository: `owner/repo` on any host (names may hold `.` and `_`).
pub fn parse_forgejo(url: &str) -> Result<RepoRef, NotGitHub> {
    let (host, path) = locate(url)?;
    owner_and_repo(url, host, &path, false)
}

/// A GitLab project: its namespace (groups and subgroups, `/`-separated) and name.
pub fn parse_gitlab(url: &str) -> Result<RepoRef, NotGitHub> {
    let (host, path) = locate(url)?;
    let not_a_project = || {
        NotGitHub(format!(
            "repo_url `{}` does not name a GitLab project (group/project)",
            without_credentials(url.trim())
        ))
    };
    let Some((name, groups)) = path.split_last() else {
        return Err(not_a_project());
    };
    // `-` separates a project's path from its pages (`/-/issues`).
    if groups.is_empty() || path.iter().any(|p| !segment_ok(p) || p == "-") {
        return Err(not_a_project());
    }
    Ok(RepoRef {
        host,
        owner: groups.join("/"),
        repo: name.clone(),
    })
}

/// The lowercase host of a repository URL (git's https, `ssh://` and scp-like forms, the web
/// host's https port kept) and its path segments, without a trailing `.git`.
pub fn locate(url: &str) -> Result<(String, Vec<String>), NotGitHub> {
    let url = url.trim();
    let not_github =
        |why: &str| NotGitHub(format!("repo_url `{}` {why}", without_credentials(url)));
    let (authority, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(
            scheme,
            "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return Err(not_github("is not a GitHub repository URL"));
        }
        rest.split_once('/')
            .ok_or_else(|| not_github("names no repository"))?
    } else if let Some((authority, path)) = url.split_once(':') {
        // scp-like `git@host:owner/repo.git`; a Windows drive or a plain path has no `@`/`.`.
        if authority.contains('/') || !authority.contains('.') && !authority.contains('@') {
            return Err(not_github("is not a GitHub repository URL"));
        }
        (authority, path)
    } else {
        return Err(not_github("is not a GitHub repository URL"));
    };
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_ascii_lowercase();
    let host = match host.split_once(':') {
        // An ssh port says nothing about where the web and API live.
        Some((name, _)) if !url.starts_with("http") => name.to_owned(),
        _ => host,
    };
    if host.is_empty() || host == "localhost" && !url.starts_with("http") {
        return Err(not_github("names no host"));
    }
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    Ok((host, path.split('/').map(str::to_owned).collect()))
}

fn segment_ok(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Exactly `owner/repo`, as GitHub and Forgejo name repositories.
fn owner_and_repo(
    url: &str,
    host: String,
    path: &[String],
    github_owner: bool,
) -> Result<RepoRef, NotGitHub> {
    let (Some(owner), Some(repo), None) = (path.first(), path.get(1), path.get(2)) else {
        return Err(NotGitHub(format!(
            "repo_url `{}` does not name an owner/repository",
            without_credentials(url.trim())
        )));
    };
    // GitHub's owners are letters, digits and `-`; Forgejo's may hold `.` and `_` too.
    let owner_ok = segment_ok(owner)
        && (!github_owner || owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !owner_ok || !segment_ok(repo) {
        return Err(NotGitHub(format!(
            "repo_url `{}` does not name an owner/repository",
            without_credentials(url.trim())
        )));
    }
    Ok(RepoRef {
        host,
        owner: owner.clone(),
        repo: repo.clone(),
    })
}

/// The REST API base for a host: api.github.com for github.com, `/api/v3` on an Enterprise host.
pub fn api_base_for(host: &str) -> String {
    if host == "github.com" {
        "https://api.github.com".to_owned()
    } else {
        format!("https://{host}/api/v3")
    }
}

/// `url` with any `user:password@` removed, safe to print.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            let sep = if rest.contains('/') { "/" } else { "" };
            format!("{scheme}://{host}{sep}{path}")
        }
        // scp-like: the user before `@` is an ssh login, never a secret worth hiding, but a
        // `user:secret@` form is hidden all the same.
        None => match url.split_once('@') {
            Some((user, rest)) if user.contains(':') => format!("***@{rest}"),
            _ => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(host: &str, owner: &str, name: &str) -> RepoRef {
        RepoRef {
            host: host.into(),
            owner: owner.into(),
            repo: name.into(),
        }
    }

    #[test]
    fn parses_the_forms_git_accepts() {
        for url in [
            "https://github.com/cultivarium/aperture",
            "https://github.com/cultivarium/aperture.git",
            "https://github.com/cultivarium/aperture/",
            "https://www.github.com/cultivarium/aperture",
            "https://someone:secret@github.com/cultivarium/aperture.git",
            "git@github.com:cultivarium/aperture.git",
            "git@github.com:cultivarium/aperture",
            "ssh://git@github.com/cultivarium/aperture.git",
            "ssh://git@github.com:22/cultivarium/aperture",
            "git+ssh://git@github.com/cultivarium/aperture.git",
        ] {
            assert_eq!(
                parse(url),
                Ok(repo("github.com", "cultivarium", "aperture")),
                "{url}"
            );
        }
    }

    #[test]
    fn enterprise_hosts_keep_their_https_port() {
        assert_eq!(
            parse("https://github.example.com:8443/team/letemcook-cdk.git"),
            Ok(repo("github.example.com:8443", "team", "letemcook-cdk"))
        );
        assert_eq!(
            parse("ssh://git@github.example.com:7999/team/letemcook-cdk.git"),
            Ok(repo("github.example.com", "team", "letemcook-cdk"))
        );
        assert_eq!(
            parse("git@GHE.Example.com:team/x.y"),
            Ok(repo("ghe.example.com", "team", "x.y"))
        );
    }

    #[test]
    fn refuses_what_is_not_a_github_repository() {
        for url in [
            "/srv/git/aperture.git",
            "../aperture",
            "file:///srv/git/aperture.git",
            "C:/repos/aperture",
            "https://gitlab.com/cultivarium/aperture",
            "https://github.com/cultivarium",
            "https://github.com/cultivarium/aperture/tree/main",
            "https://github.com/cultivarium/..",
            "git@github.com:",
            "",
        ] {
            assert!(parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn errors_never_show_credentials() {
        let err = parse("https://user:s3cret@gitlab.com/a/b").unwrap_err();
        assert_eq!(err.0, "repo_url `https://gitlab.com/a/b` is not on GitHub");
        assert_eq!(
            without_credentials("git@github.com:a/b.git"),
            "git@github.com:a/b.git"
        );
        assert_eq!(
            without_credentials("https://github.com"),
            "https://github.com"
        );
    }

    #[test]
    fn api_bases() {
        assert_eq!(api_base_for("github.com"), "https://api.github.com");
        assert_eq!(
            api_base_for("ghe.example.com:8443"),
            "https://ghe.example.com:8443/api/v3"
        );
    }
}
