//! The rough edges a new user meets following the README.

use std::path::PathBuf;

use crate::support::TestEnv;
use crate::support::world::PATHS_V1;

/// A code repository `name` with one commit and no `origin` remote.
fn repo_without_origin(env: &TestEnv, name: &str) -> PathBuf {
    let dir = env.path(name);
    env.init(&dir, false);
    env.write(&dir, &[("README", "hello\n")]);
    env.commit_all(&dir, "initial commit");
    dir
}

#[test]
fn a_domain_of_a_local_realm_records_where_its_repository_lives() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &[]);
    let app = repo_without_origin(&env, "app");
    env.realm_ok(&app, &["join", "../realm", "--no-hooks"]);
    let domain = env.realm_file(&realm, "domains/app/domain.yaml");
    assert_eq!(
        domain,
        format!(
            "name: app\nrepo_path: {}\nmaintainers:\n- eric@example.com\njoined_at: 2026-01-24T10:00:00Z",
            std::fs::canonicalize(&app).unwrap().display()
        )
    );

    // A realm behind a URL may be shared across machines: a local path means nothing there.
    let remote = env.realm_repo("remote.git", true, &[]);
    let url = format!("file://{}", remote.display());
    let lib = repo_without_origin(&env, "lib");
    env.realm_ok(&lib, &["join", &url, "--no-hooks"]);
    let domain = env.realm_file(&remote, "domains/lib/domain.yaml");
    assert!(!domain.contains("repo_path"), "{domain}");
}

#[test]
fn join_stages_the_membership_so_the_next_commit_shares_it() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &[]);
    let app = env.code_repo("app", &[("src/main.py", "print(1)\n")]);
    env.realm(&app, &["join", "../realm", "--no-hooks"])
        .assert()
        .success()
        .stderr_eq(snapbox::str![[r#"
✓ Staged .realm/config.yaml: commit it to share the membership

"#]]);
    assert_eq!(
        env.git(&app, &["status", "--porcelain"]),
        "A  .realm/config.yaml"
    );
    // git-realm reads the membership from the working tree: staged, it is no unpublished change.
    let out = env.realm_std(&app, &["sync"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("uncommitted"), "{stderr}");
    // The README's next step, `git commit -am`, takes it along.
    env.write(&app, &[("src/main.py", "print(2)\n")]);
    env.git(&app, &["commit", "--quiet", "-am", "change"]);
    assert_eq!(env.git(&app, &["status", "--porcelain"]), "");
    assert_eq!(
        env.git(&app, &["show", "--name-only", "--format=", "HEAD"]),
        ".realm/config.yaml\nsrc/main.py"
    );
}

#[test]
fn a_membership_git_ignores_is_not_staged_and_join_says_so() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &[]);
    let app = env.code_repo("app", &[(".gitignore", ".realm/\n")]);
    let out = env
        .realm_std(&app, &["join", "../realm", "--no-hooks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("warning: .realm/config.yaml was not staged (")
            && stderr.ends_with("): add and commit it to share the membership\n"),
        "{stderr}"
    );
    assert_eq!(env.git(&app, &["status", "--porcelain"]), "");
}

#[test]
fn a_consumer_without_repo_url_is_told_how_to_get_one() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let aperture = env.code_repo("aperture", &[("config/s3.yaml", PATHS_V1)]);
    env.realm_ok(&aperture, &["join", "../realm", "--no-hooks"]);
    env.realm_ok(
        &aperture,
        &["export", "--name", "paths", "--file", "config/s3.yaml"],
    );
    let fungal = repo_without_origin(&env, "fungal");
    env.realm_ok(&fungal, &["join", "../realm", "--no-hooks"]);
    env.realm_ok(
        &fungal,
        &["import", "--contract", "paths", "--from", "aperture"],
    );
    env.realm_ok(&aperture, &["fetch"]);

    env.write(
        &aperture,
        &[(
            "config/s3.yaml",
            "read:\n- jobs/*\n- training-metrics/*\n- logs/*\nwrite:\n- training-metrics/*\n",
        )],
    );
    env.commit_all(&aperture, "read logs too");
    let out = env.realm_std(&aperture, &["sync"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains(
            "✗ Not notified: fungal about aperture/paths 1.1.0: domain `fungal` has no repo_url in its domain.yaml\n"
        ),
        "{stdout}"
    );
    assert!(
        stderr.ends_with(
            "hint: to notify `fungal`, its maintainers set `repo_url: URL` in the realm's \
             domains/fungal/domain.yaml ('git realm join --repo-url URL' records it when joining)\n\
             hint: fix the cause above, then run 'git realm notify' to send what is pending\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_hint_after_the_report_starts_a_line_of_its_own() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let aperture = env.code_repo("aperture", &[("config/s3.yaml", PATHS_V1)]);
    env.realm_ok(&aperture, &["join", "../realm"]);
    env.realm_ok(
        &aperture,
        &["export", "--name", "paths", "--file", "config/s3.yaml"],
    );
    env.write(&aperture, &[("config/s3.yaml", "read:\n- logs/*\n")]);
    env.commit_all(&aperture, "read logs instead");
    // The pre-push hook's report on stdout, then its verdict on stderr, through one pipe as a
    // terminal shows them.
    let (code, out) = env.sh_run(&aperture, "git push -q origin main 2>&1");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("\nerror: push to 'main' refused"), "{out}");
    for line in out.lines().filter(|l| l.contains("hint:")) {
        assert!(line.starts_with("hint: "), "{out}");
    }
}

#[test]
fn the_man_pages_synopsis_names_what_c_takes() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-realm.1"),
    )
    .unwrap();
    let synopsis = page
        .split_once(".SH SYNOPSIS\n")
        .and_then(|(_, rest)| rest.lines().next())
        .unwrap();
    assert!(synopsis.contains(r"[\fB\-C\fR \fI<PATH>\fR]"), "{synopsis}");
}
