//! Notifications on GitLab and Forgejo/Gitea beside GitHub, end to end: `git realm sync` and
//! `notify` as users run them, against stateful fakes of each host on loopback.

use std::path::{Path, PathBuf};

use snapbox::cmd::Command;
use snapbox::str;

use crate::support::fake_forgejo::FakeForgejo;
use crate::support::fake_github::FakeGitHub;
use crate::support::fake_gitlab::FakeGitLab;
use crate::support::{TestEnv, json};

const GITHUB_TOKEN: &str = "ghp_GitHubS3cret0123456789abcdefXYZ";
const GITLAB_TOKEN: &str = "glpat-GitLabS3cret0123456789";
const FORGEJO_TOKEN: &str = "fj_ForgejoS3cret0123456789abcdef";

const APERTURE_URL: &str = "https://github.com/aperture/aperture.git";
const GITLAB_PROJECT: &str = "fungal/platform/infra/fungal-image-analysis";
const GITLAB_URL: &str = "git@gitlab.com:fungal/platform/infra/fungal-image-analysis.git";
const FORGEJO_REPO: &str = "mycelium/mycelium-app";
const FORGEJO_URL: &str = "https://codeberg.org/mycelium/mycelium-app";
const GITHUB_URL: &str = "https://github.com/lichen/lichen.git";

const PATHS_V1: &str = "read:\n- jobs/*\nwrite:\n- training-metrics/*\n";

struct Realm {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    /// Each consumer's name and repository.
    consumers: Vec<(String, PathBuf)>,
    github: FakeGitHub,
    gitlab: FakeGitLab,
    forgejo: FakeForgejo,
}

/// aperture (on GitHub) exports `required-s3-permissions`; each of `consumers` (name,
/// repo_url) imports it. gitlab.com and codeberg.org are served by the fakes through
/// `realm.<host>.apiUrl` in the global git config, GitHub through `GITHUB_API_URL`.
fn realm(consumers: &[(&str, &str)]) -> Realm {
    let env = TestEnv::new();
    let gitlab = FakeGitLab::start(GITLAB_TOKEN, "https://gitlab.com", &[GITLAB_PROJECT]);
    let forgejo = FakeForgejo::start(FORGEJO_TOKEN, "https://codeberg.org", &[FORGEJO_REPO]);
    let github = FakeGitHub::start(GITHUB_TOKEN);
    for (key, value) in [
        ("realm.gitlab.com.apiUrl", gitlab.url.as_str()),
        ("realm.codeberg.org.apiUrl", forgejo.url.as_str()),
    ] {
        env.git(env.root(), &["config", "--global", key, value]);
    }
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let aperture = env.code_repo("aperture", &[("config/s3.yaml", PATHS_V1)]);
    env.realm_ok(&aperture, &["join", "../realm", "--repo-url", APERTURE_URL]);
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--file",
            "config/s3.yaml",
        ],
    );
    let consumers = consumers
        .iter()
        .map(|(name, url)| {
            let dir = env.code_repo(name, &[("cdk/stack.py", "paths = ['jobs/*']\n")]);
            env.git(
                &dir,
                &["config", "user.email", &format!("ops@{name}.example")],
            );
            env.realm_ok(&dir, &["join", "../realm", "--repo-url", url]);
            env.realm_ok(
                &dir,
                &[
                    "import",
                    "--contract",
                    "required-s3-permissions",
                    "--from",
                    "aperture",
                    "--binding",
                    "cdk/stack.py",
                ],
            );
            ((*name).to_owned(), dir)
        })
        .collect();
    env.realm_ok(&aperture, &["fetch"]);
    Realm {
        env,
        realm,
        aperture,
        consumers,
        github,
        gitlab,
        forgejo,
    }
}

impl Realm {
    /// `git realm ARGS` in `dir` with every forge's token.
    fn run(&self, dir: &Path, args: &[&str]) -> Command {
        self.run_with(dir, args, &[])
    }

    /// `git realm ARGS` in `dir`, the tokens and `GITHUB_API_URL` overridden or added by
    /// `vars` (an empty value unsets).
    fn run_with(&self, dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut cmd = self
            .env
            .realm(dir, args)
            .env("GIT_REALM_RETRY_BASE_MS", "0");
        let defaults = [
            ("GITHUB_API_URL", self.github.url.as_str()),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
            ("GITLAB_TOKEN", GITLAB_TOKEN),
            ("FORGEJO_TOKEN", FORGEJO_TOKEN),
        ];
        let extra = vars
            .iter()
            .filter(|(k, _)| defaults.iter().all(|(d, _)| d != k))
            .copied();
        for (key, value) in defaults.into_iter().chain(extra) {
            let value = vars
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(value, |(_, v)| *v);
            if !value.is_empty() {
                cmd = cmd.env(key, value);
            }
        }
        cmd
    }

    fn consumer(&self, name: &str) -> &Path {
        &self
            .consumers
            .iter()
            .find(|(n, _)| n == name)
            .expect("a consumer")
            .1
    }

    /// aperture adds `paths` to its export's writes and commits.
    fn provider_adds(&self, paths: &[&str]) {
        let mut text = PATHS_V1.to_owned();
        for path in paths {
            text.push_str(&format!("- {path}\n"));
        }
        self.env.write(&self.aperture, &[("config/s3.yaml", &text)]);
        self.env.commit_all(&self.aperture, "more paths");
    }

    /// `name` edits its binding and commits.
    fn consumer_updates_binding(&self, name: &str) {
        let dir = self.consumer(name);
        self.env
            .write(dir, &[("cdk/stack.py", "paths = ['jobs/*', 'extra/*']\n")]);
        self.env.commit_all(dir, "grant the new paths");
    }

    fn pending(&self, dir: &Path) -> Option<String> {
        std::fs::read_to_string(dir.join(".git/realm/pending-notifications.json")).ok()
    }
}

fn stdout_of(cmd: Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

fn output_of(cmd: Command, code: i32) -> String {
    let assert = cmd.assert().code(code);
    let out = assert.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Compare Markdown with a snapshot; its `\\` escapes are not Windows path separators.
fn markdown_eq(actual: impl snapbox::IntoData, expected: impl snapbox::IntoData) {
    snapbox::Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .normalize_paths(false)
        .eq(actual, expected);
}

#[test]
fn a_gitlab_project_in_nested_groups_gets_one_issue_updated_then_closed() {
    let r = realm(&[("fungal", GITLAB_URL)]);

    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added extra/* (write)
Consumers:
  fungal (imports required-s3-permissions ^1)
✓ Realm synced (commit [HASH])
Notifying consumers:
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://gitlab.com/fungal/platform/infra/fungal-image-analysis/-/issues/1

"#]]);
    let issues = r.gitlab.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue = &issues[0];
    assert_eq!(issue.project, GITLAB_PROJECT);
    assert_eq!(issue.labels, ["realm"]);
    assert_eq!(issue.state, "opened");
    assert_eq!(
        issue.title,
        "Update for aperture/required-s3-permissions 1.1.0: Added extra/* (write)"
    );
    markdown_eq(
        issue.description.clone(),
        str![[r#"
**aperture** published **required-s3-permissions 1.1.0** in realm **letemcook**. This repository (domain **fungal**) imports it and last resolved 1.0.0.

### What changed

- Added extra/\* (write)

Backward compatible: only additions.

### What to do

1. Update `cdk/stack.py` to match the new value.
2. Run `git realm sync` in this repository. It records that fungal uses 1.1.0 and closes this issue.

`git realm status` shows the new value and the binding to review.

### Statements to add

What grants the new paths in `cdk/stack.py` (`BUCKET` is the bucket's name):

```python
role.add_to_policy(iam.PolicyStatement(
    actions=["s3:PutObject"],
    resources=[
        "arn:aws:s3:::BUCKET/extra/*",
    ],
))
```

<sub>Opened by git-realm for realm letemcook. Later versions of required-s3-permissions update this issue rather than opening another.</sub>

<!-- git-realm: realm=letemcook provider=aperture export=required-s3-permissions consumer=fungal -->
<!-- git-realm-version: 1.1.0 -->

"#]],
    );
    // The project is one URL-encoded path segment, and the token goes as PRIVATE-TOKEN.
    let requests = r.gitlab.requests();
    assert_eq!(
        requests,
        [
            "GET /api/v4/projects/fungal%2Fplatform%2Finfra%2Ffungal-image-analysis/issues?labels=realm&state=opened&per_page=100&page=1",
            "GET /api/v4/projects/fungal%2Fplatform%2Finfra%2Ffungal-image-analysis/issues?scope=created_by_me&state=opened&per_page=100&page=1",
            "POST /api/v4/projects/fungal%2Fplatform%2Finfra%2Ffungal-image-analysis/issues",
        ]
    );
    assert!(
        r.gitlab
            .state()
            .credentials
            .iter()
            .all(|c| *c == format!("PRIVATE-TOKEN: {GITLAB_TOKEN}"))
    );
    // Neither GitHub nor Forgejo heard of it.
    assert!(r.github.requests().is_empty());
    assert!(r.forgejo.requests().is_empty());

    // A newer version edits the same issue and adds a note.
    r.provider_adds(&["extra/*", "more/*"]);
    let report = json(&stdout_of(r.run(&r.aperture, &["sync", "--json"]), 0));
    assert_eq!(report["notifications"]["delivered"][0]["action"], "updated");
    assert_eq!(report["notifications"]["delivered"][0]["issue_number"], 1);
    let issue = r.gitlab.issues().remove(0);
    assert_eq!(r.gitlab.issues().len(), 1);
    assert!(
        issue
            .description
            .contains("<!-- git-realm-version: 1.2.0 -->")
    );
    assert_eq!(issue.notes.len(), 1);
    assert!(
        issue.notes[0].starts_with(
            "**aperture** published **required-s3-permissions 1.2.0** (this issue was about 1.1.0)"
        ),
        "{}",
        issue.notes[0]
    );

    // The consumer's resolving sync closes it with a note.
    r.consumer_updates_binding("fungal");
    r.run(r.consumer("fungal"), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
...
Notifying consumers:
✓ Closed issue #1: fungal resolved aperture/required-s3-permissions 1.2.0  https://gitlab.com/fungal/platform/infra/fungal-image-analysis/-/issues/1

"#]]);
    let issue = r.gitlab.issues().remove(0);
    assert_eq!(issue.state, "closed");
    assert_eq!(
        issue.notes.last().map(String::as_str),
        Some(
            "Resolved: **fungal** now uses **aperture/required-s3-permissions 1.2.0** (recorded by `git realm sync`).\n"
        )
    );
}

#[test]
fn gitlab_rate_limits_are_waited_out_and_a_bad_token_is_reported_without_it() {
    let r = realm(&[("fungal", GITLAB_URL)]);
    r.provider_adds(&["extra/*"]);

    // A rejected token: the realm commit stands, the notice waits, the token shows nowhere.
    let wrong = "glpat-WrongS3cret987654321";
    let out = output_of(
        r.run_with(&r.aperture, &["sync"], &[("GITLAB_TOKEN", wrong)]),
        0,
    );
    assert!(
        out.contains(
            "✗ Not notified: fungal about aperture/required-s3-permissions 1.1.0: gitlab.com/fungal/platform/infra/fungal-image-analysis: GET http://127.0.0.1:"
        ),
        "{out}"
    );
    assert!(
        out.contains("answered 401: 401 Unauthorized; check the token in GITLAB_TOKEN"),
        "{out}"
    );
    assert!(!out.contains(wrong) && !out.contains(GITLAB_TOKEN), "{out}");
    let pending = r.pending(&r.aperture).expect("kept for notify");
    assert!(!pending.contains(wrong), "{pending}");
    assert!(r.gitlab.issues().is_empty());

    // Rate limited once, then served: `notify` waits as told and delivers.
    r.gitlab.fail_next(
        429,
        &[
            ("Retry-After", "0"),
            ("RateLimit-Limit", "600"),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "1769248800"),
        ],
        1,
    );
    let before = r.gitlab.requests().len();
    r.run(&r.aperture, &["notify"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://gitlab.com/fungal/platform/infra/fungal-image-analysis/-/issues/1

"#]]);
    // The 429, the same lookup again, the second lookup, the create.
    assert_eq!(r.gitlab.requests().len() - before, 4);
    assert!(r.pending(&r.aperture).is_none());

    // Sending again opens nothing twice.
    r.run(&r.aperture, &["notify"]).assert().success();
    assert_eq!(r.gitlab.issues().len(), 1);
}

#[test]
fn a_forgejo_repository_without_the_label_gets_it_made_and_one_issue() {
    let r = realm(&[("mycelium", FORGEJO_URL)]);
    r.forgejo.add_label(FORGEJO_REPO, "bug");

    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
...
✓ Opened issue #1 for mycelium about aperture/required-s3-permissions 1.1.0  https://codeberg.org/mycelium/mycelium-app/issues/1

"#]]);
    let issues = r.forgejo.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(r.forgejo.label_names(&issues[0]), ["realm"]);
    assert_eq!(issues[0].state, "open");
    assert!(
        issues[0]
            .body
            .ends_with("<!-- git-realm: realm=letemcook provider=aperture export=required-s3-permissions consumer=mycelium -->\n<!-- git-realm-version: 1.1.0 -->\n"),
        "{}",
        issues[0].body
    );
    {
        let state = r.forgejo.state();
        let label = state
            .labels
            .iter()
            .find(|l| l.name == "realm")
            .expect("made");
        assert_eq!(
            (label.color.as_str(), label.description.as_str()),
            ("0e8a16", "Notifications from git-realm")
        );
        assert!(
            state
                .authorizations
                .iter()
                .all(|a| *a == format!("token {FORGEJO_TOKEN}"))
        );
    }
    assert!(
        r.forgejo
            .requests()
            .contains(&"POST /api/v1/repos/mycelium/mycelium-app/labels".to_owned()),
        "{:#?}",
        r.forgejo.requests()
    );

    // A newer version: the same issue, edited and commented; the label is not made again.
    r.provider_adds(&["extra/*", "more/*"]);
    r.run(&r.aperture, &["sync"]).assert().success();
    let issues = r.forgejo.issues();
    assert_eq!(issues.len(), 1);
    assert!(issues[0].title.contains("1.2.0"));
    assert_eq!(issues[0].comments.len(), 1);
    assert_eq!(
        r.forgejo
            .state()
            .labels
            .iter()
            .filter(|l| l.name == "realm")
            .count(),
        1
    );

    // Closed by the consumer's own sync.
    r.consumer_updates_binding("mycelium");
    r.run(r.consumer("mycelium"), &["sync"]).assert().success();
    let issue = r.forgejo.issues().remove(0);
    assert_eq!(issue.state, "closed");
    assert!(issue.comments[1].starts_with("Resolved: **mycelium** now uses"));
}

#[test]
fn forgejo_rate_limits_bad_tokens_and_resending_are_handled() {
    let r = realm(&[("mycelium", FORGEJO_URL)]);
    r.provider_adds(&["extra/*"]);

    let wrong = "fj_WrongS3cret98765432100000";
    let report = json(&stdout_of(
        r.run_with(
            &r.aperture,
            &["sync", "--json"],
            &[("FORGEJO_TOKEN", wrong)],
        ),
        0,
    ));
    let reason = report["notifications"]["not_notified"][0]["reason"]
        .as_str()
        .expect("a reason")
        .to_owned();
    assert!(
        reason.ends_with(
            "/api/v1/repos/mycelium/mycelium-app/issues answered 401: token is required; check the token in FORGEJO_TOKEN"
        ),
        "{reason}"
    );
    assert!(!reason.contains(wrong));

    // Without any token the message says which variables to set.
    let out = output_of(
        r.run_with(&r.aperture, &["notify"], &[("FORGEJO_TOKEN", "")]),
        1,
    );
    assert!(
        out.contains("no Forgejo token: set FORGEJO_TOKEN or GITEA_TOKEN"),
        "{out}"
    );

    // GITEA_TOKEN serves as well; a 429 is waited out.
    r.forgejo.fail_next(429, &[("Retry-After", "0")], 1);
    r.run_with(
        &r.aperture,
        &["notify"],
        &[("FORGEJO_TOKEN", ""), ("GITEA_TOKEN", FORGEJO_TOKEN)],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Opened issue #1 for mycelium about aperture/required-s3-permissions 1.1.0  https://codeberg.org/mycelium/mycelium-app/issues/1

"#]]);
    r.run(&r.aperture, &["notify"])
        .assert()
        .success()
        .stdout_eq(str![""]);
    assert_eq!(r.forgejo.issues().len(), 1);
}

#[test]
fn a_realm_with_consumers_on_three_forges_tells_each_on_its_own_host() {
    let r = realm(&[
        ("lichen", GITHUB_URL),
        ("fungal", GITLAB_URL),
        ("mycelium", FORGEJO_URL),
    ]);
    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
...
Notifying consumers:
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://gitlab.com/fungal/platform/infra/fungal-image-analysis/-/issues/1
✓ Opened issue #1 for lichen about aperture/required-s3-permissions 1.1.0  https://github.com/lichen/lichen/issues/1
✓ Opened issue #1 for mycelium about aperture/required-s3-permissions 1.1.0  https://codeberg.org/mycelium/mycelium-app/issues/1

"#]]);
    assert_eq!(r.github.issues().len(), 1);
    assert_eq!(r.github.issues()[0].repo, "lichen");
    assert_eq!(r.gitlab.issues().len(), 1);
    assert_eq!(r.forgejo.issues().len(), 1);
    // Each host saw its own token only.
    assert!(
        r.github
            .state()
            .authorizations
            .iter()
            .all(|a| a.ends_with(GITHUB_TOKEN))
    );
    assert!(
        r.gitlab
            .state()
            .credentials
            .iter()
            .all(|c| c.ends_with(GITLAB_TOKEN))
    );
    assert!(
        r.forgejo
            .state()
            .authorizations
            .iter()
            .all(|a| a.ends_with(FORGEJO_TOKEN))
    );

    for name in ["lichen", "fungal", "mycelium"] {
        r.consumer_updates_binding(name);
        r.run(r.consumer(name), &["sync"]).assert().success();
    }
    assert_eq!(r.github.issues()[0].state, "closed");
    assert_eq!(r.gitlab.issues()[0].state, "closed");
    assert_eq!(r.forgejo.issues()[0].state, "closed");
    for (_, dir) in &r.consumers {
        assert!(r.pending(dir).is_none());
    }
}

#[test]
fn an_unknown_host_is_served_only_once_the_user_names_it() {
    // git.fungal.example is not known, and only the consumer could say what it runs.
    let r = realm(&[("fungal", "https://git.fungal.example/fungal/app.git")]);
    r.provider_adds(&["extra/*"]);
    // Without GITHUB_API_URL: with it, every host not known otherwise is that GitHub's.
    let no_enterprise = [("GITHUB_API_URL", "")];
    let out = output_of(r.run_with(&r.aperture, &["sync"], &no_enterprise), 0);
    assert!(
        out.contains(
            "✗ Not notified: fungal about aperture/required-s3-permissions 1.1.0: repo_url `git.fungal.example/fungal/app` is not on github.com"
        ),
        "{out}"
    );
    assert!(
        out.contains("git config realm.git.fungal.example.forge"),
        "{out}"
    );

    // The user names the host: now it is served, at the API configured for it.
    r.env.git(
        &r.aperture,
        &["config", "realm.git.fungal.example.forge", "forgejo"],
    );
    r.env.git(
        &r.aperture,
        &["config", "realm.git.fungal.example.apiUrl", &r.forgejo.url],
    );
    r.env.git(
        &r.aperture,
        &[
            "config",
            "realm.git.fungal.example.tokenEnv",
            "FUNGAL_FORGE_TOKEN",
        ],
    );
    r.forgejo.state().repos.push("fungal/app".to_owned());
    let out = output_of(r.run_with(&r.aperture, &["notify"], &no_enterprise), 1);
    assert!(
        out.contains("git config realm.git.fungal.example.tokenEnv names FUNGAL_FORGE_TOKEN, which is not set"),
        "{out}"
    );
    r.run_with(
        &r.aperture,
        &["notify"],
        &[
            ("GITHUB_API_URL", ""),
            ("FUNGAL_FORGE_TOKEN", FORGEJO_TOKEN),
        ],
    )
    .assert()
    .success();
    assert!(r.github.requests().is_empty());
    let issues = r.forgejo.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].owner.as_str(), issues[0].repo.as_str()),
        ("fungal", "app")
    );
}

#[test]
fn a_gitlab_ci_job_token_goes_only_to_the_instance_the_job_runs_in() {
    let r = realm(&[("fungal", GITLAB_URL)]);
    let job = "glcbt-JobS3cret0123456789";
    r.gitlab.state().job_token = Some(job.to_owned());
    r.provider_adds(&["extra/*"]);
    let ci = [
        ("GITLAB_TOKEN", ""),
        ("GITLAB_CI", "true"),
        ("CI_SERVER_HOST", "gitlab.com"),
        ("CI_JOB_TOKEN", job),
    ];
    r.run_with(&r.aperture, &["sync"], &ci).assert().success();
    assert_eq!(r.gitlab.issues().len(), 1);
    assert!(
        r.gitlab
            .state()
            .credentials
            .iter()
            .all(|c| *c == format!("JOB-TOKEN: {job}"))
    );

    // A job on another instance has no token for gitlab.com.
    r.provider_adds(&["extra/*", "more/*"]);
    let elsewhere = [
        ("GITLAB_TOKEN", ""),
        ("GITLAB_CI", "true"),
        ("CI_SERVER_HOST", "gitlab.fungal.example"),
        ("CI_JOB_TOKEN", job),
    ];
    let out = output_of(r.run_with(&r.aperture, &["sync"], &elsewhere), 0);
    assert!(out.contains("no GitLab token: set GITLAB_TOKEN"), "{out}");
}

#[test]
fn labels_a_token_may_not_set_do_not_duplicate_issues() {
    let r = realm(&[("fungal", GITLAB_URL), ("mycelium", FORGEJO_URL)]);
    // Below GitLab's Planner role labels are dropped; without write access Forgejo refuses
    // to make one.
    r.gitlab.state().may_label = false;
    r.forgejo.state().may_create_labels = false;
    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, &["sync"]).assert().success();
    r.provider_adds(&["extra/*", "more/*"]);
    r.run(&r.aperture, &["sync"]).assert().success();

    let lab = r.gitlab.issues();
    assert_eq!(lab.len(), 1, "{lab:#?}");
    assert!(lab[0].labels.is_empty());
    assert_eq!(lab[0].notes.len(), 1);
    let berg = r.forgejo.issues();
    assert_eq!(berg.len(), 1, "{berg:#?}");
    assert!(berg[0].labels.is_empty());
    assert_eq!(berg[0].comments.len(), 1);
    assert!(
        r.forgejo
            .requests()
            .iter()
            .any(|q| q.contains("created_by=realm-bot")),
        "{:#?}",
        r.forgejo.requests()
    );
}

#[test]
fn a_domain_s_forge_field_says_what_its_host_runs_but_not_where_tokens_go() {
    let r = realm(&[(
        "fungal",
        "https://git.fungal.example/platform/infra/app.git",
    )]);
    // The consumer's domain.yaml says its host runs GitLab.
    let file = "domains/fungal/domain.yaml";
    let text = r.env.realm_file(&r.realm, file) + "\nforge: gitlab\n";
    r.env.write(&r.realm, &[(file, &text)]);
    r.env.commit_all(&r.realm, "fungal: its forge");
    r.env.realm_ok(&r.aperture, &["fetch"]);

    r.provider_adds(&["extra/*"]);
    let no_enterprise = [("GITHUB_API_URL", "")];
    let out = output_of(r.run_with(&r.aperture, &["sync"], &no_enterprise), 0);
    assert!(
        out.contains(
            "fungal about aperture/required-s3-permissions 1.1.0: repo_url \
             `git.fungal.example/platform/infra/app` is on `git.fungal.example`, which your git \
             config does not name: set git config realm.git.fungal.example.forge gitlab to send \
             your GitLab token there"
        ),
        "{out}"
    );
    assert!(r.gitlab.requests().is_empty());

    // Once the user names the host (here by its API), the realm's word on the forge serves.
    r.env.git(
        &r.aperture,
        &["config", "realm.git.fungal.example.apiUrl", &r.gitlab.url],
    );
    r.gitlab
        .state()
        .projects
        .push("platform/infra/app".to_owned());
    r.run_with(&r.aperture, &["notify"], &no_enterprise)
        .assert()
        .success();
    let issues = r.gitlab.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].project, "platform/infra/app");
}

#[test]
fn unusable_host_settings_are_refused_before_anything_is_written() {
    let r = realm(&[("fungal", GITLAB_URL)]);
    r.provider_adds(&["extra/*"]);
    let dirs = [r.realm.as_path(), r.aperture.as_path()];
    for (key, value, needle) in [
        (
            "realm.gitlab.com.forge",
            "svn",
            "git config realm.gitlab.com.forge is `svn`, not a forge git-realm knows",
        ),
        (
            "realm.gitlab.com.apiUrl",
            "gitlab.com/api/v4",
            "git config realm.gitlab.com.apiUrl is `gitlab.com/api/v4`, not an http(s) URL",
        ),
    ] {
        r.env.git(&r.aperture, &["config", key, value]);
        for args in [&["sync"][..], &["notify"]] {
            r.env.assert_refused(&dirs, 2, &r.aperture, args, needle);
        }
        r.env.git(&r.aperture, &["config", "--unset", key]);
    }
    assert!(r.gitlab.requests().is_empty());
    // Without notifying, the settings are not read.
    r.env
        .git(&r.aperture, &["config", "realm.gitlab.com.forge", "svn"]);
    r.run(&r.aperture, &["sync", "--no-notify"])
        .assert()
        .success();
}
