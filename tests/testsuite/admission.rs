//! Admission policies: open, approval (proposal, approve, landed) and invite-only.

use snapbox::str;

use crate::support::TestEnv;

/// A second person (not an approver) working in `repo`.
fn as_outsider(env: &TestEnv, repo: &std::path::Path) {
    env.git(repo, &["config", "user.email", "olive@example.org"]);
    env.git(repo, &["config", "user.name", "Olive Outsider"]);
}

#[test]
fn open_admission_lands_directly() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let app = env.code_repo("app", &[]);
    as_outsider(&env, &app);
    env.realm_ok(&app, &["join", "../realm"]);
    assert!(
        env.realm_file(&realm, "domains/app/domain.yaml")
            .contains("olive@example.org")
    );
}

#[test]
fn approval_admission_makes_a_proposal_an_approver_accepts() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &[]);
    let approver = env.code_repo("platform", &[]);
    env.realm_ok(&approver, &["join", "../realm"]);

    let app = env.code_repo("app", &[]);
    as_outsider(&env, &app);
    env.realm(&app, &["join", "../realm"]).assert().success().stdout_eq(str![[r#"
✓ Created domains/app/domain.yaml
✓ Updated .realm/config.yaml
✓ Proposed joining realm 'letemcook' as 'app' (proposal proposals/app/join, commit [HASH]); an approver must run 'git realm approve app/join'

"#]]);
    let main_before = env.git(&realm, &["rev-parse", "main"]);
    assert_eq!(
        env.git(&realm, &["ls-tree", "--name-only", "main", "domains/"]),
        "domains/.gitkeep\ndomains/platform"
    );
    assert!(
        env.git(
            &realm,
            &["show", "proposals/app/join:domains/app/domain.yaml"]
        )
        .contains("olive@example.org")
    );

    // Not until an approver says so; the outsider cannot approve their own join.
    env.realm(&app, &["approve", "app/join"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: `olive@example.org` is not an approver of realm `letemcook`
hint: ask an approver: eric@example.com

"#]]);
    env.realm(&approver, &["approve", "nope/join"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error: no proposal `nope/join` in realm `letemcook`
hint: pending proposals: app/join

"#]]);
    env.realm(&approver, &["approve", "app/join"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Approved proposals/app/join into realm 'letemcook' (commit [HASH])

"#]]);
    assert_eq!(env.git(&realm, &["rev-parse", "main^1"]), main_before);
    assert_eq!(
        env.git(
            &realm,
            &[
                "log",
                "-1",
                "--format=%s|%(trailers:key=Approved-by,valueonly,separator=)",
                "main"
            ]
        ),
        "app: join realm letemcook|eric@example.com"
    );
    assert!(
        env.realm_file(&realm, ".github/CODEOWNERS")
            .contains("/domains/app/ olive@example.org")
    );
    assert_eq!(
        env.git(&realm, &["branch", "--list", "proposals/*"]),
        "",
        "the proposal branch is gone"
    );
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(env.git(&realm, &["status", "--porcelain"]), "");

    // Now a member, the outsider's writes land.
    env.realm_ok(
        &app,
        &["export", "--name", "events", "--value", r#"["created"]"#],
    );
    assert!(
        env.realm_file(&realm, "domains/app/exports.yaml")
            .contains("created")
    );
}

#[test]
fn invite_only_refuses_until_invited() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "invite-only"]);
    let approver = env.code_repo("platform", &[]);
    env.realm_ok(&approver, &["join", "../realm"]);

    let app = env.code_repo("app", &[]);
    as_outsider(&env, &app);
    let before = env.state_of(&[&realm, &app]);
    env.realm(&app, &["join", "../realm"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: realm `letemcook` is invite-only and `app` has not been invited
hint: ask an approver (eric@example.com) to run 'git realm invite app'

"#]]);
    assert_eq!(env.state_of(&[&realm, &app]), before);

    env.realm(&app, &["invite", "app"]).assert().code(2);
    env.realm_ok(&approver, &["invite", "app"]);
    assert!(
        env.realm_file(&realm, "realm.yaml")
            .contains("invited:\n  - app")
    );
    env.realm_ok(&app, &["join", "../realm"]);
    assert!(
        env.realm_file(&realm, "domains/app/domain.yaml")
            .contains("olive@example.org")
    );
}

#[test]
fn an_invite_only_realm_without_approvers_says_so() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "invite-only"]);
    let text = env
        .realm_file(&realm, "realm.yaml")
        .replace("  approvers:\n  - eric@example.com\n", "  approvers: []\n");
    env.write(&realm, &[("realm.yaml", &format!("{text}\n"))]);
    env.commit_all(&realm, "no approvers");
    let app = env.code_repo("app", &[]);
    as_outsider(&env, &app);
    env.realm(&app, &["join", "../realm"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: realm `letemcook` is invite-only and `app` has not been invited
hint: the realm lists no approvers: add one under `governance.approvers` in realm.yaml

"#]]);
}
