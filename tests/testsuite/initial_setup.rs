//! The RFC's Initial Setup, end to end with real git.

use snapbox::str;

use crate::support::world::World;
use crate::support::{TestEnv, json};

#[test]
fn rfc_initial_setup() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("realm-letemcook")).unwrap();
    env.realm(
        env.path("realm-letemcook"),
        &["init", "--name", "letemcook"],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Created realm.yaml (approval admission, approvers: eric@example.com)
✓ Initialized git repository at [ROOT]/realm-letemcook
✓ Realm 'letemcook' created (commit [HASH])

"#]]);
    let realm = env.path("realm-letemcook");
    let aperture = env.code_repo("aperture", &[("config/paths.yaml", "read: [\"jobs/*\"]\n")]);
    env.realm(
        &aperture,
        &["join", "../realm-letemcook", "--as", "aperture"],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Created domains/aperture/domain.yaml
✓ Updated .realm/config.yaml
✓ Joined realm 'letemcook' as 'aperture' (commit [HASH])

"#]]);
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
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "api-base-url",
            "--value",
            r#"{"url": "https://api.example.com"}"#,
        ],
    );

    let fungal = env.code_repo(
        "fungal-image-analysis",
        &[("cdk/training_tools_access_stack.py", "policy = []\n")],
    );
    env.realm_ok(&fungal, &["join", "../realm-letemcook"]);
    env.realm(
        &fungal,
        &[
            "import",
            "--contract",
            "required-s3-permissions",
            "--from",
            "aperture",
            "--binding",
            "cdk/training_tools_access_stack.py",
        ],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Import required-s3-permissions from aperture (^1, now at 1.0.0)
  Binding: cdk/training_tools_access_stack.py
✓ Realm updated (commit [HASH])

"#]]);

    // The realm files hold the RFC's fields.
    assert_eq!(
        env.realm_file(&realm, "realm.yaml"),
        "name: letemcook
version: 1.0.0
created_at: 2026-01-24T10:00:00Z
governance:
  admission: approval
  approvers:
  - eric@example.com
  breaking_changes:
    require_approval: true
    grace_period_days: 14"
    );
    let domain = env.realm_file(&realm, "domains/aperture/domain.yaml");
    let origin = env.path("remotes/aperture.git");
    assert_eq!(
        domain,
        format!(
            "name: aperture\nrepo_path: {}\nrepo_url: {}\nmaintainers:\n- eric@example.com\njoined_at: 2026-01-24T10:00:00Z",
            aperture.display(),
            origin.display()
        )
    );
    assert_eq!(
        env.realm_file(&realm, "domains/aperture/exports.yaml"),
        r#"exports:
- name: required-s3-permissions
  version: 1.0.0
  value:
    read:
    - jobs/*
  changelog:
  - version: 1.0.0
    date: 2026-01-24
    changes:
    - First published
- name: api-base-url
  version: 1.0.0
  value:
    url: https://api.example.com
  changelog:
  - version: 1.0.0
    date: 2026-01-24
    changes:
    - First published"#
    );
    let binding_blob = env.git(
        &fungal,
        &["rev-parse", "HEAD:cdk/training_tools_access_stack.py"],
    );
    assert_eq!(
        env.realm_file(&realm, "domains/fungal-image-analysis/imports.yaml"),
        format!(
            "imports:
- contract: required-s3-permissions
  from: aperture
  version: ^1
  binding: cdk/training_tools_access_stack.py
  status: current
  resolved_version: 1.0.0
  resolved_at: 2026-01-24T10:00:00Z
  binding_blob: {binding_blob}"
        )
    );
    assert_eq!(
        env.realm_file(&realm, ".github/CODEOWNERS"),
        "# Kept in step by git-realm: each domain's directory is owned by its maintainers.
/realm.yaml eric@example.com
/contracts/ eric@example.com
/domains/aperture/ eric@example.com
/domains/fungal-image-analysis/ eric@example.com"
    );

    // One commit per write, each saying who changed what, with trailers.
    let log = env.git(
        &realm,
        &[
            "log",
            "--format=%s|%(trailers:key=Realm-Domain,valueonly,separator=)",
        ],
    );
    assert_eq!(
        log,
        "fungal-image-analysis: import aperture/required-s3-permissions ^1|fungal-image-analysis
fungal-image-analysis: join realm letemcook|fungal-image-analysis
aperture: export api-base-url 1.0.0|aperture
aperture: export required-s3-permissions 1.0.0|aperture
aperture: join realm letemcook|aperture
letemcook: create realm|"
    );
    let source = env.git(
        &realm,
        &[
            "log",
            "-1",
            "--format=%(trailers:key=Source-Commit,valueonly)",
        ],
    );
    assert_eq!(source.trim(), env.git(&fungal, &["rev-parse", "HEAD"]));
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(
        env.git(&realm, &["status", "--porcelain"]),
        "",
        "the realm's worktree is never left dirty"
    );

    // The code repos record membership and the file-backed export's source.
    assert_eq!(
        std::fs::read_to_string(aperture.join(".realm/config.yaml")).unwrap(),
        "realm:\n  name: letemcook\n  url: ../realm-letemcook\n  domain: aperture\nexports:\n- name: required-s3-permissions\n  file: config/paths.yaml\n"
    );
    // The realm is kept as refs, not as a second checkout.
    assert_eq!(
        env.git(
            &aperture,
            &["for-each-ref", "--format=%(refname)", "refs/realm/"]
        ),
        "refs/realm/letemcook/heads/main"
    );
    assert_eq!(
        env.git(&fungal, &["rev-parse", "refs/realm/letemcook/heads/main"]),
        env.git(&realm, &["rev-parse", "main"])
    );

    // Each publication is noted on the code commit it came from.
    let notes = env.git(&aperture, &["log", "-1", "--format=%N", "--notes=realm"]);
    let realm_head = env.git(
        &realm,
        &[
            "log",
            "-1",
            "--format=%H",
            "--grep=export api-base-url",
            "main",
        ],
    );
    assert!(
        notes.contains(&format!(
            "Realm-Export: letemcook aperture/api-base-url 1.0.0 realm-commit={realm_head}"
        )),
        "{notes}"
    );

    // The user's index lists the realm and both repositories.
    let list = json(&env.realm_ok(&aperture, &["list", "--json"]));
    assert_eq!(list["realms"][0]["name"], "letemcook");
    assert_eq!(list["realms"][0]["repos"].as_array().unwrap().len(), 2);
}

#[test]
fn bare_realm_works_the_same() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let app = env.code_repo("app", &[]);
    env.realm_ok(&app, &["join", "../realm.git"]);
    env.realm_ok(
        &app,
        &["export", "--name", "queue", "--value", r#"["a", "b"]"#],
    );
    assert!(
        env.realm_file(&realm, "domains/app/exports.yaml")
            .contains("- name: queue")
    );
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
    env.realm_ok(&app, &["fetch"]);
}

#[test]
fn leave_is_refused_while_others_import_unless_forced() {
    let env = TestEnv::new();
    let World {
        realm, aperture, ..
    } = World::two_domains(&env)
        .approval_admission()
        .aperture_files(&[])
        .export_value("paths", "[1]")
        .fungal_files(&[])
        .without_binding()
        .build();
    let before = env.state_of(&[&realm, &aperture]);
    env.realm(&aperture, &["leave"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: domains import from `aperture`: fungal
hint: ask them to drop those imports, or leave anyway with 'git realm leave --force'

"#]]);
    assert_eq!(env.state_of(&[&realm, &aperture]), before);

    env.realm(&aperture, &["leave", "--force"])
        .assert()
        .success();
    assert!(!aperture.join(".realm").exists());
    assert_eq!(
        env.git(&realm, &["ls-tree", "--name-only", "main", "domains/"]),
        "domains/.gitkeep\ndomains/fungal"
    );
    assert!(
        !env.realm_file(&realm, ".github/CODEOWNERS")
            .contains("aperture")
    );
    assert_eq!(env.git(&aperture, &["for-each-ref", "refs/realm/"]), "");
}
