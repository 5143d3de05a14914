//! Notes under `refs/notes/realm`: written by sync, read by both gits on the machine,
//! carried through amend and rebase, merged across clones.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, gits};

/// A realm, and `app` that joined it and exports `shared-config` and `limits` from files,
/// pushed to `origin`.
fn provider(env: &TestEnv) -> (PathBuf, PathBuf) {
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let app = env.code_repo(
        "app",
        &[
            ("config/shared.yaml", "url: https://api.example.com\n"),
            ("config/limits.yaml", "rps: 10\n"),
        ],
    );
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
    env.realm_ok(
        &app,
        &["export", "--name", "limits", "--file", "config/limits.yaml"],
    );
    env.commit_all(&app, "join the realm");
    env.git(&app, &["push", "-q", "origin", "main"]);
    (realm, app)
}

fn note(env: &TestEnv, git: &str, dir: &Path, rev: &str) -> String {
    let out = env
        .git_program_cmd(
            git,
            dir,
            &["log", "-1", "--notes=realm", "--format=%N", rev],
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

fn realm_tip(env: &TestEnv, realm: &Path) -> String {
    env.git(realm, &["rev-parse", "main"])
}

#[test]
fn sync_notes_the_code_commit_and_both_gits_read_it() {
    let env = TestEnv::new();
    let (realm, app) = provider(&env);
    let consumer = env.code_repo("consumer", &[("limits.txt", "10\n")]);
    env.realm_ok(&consumer, &["join", "../realm"]);
    env.realm_ok(
        &consumer,
        &[
            "import",
            "--contract",
            "limits",
            "--from",
            "app",
            "--binding",
            "limits.txt",
        ],
    );

    env.write(
        &app,
        &[
            (
                "config/shared.yaml",
                "url: https://api.example.com\ntimeout: 30\n",
            ),
            ("config/limits.yaml", "rps: 10\nburst: 20\n"),
        ],
    );
    let source = env.commit_all(&app, "add timeout and burst");
    env.realm_ok(&app, &["sync"]);
    let published = realm_tip(&env, &realm);
    let expected = format!(
        "Realm-Export: letemcook app/limits 1.1.0 realm-commit={published}\n\
         Realm-Export: letemcook app/shared-config 1.1.0 realm-commit={published}"
    );
    for git in gits() {
        assert_eq!(note(&env, git, &app, &source), expected, "{git}");
    }
    // Shared with the code remote, explicitly: a plain `git push` still pushes only branches.
    env.git(&app, &["push", "-q", "origin", "main"]);
    let origin = env.path("remotes/app.git");
    for git in gits() {
        assert_eq!(note(&env, git, &origin, &source), expected, "{git}");
    }
    let push_config = env
        .git_cmd(&app, &["config", "--get-regexp", r"^remote\..*\.push$"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&push_config.stdout), "");
    env.git(&app, &["fsck", "--strict", "--no-progress"]);

    // The consumer's sync resolves the stale import and notes that too.
    env.write(&consumer, &[("limits.txt", "10 20\n")]);
    let reviewed = env.commit_all(&consumer, "use the burst limit");
    env.realm_ok(&consumer, &["sync"]);
    let resolved = realm_tip(&env, &realm);
    for git in gits() {
        assert_eq!(
            note(&env, git, &consumer, &reviewed),
            format!("Realm-Import: letemcook app/limits 1.1.0 realm-commit={resolved}"),
            "{git}"
        );
    }

    // A sync with nothing to publish leaves the note alone.
    env.realm_ok(&app, &["sync"]);
    assert_eq!(note(&env, "git", &app, &source), expected);
}

#[test]
fn notes_follow_amend_and_rebase_with_both_gits() {
    let env = TestEnv::new();
    let (_realm, app) = provider(&env);
    let run = |git: &str, args: &[&str]| {
        let out = env.git_program_cmd(git, &app, args).output().unwrap();
        assert!(
            out.status.success(),
            "{git} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Before and after the notes ref exists, rewriting never warns about it.
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("notes ref"),
            "{git} {args:?}"
        );
    };
    for git in gits() {
        run(
            git,
            &[
                "commit",
                "-q",
                "--amend",
                "-m",
                "join the realm (before any note)",
            ],
        );
    }
    env.write(&app, &[("config/limits.yaml", "rps: 10\nburst: 20\n")]);
    let source = env.commit_all(&app, "add burst");
    env.realm_ok(&app, &["sync"]);
    let expected = note(&env, "git", &app, &source);
    assert!(
        expected.starts_with("Realm-Export: letemcook app/limits 1.1.0 realm-commit="),
        "{expected}"
    );

    for git in gits() {
        let run = |args: &[&str]| run(git, args);
        run(&[
            "commit",
            "-q",
            "--amend",
            "-m",
            &format!("add burst (amended by {git})"),
        ]);
        assert_eq!(note(&env, git, &app, "HEAD"), expected, "{git} amend");
        run(&["rebase", "-q", "--force-rebase", "HEAD~1"]);
        assert_eq!(note(&env, git, &app, "HEAD"), expected, "{git} rebase");
    }
    assert_ne!(env.git(&app, &["rev-parse", "HEAD"]), source);
}

#[test]
fn notes_from_two_clones_merge_after_fetch() {
    let env = TestEnv::new();
    let (realm, app) = provider(&env);
    let origin = env.path("remotes/app.git");
    env.git(
        env.root(),
        &["clone", "-q", origin.to_str().unwrap(), "app-b"],
    );
    let clone = env.path("app-b");
    env.realm_ok(&clone, &["hooks", "install"]);

    // In `app`: a change, synced, noted and shared.
    env.write(&app, &[("config/limits.yaml", "rps: 10\nburst: 20\n")]);
    let first = env.commit_all(&app, "add burst");
    env.realm_ok(&app, &["sync"]);
    env.git(&app, &["push", "-q", "origin", "main"]);
    let line_a = format!(
        "Realm-Export: letemcook app/limits 1.1.0 realm-commit={}",
        realm_tip(&env, &realm)
    );

    // In the clone: its own line on the same commit (noted before it saw app's), then a sync of
    // another change, which fetches app's notes, merges them and pushes the result.
    env.git(&clone, &["pull", "-q", "--ff-only"]);
    let line_b = format!(
        "Realm-Export: letemcook app/limits 1.0.0 realm-commit={}",
        env.format().zero_id()
    );
    env.git(
        &clone,
        &["notes", "--ref", "realm", "add", "-m", &line_b, &first],
    );
    env.write(
        &clone,
        &[(
            "config/shared.yaml",
            "url: https://api.example.com\ntimeout: 30\n",
        )],
    );
    let second = env.commit_all(&clone, "add a timeout");
    env.realm_ok(&clone, &["sync"]);
    env.git(&clone, &["push", "-q", "origin", "main"]);
    let line_c = format!(
        "Realm-Export: letemcook app/shared-config 1.1.0 realm-commit={}",
        realm_tip(&env, &realm)
    );
    let merged = format!("{line_b}\n{line_a}");
    for git in gits() {
        assert_eq!(note(&env, git, &clone, &first), merged, "{git}");
        assert_eq!(note(&env, git, &origin, &first), merged, "{git}");
        assert_eq!(note(&env, git, &origin, &second), line_c, "{git}");
    }

    // Back in `app`: its next sync brings the clone's notes in.
    env.git(&app, &["pull", "-q", "--ff-only", "origin", "main"]);
    env.write(
        &app,
        &[("config/limits.yaml", "rps: 10\nburst: 20\nqueue: 5\n")],
    );
    env.commit_all(&app, "add a queue limit");
    env.realm_ok(&app, &["sync"]);
    assert_eq!(note(&env, "git", &app, &first), merged);
    assert_eq!(note(&env, "git", &app, &second), line_c);
    assert!(
        env.git(
            &app,
            &["rev-parse", "--verify", "refs/notes/remotes/origin/realm"]
        )
        .len()
            == env.format().hex_len()
    );
}

/// Change `config/limits.yaml` in `app`, commit, and run a sync that the realm's server kills
/// (`kill -9`) the moment its commit has landed: before the sync can write its note. The code
/// commit and the realm commit it became.
fn sync_killed_after_push(
    env: &TestEnv,
    realm: &Path,
    app: &Path,
    limits: &str,
) -> (String, String) {
    env.write(app, &[("config/limits.yaml", limits)]);
    let source = env.commit_all(app, "change the limits");
    let pid = env.path("sync.pid");
    let hook = realm.join(".git/hooks/post-receive");
    write_executable(
        &hook,
        &format!("#!/bin/sh\nkill -9 \"$(cat '{}')\"\n", pid.display()),
    );
    let (code, out) = env.sh_run(
        app,
        &format!(
            "echo $$ > '{}'; exec git-realm sync --no-notify",
            pid.display()
        ),
    );
    std::fs::remove_file(&hook).unwrap();
    assert_eq!(code, -1, "the sync was not killed:\n{out}");
    let landed = realm_tip(env, realm);
    assert!(
        env.git(realm, &["log", "-1", "--format=%B", &landed])
            .contains(&format!("Source-Commit: {source}")),
        "the sync's commit did not land"
    );
    assert_eq!(note(env, "git", app, &source), "", "the note was written");
    (source, landed)
}

#[test]
fn notes_a_killed_sync_left_out_are_restored_by_fetch_sync_and_post_merge() {
    let env = TestEnv::new();
    let (realm, app) = provider(&env);
    let reconciled = app.join(".git/realm/notes-reconciled");

    // `fetch` restores the exact line the sync would have written, once.
    let (source, landed) = sync_killed_after_push(&env, &realm, &app, "rps: 20\n");
    let line = format!("Realm-Export: letemcook app/limits 2.0.0 realm-commit={landed}");
    let (code, out) = env.sh_run(&app, "git realm fetch");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Restored realm notes on 1 commit from the realm's history"),
        "{out}"
    );
    for git in gits() {
        assert_eq!(note(&env, git, &app, &source), line, "{git}");
    }
    let notes_tip = env.git(&app, &["rev-parse", "refs/notes/realm"]);
    // Idempotent: again, and from scratch (the record of what was reconciled is a cache).
    let (_, out) = env.sh_run(&app, "git realm fetch");
    assert!(!out.contains("Restored"), "{out}");
    std::fs::remove_file(&reconciled).unwrap();
    let (_, out) = env.sh_run(&app, "git realm fetch");
    assert!(!out.contains("Restored"), "{out}");
    assert!(reconciled.exists());
    assert_eq!(env.git(&app, &["rev-parse", "refs/notes/realm"]), notes_tip);

    // The next `sync`, with nothing to publish, restores it and shares it with the code remote.
    let (source, landed) = sync_killed_after_push(&env, &realm, &app, "rps: 30\n");
    let (code, out) = env.sh_run(&app, "git realm sync --no-notify");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Nothing to sync"), "{out}");
    let line = format!("Realm-Export: letemcook app/limits 3.0.0 realm-commit={landed}");
    assert_eq!(note(&env, "git", &app, &source), line);
    env.git(&app, &["push", "-q", "origin", "main"]);
    let origin = env.path("remotes/app.git");
    assert_eq!(note(&env, "git", &origin, &source), line);

    // The post-merge hook does too.
    let (source, landed) = sync_killed_after_push(&env, &realm, &app, "rps: 40\n");
    env.git(&app, &["checkout", "-q", "-b", "side"]);
    env.git(&app, &["commit", "-q", "--allow-empty", "-m", "side"]);
    env.git(&app, &["checkout", "-q", "main"]);
    let (code, out) = env.sh_run(&app, "git merge -q side");
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        note(&env, "git", &app, &source),
        format!("Realm-Export: letemcook app/limits 4.0.0 realm-commit={landed}")
    );
    env.git(&app, &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn a_sync_with_nothing_to_publish_pushes_the_notes_the_code_remote_lacks() {
    let env = TestEnv::new();
    let (_realm, app) = provider(&env);
    let origin = env.path("remotes/app.git");
    env.write(&app, &[("config/limits.yaml", "rps: 10\nburst: 20\n")]);
    let source = env.commit_all(&app, "add burst");
    // The code remote is out of reach: the note is kept here.
    env.git(&app, &["remote", "set-url", "origin", "/nowhere/app.git"]);
    let (code, out) = env.sh_run(&app, "git realm sync --no-notify");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning: realm notes not pushed"), "{out}");
    let line = note(&env, "git", &app, &source);
    assert!(
        line.starts_with("Realm-Export: letemcook app/limits 1.1.0"),
        "{line}"
    );

    env.git(
        &app,
        &["remote", "set-url", "origin", origin.to_str().unwrap()],
    );
    let (code, out) = env.sh_run(&app, "git realm sync --no-notify");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Nothing to sync"), "{out}");
    env.git(&app, &["push", "-q", "origin", "main"]);
    assert_eq!(note(&env, "git", &origin, &source), line);
    // Shared now: the next sync has nothing to push.
    assert_eq!(
        env.git(&app, &["rev-parse", "refs/notes/realm"]),
        env.git(&app, &["rev-parse", "refs/notes/remotes/origin/realm"])
    );
}

fn write_executable(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
