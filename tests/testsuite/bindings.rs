//! Verified bindings: fungal's stack, written in CDK Python and TypeScript, Terraform and
//! CloudFormation, checked against aperture's `required-s3-permissions` with `verify: s3-iam`.

use std::path::{Path, PathBuf};

use snapbox::str;

use crate::support::world::World;
use crate::support::{TestEnv, json};

pub(super) const VALUE_V1: &str =
    "read:\n- jobs/*/masks/*\n- training-runs/*\nwrite:\n- jobs/*/*/manifest.json\n";
pub(super) const VALUE_V2: &str = "read:\n- jobs/*/masks/*\n- training-runs/*\nwrite:\n- jobs/*/*/manifest.json\n- training-metrics/experiments/*\n";

pub(super) const PY_BEFORE: &str = r#"from aws_cdk import Stack, aws_iam as iam

BUCKET = "cultivarium-training"


class TrainingToolsAccessStack(Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        role = iam.Role.from_role_arn(self, "Aperture", "arn:aws:iam::123456789012:role/aperture")
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[
                f"arn:aws:s3:::{BUCKET}/jobs/*/masks/*",
                f"arn:aws:s3:::{BUCKET}/training-runs/*",
            ],
        ))
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=[f"arn:aws:s3:::{BUCKET}/jobs/*/*/manifest.json"],
        ))
"#;

pub(super) const PY_GRANT: &str = r#"        bucket = s3.Bucket.from_bucket_name(self, "Data", BUCKET)
        bucket.grant_put(role, "training-metrics/experiments/*")
"#;

const TS_BEFORE: &str = r#"import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

const BUCKET = 'cultivarium-training';

export class TrainingToolsAccessStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const role = iam.Role.fromRoleArn(this, 'Aperture', 'arn:aws:iam::123456789012:role/aperture');
    const bucket = s3.Bucket.fromBucketName(this, 'Data', BUCKET);
    bucket.grantRead(role, 'jobs/*/masks/*');
    bucket.grantRead(role, 'training-runs/*');
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [`arn:aws:s3:::${BUCKET}/jobs/*/*/manifest.json`],
    }));
  }
}
"#;

const TS_GRANT: &str = r#"    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('training-metrics/experiments/*')],
    }));
"#;

const TF_BEFORE: &str = r#"locals {
  bucket = "cultivarium-training"
}

data "aws_iam_policy_document" "aperture" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [
      "arn:aws:s3:::${local.bucket}/jobs/*/masks/*",
      "arn:aws:s3:::${local.bucket}/training-runs/*",
    ]
  }
  statement {
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket}/jobs/*/*/manifest.json"]
  }
}
"#;

const TF_GRANT: &str = r#"
resource "aws_iam_policy" "metrics" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "arn:aws:s3:::${local.bucket}/training-metrics/experiments/*"
    }]
  })
}
"#;

const CFN_BEFORE: &str = r#"Parameters:
  BucketName:
    Type: String
    Default: cultivarium-training
Resources:
  AperturePolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource:
              - !Sub "arn:aws:s3:::${BucketName}/jobs/*/masks/*"
              - !Sub "arn:aws:s3:::${BucketName}/training-runs/*"
          - Effect: Allow
            Action: s3:PutObject
            Resource:
              - !Join ["", ["arn:aws:s3:::", !Ref BucketName, "/jobs/*/*/manifest.json"]]
"#;

const CFN_GRANT: &str = r#"              - !Sub "arn:aws:s3:::${BucketName}/training-metrics/experiments/*"
"#;

struct Setup {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

/// aperture exports the value from a file; fungal imports it with `binding` verified by
/// s3-iam, and the binding grants version 1.0.0.
fn setup(binding: &str, before: &str) -> Setup {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env)
        .aperture_files(&[("config/s3.yaml", VALUE_V1)])
        .fungal_files(&[(binding, before)])
        .fungal_email("ops@fungal.example")
        .binding(binding)
        .without_fetch()
        .build();
    verify_with_s3_iam(&env, &fungal);
    Setup {
        env,
        realm,
        aperture,
        fungal,
    }
}

/// fungal verifies its import of aperture's `required-s3-permissions` with s3-iam, bucket
/// `cultivarium-training` (committed).
pub(super) fn verify_with_s3_iam(env: &TestEnv, fungal: &Path) {
    let config = std::fs::read_to_string(fungal.join(".realm/config.yaml")).unwrap();
    env.write(
        fungal,
        &[(
            ".realm/config.yaml",
            &format!(
                "{config}imports:\n- contract: required-s3-permissions\n  from: aperture\n  verify: s3-iam\n  bucket: cultivarium-training\n"
            ),
        )],
    );
    env.commit_all(fungal, "verify the binding");
}

/// aperture publishes 1.1.0, which adds `training-metrics/experiments/*` to `write`.
fn publish_v2(s: &Setup) {
    s.env.realm_ok(&s.aperture, &["fetch"]);
    s.env.write(&s.aperture, &[("config/s3.yaml", VALUE_V2)]);
    s.env.commit_all(&s.aperture, "track experiment metrics");
    s.env.realm_ok(&s.aperture, &["sync", "--no-notify"]);
    s.env.realm_ok(&s.fungal, &["fetch"]);
}

fn realm_tip(s: &Setup) -> String {
    s.env.git(&s.realm, &["rev-parse", "main"])
}

/// Before the edit: check exits 1 listing the gap and sync refuses, writing nothing; after
/// it: sync resolves and records the verification, and check is clean.
fn before_and_after(binding: &str, before: &str, after: &str) {
    let s = setup(binding, before);
    s.env
        .realm(&s.fungal, &["check", "--imports"])
        .assert()
        .success();
    publish_v2(&s);
    let gap = "training-metrics/experiments/* (write): no statement allows s3:PutObject on arn:aws:s3:::cultivarium-training/training-metrics/experiments/*";
    let out = s
        .env
        .realm(&s.fungal, &["check", "--imports"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        format!(
            "ungranted: import 'required-s3-permissions' from aperture: {binding} does not grant it\n  {gap}\nRealm state fetched just now (2026-01-24 10:00 UTC)\n"
        )
    );
    let checked = s
        .env
        .realm(&s.fungal, &["check", "--imports", "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let checked = json(&String::from_utf8(checked).unwrap());
    assert_eq!(checked["imports"][0]["status"], "ungranted");
    assert_eq!(checked["imports"][0]["ungranted"][0], gap);

    let tip = realm_tip(&s);
    let before_state = s.env.state_of(&[&s.fungal]);
    s.env
        .realm(&s.fungal, &["sync", "--no-notify"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
Syncing with realm 'letemcook'...
error: sync refused: a binding does not grant the import it binds
hint: grant what is listed in the binding and commit it, then run 'git realm sync' again; 'git realm sync --force' resolves it anyway and records the gap

"#]]);
    assert_eq!(realm_tip(&s), tip, "nothing written to the realm");
    let refused = s
        .env
        .realm(&s.fungal, &["sync", "--no-notify", "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let refused = json(&String::from_utf8(refused).unwrap());
    assert_eq!(refused["refused"], true);
    assert_eq!(refused["ungranted"][0]["ungranted"][0], gap);
    assert_eq!(refused["realm_commit"], serde_json::Value::Null);
    assert_eq!(realm_tip(&s), tip, "nothing written to the realm");
    assert_eq!(s.env.state_of(&[&s.fungal]), before_state);

    // The edit that grants the new path, uncommitted: --worktree sees it, HEAD does not.
    let text = std::fs::read_to_string(s.fungal.join(binding)).unwrap();
    s.env
        .write(&s.fungal, &[(binding, &after_edit(&text, after))]);
    s.env
        .realm(&s.fungal, &["check", "--imports", "--worktree"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
stale: import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    s.env.commit_all(&s.fungal, "grant experiment metrics");
    s.env
        .realm(&s.fungal, &["sync", "--no-notify"])
        .assert()
        .success();
    let imports = s.env.realm_file(&s.realm, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("resolved_version: 1.1.0") && imports.contains("verified: true"),
        "{imports}"
    );
    s.env
        .realm(&s.fungal, &["check", "--imports"])
        .assert()
        .success();
    // The provider sees the consumer's resolution was verified.
    s.env.realm_ok(&s.aperture, &["fetch"]);
    let status = s.env.realm_ok(&s.aperture, &["status"]);
    assert!(
        status.contains("Consumers of 'required-s3-permissions':\n  - fungal (imports ^1, current; binding verified at its last resolution)"),
        "{status}"
    );
}

/// Insert `grant` where the binding's own structure takes it.
pub(super) fn after_edit(text: &str, grant: &str) -> String {
    if text.contains("class TrainingToolsAccessStack(Stack)") {
        format!("from aws_cdk import aws_s3 as s3\n{text}{grant}")
    } else if text.contains("export class") {
        text.replace("  }\n}\n", &format!("{grant}  }}\n}}\n"))
    } else {
        // Terraform and CloudFormation: the grant goes at the end of the file.
        format!("{text}{grant}")
    }
}

#[test]
fn cdk_python_before_and_after() {
    before_and_after("cdk/training_tools_access_stack.py", PY_BEFORE, PY_GRANT);
}

#[test]
fn cdk_typescript_before_and_after() {
    before_and_after(
        "cdk/lib/training-tools-access-stack.ts",
        TS_BEFORE,
        TS_GRANT,
    );
}

#[test]
fn terraform_before_and_after() {
    before_and_after("infra/iam.tf", TF_BEFORE, TF_GRANT);
}

#[test]
fn cloudformation_before_and_after() {
    before_and_after("infra/template.yaml", CFN_BEFORE, CFN_GRANT);
}

#[test]
fn force_records_the_gap_in_the_realm_and_the_note() {
    let binding = "cdk/training_tools_access_stack.py";
    let s = setup(binding, PY_BEFORE);
    publish_v2(&s);
    s.env
        .realm(&s.fungal, &["sync", "--no-notify", "--force"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
Imports resolved:
  required-s3-permissions from aperture: now at 1.1.0
    Added training-metrics/experiments/* (write)
    Review binding: cdk/training_tools_access_stack.py
    warning: cdk/training_tools_access_stack.py has not changed since the previous resolution
Ungranted import 'required-s3-permissions' from aperture: cdk/training_tools_access_stack.py does not grant 1.1.0 (resolved with --force):
  training-metrics/experiments/* (write): no statement allows s3:PutObject on arn:aws:s3:::cultivarium-training/training-metrics/experiments/*
✓ Realm synced (commit [HASH])

"#]]);
    let imports = s.env.realm_file(&s.realm, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("status: ungranted")
            && imports.contains("verified: false")
            && imports.contains("training-metrics/experiments/* (write)"),
        "{imports}"
    );
    let note = s
        .env
        .git(&s.fungal, &["notes", "--ref=realm", "show", "HEAD"]);
    assert!(
        note.contains("Realm-Ungranted: letemcook aperture/required-s3-permissions 1.1.0 training-metrics/experiments/* (write): no statement allows s3:PutObject"),
        "{note}"
    );
    s.env.realm_ok(&s.aperture, &["fetch"]);
    let status = s.env.realm_ok(&s.aperture, &["status"]);
    assert!(
        status.contains(
            "  - fungal (imports ^1, current; resolved without its binding granting the value)"
        ),
        "{status}"
    );
}

#[test]
fn an_unparseable_binding_is_an_error_naming_file_and_line() {
    let binding = "cdk/stack.py";
    let s = setup(binding, PY_BEFORE);
    s.env.write(
        &s.fungal,
        &[(
            binding,
            "import os\nBUCKET = os.environ['BUCKET']\nx = iam.PolicyStatement(\n    actions=['s3:GetObject'],\n    resources=[f'arn:aws:s3:::{BUCKET}/jobs/*'],\n)\n",
        )],
    );
    s.env.commit_all(&s.fungal, "bucket from the environment");
    s.env
        .realm(&s.fungal, &["check", "--imports"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: cdk/stack.py:5: cannot resolve `os.environ[…]` in a statement's resources
hint: s3-iam resolves string constants, f-strings, template literals and `+` within the file; spell the ARN out there, or remove `verify:` from the import in .realm/config.yaml

"#]]);
}

#[test]
fn the_pre_push_hook_blocks_a_push_that_stops_granting_a_current_import() {
    let binding = "cdk/stack.py";
    let s = setup(binding, PY_BEFORE);
    let push = |dir: &Path| s.env.sh_run(dir, "git push -q origin main 2>&1");
    let (code, out) = push(&s.fungal);
    assert_eq!(code, 0, "{out}");
    s.env.write(
        &s.fungal,
        &[(
            binding,
            &PY_BEFORE.replace("/training-runs/*", "/training-runs/2026/*"),
        )],
    );
    s.env.commit_all(&s.fungal, "narrow the grant");
    let (code, out) = push(&s.fungal);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("stops granting imports of realm 'letemcook'")
            && out.contains("    training-runs/* (read): no statement allows s3:GetObject on arn:aws:s3:::cultivarium-training/training-runs/*")
            && out.contains("error: push to 'main' refused: a binding stops granting a current import"),
        "{out}"
    );
}
