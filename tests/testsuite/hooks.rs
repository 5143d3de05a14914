//! git-realm's hooks under real git: pushes blocked on drift, hooks the repository already
//! had, core.hooksPath, linked worktrees, hook managers, and the post-merge report.

use std::path::{Path, PathBuf};

use snapbox::{IntoData, str};

use crate::support::{TestEnv, json};

const SHARED_V1: &str = "url: https://api.example.com\n";

/// A realm, and a code repository `app` that joined it (installing the hooks), exports
/// `shared-config` from `config/shared.yaml`, and has pushed all that to `origin`.
fn joined_app(env: &TestEnv) -> PathBuf {
    env.realm_repo("realm", false, &["--admission", "open"]);
    let app = env.code_repo("app", &[("config/shared.yaml", SHARED_V1)]);
    env.realm_ok(&app, &["join", "../realm"]);
    env.realm_ok(
        &app,
        &[
            "export",
            "--name",
            "shared-config",
            "--file",
            "config/shared.yaml",
        ],
    );
    env.commit_all(&app, "join the realm");
    push_ok(env, &app, "git push -q origin main");
    app
}

fn drift(env: &TestEnv, app: &Path, url: &str) -> String {
    env.write(app, &[("config/shared.yaml", &format!("url: {url}\n"))]);
    env.commit_all(app, &format!("move the api to {url}"))
}

/// Run a push (or any script) with git-realm on PATH; panic unless it succeeds. Its output.
fn push_ok(env: &TestEnv, dir: &Path, script: &str) -> String {
    let (code, out) = env.sh_run(dir, script);
    assert_eq!(code, 0, "`{script}` failed:\n{out}");
    out
}

fn remote_main(env: &TestEnv, app: &Path) -> String {
    env.git(app, &["ls-remote", "origin", "refs/heads/main"])
        .split('\t')
        .next()
        .unwrap_or("")
        .to_owned()
}

fn hook_file(app: &Path, hook: &str) -> String {
    std::fs::read_to_string(app.join(".git/hooks").join(hook)).unwrap_or_default()
}

#[test]
fn drift_blocks_the_push_to_the_tracked_branch_until_sync() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    for (hook, call) in [
        (
            "pre-push",
            "exec git-realm hooks run --hook-file \"$0\" pre-push \"$@\"",
        ),
        ("post-merge", "git realm hooks run post-merge \"$@\""),
        ("post-rewrite", "git realm hooks run post-rewrite \"$@\""),
    ] {
        assert!(hook_file(&app, hook).contains(call), "{hook}");
    }
    let pushed = remote_main(&env, &app);
    let head = drift(&env, &app, "https://api2.example.com");

    let (code, out) = env.sh_run(&app, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    let short = &head[..7];
    assert!(
        out.contains(&format!(
            "error: the push to 'main' ({short}) changes exports of realm 'letemcook':\n  shared-config (the realm has 1.0.0; this change is breaking)\n    Changed https://api.example.com -> https://api2.example.com (url)\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("hint: run 'git realm sync', then push again\n"),
        "{out}"
    );
    assert_eq!(
        remote_main(&env, &app),
        pushed,
        "the blocked push must not land"
    );

    // Other branches: a warning, and the push goes through.
    let out = push_ok(&env, &app, "git push -q origin main:feature");
    assert!(out.contains("warning: the push to 'feature'"), "{out}");
    assert!(
        out.contains("hint: run 'git realm sync' before this reaches 'main'"),
        "{out}"
    );

    // Tags and deletes are not checked.
    push_ok(
        &env,
        &app,
        "git tag v1 && git push -q origin v1 && git push -q origin :feature",
    );

    // Sync publishes the new value; the same push then passes silently.
    env.realm_ok(&app, &["sync"]);
    let out = push_ok(&env, &app, "git push -q origin main");
    assert_eq!(out, "");
    assert_eq!(remote_main(&env, &app), head);
}

#[test]
fn bypasses_and_settings() {
    let env = TestEnv::new();
    let app = joined_app(&env);

    let head = drift(&env, &app, "https://two.example.com");
    push_ok(&env, &app, "GIT_REALM_SKIP=1 git push -q origin main");
    assert_eq!(remote_main(&env, &app), head);

    let head = drift(&env, &app, "https://three.example.com");
    push_ok(&env, &app, "git push -q --no-verify origin main");
    assert_eq!(remote_main(&env, &app), head);

    let head = drift(&env, &app, "https://four.example.com");
    env.git(&app, &["config", "realm.prePush", "warn"]);
    let out = push_ok(&env, &app, "git push -q origin main");
    assert!(out.contains("warning: the push to 'main'"), "{out}");
    assert_eq!(remote_main(&env, &app), head);

    let head = drift(&env, &app, "https://five.example.com");
    env.git(&app, &["config", "realm.prePush", "off"]);
    assert_eq!(push_ok(&env, &app, "git push -q origin main"), "");
    assert_eq!(remote_main(&env, &app), head);

    // The tracked branch is configurable; main is then just another branch.
    drift(&env, &app, "https://six.example.com");
    env.git(&app, &["config", "realm.prePush", "block"]);
    env.git(&app, &["config", "realm.trackedBranch", "release"]);
    let out = push_ok(&env, &app, "git push -q origin main");
    assert!(out.contains("before this reaches 'release'"), "{out}");
    let (code, out) = env.sh_run(&app, "git push -q origin main:release");
    assert_ne!(code, 0, "{out}");

    // The remote's default branch (origin/HEAD) is the tracked one when none is configured.
    env.git(&app, &["config", "--unset", "realm.trackedBranch"]);
    env.git(
        &app,
        &[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/trunk",
        ],
    );
    push_ok(&env, &app, "git push -q origin main");
    let (code, out) = env.sh_run(&app, "git push -q origin main:trunk");
    assert_ne!(code, 0, "{out}");

    // A bad setting never stands in the way of a push.
    env.git(&app, &["config", "realm.prePush", "sometimes"]);
    let out = push_ok(&env, &app, "git push -q origin main:trunk");
    assert!(
        out.contains(
            "warning: git-realm's pre-push hook did not run: invalid realm.prePush `sometimes`"
        ),
        "{out}"
    );
}

/// `--json` output is API: the hooks' field names are snapshotted here.
#[test]
fn json_reports() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm(&app, &["--json", "hooks", "install"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "hooks_dir": ".git/hooks",
  "manager": null,
  "instructions": null,
  "hooks": [
    {
      "hook": "pre-push",
      "result": "unchanged"
    },
    {
      "hook": "post-merge",
      "result": "unchanged"
    },
    {
      "hook": "post-rewrite",
      "result": "unchanged"
    }
  ]
}
"#]]
            .is_json(),
        );

    let head = drift(&env, &app, "https://api2.example.com");
    let zero = env.format().zero_id();
    env.realm(
        &app,
        &["--json", "hooks", "run", "pre-push", "origin", "unused-url"],
    )
    .stdin(format!("refs/heads/main {head} refs/heads/main {zero}\n"))
    .assert()
    .code(1)
    .stdout_eq(
        str![[r#"
{
  "realm": "letemcook",
  "realm_commit": "[HASH]",
  "tracked_branch": "main",
  "mode": "block",
  "branches": [
    {
      "branch": "main",
      "commit": "[HASH]",
      "drift": [
        {
          "export": "shared-config",
          "recorded_version": "1.0.0",
          "bump": "major",
          "breaking": true,
          "changes": [
            {
              "kind": "changed",
              "at": "url",
              "item": "https://api.example.com -> https://api2.example.com"
            }
          ],
          "summary": [
            "Changed https://api.example.com -> https://api2.example.com (url)"
          ],
          "explained": [
            "Changed https://api.example.com -> https://api2.example.com (url)"
          ],
          "sources": {}
        }
      ],
      "blocked": true
    }
  ],
  "blocked": true
}
"#]]
        .is_json(),
    );

    env.realm(&app, &["--json", "hooks", "uninstall"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "hooks_dir": ".git/hooks",
  "hooks": [
    {
      "hook": "pre-push",
      "result": "deleted"
    },
    {
      "hook": "post-merge",
      "result": "deleted"
    },
    {
      "hook": "post-rewrite",
      "result": "deleted"
    }
  ]
}
"#]]
            .is_json(),
        );
}

#[test]
fn a_hook_the_repository_had_still_runs_with_its_stdin() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm_ok(&app, &["hooks", "uninstall"]);
    let hooks = app.join(".git/hooks");
    // A shell hook that reads stdin and exits early, and a Perl one.
    let (shell_log, perl_log) = (env.path("shell-hook.log"), env.path("perl-hook.log"));
    let shell_hook = format!(
        "#!/bin/sh\nset -e\necho \"$1 $(cat)\" >>'{}'\nexit 0\n",
        shell_log.display()
    );
    write_executable(&hooks.join("pre-push"), &shell_hook);
    let perl_hook = format!(
        "#!/usr/bin/perl\nopen(my $f, '>>', '{}');\nprint $f \"$ARGV[0] $_\" while <STDIN>;\n",
        perl_log.display()
    );
    write_executable(&hooks.join("post-rewrite"), &perl_hook);

    let installed = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    let results: Vec<_> = installed["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["result"].clone())
        .collect();
    assert_eq!(results, ["added", "created", "chained"]);
    assert_eq!(
        std::fs::read_to_string(hooks.join("post-rewrite.realm-chained")).unwrap(),
        perl_hook
    );

    // A clean push: our check passes, then the shell hook gets the same stdin.
    push_ok(
        &env,
        &app,
        "git commit -q --allow-empty -m more && git push -q origin main",
    );
    let head = env.git(&app, &["rev-parse", "HEAD"]);
    let log = std::fs::read_to_string(&shell_log).unwrap();
    assert!(
        log.starts_with(&format!("origin refs/heads/main {head} refs/heads/main ")),
        "{log}"
    );

    // Drift: our check refuses first, and the user's hook is not reached.
    drift(&env, &app, "https://api2.example.com");
    let (code, _) = env.sh_run(&app, "git push -q origin main");
    assert_ne!(code, 0);
    assert_eq!(std::fs::read_to_string(&shell_log).unwrap(), log);

    // post-rewrite: the chained Perl hook gets its argument and git's list of rewritten commits.
    let before = env.git(&app, &["rev-parse", "HEAD"]);
    push_ok(&env, &app, "git commit -q --amend -m amended");
    let after = env.git(&app, &["rev-parse", "HEAD"]);
    let log = std::fs::read_to_string(&perl_log).unwrap();
    assert_eq!(log, format!("amend {before} {after}\n"));

    // Uninstall puts back exactly what was there.
    env.realm_ok(&app, &["hooks", "uninstall"]);
    assert_eq!(hook_file(&app, "pre-push"), shell_hook);
    assert_eq!(hook_file(&app, "post-rewrite"), perl_hook);
    assert!(!hooks.join("post-merge").exists());
    assert!(!hooks.join("post-rewrite.realm-chained").exists());
}

#[test]
fn install_is_idempotent_and_uninstall_removes_only_git_realm() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    let hooks = app.join(".git/hooks");
    let before: Vec<String> = ["pre-push", "post-merge", "post-rewrite"]
        .iter()
        .map(|h| hook_file(&app, h))
        .collect();
    let again = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    for hook in again["hooks"].as_array().unwrap() {
        assert_eq!(hook["result"], "unchanged", "{again}");
    }
    let after: Vec<String> = ["pre-push", "post-merge", "post-rewrite"]
        .iter()
        .map(|h| hook_file(&app, h))
        .collect();
    assert_eq!(before, after);

    // Someone adds to the hook git-realm created: uninstall keeps their lines.
    let mine = format!("{}echo mine\n", hook_file(&app, "post-merge"));
    write_executable(&hooks.join("post-merge"), &mine);
    env.realm(&app, &["hooks", "uninstall"])
        .assert()
        .success()
        .stdout_eq(snapbox::str![[r#"
✓ Removed .git/hooks/pre-push
✓ Removed git-realm from .git/hooks/post-merge
✓ Removed .git/hooks/post-rewrite

"#]]);
    assert_eq!(hook_file(&app, "post-merge"), "#!/bin/sh\necho mine\n");
    env.realm(&app, &["hooks", "uninstall"])
        .assert()
        .success()
        .stdout_eq(snapbox::str![[r#"
No git-realm hooks in .git/hooks

"#]]);

    // leave removes the hooks, join (unless --no-hooks) installs them.
    env.realm_ok(&app, &["hooks", "install"]);
    env.realm_ok(&app, &["leave"]);
    assert_eq!(hook_file(&app, "pre-push"), "");
    assert_eq!(hook_file(&app, "post-merge"), "#!/bin/sh\necho mine\n");
    env.realm_ok(&app, &["join", "../realm", "--no-hooks"]);
    assert_eq!(hook_file(&app, "pre-push"), "");
    assert_eq!(
        env.git(&app, &["config", "notes.rewriteRef"]),
        "refs/notes/realm*"
    );
}

#[test]
fn hooks_go_where_core_hooks_path_says() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm_ok(&app, &["hooks", "uninstall"]);
    env.git(&app, &["config", "core.hooksPath", "githooks"]);
    env.realm(&app, &["hooks", "install"])
        .assert()
        .success()
        .stdout_eq(snapbox::str![[r#"
✓ Installed githooks/pre-push
✓ Installed githooks/post-merge
✓ Installed githooks/post-rewrite

"#]]);
    assert!(!app.join(".git/hooks/pre-push").exists());
    drift(&env, &app, "https://api2.example.com");
    let (code, out) = env.sh_run(&app, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("error: the push to 'main'"), "{out}");
}

#[test]
fn linked_worktrees_share_the_hooks() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm_ok(&app, &["hooks", "uninstall"]);
    env.git(
        &app,
        &["worktree", "add", "-q", "-b", "work", "../app-work"],
    );
    let work = env.path("app-work");
    env.realm(&work, &["hooks", "install"]).assert().success();
    assert!(hook_file(&app, "pre-push").contains("hooks run --hook-file \"$0\" pre-push"));

    drift(&env, &work, "https://api2.example.com");
    let (code, out) = env.sh_run(&work, "git push -q origin work:main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("error: the push to 'main'"), "{out}");
    // From a subdirectory too.
    let (code, out) = env.sh_run(work.join("config"), "git push -q origin work:main");
    assert_ne!(code, 0, "{out}");
}

#[test]
fn hook_managers_get_instructions() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm_ok(&app, &["hooks", "uninstall"]);
    std::fs::create_dir_all(app.join(".husky/_")).unwrap();
    env.git(&app, &["config", "core.hooksPath", ".husky/_"]);
    env.realm(&app, &["hooks", "install"])
        .assert()
        .success()
        .stdout_eq(snapbox::str![[r#"
This repository's hooks are managed by husky: git-realm wrote none.
Add git-realm to husky's hooks (create the files if they do not exist):

  echo 'git realm hooks run pre-push "$@"' >> .husky/pre-push
  echo 'git realm hooks run post-merge "$@"' >> .husky/post-merge
  echo 'git realm hooks run post-rewrite "$@"' >> .husky/post-rewrite

"#]]);
    assert_eq!(std::fs::read_dir(app.join(".husky/_")).unwrap().count(), 0);
    assert!(!app.join(".git/hooks/pre-push").exists());

    std::fs::remove_dir_all(app.join(".husky")).unwrap();
    env.git(&app, &["config", "--unset", "core.hooksPath"]);
    env.write(&app, &[(".pre-commit-config.yaml", "repos: []\n")]);
    let report = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    assert_eq!(report["manager"], "pre-commit");
    assert!(
        report["instructions"]
            .as_str()
            .unwrap()
            .contains("entry: git realm hooks run pre-push")
    );
    assert!(!app.join(".git/hooks/pre-push").exists());

    // pre-commit runs the pre-push stage with PRE_COMMIT_* variables instead of stdin.
    let head = drift(&env, &app, "https://api2.example.com");
    let (code, out) = env.sh_run(
        &app,
        &format!(
            "PRE_COMMIT_FROM_REF={zero} PRE_COMMIT_TO_REF={head} PRE_COMMIT_REMOTE_BRANCH=refs/heads/main \
             git realm hooks run pre-push origin url </dev/null",
            zero = env.format().zero_id()
        ),
    );
    assert_eq!(code, 1, "{out}");

    // --force installs anyway.
    env.realm_ok(&app, &["hooks", "install", "--force"]);
    assert!(app.join(".git/hooks/pre-push").exists());
}

#[test]
fn a_missing_git_realm_never_breaks_git() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    drift(&env, &app, "https://api2.example.com");
    let out = env
        .git_cmd(&app, &["push", "-q", "origin", "main"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("git-realm: not found on PATH; the realm check of this push was skipped"),
        "{stderr}"
    );
}

#[test]
fn post_merge_and_post_rewrite_report_the_realm() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    let consumer = env.code_repo(
        "consumer",
        &[("src/client.py", "URL = 'https://api.example.com'\n")],
    );
    env.git(&consumer, &["config", "user.email", "ops@consumer.example"]);
    env.realm_ok(&consumer, &["join", "../realm"]);
    env.realm_ok(
        &consumer,
        &[
            "import",
            "--contract",
            "shared-config",
            "--from",
            "app",
            "--binding",
            "src/client.py",
        ],
    );
    env.realm_ok(&consumer, &["sync"]);
    env.commit_all(&consumer, "join the realm");

    // Nothing new: merges stay quiet.
    let out = push_ok(
        &env,
        &consumer,
        "git checkout -q -b side && git commit -q --allow-empty -m side && git checkout -q main && git merge -q --no-ff -m merge side",
    );
    assert_eq!(out, "");

    // The provider publishes 1.1.0; the consumer's next merge fetches and says so.
    env.write(
        &app,
        &[(
            "config/shared.yaml",
            "url: https://api.example.com\ntimeout: 30\n",
        )],
    );
    env.commit_all(&app, "add a timeout");
    env.realm_ok(&app, &["sync"]);
    let out = push_ok(
        &env,
        &consumer,
        "git commit -q --allow-empty -m more && git checkout -q side && git merge -q main",
    );
    assert_eq!(
        out,
        "Realm 'letemcook' has new export versions:
  app/shared-config 1.1.0 (was 1.0.0)
Stale import 'shared-config' from app: 1.0.0 → 1.1.0
  Added timeout: 30
  review src/client.py, then run 'git realm sync'
"
    );
    // post-rewrite: already fetched, so only the import is reported.
    let out = push_ok(
        &env,
        &consumer,
        "git commit -q --allow-empty --amend -m again",
    );
    assert!(
        out.starts_with("Stale import 'shared-config' from app: 1.0.0 → 1.1.0\n"),
        "{out}"
    );
    env.realm(&consumer, &["--json", "hooks", "run", "post-merge", "0"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "hook": "post-merge",
  "realm": "letemcook",
  "fetch": "fetched",
  "previous_realm_commit": "[HASH]",
  "realm_commit": "[HASH]",
  "new_versions": [],
  "imports": [
    {
      "contract": "shared-config",
      "from": "app",
      "requirement": "^1",
      "binding": "src/client.py",
      "status": "stale",
      "resolved_version": "1.0.0",
      "latest_version": "1.1.0",
      "changes": [
        "Added timeout: 30"
      ],
      "reason": null,
      "announced": null
    }
  ]
}
"#]]
            .is_json(),
        );
}

#[test]
fn an_unreachable_realm_does_not_hold_up_a_merge() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    // A realm "server" that never answers.
    let config = std::fs::read_to_string(app.join(".realm/config.yaml")).unwrap();
    let config = config.replace("url: ../realm", "url: \"ext::sh -c sleep% 30\"");
    env.write(&app, &[(".realm/config.yaml", &config)]);
    env.git(&app, &["config", "protocol.ext.allow", "always"]);
    env.git(&app, &["config", "realm.fetchTimeout", "300"]);
    let started = std::time::Instant::now();
    let out = push_ok(&env, &app, "git commit -q --allow-empty --amend -m again");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        out.contains(
            "warning: the realm did not answer within 300 ms; showing what was fetched before"
        ),
        "{out}"
    );
}

fn write_executable(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn pre_push_refuses_input_git_never_sends() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    let head = env.git(&app, &["rev-parse", "HEAD"]);
    let zero = "0".repeat(head.len());
    let unknown = "1".repeat(head.len());
    let other_kind = "1".repeat(if head.len() == 40 { 64 } else { 40 });
    let run = |stdin: &[u8]| {
        let mut child = env
            .realm_std(&app, &["hooks", "run", "pre-push", "origin", "url"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // What git sends passes.
    let good = format!("refs/heads/main {head} refs/heads/main {zero}\n");
    assert_eq!(run(good.as_bytes()).0, Some(0));
    for (stdin, needle) in [
        (
            format!("{good}nonsense\n"),
            "line 2 is not `<local ref> <local sha> <remote ref> <remote sha>`: `nonsense`",
        ),
        (
            format!("refs/heads/main {head} refs/heads/main\n"),
            "line 1 is not `<local ref> <local sha> <remote ref> <remote sha>`",
        ),
        (
            format!("refs/heads/main {head} refs/heads/main xyz\n"),
            "line 1 is not",
        ),
        (
            format!("refs/heads/main {head}\0 refs/heads/main {zero}\n"),
            &*format!(
                "a NUL byte at offset {}",
                "refs/heads/main ".len() + head.len()
            ),
        ),
        (
            format!("refs/heads/main {other_kind} refs/heads/main {zero}\n"),
            &*format!("line 1 names object {other_kind}, which is not a"),
        ),
        (
            format!("refs/heads/main {unknown} refs/heads/main {zero}\n"),
            &*format!("line 1 names object {unknown}, which this repository does not have"),
        ),
    ] {
        let (code, stdout, stderr) = run(stdin.as_bytes());
        assert_eq!(code, Some(2), "{stdin:?}: {stderr}");
        assert_eq!(stdout, "");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(
            lines[0].starts_with(
                "error: pre-push hook: the pushed refs on stdin are not what git sends: "
            ) && lines[0].contains(needle),
            "{needle}: {stderr}"
        );
        assert!(
            lines[1].starts_with("hint: the push was stopped"),
            "{stderr}"
        );
    }
}

/// The pre-push block as git-realm 0.1 wrote it: git's input copied into a temporary file.
const OLD_PRE_PUSH_BLOCK: &str = r#"# >>> git-realm >>>
# Added by 'git realm hooks install'; 'git realm hooks uninstall' removes this block.
# Checks the pushed commits against the realm's exports (set GIT_REALM_SKIP=1 to bypass).
# git's list of pushed refs is kept in a file so that the rest of this hook reads it too.
if command -v git-realm >/dev/null 2>&1; then
	git_realm_refs=$(mktemp "${TMPDIR:-/tmp}/git-realm-pre-push.XXXXXX") || git_realm_refs=
	if [ -n "$git_realm_refs" ] && cat >"$git_realm_refs"; then
		git realm hooks run pre-push "$@" <"$git_realm_refs" || {
			git_realm_status=$?
			rm -f "$git_realm_refs"
			exit "$git_realm_status"
		}
		exec <"$git_realm_refs"
		rm -f "$git_realm_refs"
	fi
	unset git_realm_refs
else
	echo "git-realm: not found on PATH; the realm check of this push was skipped" >&2
fi
# <<< git-realm <<<
"#;

/// The installed pre-push hook hands over to git-realm in one `exec` line, stdin untouched;
/// an install made with the older block (a temporary file and `cat`) keeps working and is
/// upgraded by `hooks install`, the repository's own lines kept after it.
#[test]
fn the_pre_push_block_is_one_exec_and_older_installs_are_upgraded() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    let hooks = app.join(".git/hooks");
    let installed = hook_file(&app, "pre-push");
    let calls: Vec<&str> = installed
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("hooks run"))
        .collect();
    assert_eq!(
        calls,
        [
            "\tcommand -v git-realm >/dev/null 2>&1 && exec git-realm hooks run --hook-file \"$0\" pre-push \"$@\""
        ],
        "{installed}"
    );
    for word in ["mktemp", "cat ", "rm -f"] {
        assert!(!installed.contains(word), "{word}: {installed}");
    }

    // A hook of the repository's own with the older block in it: it still works as it is.
    let log = env.path("theirs.log");
    let theirs = format!("echo \"$1 $(cat)\" >>'{}'\n", log.display());
    write_executable(
        &hooks.join("pre-push"),
        &format!("#!/bin/sh\n{OLD_PRE_PUSH_BLOCK}{theirs}"),
    );
    push_ok(
        &env,
        &app,
        "git commit -q --allow-empty -m one && git push -q origin main",
    );
    let head = env.git(&app, &["rev-parse", "HEAD"]);
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with(&format!("origin refs/heads/main {head} refs/heads/main ")),
    );
    std::fs::remove_file(&log).unwrap();

    // install replaces the block, once.
    let report = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    assert_eq!(report["hooks"][0]["result"], "updated", "{report}");
    let block = installed.strip_prefix("#!/bin/sh\n").unwrap();
    assert_eq!(
        hook_file(&app, "pre-push"),
        format!("#!/bin/sh\n{block}{theirs}")
    );
    let again = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    assert_eq!(again["hooks"][0]["result"], "unchanged", "{again}");

    // The upgraded hook: git-realm checks, then the repository's lines get git's input.
    push_ok(
        &env,
        &app,
        "git commit -q --allow-empty -m two && git push -q origin main",
    );
    let head = env.git(&app, &["rev-parse", "HEAD"]);
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with(&format!("origin refs/heads/main {head} refs/heads/main ")),
    );
    // Drift: refused before the repository's lines run.
    drift(&env, &app, "https://api2.example.com");
    let (code, out) = env.sh_run(&app, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("error: push to 'main' refused"), "{out}");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

/// A chained pre-push hook (not a shell script) gets git's arguments and input from git-realm
/// after the check, keeps its exit status, and still runs with its input when the check is
/// skipped or git-realm is not on PATH.
#[test]
fn a_chained_pre_push_hook_gets_git_input_in_every_case() {
    let env = TestEnv::new();
    let app = joined_app(&env);
    env.realm_ok(&app, &["hooks", "uninstall"]);
    let hooks = app.join(".git/hooks");
    let log = env.path("perl-pre-push.log");
    let status = env.path("perl-status");
    let perl_hook = format!(
        "#!/usr/bin/perl\nopen(my $f, '>>', '{}');\nprint $f \"$ARGV[0] $_\" while <STDIN>;\nprint \"theirs ran\\n\";\nopen(my $s, '<', '{}') or exit 0;\nexit(<$s> + 0);\n",
        log.display(),
        status.display()
    );
    write_executable(&hooks.join("pre-push"), &perl_hook);
    let installed = json(&env.realm_ok(&app, &["--json", "hooks", "install"]));
    assert_eq!(installed["hooks"][0]["result"], "chained", "{installed}");
    let pushed = |n: usize| {
        let head = env.git(&app, &["rev-parse", "HEAD"]);
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(log.lines().count(), n, "{log}");
        assert!(
            log.lines()
                .last()
                .unwrap()
                .starts_with(&format!("origin refs/heads/main {head} refs/heads/main ")),
            "{log}"
        );
    };

    let out = push_ok(
        &env,
        &app,
        "git commit -q --allow-empty -m one && git push -q origin main",
    );
    assert!(out.contains("theirs ran"), "{out}");
    pushed(1);

    // Its exit status is the hook's.
    std::fs::write(&status, "3").unwrap();
    let (code, out) = env.sh_run(
        &app,
        "git commit -q --allow-empty -m two && git push -q origin main",
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("failed to push"), "{out}");
    pushed(2);
    std::fs::remove_file(&status).unwrap();

    // Skipped: git-realm does not read the input, the chained hook does.
    drift(&env, &app, "https://api2.example.com");
    push_ok(&env, &app, "GIT_REALM_SKIP=1 git push -q origin main");
    pushed(3);

    // Without git-realm on PATH the shell goes on to the chained hook.
    drift(&env, &app, "https://api3.example.com");
    let out = env
        .git_cmd(&app, &["push", "-q", "origin", "main"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("not found on PATH"), "{stderr}");
    pushed(4);

    env.realm_ok(&app, &["hooks", "uninstall"]);
    assert_eq!(hook_file(&app, "pre-push"), perl_hook);
}
