use serde_json::json;

use super::extract::parse_error_line;
use super::*;

fn allow(actions: &[&str], resources: &[&str]) -> Statement {
    Statement {
        effect: Effect::Allow,
        actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        resources: resources.iter().map(|s| (*s).to_owned()).collect(),
        line: 1,
        unsupported: None,
    }
}

fn need(path: &str, access: Access) -> Need {
    Need {
        bucket: "b".to_owned(),
        path: path.to_owned(),
        access,
    }
}

#[test]
fn iam_wildcards_match_as_documented() {
    // IAM User Guide, "Action" and "Resource" elements: `*` any run, `?` one character,
    // actions case-insensitive.
    assert!(action_matches("s3:Get*", "s3:GetObject"));
    assert!(action_matches("S3:GETOBJECT", "s3:GetObject"));
    assert!(action_matches("*", "s3:PutObject"));
    assert!(action_matches("s3:*Object", "s3:PutObject"));
    assert!(!action_matches("s3:Get*", "s3:PutObject"));
    assert!(!action_matches("iam:*", "s3:GetObject"));
    assert!(matches(
        "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*",
        "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg"
    ));
    assert!(matches(
        "arn:aws:s3:::amzn-s3-demo-bucket/???/*",
        "arn:aws:s3:::amzn-s3-demo-bucket/abc/x"
    ));
    assert!(!matches(
        "arn:aws:s3:::amzn-s3-demo-bucket/???/*",
        "arn:aws:s3:::amzn-s3-demo-bucket/ab/x"
    ));
    // Resources are case-sensitive.
    assert!(!matches("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x"));
}

#[test]
fn a_pattern_covers_a_pattern() {
    assert!(covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/jobs/*/masks/*"));
    assert!(covers(
        "arn:aws:s3:::b/jobs/*",
        "arn:aws:s3:::b/jobs/*/masks/*"
    ));
    assert!(covers(
        "arn:aws:s3:::b/jobs/*/masks/*",
        "arn:aws:s3:::b/jobs/*/masks/*"
    ));
    assert!(!covers(
        "arn:aws:s3:::b/jobs/*/masks/*",
        "arn:aws:s3:::b/jobs/*"
    ));
    assert!(!covers(
        "arn:aws:s3:::b/training-metrics/x*",
        "arn:aws:s3:::b/training-metrics/*"
    ));
    assert!(covers("arn:aws:s3:::b/?", "arn:aws:s3:::b/x"));
    assert!(!covers("arn:aws:s3:::b/?", "arn:aws:s3:::b/*"));
    assert!(covers("*", "arn:aws:s3:::b/*"));
    assert!(overlaps(
        "arn:aws:s3:::b/jobs/secret/*",
        "arn:aws:s3:::b/jobs/*"
    ));
    assert!(!overlaps(
        "arn:aws:s3:::b/private/*",
        "arn:aws:s3:::b/jobs/*"
    ));
}

#[test]
fn coverage_needs_an_allow_and_no_deny() {
    let needs = [
        need("jobs/*/masks/*", Access::Read),
        need("training-metrics/experiments/*", Access::Write),
    ];
    let statements = [allow(&["s3:Get*"], &["arn:aws:s3:::b/jobs/*"])];
    let c = coverage(&needs, &statements);
    assert_eq!(c.missing.len(), 1);
    assert_eq!(
        c.missing[0].to_string(),
        "training-metrics/experiments/* (write): no statement allows s3:PutObject"
    );
    let mut statements = statements.to_vec();
    statements.push(allow(
        &["s3:PutObject"],
        &["arn:aws:s3:::b/training-metrics/*"],
    ));
    assert!(coverage(&needs, &statements).missing.is_empty());
    statements.push(Statement {
        effect: Effect::Deny,
        line: 9,
        ..allow(&["s3:*"], &["arn:aws:s3:::b/jobs/*/masks/private*"])
    });
    let c = coverage(&needs, &statements);
    assert_eq!(
        c.missing[0].to_string(),
        "jobs/*/masks/* (read): the Deny statement at line 9 denies s3:GetObject"
    );
    // The wrong resource is named.
    let c = coverage(
        &[need("x/*", Access::Read)],
        &[allow(&["s3:GetObject"], &["arn:aws:s3:::b/y/*"])],
    );
    assert_eq!(
        c.missing[0].reason,
        "no statement allows s3:GetObject on arn:aws:s3:::b/x/*"
    );
}

#[test]
fn not_action_is_unsupported_not_guessed() {
    let needs = [need("x/*", Access::Read)];
    let s = Statement {
        unsupported: Some("NotAction".to_owned()),
        line: 4,
        ..allow(&[], &["*"])
    };
    let c = coverage(&needs, std::slice::from_ref(&s));
    assert!(
        c.missing[0].reason.contains("line 4 uses NotAction"),
        "{:?}",
        c
    );
    let deny = Statement {
        effect: Effect::Deny,
        ..s
    };
    let c = coverage(&needs, &[allow(&["*"], &["*"]), deny]);
    assert!(
        c.missing[0]
            .reason
            .contains("Deny statement at line 4 uses NotAction")
    );
}

#[test]
fn over_grants_are_warnings() {
    let needs = [need("x/*", Access::Read)];
    let c = coverage(&needs, &[allow(&["s3:*"], &["arn:aws:s3:::b/*"])]);
    assert!(c.missing.is_empty());
    assert_eq!(c.over_grants.len(), 1, "{:?}", c.over_grants);
    assert!(c.over_grants[0].contains("`s3:*` grants every S3 action on b"));
    let c = coverage(&needs, &[allow(&["s3:GetObject"], &["arn:aws:s3:::b/*"])]);
    assert!(c.over_grants[0].contains("grants every key of b"));
    let c = coverage(&needs, &[allow(&["s3:GetObject"], &["arn:aws:s3:::b/x/*"])]);
    assert!(c.over_grants.is_empty());
}

#[test]
fn needs_take_their_bucket_from_the_value_or_the_config() {
    let value = json!({"read": ["jobs/*"], "write": ["training-metrics/*"]});
    let n = needs(&value, Some("b")).unwrap();
    assert_eq!(n[1].arn(), "arn:aws:s3:::b/training-metrics/*");
    assert_eq!(n[1].access, Access::Write);
    let value = json!({"read": ["data-bucket/jobs/*", "${BUCKET}/x"]});
    let n = needs(&value, None);
    assert!(n.unwrap_err().contains("${BUCKET}"));
    let n = needs(&json!({"read": ["data-bucket/jobs/*"]}), None).unwrap();
    assert_eq!(n[0].arn(), "arn:aws:s3:::data-bucket/jobs/*");
    let n = needs(&json!({"read": ["b/jobs/*", "${B}/k"]}), Some("b")).unwrap();
    assert_eq!(n[0].path, "jobs/*");
    assert_eq!(n[1].path, "k");
    assert!(needs(&json!({"read": "x"}), Some("b")).is_err());
}

const CDK_PY: &str = r#"from aws_cdk import Stack, aws_iam as iam, aws_s3 as s3

BUCKET = "cultivarium-training"
METRICS = "training-metrics"
PREFIX = "arn:aws:s3:::" + BUCKET


class S(Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        role = iam.Role.from_role_arn(self, "R", "arn:aws:iam::1:role/r")
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[f"arn:aws:s3:::{BUCKET}/jobs/*", PREFIX + "/runs/*"],
        ))
        deny = iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=["s3:DeleteObject"],
            resources=[f"arn:aws:s3:::{BUCKET}/{METRICS}/*"],
        )
        self.bucket = s3.Bucket.from_bucket_name(self, "B", BUCKET)
        self.bucket.grant_put(role, f"{METRICS}/*")
        self.bucket.grant_read(role, objects_key_pattern="models/*")
        other = s3.Bucket(self, "O", bucket_name="other")
        other.grant_read_write(role)
        secret.grant_read(role)
"#;

#[test]
fn cdk_python() {
    let s = extract("stack.py", CDK_PY, None).unwrap();
    assert_eq!(s.len(), 5, "{s:#?}");
    assert_eq!(
        s[0].resources,
        [
            "arn:aws:s3:::cultivarium-training/jobs/*",
            "arn:aws:s3:::cultivarium-training/runs/*"
        ]
    );
    assert_eq!(s[0].line, 12);
    assert_eq!(s[1].effect, Effect::Deny);
    assert_eq!(
        s[1].resources,
        ["arn:aws:s3:::cultivarium-training/training-metrics/*"]
    );
    assert!(s[2].actions.contains(&"s3:PutObject".to_owned()));
    assert_eq!(
        s[2].resources[1],
        "arn:aws:s3:::cultivarium-training/training-metrics/*"
    );
    assert_eq!(
        s[3].resources[1],
        "arn:aws:s3:::cultivarium-training/models/*"
    );
    assert_eq!(s[4].resources[1], "arn:aws:s3:::other/*");
}

const CDK_TS: &str = r#"import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

const BUCKET = 'cultivarium-training';
const METRICS: string = `training-metrics`;

export class S extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const role = iam.Role.fromRoleArn(this, 'R', 'arn:aws:iam::1:role/r');
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [`arn:aws:s3:::${BUCKET}/jobs/*`, 'arn:aws:s3:::' + BUCKET + '/runs/*'],
    }));
    const bucket = s3.Bucket.fromBucketName(this, 'B', BUCKET);
    bucket.grantWrite(role, `${METRICS}/*`);
    role.addToPolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      notActions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('private/*')],
    }));
  }
}
"#;

#[test]
fn cdk_typescript() {
    let s = extract("lib/stack.ts", CDK_TS, None).unwrap();
    assert_eq!(s.len(), 3, "{s:#?}");
    assert_eq!(
        s[0].resources,
        [
            "arn:aws:s3:::cultivarium-training/jobs/*",
            "arn:aws:s3:::cultivarium-training/runs/*"
        ]
    );
    assert_eq!(
        s[1].resources[1],
        "arn:aws:s3:::cultivarium-training/training-metrics/*"
    );
    assert_eq!(s[2].effect, Effect::Deny);
    assert_eq!(s[2].unsupported.as_deref(), Some("NotAction"));
    assert_eq!(
        s[2].resources,
        ["arn:aws:s3:::cultivarium-training/private/*"]
    );
}

const TERRAFORM: &str = r#"locals {
  bucket = "cultivarium-training"
}

variable "prefix" {
  default = "training-metrics"
}

resource "aws_s3_bucket" "data" {
  bucket = local.bucket
}

data "aws_iam_policy_document" "fungal" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${local.bucket}/jobs/*", "${aws_s3_bucket.data.arn}/runs/*"]
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:aws:s3:::${local.bucket}/${var.prefix}/*"]
    condition {
      test = "Bool"
      variable = "aws:SecureTransport"
      values = ["false"]
    }
  }
}

resource "aws_iam_policy" "metrics" {
  name = "metrics"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "arn:aws:s3:::${local.bucket}/${var.prefix}/*"
      },
    ]
  })
}

resource "aws_iam_policy" "legacy" {
  policy = <<EOF
{"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::cultivarium-training"}]}
EOF
}
"#;

#[test]
fn terraform() {
    let s = extract("iam.tf", TERRAFORM, None).unwrap();
    assert_eq!(s.len(), 4, "{s:#?}");
    assert_eq!(
        s[0].resources,
        [
            "arn:aws:s3:::cultivarium-training/jobs/*",
            "arn:aws:s3:::cultivarium-training/runs/*"
        ]
    );
    assert_eq!(s[0].line, 14);
    assert_eq!(s[1].effect, Effect::Deny);
    assert_eq!(
        s[1].resources,
        ["arn:aws:s3:::cultivarium-training/training-metrics/*"]
    );
    assert_eq!(s[2].actions, ["s3:PutObject"]);
    assert_eq!(s[2].line, 32);
    assert_eq!(s[3].actions, ["s3:ListBucket"]);
}

const CFN_YAML: &str = r#"Parameters:
  BucketName:
    Type: String
    Default: cultivarium-training
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource:
              - !Sub "arn:${AWS::Partition}:s3:::${BucketName}/jobs/*"
              - !Join ["", ["arn:aws:s3:::", !Ref BucketName, "/runs/*"]]
          - Effect: Allow
            Action: [s3:PutObject]
            Resource: !Sub
              - "arn:aws:s3:::${B}/training-metrics/*"
              - B: !Ref BucketName
"#;

#[test]
fn cloudformation_yaml() {
    let s = extract("template.yaml", CFN_YAML, None).unwrap();
    assert_eq!(s.len(), 2, "{s:#?}");
    assert_eq!(
        s[0].resources,
        [
            "arn:aws:s3:::cultivarium-training/jobs/*",
            "arn:aws:s3:::cultivarium-training/runs/*"
        ]
    );
    assert_eq!(s[0].line, 12);
    assert_eq!(s[1].line, 17);
    assert_eq!(
        s[1].resources,
        ["arn:aws:s3:::cultivarium-training/training-metrics/*"]
    );
}

#[test]
fn cloudformation_json_and_plain_policies() {
    // The shape `cdk synth` writes.
    let synth = r#"{
  "Resources": {
    "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "cultivarium-training"}},
    "RolePolicy": {
      "Type": "AWS::IAM::Policy",
      "Properties": {
        "PolicyDocument": {
          "Statement": [
            {
              "Action": ["s3:GetObject*", "s3:List*"],
              "Effect": "Allow",
              "Resource": [
                {"Fn::GetAtt": ["Data", "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/jobs/*"]]}
              ]
            }
          ],
          "Version": "2012-10-17"
        }
      }
    }
  }
}"#;
    let s = extract("cdk.out/Stack.template.json", synth, None).unwrap();
    assert_eq!(
        s[0].resources,
        [
            "arn:aws:s3:::cultivarium-training",
            "arn:aws:s3:::cultivarium-training/jobs/*"
        ]
    );
    assert_eq!(s[0].line, 11);
    let plain = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "NotResource": "x", "Action": "s3:*"}}"#;
    let s = extract("policy.json", plain, None).unwrap();
    assert_eq!(s[0].effect, Effect::Deny);
    assert_eq!(s[0].unsupported.as_deref(), Some("NotResource"));
}

#[test]
fn what_cannot_be_resolved_is_an_error_at_its_line() {
    let py = "import os\nBUCKET = os.environ['B']\nx = iam.PolicyStatement(\n    actions=['s3:GetObject'],\n    resources=[f'arn:aws:s3:::{BUCKET}/x/*'],\n)\n";
    let err = extract("stack.py", py, None).unwrap_err();
    assert_eq!(err.line, 5);
    assert!(err.message.contains("cannot resolve"), "{}", err.message);
    let ts = "const s = new iam.PolicyStatement({\n  actions: ['s3:GetObject'],\n  resources: [props.arn],\n});\n";
    assert_eq!(parse_error_line("s.ts", ts), Some(3));
    assert_eq!(
        parse_error_line("p.json", "{\n  \"Statement\": [\n}"),
        Some(3)
    );
    assert_eq!(parse_error_line("p.py", "x = 'unterminated\n"), Some(1));
    let cfn =
        "Statement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: !Ref Missing\n";
    let err = extract("t.yaml", cfn, None).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.contains("Ref: Missing"), "{}", err.message);
    // An unnamed bucket without a configured bucket is not guessed.
    let py = "b = s3.Bucket(self, 'B')\nb.grant_read(role)\n";
    assert_eq!(parse_error_line("s.py", py), Some(2));
    assert_eq!(
        extract("s.py", py, Some("cfg")).unwrap()[0].resources[1],
        "arn:aws:s3:::cfg/*"
    );
    assert!(extract("notes.txt", "", None).is_err());
}

#[test]
fn snippets_in_the_bindings_language() {
    let gap = Gap {
        bucket: "b".to_owned(),
        path: "training-metrics/experiments/*".to_owned(),
        access: Access::Write,
        reason: String::new(),
    };
    let py = snippet(Language::Python, std::slice::from_ref(&gap)).unwrap();
    assert!(py.contains("actions=[\"s3:PutObject\"]"), "{py}");
    assert!(py.contains("\"arn:aws:s3:::b/training-metrics/experiments/*\""));
    // The snippet itself grants the gap.
    let s = extract("x.py", &py.replace("role.", "r."), None).unwrap();
    assert!(
        coverage(&[need("training-metrics/experiments/*", Access::Write)], &s)
            .missing
            .is_empty()
    );
    for language in [Language::TypeScript, Language::Terraform, Language::Json] {
        let text = snippet(language, std::slice::from_ref(&gap)).unwrap();
        assert!(
            text.contains("arn:aws:s3:::b/training-metrics/experiments/*"),
            "{text}"
        );
    }
}
