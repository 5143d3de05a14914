//! Notifications end to end: `git realm sync`, `approve` and `notify` as users run them,
//! against the fake GitHub on loopback, checking what the fake holds and what the commands say.

use std::path::{Path, PathBuf};

use snapbox::cmd::Command;
use snapbox::str;

use crate::support::fake_github::{FakeGitHub, FakeIssue};
use crate::support::world::{PATHS_V1, World};
use crate::support::{TestEnv, json};

const TOKEN: &str = "ghp_E2eS3cretT0ken0123456789abcdefXYZ";
const FUNGAL_URL: &str = "https://github.com/fungal/fungal-image-analysis.git";
const APERTURE_URL: &str = "https://github.com/aperture/aperture.git";

struct Realm {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
    fake: FakeGitHub,
}

/// aperture exports `required-s3-permissions` from a file; fungal imports it with binding
/// `cdk/stack.py`. Both have GitHub repo_urls, so a notice to the provider itself would show.
fn realm(aperture_is_approver: bool) -> Realm {
    realm_with(aperture_is_approver, FUNGAL_URL, FakeGitHub::start(TOKEN))
}

fn realm_with(aperture_is_approver: bool, fungal_url: &str, fake: FakeGitHub) -> Realm {
    let env = TestEnv::new();
    let mut world = World::two_domains(&env)
        .aperture_repo_url(APERTURE_URL)
        .fungal_email("ops@fungal.example")
        .fungal_repo_url(fungal_url);
    if !aperture_is_approver {
        world = world.aperture_email("dev@aperture.example");
    }
    let World {
        realm,
        aperture,
        fungal,
    } = world.build();
    Realm {
        env,
        realm,
        aperture,
        fungal,
        fake,
    }
}

impl Realm {
    /// `git realm ARGS` in `dir` against the fake, with `token` as GITHUB_TOKEN if any.
    fn run(&self, dir: &Path, token: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = self
            .env
            .realm(dir, args)
            .env("GITHUB_API_URL", &self.fake.url)
            .env("GIT_REALM_RETRY_BASE_MS", "0");
        if let Some(token) = token {
            cmd = cmd.env("GITHUB_TOKEN", token);
        }
        cmd
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

    /// fungal edits its binding and commits.
    fn consumer_updates_binding(&self) {
        self.env.write(
            &self.fungal,
            &[(
                "cdk/stack.py",
                "paths = ['jobs/*', 'training-metrics/*', 'extra/*']\n",
            )],
        );
        self.env.commit_all(&self.fungal, "grant the new paths");
    }

    fn realm_subject(&self) -> String {
        self.env
            .git(&self.realm, &["log", "-1", "--format=%s", "main"])
    }

    fn pending(&self, dir: &Path) -> Option<String> {
        std::fs::read_to_string(dir.join(".git/realm/pending-notifications.json")).ok()
    }

    /// The one issue the fake holds.
    fn only_issue(&self) -> FakeIssue {
        let issues = self.fake.issues();
        assert_eq!(issues.len(), 1, "{issues:#?}");
        issues.into_iter().next().expect("one issue")
    }
}

/// Compare Markdown with a snapshot; its `\\` escapes are not Windows path separators.
fn markdown_eq(actual: impl snapbox::IntoData, expected: impl snapbox::IntoData) {
    snapbox::Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .normalize_paths(false)
        .eq(actual, expected);
}

fn stdout_of(cmd: Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn a_new_version_opens_one_issue_which_later_versions_update_and_resolving_closes() {
    let r = realm(true);

    // 1. The first new version opens one labelled issue in the consumer's repository.
    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, Some(TOKEN), &["sync"])
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
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]])
        .stderr_eq(str![[r#"
Syncing with realm 'letemcook'...

"#]]);
    assert_eq!(
        r.realm_subject(),
        "aperture: export required-s3-permissions 1.1.0"
    );
    let issue = r.only_issue();
    assert_eq!(
        (issue.owner.as_str(), issue.repo.as_str()),
        ("fungal", "fungal-image-analysis")
    );
    assert_eq!(issue.labels, ["realm"]);
    assert_eq!(issue.state, "open");
    assert!(issue.comments.is_empty());
    assert_eq!(
        issue.title,
        "Update for aperture/required-s3-permissions 1.1.0: Added extra/* (write)"
    );
    markdown_eq(
        issue.body,
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
    // The provider is never told about its own export.
    assert!(
        r.fake
            .requests()
            .iter()
            .all(|req| !req.contains("/repos/aperture/")),
        "{:#?}",
        r.fake.requests()
    );
    assert!(r.pending(&r.aperture).is_none());

    // Nothing new: nothing sent.
    let before = r.fake.requests().len();
    r.run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Nothing to sync: the realm is up to date

"#]]);
    assert_eq!(r.fake.requests().len(), before);

    // 2. A second version updates the same issue: title, body and a comment.
    r.provider_adds(&["extra/*", "more/*"]);
    let report = json(&stdout_of(
        r.run(&r.aperture, Some(TOKEN), &["sync", "--json"]),
        0,
    ));
    assert_eq!(
        report["notifications"],
        serde_json::json!({
            "delivered": [{
                "kind": "notice",
                "provider": "aperture",
                "consumer": "fungal",
                "export": "required-s3-permissions",
                "version": "1.2.0",
                "issue_number": 1,
                "url": "https://github.com/fungal/fungal-image-analysis/issues/1",
                "action": "updated"
            }],
            "not_notified": [],
            "dropped": [],
            "pending": 0,
            "store_error": null
        })
    );
    let issue = r.only_issue();
    assert_eq!(issue.state, "open");
    assert_eq!(
        issue.title,
        "Update for aperture/required-s3-permissions 1.2.0: Added more/* (write) and 1 more change"
    );
    // The body covers everything since the version fungal resolved, newest first.
    assert!(
        issue.body.contains(
            "imports it and last resolved 1.0.0.\n\n### What changed\n\n- Added more/\\* (write)\n- Added extra/\\* (write)\n"
        ),
        "{}",
        issue.body
    );
    assert!(issue.body.contains("<!-- git-realm-version: 1.2.0 -->"));
    markdown_eq(
        issue.comments.join("\n---\n"),
        str![[r#"
**aperture** published **required-s3-permissions 1.2.0** (this issue was about 1.1.0). Changes since 1.0.0, the version fungal last resolved:

- Added more/\* (write)
- Added extra/\* (write)

Backward compatible: only additions.

The description above now covers 1.2.0.

"#]],
    );

    // 3. The consumer's resolving sync closes it with a comment.
    r.consumer_updates_binding();
    r.run(&r.fungal, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Imports resolved:
  required-s3-permissions from aperture: now at 1.2.0
    Added more/* (write)
    Added extra/* (write)
    Review binding: cdk/stack.py
✓ Realm synced (commit [HASH])
Notifying consumers:
✓ Closed issue #1: fungal resolved aperture/required-s3-permissions 1.2.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    let issue = r.only_issue();
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("completed"));
    assert_eq!(issue.comments.len(), 2);
    assert_eq!(
        issue.comments[1],
        "Resolved: **fungal** now uses **aperture/required-s3-permissions 1.2.0** (recorded by `git realm sync`).\n"
    );
    assert!(r.pending(&r.fungal).is_none());

    // 4. The next version opens a new issue: the closed one is done with.
    r.provider_adds(&["extra/*", "more/*", "third/*"]);
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    assert!(
        out.contains("✓ Opened issue #2 for fungal about aperture/required-s3-permissions 1.3.0"),
        "{out}"
    );
    let issues = r.fake.issues();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[1].state, "open");
    assert!(
        issues[1]
            .body
            .contains("last resolved 1.2.0.\n\n### What changed\n\n- Added third/\\* (write)\n\n"),
        "{}",
        issues[1].body
    );
}

#[test]
fn without_a_token_sync_succeeds_and_notify_delivers_once() {
    let r = realm(true);
    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, None, &["sync"])
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
✗ Not notified: fungal about aperture/required-s3-permissions 1.1.0: no GitHub token: set GITHUB_TOKEN or GH_TOKEN

"#]])
        .stderr_eq(str![[r#"
Syncing with realm 'letemcook'...
hint: fix the cause above, then run 'git realm notify' to send what is pending

"#]]);
    assert_eq!(
        r.realm_subject(),
        "aperture: export required-s3-permissions 1.1.0"
    );
    assert!(r.fake.requests().is_empty());
    assert!(r.pending(&r.aperture).is_some());

    let notify = |args: &[&str]| {
        let mut all = vec!["notify"];
        all.extend_from_slice(args);
        json(&stdout_of(r.run(&r.aperture, Some(TOKEN), &all), 0))
    };
    let first = notify(&["--json"]);
    assert_eq!(first["delivered"][0]["action"], "opened", "{first:#}");
    assert_eq!(first["delivered"][0]["consumer"], "fungal");
    assert_eq!(first["pending"], 0);
    let sent = r.fake.requests().len();
    let second = notify(&["--json"]);
    assert_eq!(second["delivered"], serde_json::json!([]), "{second:#}");
    assert_eq!(second["not_notified"], serde_json::json!([]));
    assert_eq!(r.fake.requests().len(), sent, "the second run sent nothing");
    let issue = r.only_issue();
    assert_eq!(issue.labels, ["realm"]);
    assert!(issue.comments.is_empty());
    assert!(r.pending(&r.aperture).is_none());

    // The consumer's token-less resolution waits too, and notify closes the issue.
    r.consumer_updates_binding();
    r.env.realm_ok(&r.fungal, &["fetch"]);
    r.run(&r.fungal, None, &["sync", "--dry-run"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Imports to resolve:
  required-s3-permissions from aperture: now at 1.1.0
    Added extra/* (write)
    Review binding: cdk/stack.py
Would update the realm in one commit (dry run)
Would notify:
  fungal (closing its issue about aperture/required-s3-permissions) in github.com/fungal/fungal-image-analysis (not as things stand: no GitHub token: set GITHUB_TOKEN or GH_TOKEN)

"#]]);
    let report = json(&stdout_of(r.run(&r.fungal, None, &["sync", "--json"]), 0));
    assert_eq!(
        report["notifications"]["not_notified"],
        serde_json::json!([{
            "kind": "resolution",
            "provider": "aperture",
            "consumer": "fungal",
            "export": "required-s3-permissions",
            "version": "1.1.0",
            "reason": "no GitHub token: set GITHUB_TOKEN or GH_TOKEN"
        }])
    );
    assert_eq!(report["notifications"]["pending"], 1);
    assert_eq!(r.only_issue().state, "open");
    r.run(&r.fungal, None, &["notify"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
✗ Issue not closed: fungal resolved aperture/required-s3-permissions 1.1.0: no GitHub token: set GITHUB_TOKEN or GH_TOKEN

"#]]);
    r.run(&r.fungal, Some(TOKEN), &["notify"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Closed issue #1: fungal resolved aperture/required-s3-permissions 1.1.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    assert_eq!(r.only_issue().state, "closed");
    assert!(r.pending(&r.fungal).is_none());
}

#[test]
fn server_errors_are_retried_then_reported_and_left_for_notify() {
    let r = realm(true);

    // Two 502s: retried, then delivered within the sync.
    r.provider_adds(&["extra/*"]);
    r.fake.fail_next(502, 2);
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    assert!(
        out.contains("✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0"),
        "{out}"
    );
    assert!(r.only_issue().title.contains("1.1.0"));

    // 502s past the retries: the realm commit stands, the notice waits.
    r.provider_adds(&["extra/*", "more/*"]);
    r.fake.fail_next(502, 4);
    let sent = r.fake.requests().len();
    r.run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.1.0 → 1.2.0
    Added more/* (write)
Consumers:
  fungal (imports required-s3-permissions ^1)
✓ Realm synced (commit [HASH])
Notifying consumers:
✗ Not notified: fungal about aperture/required-s3-permissions 1.2.0: github.com/fungal/fungal-image-analysis: GET http://127.0.0.1:[..]/repos/fungal/fungal-image-analysis/issues answered 502: Server Error (gave up after 4 tries)

"#]])
        .stderr_eq(str![[r#"
Syncing with realm 'letemcook'...
hint: fix the cause above, then run 'git realm notify' to send what is pending

"#]]);
    assert_eq!(r.fake.requests().len(), sent + 4, "four tries");
    assert_eq!(
        r.realm_subject(),
        "aperture: export required-s3-permissions 1.2.0"
    );
    let pending = r.pending(&r.aperture).expect("pending");
    assert!(pending.contains("\"version\": \"1.2.0\""), "{pending}");
    let issue = r.only_issue();
    assert!(issue.title.contains("1.1.0") && issue.comments.is_empty());

    // GitHub is back: notify updates the same issue.
    r.run(&r.aperture, Some(TOKEN), &["notify"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Updated issue #1 for fungal to aperture/required-s3-permissions 1.2.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    let issue = r.only_issue();
    assert!(issue.title.contains("1.2.0"), "{}", issue.title);
    assert_eq!(issue.comments.len(), 1);
    assert!(r.pending(&r.aperture).is_none());
}

#[test]
fn no_notify_and_dry_run_send_nothing() {
    let r = realm(true);
    r.provider_adds(&["extra/*"]);

    r.run(&r.aperture, Some(TOKEN), &["sync", "--dry-run"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports to publish:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added extra/* (write)
Consumers:
  fungal (imports required-s3-permissions ^1)
Would update the realm in one commit (dry run)
Would notify:
  fungal in github.com/fungal/fungal-image-analysis

"#]]);
    let dry = json(&stdout_of(
        r.run(&r.aperture, None, &["sync", "--dry-run", "--json"]),
        0,
    ));
    assert_eq!(
        dry["would_notify"],
        serde_json::json!([{
            "kind": "notice",
            "provider": "aperture",
            "consumer": "fungal",
            "export": "required-s3-permissions",
            "version": "1.1.0",
            "repo": "github.com/fungal/fungal-image-analysis",
            "problem": "no GitHub token: set GITHUB_TOKEN or GH_TOKEN"
        }])
    );
    assert!(dry.get("notifications").is_none(), "{dry:#}");
    assert!(r.fake.requests().is_empty());
    assert!(r.pending(&r.aperture).is_none());

    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync", "--no-notify"]), 0);
    assert!(!out.contains("Notif"), "{out}");
    assert_eq!(
        r.realm_subject(),
        "aperture: export required-s3-permissions 1.1.0"
    );
    assert!(r.fake.requests().is_empty());
    assert!(
        r.pending(&r.aperture).is_none(),
        "nothing is left for notify"
    );
    r.run(&r.aperture, Some(TOKEN), &["notify"])
        .assert()
        .success()
        .stdout_eq(str![""]);
    assert!(r.fake.requests().is_empty());

    // The next notified version still tells everything fungal has not resolved.
    r.provider_adds(&["extra/*", "more/*"]);
    stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    let issue = r.only_issue();
    assert!(
        issue
            .body
            .contains("last resolved 1.0.0.\n\n### What changed\n\n- Added more/\\* (write)\n- Added extra/\\* (write)\n"),
        "{}",
        issue.body
    );

    // A consumer's --no-notify leaves its issue open.
    r.consumer_updates_binding();
    let sent = r.fake.requests().len();
    let out = stdout_of(r.run(&r.fungal, Some(TOKEN), &["sync", "--no-notify"]), 0);
    assert!(!out.contains("Notif"), "{out}");
    assert_eq!(r.fake.requests().len(), sent);
    assert_eq!(r.only_issue().state, "open");
}

#[test]
fn the_token_never_appears_in_syncs_output() {
    let r = realm(true);
    // GitHub refuses the token and, misbehaving, echoes the Authorization header back.
    r.fake.state().token = "another-token".to_owned();
    r.fake.state().echo_authorization = true;
    let check = |out: &std::process::Output, expect: &str| {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "{stdout}\n{stderr}"
        );
        assert!(stdout.contains(expect), "{stdout}\n{stderr}");
    };

    r.provider_adds(&["extra/*"]);
    let out = r
        .run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .get_output()
        .clone();
    check(
        &out,
        "answered 401: Bad credentials: Bearer ***; check the token",
    );

    r.provider_adds(&["extra/*", "more/*"]);
    let out = r
        .run(&r.aperture, Some(TOKEN), &["sync", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    check(&out, "Bad credentials: Bearer ***");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report["notifications"]["pending"], 1);

    // Server errors that echo it, through sync and notify.
    r.fake.state().token = TOKEN.to_owned();
    r.provider_adds(&["extra/*", "more/*", "third/*"]);
    r.fake.fail_next(500, 4);
    let out = r
        .run(&r.aperture, Some(TOKEN), &["sync", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    check(&out, "you sent Bearer ***");
    r.fake.fail_next(503, 4);
    let out = r
        .run(&r.aperture, Some(TOKEN), &["notify"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    check(&out, "you sent Bearer ***");
    // The dry run names no token either.
    let out = r
        .run(&r.aperture, Some(TOKEN), &["sync", "--dry-run", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    check(&out, "\"dry_run\": true");
    let pending = r.pending(&r.aperture).expect("pending");
    assert!(!pending.contains(TOKEN), "{pending}");
    // The token was sent only where it belongs.
    assert!(
        r.fake
            .state()
            .authorizations
            .iter()
            .all(|a| a == &format!("Bearer {TOKEN}")),
    );

    // Once the server behaves, what waited is delivered.
    r.run(&r.aperture, Some(TOKEN), &["notify"])
        .assert()
        .success();
    let issue = r.only_issue();
    assert!(issue.title.contains("1.3.0"), "{}", issue.title);
}

#[test]
fn a_pending_notice_the_consumer_resolved_meanwhile_is_not_told_again() {
    let r = realm(true);
    // 1.1.0 cannot be told (no token) and waits in aperture's pending store.
    r.provider_adds(&["extra/*"]);
    stdout_of(r.run(&r.aperture, None, &["sync"]), 0);
    assert!(r.pending(&r.aperture).is_some());
    // fungal resolves 1.1.0 without ever having been told.
    r.consumer_updates_binding();
    stdout_of(r.run(&r.fungal, Some(TOKEN), &["sync"]), 0);
    assert!(r.fake.issues().is_empty(), "there was no issue to close");

    // 1.2.0 goes out with a token: fungal is told about 1.2.0 only.
    r.env.realm_ok(&r.aperture, &["fetch"]);
    r.provider_adds(&["extra/*", "more/*"]);
    stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    let issue = r.only_issue();
    assert_eq!(
        issue.title,
        "Update for aperture/required-s3-permissions 1.2.0: Added more/* (write)"
    );
    assert!(
        issue.body.contains(
            "imports it and last resolved 1.1.0.\n\n### What changed\n\n- Added more/\\* (write)\n\n"
        ),
        "{}",
        issue.body
    );
    assert!(r.pending(&r.aperture).is_none());
}

#[test]
fn a_consumer_without_a_github_repo_has_no_issue_to_close() {
    let r = realm(true);
    // lab is a second consumer whose repo_url (its origin, a local path) is not on GitHub.
    let lab = r.env.code_repo("lab", &[("uses.txt", "jobs/*\n")]);
    r.env
        .git(&lab, &["config", "user.email", "lab@example.com"]);
    r.env.realm_ok(&lab, &["join", "../realm"]);
    r.env.realm_ok(
        &lab,
        &[
            "import",
            "--contract",
            "required-s3-permissions",
            "--from",
            "aperture",
            "--binding",
            "uses.txt",
        ],
    );
    r.env.realm_ok(&r.aperture, &["fetch"]);
    r.provider_adds(&["extra/*"]);
    r.run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added extra/* (write)
Consumers:
  fungal (imports required-s3-permissions ^1)
  lab (imports required-s3-permissions ^1)
✓ Realm synced (commit [HASH])
Notifying consumers:
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://github.com/fungal/fungal-image-analysis/issues/1
✗ Not notified: lab about aperture/required-s3-permissions 1.1.0: repo_url `[ROOT]/remotes/lab.git` is not a GitHub repository URL

"#]]);
    assert_eq!(r.only_issue().repo, "fungal-image-analysis");

    // lab resolves: it has no issue anywhere, so there is nothing to report or keep.
    r.env.write(&lab, &[("uses.txt", "jobs/*\nextra/*\n")]);
    r.env.commit_all(&lab, "use extra");
    let sent = r.fake.requests().len();
    r.run(&lab, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Imports resolved:
  required-s3-permissions from aperture: now at 1.1.0
    Added extra/* (write)
    Review binding: uses.txt
✓ Realm synced (commit [HASH])

"#]]);
    assert_eq!(r.fake.requests().len(), sent);
    assert!(r.pending(&lab).is_none());
    r.run(&lab, Some(TOKEN), &["notify"])
        .assert()
        .success()
        .stdout_eq(str![""]);
}

#[test]
fn an_issue_stays_breaking_while_the_consumer_has_not_caught_up() {
    let r = realm(true);
    // The approver's own breaking change lands on main at once.
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "drop training metrics");
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    assert!(out.contains("✓ Opened issue #1 for fungal"), "{out}");
    let issue = r.only_issue();
    assert_eq!(
        issue.title,
        "Breaking update for aperture/required-s3-permissions 2.0.0: Removed training-metrics/* (read, write)"
    );
    assert!(
        issue
            .body
            .contains("It takes effect on **2026-02-07**; until then 1.0.0 stays current."),
        "{}",
        issue.body
    );

    // 2.1.0 only adds, but fungal is still on 1.0.0: for it, the update is still breaking.
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\n- new/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "read new");
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    assert!(out.contains("✓ Updated issue #1 for fungal"), "{out}");
    let issue = r.only_issue();
    assert!(
        issue
            .title
            .starts_with("Breaking update for aperture/required-s3-permissions 2.1.0: "),
        "{}",
        issue.title
    );
    assert!(
        issue
            .body
            .contains("- Added new/\\* (read)\n- Removed training-metrics/\\* (read, write)\n"),
        "{}",
        issue.body
    );
    assert!(issue.body.contains("**Breaking:**"), "{}", issue.body);
    assert!(
        issue.comments[0].contains("**Breaking:**"),
        "{}",
        issue.comments[0]
    );
}

#[test]
fn a_breaking_change_held_as_a_proposal_is_announced_when_approved() {
    let r = realm(false);
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "drop training metrics");

    // Neither the dry run nor the sync that proposes tells anyone.
    let dry = json(&stdout_of(
        r.run(&r.aperture, Some(TOKEN), &["sync", "--dry-run", "--json"]),
        0,
    ));
    assert_eq!(
        dry["proposal"],
        "proposals/aperture/required-s3-permissions-2.0.0"
    );
    assert_eq!(dry["would_notify"], serde_json::json!([]), "{dry:#}");
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync", "--dry-run"]), 0);
    assert!(!out.contains("Would notify"), "{out}");
    let main_before = r.env.git(&r.realm, &["rev-parse", "main"]);
    r.run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 2.0.0 (breaking)
    Removed training-metrics/* (read, write)
Consumers:
  fungal (imports required-s3-permissions ^1)
✓ Proposed as proposals/aperture/required-s3-permissions-2.0.0 (commit [HASH]); an approver must run 'git realm approve aperture/required-s3-permissions-2.0.0'

"#]]);
    assert!(r.fake.requests().is_empty());
    assert!(r.pending(&r.aperture).is_none());
    assert_eq!(r.env.git(&r.realm, &["rev-parse", "main"]), main_before);

    // The approval lands it on main, and that is when fungal hears of it.
    let approver = r.env.code_repo("platform", &[]);
    r.env.realm_ok(&approver, &["join", "../realm"]);
    r.run(
        &approver,
        Some(TOKEN),
        &["approve", "aperture/required-s3-permissions-2.0.0"],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Approved proposals/aperture/required-s3-permissions-2.0.0 into realm 'letemcook' (commit [HASH])
Notifying consumers:
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 2.0.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    let issue = r.only_issue();
    assert_eq!(
        issue.title,
        "Breaking update for aperture/required-s3-permissions 2.0.0: Removed training-metrics/* (read, write)"
    );
    assert!(
        issue.body.contains(
            "**Breaking:** something this repository may rely on was removed or changed. It takes effect on **2026-02-07**; until then 1.0.0 stays current."
        ),
        "{}",
        issue.body
    );
    assert!(
        r.fake
            .requests()
            .iter()
            .all(|req| !req.contains("/repos/aperture/"))
    );
    // The command the issue gives is one fungal can run.
    let command =
        "git realm import --contract required-s3-permissions --from aperture --version ^2";
    assert!(
        issue.body.contains(&format!("`{command}`")),
        "{}",
        issue.body
    );
    r.env.realm_ok(&r.fungal, &["fetch"]);
    let args: Vec<&str> = command.split(' ').skip(2).collect();
    let out = stdout_of(r.run(&r.fungal, Some(TOKEN), &args), 0);
    assert!(out.contains("now at 2.0.0"), "{out}");
    // Moving to the new major resolves the import: the issue closes, as a resolving sync's would.
    let issue = r.only_issue();
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    assert!(out.contains("Closed issue #1"), "{out}");

    // The provider's next sync has nothing to publish and sends nothing more.
    let sent = r.fake.requests().len();
    r.run(&r.aperture, Some(TOKEN), &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Nothing to sync: the realm is up to date

"#]]);
    assert_eq!(r.fake.requests().len(), sent);
}

#[test]
fn approve_without_a_token_leaves_the_notice_for_notify() {
    let r = realm(false);
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "drop training metrics");
    stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    let approver = r.env.code_repo("platform", &[]);
    r.env.realm_ok(&approver, &["join", "../realm"]);

    let report = json(&stdout_of(
        r.run(
            &approver,
            None,
            &[
                "approve",
                "aperture/required-s3-permissions-2.0.0",
                "--json",
            ],
        ),
        0,
    ));
    assert_eq!(
        report["notifications"]["not_notified"][0]["reason"],
        "no GitHub token: set GITHUB_TOKEN or GH_TOKEN",
        "{report:#}"
    );
    assert!(r.fake.requests().is_empty());
    r.run(&approver, Some(TOKEN), &["notify"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 2.0.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    assert_eq!(r.only_issue().state, "open");
}

#[test]
fn approve_no_notify_sends_nothing_and_a_join_announces_nothing() {
    let r = realm(false);
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "drop training metrics");
    stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    let approver = r.env.code_repo("platform", &[]);
    r.env.realm_ok(&approver, &["join", "../realm"]);
    let report = json(&stdout_of(
        r.run(
            &approver,
            Some(TOKEN),
            &[
                "approve",
                "aperture/required-s3-permissions-2.0.0",
                "--no-notify",
                "--json",
            ],
        ),
        0,
    ));
    assert!(report.get("notifications").is_none(), "{report:#}");
    assert!(r.fake.requests().is_empty());
    assert!(r.pending(&approver).is_none());

    // A join proposal changes no export: approving it tells no one.
    let closed = r.env.realm_repo("closed-realm", false, &[]);
    let newcomer = r.env.code_repo("newcomer", &[]);
    r.env
        .git(&newcomer, &["config", "user.email", "new@example.com"]);
    let out = r
        .env
        .realm_ok(&newcomer, &["join", closed.to_str().expect("utf-8")]);
    assert!(out.contains("proposals/newcomer/join"), "{out}");
    let admin = r.env.code_repo("admin", &[]);
    r.env
        .realm_ok(&admin, &["join", closed.to_str().expect("utf-8")]);
    let report = json(&stdout_of(
        r.run(&admin, Some(TOKEN), &["approve", "newcomer/join", "--json"]),
        0,
    ));
    assert!(report.get("notifications").is_none(), "{report:#}");
    assert!(r.fake.requests().is_empty());
}

#[test]
fn an_approved_proposal_closes_the_issues_its_resolutions_answer() {
    let r = realm(false);
    // aperture also consumes fungal's export, and has an open issue about it.
    r.env
        .write(&r.fungal, &[("bucket.yaml", "name: fungal-data\n")]);
    r.env.commit_all(&r.fungal, "bucket");
    r.env.realm_ok(
        &r.fungal,
        &["export", "--name", "bucket", "--file", "bucket.yaml"],
    );
    r.env.realm_ok(&r.aperture, &["fetch"]);
    r.env.realm_ok(
        &r.aperture,
        &["import", "--contract", "bucket", "--from", "fungal"],
    );
    r.env.realm_ok(&r.fungal, &["fetch"]);
    r.env.write(
        &r.fungal,
        &[("bucket.yaml", "name: fungal-data\nregion: eu\n")],
    );
    r.env.commit_all(&r.fungal, "region");
    let out = stdout_of(r.run(&r.fungal, Some(TOKEN), &["sync"]), 0);
    assert!(
        out.contains("✓ Opened issue #1 for aperture about fungal/bucket 1.1.0  https://github.com/aperture/aperture/issues/1"),
        "{out}"
    );

    // aperture's breaking change and its resolution of bucket 1.1.0 wait in one proposal.
    r.env.write(
        &r.aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    r.env.commit_all(&r.aperture, "drop training metrics");
    let out = stdout_of(r.run(&r.aperture, Some(TOKEN), &["sync"]), 0);
    assert!(
        out.contains("Imports resolved:\n  bucket from fungal: now at 1.1.0"),
        "{out}"
    );
    assert!(out.contains("✓ Proposed as"), "{out}");
    assert_eq!(
        r.fake.issues()[0].state,
        "open",
        "not resolved until approved"
    );

    let approver = r.env.code_repo("platform", &[]);
    r.env.realm_ok(&approver, &["join", "../realm"]);
    r.run(
        &approver,
        Some(TOKEN),
        &["approve", "aperture/required-s3-permissions-2.0.0"],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Approved proposals/aperture/required-s3-permissions-2.0.0 into realm 'letemcook' (commit [HASH])
Notifying consumers:
✓ Opened issue #2 for fungal about aperture/required-s3-permissions 2.0.0  https://github.com/fungal/fungal-image-analysis/issues/2
✓ Closed issue #1: aperture resolved fungal/bucket 1.1.0  https://github.com/aperture/aperture/issues/1

"#]]);
    let issues = r.fake.issues();
    assert_eq!(issues.len(), 2);
    assert_eq!(
        (issues[0].repo.as_str(), issues[0].state.as_str()),
        ("aperture", "closed")
    );
    assert_eq!(
        (issues[1].repo.as_str(), issues[1].state.as_str()),
        ("fungal-image-analysis", "open")
    );
}

#[test]
fn an_unreachable_github_is_retried_and_reported() {
    let r = realm(true);
    r.provider_adds(&["extra/*"]);
    // A port that was just free: every connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let api = format!("http://{closed}");
    let out = r
        .run(&r.aperture, Some(TOKEN), &["sync"])
        .env("GITHUB_API_URL", &api)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            &format!("✗ Not notified: fungal about aperture/required-s3-permissions 1.1.0: github.com/fungal/fungal-image-analysis: GET {api}/repos/fungal/fungal-image-analysis/issues failed: ")
        ) && stdout.contains("(gave up after 4 tries)"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN) && !String::from_utf8_lossy(&out.stderr).contains(TOKEN));
    assert_eq!(
        r.realm_subject(),
        "aperture: export required-s3-permissions 1.1.0"
    );
    r.run(&r.aperture, Some(TOKEN), &["notify"])
        .assert()
        .success();
    assert!(r.only_issue().title.contains("1.1.0"));
}

#[test]
fn enterprise_consumers_are_reached_through_the_configured_api_with_gh_token() {
    let fake = FakeGitHub::start_under(TOKEN, "/api/v3");
    let r = realm_with(
        true,
        "git@ghe.example.com:fungal/fungal-image-analysis.git",
        fake,
    );
    r.env
        .git(&r.aperture, &["config", "realm.githubApiUrl", &r.fake.url]);
    r.provider_adds(&["extra/*"]);
    r.env
        .realm(&r.aperture, &["sync"])
        .env("GH_TOKEN", TOKEN)
        .env("GIT_REALM_RETRY_BASE_MS", "0")
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
✓ Opened issue #1 for fungal about aperture/required-s3-permissions 1.1.0  https://github.com/fungal/fungal-image-analysis/issues/1

"#]]);
    assert_eq!(r.only_issue().repo, "fungal-image-analysis");
    assert!(
        r.fake
            .requests()
            .iter()
            .all(|req| req.contains(" /api/v3/")),
        "{:#?}",
        r.fake.requests()
    );
}

#[test]
fn export_announces_the_version_it_publishes() {
    let r = realm(true);
    let value =
        r#"{"read": ["jobs/*", "training-metrics/*", "extra/*"], "write": ["training-metrics/*"]}"#;
    let out = stdout_of(
        r.run(
            &r.aperture,
            Some(TOKEN),
            &[
                "export",
                "--name",
                "required-s3-permissions",
                "--value",
                value,
                "--no-notify",
            ],
        ),
        0,
    );
    assert!(!out.contains("Notifying"), "{out}");
    assert!(r.fake.issues().is_empty(), "--no-notify sends nothing");

    let value = r#"{"read": ["jobs/*", "training-metrics/*", "extra/*", "more/*"], "write": ["training-metrics/*"]}"#;
    let out = stdout_of(
        r.run(
            &r.aperture,
            Some(TOKEN),
            &[
                "export",
                "--name",
                "required-s3-permissions",
                "--value",
                value,
            ],
        ),
        0,
    );
    assert!(
        out.contains("Notifying consumers:\n✓ Opened issue #1 for fungal"),
        "{out}"
    );
    let issue = r.only_issue();
    assert!(
        issue.body.contains("more/\\*") && issue.body.contains("extra/\\*"),
        "{}",
        issue.body
    );
}
