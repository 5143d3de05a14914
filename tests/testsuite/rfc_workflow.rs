//! The RFC's workflows on code shaped like its example: aperture's Python (boto3, f-strings)
//! and fungal-image-analysis's CDK stack, with real git throughout, in SHA-1 and SHA-256
//! repositories.

use std::path::Path;

use snapbox::str;

use crate::support::{ObjectFormat, TestEnv, gits};

const STACK_V1: &str = r#"from aws_cdk import Stack, aws_iam as iam

BUCKET = "cultivarium-training"


class TrainingToolsAccessStack(Stack):
    """Grants aperture's training tools access to our bucket."""

    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        role = iam.Role.from_role_arn(self, "Aperture", "arn:aws:iam::123456789012:role/aperture")
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[
                f"arn:aws:s3:::{BUCKET}/jobs/*/masks/*",
                f"arn:aws:s3:::{BUCKET}/jobs/*/*/config.json",
                f"arn:aws:s3:::{BUCKET}/jobs/*/*/manifest.json",
                f"arn:aws:s3:::{BUCKET}/training-runs/*",
                f"arn:aws:s3:::{BUCKET}/training-metrics/*",
            ],
        ))
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=[
                f"arn:aws:s3:::{BUCKET}/jobs/*/*/manifest.json",
                f"arn:aws:s3:::{BUCKET}/training-metrics/*",
            ],
        ))
"#;

const RFC_VALUE: &str = "  value:
    read:
    - jobs/*/*/config.json
    - jobs/*/*/manifest.json
    - jobs/*/masks/*
    - training-metrics/*
    - training-runs/*
    write:
    - jobs/*/*/manifest.json
    - training-metrics/*
";

fn aperture_fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/aperture"
    ))
}

/// `git log --notes=realm` of `commit` in `dir`, read by each git on the machine alike.
fn notes_of(env: &TestEnv, dir: &Path, commit: &str) -> String {
    let mut seen = Vec::new();
    for git in gits() {
        let out = env
            .git_program_cmd(
                git,
                dir,
                &["log", "--notes=realm", "-1", "--format=%N", commit],
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "{git}: {out:?}");
        seen.push(String::from_utf8(out.stdout).unwrap().trim_end().to_owned());
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "the gits disagree: {seen:?}");
    seen.remove(0)
}

#[test]
fn daily_development_and_consumer_response() {
    rfc_workflow(&TestEnv::new());
}

/// The same in SHA-256 repositories, realm and code, with each git on the machine running
/// git-realm, its hooks and the test.
#[test]
fn daily_development_and_consumer_response_in_sha256_repositories() {
    for git in gits() {
        let env = TestEnv::with_format(ObjectFormat::Sha256).using_git(git);
        let version = std::process::Command::new(git)
            .arg("--version")
            .output()
            .unwrap()
            .stdout;
        let (_, seen) = env.sh_run(env.root(), "git --version");
        assert_eq!(seen, String::from_utf8(version).unwrap(), "{git}");
        rfc_workflow(&env);
    }
}

/// The same workflow with every realm commit signed (an ssh key in the user's git config):
/// git accepts each signature and the realm's history verifies.
#[test]
fn daily_development_with_signing_on() {
    let env = TestEnv::new();
    let keys = env.path("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let out = env
        .git_program_cmd(
            "ssh-keygen",
            &keys,
            &["-q", "-t", "ed25519", "-N", "", "-C", "eric", "-f", "eric"],
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = keys.join("eric");
    for (k, v) in [
        ("gpg.format", "ssh"),
        ("user.signingkey", key.to_str().unwrap()),
    ] {
        env.git(env.root(), &["config", "--global", k, v]);
    }
    rfc_workflow(&env);

    let realm = env.path("realm-letemcook");
    let public = std::fs::read_to_string(keys.join("eric.pub")).unwrap();
    let allowed = keys.join("allowed_signers");
    std::fs::write(&allowed, format!("eric@example.com {public}")).unwrap();
    let commits = env.git(&realm, &["rev-list", "main"]);
    assert!(commits.lines().count() >= 5);
    for commit in commits.lines() {
        env.git(
            &realm,
            &[
                "-c",
                &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
                "verify-commit",
                commit,
            ],
        );
    }
    env.realm(env.path("aperture"), &["verify"])
        .assert()
        .success();
    env.realm(&realm, &["verify"]).assert().success();
}

fn rfc_workflow(env: &TestEnv) {
    let format = env.format();
    let realm = env.path("realm-letemcook");
    env.init(&realm, false);
    env.realm_ok(&realm, &["init", "--name", "letemcook"]);
    assert_eq!(
        env.git(&realm, &["rev-parse", "--show-object-format"]),
        format.as_str(),
        "`init` keeps the format of the empty repository it was given"
    );

    // Initial setup: aperture's S3 use is detected and exported.
    let aperture = env.path("aperture");
    env.copy_tree(aperture_fixture(), &aperture);
    env.init(&aperture, false);
    let aperture_origin = env.add_origin(&aperture, "aperture");
    env.commit_all(&aperture, "aperture");
    env.realm(
        &aperture,
        &["join", "../realm-letemcook", "--as", "aperture"],
    )
    .assert()
    .success()
    .stdout_eq(str![[r#"
✓ Created domains/aperture/domain.yaml
✓ Auto-detected exports: required-s3-permissions
✓ Created domains/aperture/exports.yaml
✓ Updated .realm/config.yaml
✓ Joined realm 'letemcook' as 'aperture' (commit [HASH])

"#]]);
    let exports = env.realm_file(&realm, "domains/aperture/exports.yaml");
    assert!(
        exports.contains(RFC_VALUE),
        "the RFC's value, exactly:\n{exports}"
    );
    // It is the RFC's value because the config now names aperture's one bucket, and maps the
    // placeholders its code writes for it to that bucket.
    let config = std::fs::read_to_string(aperture.join(".realm/config.yaml")).unwrap();
    assert!(
        config.ends_with("  detect: s3\n  buckets:\n  - aperture-data\n  variables:\n    S3_BUCKET: aperture-data\n    bucket: aperture-data\n"),
        "{config}"
    );

    // fungal's stack grants those paths: joining proposes the import with the stack as binding.
    let fungal = env.code_repo(
        "fungal-image-analysis",
        &[("cdk/training_tools_access_stack.py", STACK_V1)],
    );
    env.realm(&fungal, &["join", "../realm-letemcook"]).assert().success().stdout_eq(str![[r#"
✓ Created domains/fungal-image-analysis/domain.yaml
✓ Detected import: required-s3-permissions from aperture (binding cdk/training_tools_access_stack.py)
✓ Created domains/fungal-image-analysis/imports.yaml
✓ Updated .realm/config.yaml
✓ Joined realm 'letemcook' as 'fungal-image-analysis' (commit [HASH])

"#]]);
    assert!(
        env.git(
            &realm,
            &[
                "ls-tree",
                "--name-only",
                "main",
                "domains/fungal-image-analysis/"
            ]
        )
        .lines()
        .all(|l| !l.ends_with("exports.yaml")),
        "granting aperture's paths does not make fungal export them"
    );
    env.realm(&fungal, &["check"]).assert().success();

    // Daily development: aperture starts writing experiment metrics.
    let exporter = aperture.join("models/training/metrics_exporter.py");
    let mut code = std::fs::read_to_string(&exporter).unwrap();
    code.push_str("    client().upload_file(path, S3_BUCKET, f\"training-metrics/experiments/{experiment}/{os.path.basename(path)}\")\n");
    std::fs::write(&exporter, code).unwrap();
    env.realm_ok(&aperture, &["fetch"]);
    env.realm(&aperture, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
aperture (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Export 'required-s3-permissions' has local changes:
  Added training-metrics/experiments/* (read, write) at models/training/metrics_exporter.py:24
  Consumers:
  - fungal-image-analysis (imports ^1, current)
  Run 'git realm sync' to update the realm

"#]]);
    let metrics = env.commit_all(&aperture, "Track experiment metrics");
    env.realm(&aperture, &["check"]).assert().code(1);

    // The pre-push hook, run by a real push, keeps the drift off the remote's main branch.
    let (code, out) = env.sh_run(&aperture, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("error: the push to 'main' (")
            && out.contains("changes exports of realm 'letemcook'")
            && out.contains("hint: run 'git realm sync', then push again\n"),
        "{out}"
    );
    assert_eq!(
        env.git(&aperture_origin, &["for-each-ref", "refs/heads/"]),
        "",
        "the blocked push must not land"
    );

    env.realm(&aperture, &["sync"]).assert().success().stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added training-metrics/experiments/* (read, write)
Consumers:
  fungal-image-analysis (imports required-s3-permissions ^1)
✓ Realm synced (commit [HASH])
Notifying consumers:
✗ Not notified: fungal-image-analysis about aperture/required-s3-permissions 1.1.0: repo_url `[ROOT]/remotes/fungal-image-analysis.git` is not a GitHub repository URL

"#]]);
    let exports = env.realm_file(&realm, "domains/aperture/exports.yaml");
    assert!(exports.contains("  - version: 1.1.0\n    date: 2026-01-24\n    changes:\n    - Added training-metrics/experiments/* (read, write)\n"), "{exports}");
    env.realm(&aperture, &["check"]).assert().success();
    let realm_tip = env.git(&realm, &["rev-parse", "main"]);
    assert_eq!(realm_tip.len(), format.hex_len());
    assert_eq!(
        env.git(
            &realm,
            &[
                "log",
                "-1",
                "--format=%(trailers:key=Source-Commit,valueonly)",
                "main"
            ]
        ),
        metrics,
        "the realm commit names the code commit its values came from"
    );
    assert_eq!(
        notes_of(env, &aperture, &metrics),
        format!(
            "Realm-Export: letemcook aperture/required-s3-permissions 1.1.0 realm-commit={realm_tip}"
        )
    );
    // Synced, the same push passes; so do a new branch and its deletion (the all-zero id).
    let (code, out) = env.sh_run(
        &aperture,
        "git push -q origin main && git push -q origin main:topic && git push -q origin :topic",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.git(&aperture_origin, &["rev-parse", "main"]), metrics);
    assert_eq!(
        notes_of(env, &aperture_origin, &metrics),
        notes_of(env, &aperture, &metrics),
        "sync shared the notes with the code remote"
    );
    let cache = std::fs::read_dir(aperture.join(".git/realm/detect"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<Vec<_>>();
    assert!(
        cache.iter().any(|c| c.contains(&format!(
            "\"tree\":\"{}\"",
            env.git(&aperture, &["rev-parse", "HEAD^{tree}"])
        ))),
        "{cache:?}"
    );

    // Consumer response: fungal sees the stale import, updates its policy, resolves.
    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
fungal-image-analysis (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Stale import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
  Binding: cdk/training_tools_access_stack.py
  Changes:
    Added training-metrics/experiments/* (read, write)

"#]]);
    env.realm(&fungal, &["check"]).assert().code(1);
    let stack = STACK_V1.replace(
        "                f\"arn:aws:s3:::{BUCKET}/training-metrics/*\",\n",
        "                f\"arn:aws:s3:::{BUCKET}/training-metrics/*\",\n                f\"arn:aws:s3:::{BUCKET}/training-metrics/experiments/*\",\n",
    );
    env.write(&fungal, &[("cdk/training_tools_access_stack.py", &stack)]);
    let granted = env.commit_all(&fungal, "Grant aperture experiment metrics");
    let out = env.realm_ok(&fungal, &["sync"]);
    assert!(
        out.contains("Imports resolved:\n  required-s3-permissions from aperture: now at 1.1.0\n"),
        "{out}"
    );
    assert!(!out.contains("has not changed since"), "{out}");
    env.realm(&fungal, &["check"]).assert().success();
    let imports = env.realm_file(&realm, "domains/fungal-image-analysis/imports.yaml");
    assert!(
        imports.contains("status: current\n  resolved_version: 1.1.0\n"),
        "{imports}"
    );
    let realm_tip = env.git(&realm, &["rev-parse", "main"]);
    assert_eq!(
        notes_of(env, &fungal, &granted),
        format!(
            "Realm-Import: letemcook aperture/required-s3-permissions 1.1.0 realm-commit={realm_tip}"
        )
    );
    for id in [&realm_tip[..], &realm_tip[..10]] {
        assert!(
            env.realm_ok(&fungal, &["graph", "--at", id])
                .contains("fungal-image-analysis"),
            "a realm commit is named by its id, full or abbreviated: {id}"
        );
    }
    env.realm(&aperture, &["check", "--rev", &metrics[..10]])
        .assert()
        .success();
    env.realm(
        &aperture,
        &["check", "--rev", &format!("{}~1", &metrics[..10])],
    )
    .assert()
    .code(1);
    let (code, out) = env.sh_run(&fungal, "git push -q origin main");
    assert_eq!(code, 0, "{out}");
    assert!(
        notes_of(
            env,
            &env.path("remotes/fungal-image-analysis.git"),
            &granted
        )
        .starts_with("Realm-Import: ")
    );

    assert_eq!(env.git(&realm, &["status", "--porcelain"]), "");
    for git in gits() {
        for dir in [
            &realm,
            &aperture,
            &aperture_origin,
            &fungal,
            &env.path("remotes/fungal-image-analysis.git"),
        ] {
            let out = env
                .git_program_cmd(git, dir, &["fsck", "--strict", "--no-progress"])
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{git} fsck {}: {out:?}",
                dir.display()
            );
            assert_eq!(
                env.git(dir, &["rev-parse", "--show-object-format"]),
                format.as_str()
            );
        }
    }
}
