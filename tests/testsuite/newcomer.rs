//! The rough edges a new user meets following the README.

use std::path::PathBuf;

use crate::support::TestEnv;

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
