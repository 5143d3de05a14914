//! The RFC's workflows on code shaped like its example: aperture's Python (boto3, f-strings)
//! and fungal-image-analysis's CDK stack, with real git throughout.

use std::path::Path;

use snapbox::str;

use crate::support::TestEnv;

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

#[test]
fn daily_development_and_consumer_response() {
    daily_development(&TestEnv::new());
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
    daily_development(&env);

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

fn daily_development(env: &TestEnv) {
    std::fs::create_dir(env.path("realm-letemcook")).unwrap();
    env.realm_ok(
        env.path("realm-letemcook"),
        &["init", "--name", "letemcook"],
    );
    let realm = env.path("realm-letemcook");

    // Initial setup: aperture's S3 use is detected and exported.
    let aperture = env.path("aperture");
    env.copy_tree(aperture_fixture(), &aperture);
    env.git(&aperture, &["init", "--quiet"]);
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

Export 'required-s3-permissions' has local changes:
  Added training-metrics/experiments/* (read, write)
  Consumers:
  - fungal-image-analysis (imports ^1, current)
  Run 'git realm sync' to update the realm

"#]]);
    env.commit_all(&aperture, "Track experiment metrics");
    env.realm(&aperture, &["check"]).assert().code(1);
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

    // Consumer response: fungal sees the stale import, updates its policy, resolves.
    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
fungal-image-analysis (domain in letemcook realm)

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
    env.commit_all(&fungal, "Grant aperture experiment metrics");
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
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(env.git(&realm, &["status", "--porcelain"]), "");
}
