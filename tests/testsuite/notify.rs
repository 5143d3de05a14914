//! `git realm notify`: re-sending what a sync could not deliver, against a fake GitHub.
//!
//! Until `sync` lands, the pending store is seeded the way a token-less sync leaves it.

use std::path::Path;

use serde_json::{Value, json};
use snapbox::cmd::Command;
use snapbox::{IntoData, str};

use crate::support::fake_github::FakeGitHub;
use crate::support::{TestEnv, json};

const TOKEN: &str = "ghp_IntegrationS3cretT0ken0123456789";

fn notice(consumer: &str, repo_url: Option<&str>, version: &str) -> Value {
    json!({
        "kind": "notice",
        "realm": "letemcook",
        "provider": "aperture",
        "consumer": consumer,
        "consumer_repo_url": repo_url,
        "export": "required-s3-permissions",
        "version": version,
        "previous": "1.0.0",
        "changes": ["Added training-metrics/experiments/* (read, write)"],
        "breaking": false,
        "effective_from": null,
        "binding": "cdk/training_tools_access_stack.py",
        "reason": "no GitHub token: set GITHUB_TOKEN or GH_TOKEN"
    })
}

fn pending_file(repo: &Path) -> std::path::PathBuf {
    repo.join(".git/realm/pending-notifications.json")
}

/// Leave `messages` pending in `repo`, as a sync without a token would.
fn seed(repo: &Path, messages: Vec<Value>) {
    let path = pending_file(repo);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let text =
        serde_json::to_string_pretty(&json!({ "format": 1, "pending": messages })).expect("json");
    std::fs::write(path, text).expect("write pending");
}

/// `git realm notify ARGS` with a token and the fake as the API.
fn notify(env: &TestEnv, repo: &Path, fake: &FakeGitHub, args: &[&str]) -> Command {
    let mut all = vec!["notify"];
    all.extend_from_slice(args);
    env.realm(repo, &all)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &fake.url)
        .env("GIT_REALM_RETRY_BASE_MS", "0")
}

#[test]
fn nothing_pending_is_nothing_to_do() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    let fake = FakeGitHub::start(TOKEN);
    notify(&env, &repo, &fake, &[])
        .assert()
        .success()
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
Nothing to send: no notification is pending

"#]]);
    notify(&env, &repo, &fake, &["--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "delivered": [],
  "not_notified": [],
  "dropped": [],
  "pending": 0,
  "store_error": null
}
"#]]
            .is_json(),
        );
    assert!(fake.requests().is_empty());
}

#[test]
fn pending_notices_are_sent_once() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    let fake = FakeGitHub::start(TOKEN);
    seed(
        &repo,
        vec![notice(
            "letemcook-cdk",
            Some("git@github.com:cultivarium/letemcook-cdk.git"),
            "1.4.0",
        )],
    );

    notify(&env, &repo, &fake, &[]).assert().success().stdout_eq(str![[r#"
✓ Opened issue #1 for letemcook-cdk about aperture/required-s3-permissions 1.4.0  https://github.com/cultivarium/letemcook-cdk/issues/1

"#]]);
    assert!(!pending_file(&repo).exists());
    notify(&env, &repo, &fake, &[])
        .assert()
        .success()
        .stdout_eq(str![""]);

    // A pending file that outlived its delivery finds the issue again instead of opening another.
    seed(
        &repo,
        vec![notice(
            "letemcook-cdk",
            Some("git@github.com:cultivarium/letemcook-cdk.git"),
            "1.4.0",
        )],
    );
    notify(&env, &repo, &fake, &["--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "delivered": [
    {
      "kind": "notice",
      "provider": "aperture",
      "consumer": "letemcook-cdk",
      "export": "required-s3-permissions",
      "version": "1.4.0",
      "issue_number": 1,
      "url": "https://github.com/cultivarium/letemcook-cdk/issues/1",
      "action": "unchanged"
    }
  ],
  "not_notified": [],
  "dropped": [],
  "pending": 0,
  "store_error": null
}
"#]]
            .is_json(),
        );
    let issues = fake.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].labels, ["realm"]);
    assert!(issues[0].comments.is_empty());
}

#[test]
fn what_cannot_be_sent_stays_pending_with_exit_status_1() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    let fake = FakeGitHub::start(TOKEN);
    seed(
        &repo,
        vec![
            notice(
                "letemcook-cdk",
                Some("git@github.com:cultivarium/letemcook-cdk.git"),
                "1.4.0",
            ),
            notice("lab-portal", None, "1.4.0"),
        ],
    );
    fake.fail_next(502, 4);
    notify(&env, &repo, &fake, &[]).assert().code(1).stdout_eq(str![[r#"
✗ Not notified: letemcook-cdk about aperture/required-s3-permissions 1.4.0: github.com/cultivarium/letemcook-cdk: GET http://127.0.0.1:[..]/repos/cultivarium/letemcook-cdk/issues answered 502: Server Error (gave up after 4 tries)
✗ Not notified: lab-portal about aperture/required-s3-permissions 1.4.0: domain `lab-portal` has no repo_url in its domain.yaml

"#]]).stderr_eq(str![[r#"
hint: to notify `lab-portal`, its maintainers set `repo_url: URL` in the realm's domains/lab-portal/domain.yaml ('git realm join --repo-url URL' records it when joining)
hint: fix the cause above, then run 'git realm notify' to send what is pending

"#]]);
    let pending = std::fs::read_to_string(pending_file(&repo)).expect("still pending");
    assert_eq!(pending.matches("\"kind\": \"notice\"").count(), 2);

    // GitHub is back: the one it can reach is sent, the other still waits.
    let out = notify(&env, &repo, &fake, &["--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&String::from_utf8(out).expect("utf-8"));
    assert_eq!(report["delivered"][0]["action"], "opened");
    assert_eq!(report["not_notified"][0]["consumer"], "lab-portal");
    assert_eq!(report["pending"], 1);
}

#[test]
fn the_token_never_appears() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    // A server that rejects the token and, misbehaving, echoes it back.
    let fake = FakeGitHub::start("another-token");
    fake.state().echo_authorization = true;
    seed(
        &repo,
        vec![notice(
            "letemcook-cdk",
            Some("https://github.com/cultivarium/letemcook-cdk"),
            "1.4.0",
        )],
    );
    for args in [&[][..], &["--json"][..]] {
        let output = notify(&env, &repo, &fake, args)
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stdout.contains("answered 401: Bad credentials: Bearer ***"),
            "{stdout}"
        );
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "{stdout}\n{stderr}"
        );
    }
    // Server errors that echo it, too.
    fake.fail_next(503, 4);
    let output = notify(&env, &repo, &fake, &[])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("you sent Bearer ***"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !String::from_utf8_lossy(&output.stderr).contains(TOKEN));
    let pending = std::fs::read_to_string(pending_file(&repo)).expect("pending");
    assert!(!pending.contains(TOKEN), "{pending}");
}

#[test]
fn gh_token_and_the_configured_api_url_are_used() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    let fake = FakeGitHub::start_under(TOKEN, "/api/v3");
    env.git(&repo, &["config", "realm.githubApiUrl", &fake.url]);
    seed(
        &repo,
        vec![notice(
            "letemcook-cdk",
            Some("https://ghe.example.com/cultivarium/letemcook-cdk"),
            "1.4.0",
        )],
    );
    env.realm(&repo, &["notify"])
        .env("GH_TOKEN", TOKEN)
        .assert()
        .success();
    assert_eq!(fake.issues().len(), 1);
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.contains(" /api/v3/repos/cultivarium/letemcook-cdk/")
                || r.contains(" /api/v3/user"))
    );
}

#[test]
fn a_broken_pending_file_is_bad_input() {
    let env = TestEnv::new();
    let repo = env.code_repo("aperture", &[]);
    let fake = FakeGitHub::start(TOKEN);
    std::fs::create_dir_all(repo.join(".git/realm")).expect("mkdir");
    std::fs::write(
        pending_file(&repo),
        r#"{"format": 1, "pending": [{"kind": "telegram", "reason": "x"}]}"#,
    )
    .expect("write");
    notify(&env, &repo, &fake, &[]).assert().code(2).stdout_eq(str![""]).stderr_eq(str![[r#"
error: `[ROOT]/aperture/.git/realm/pending-notifications.json` is not a pending-notifications file: unknown variant `telegram`, expected `notice` or `resolution` at line 1 column [..]
hint: fix or delete the file; deleting it forgets the notifications not yet sent

"#]]);
    assert!(
        !repo
            .join(".git/realm/pending-notifications.json.lock")
            .exists()
    );
}

#[test]
fn pending_notices_are_checked_against_the_realm() {
    let env = TestEnv::new();
    let fake = FakeGitHub::start(TOKEN);
    let realm = env.realm_repo("realm-letemcook", false, &[]);
    let realm_url = realm.to_str().expect("utf-8");
    let aperture = env.code_repo("aperture", &[("config/paths.yaml", "read: [\"jobs/*\"]\n")]);
    env.realm_ok(&aperture, &["join", realm_url, "--as", "aperture"]);
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--file",
            "config/paths.yaml",
        ],
    );
    let cdk = env.code_repo("letemcook-cdk", &[("cdk/stack.py", "policy = []\n")]);
    env.realm_ok(
        &cdk,
        &[
            "join",
            realm_url,
            "--as",
            "letemcook-cdk",
            "--repo-url",
            "git@github.com:cultivarium/letemcook-cdk.git",
        ],
    );
    env.realm_ok(
        &cdk,
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

    seed(
        &aperture,
        vec![
            // Already resolved by the consumer (it imported 1.0.0).
            notice("letemcook-cdk", None, "1.0.0"),
            // Gone from the realm.
            notice(
                "lab-portal",
                Some("https://github.com/cultivarium/lab-portal"),
                "1.4.0",
            ),
            // Still to tell; the repo_url comes from the realm.
            notice("letemcook-cdk", None, "1.4.0"),
        ],
    );
    notify(&env, &aperture, &fake, &[]).assert().success().stdout_eq(str![[r#"
✓ Opened issue #1 for letemcook-cdk about aperture/required-s3-permissions 1.4.0  https://github.com/cultivarium/letemcook-cdk/issues/1
- Dropped the notice for letemcook-cdk about aperture/required-s3-permissions 1.0.0: `letemcook-cdk` has already resolved 1.0.0
- Dropped the notice for lab-portal about aperture/required-s3-permissions 1.4.0: domain `lab-portal` is no longer in realm `letemcook`

"#]]);
    assert_eq!(fake.issues().len(), 1);
    assert!(!pending_file(&aperture).exists());
}
