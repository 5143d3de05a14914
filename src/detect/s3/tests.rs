//! The `s3` preset over code shaped like real repositories'.

use super::*;

/// What `text` at `path` yields with `buckets:` listing `buckets`: (read, write).
fn scan_with(buckets: &[&str], path: &str, text: &str) -> (Vec<String>, Vec<String>) {
    let findings = findings_with(buckets, &[], false, path, text);
    (
        findings.items(READ).into_iter().collect(),
        findings.items(WRITE).into_iter().collect(),
    )
}

fn findings_with(
    buckets: &[&str],
    variables: &[(&str, &str)],
    allow_broad: bool,
    path: &str,
    text: &str,
) -> Findings {
    let buckets: Vec<String> = buckets.iter().map(|b| (*b).to_owned()).collect();
    let variables = variables
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let preset = S3Preset::new("required-s3-permissions", &buckets, &variables, allow_broad)
        .expect("test buckets are valid");
    let mut findings = Findings::default();
    preset.scan(path.as_bytes(), text, &mut findings);
    findings
}

/// The keys `text` at `path` yields, whatever their bucket (read, write): what most tests here
/// look at. Too-broad keys and keys in unknown buckets count too.
fn scan(path: &str, text: &str) -> (Vec<String>, Vec<String>) {
    let findings = findings_with(&[], &[], true, path, text);
    let key = |item: &String| {
        item.split_once('/')
            .map_or(item.clone(), |(_, k)| k.to_owned())
    };
    let mut read: BTreeSet<String> = findings.items(READ).iter().map(key).collect();
    let write: BTreeSet<String> = findings.items(WRITE).iter().map(key).collect();
    read.extend(
        findings
            .left_out
            .iter()
            .filter(|l| l.reason == Reason::UnknownBucket)
            .map(|l| key(&l.pattern)),
    );
    (read.into_iter().collect(), write.into_iter().collect())
}

fn keys(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[track_caller]
fn assert_finds(path: &str, text: &str, read: &[&str], write: &[&str]) {
    assert_eq!(
        scan(path, text),
        (keys(read), keys(write)),
        "in {path}:\n{text}"
    );
}

#[test]
fn python_f_string_with_a_constant_bucket() {
    assert_finds(
        "masks.py",
        r#"
BUCKET = os.environ["APERTURE_BUCKET"]

def mask_uri(job_id, name):
    return f"s3://{BUCKET}/jobs/{job_id}/masks/{name}"
"#,
        &["jobs/*/masks/*"],
        &[],
    );
}

#[test]
fn python_format_and_percent() {
    assert_finds(
        "a.py",
        r#"
uri = "s3://{}/jobs/{}/{}/config.json".format(bucket, job, run)
legacy = "s3://%s/training-runs/%s/%s" % (bucket, run, name)
named = "s3://%(bucket)s/exports/%(day)s.csv" % params
"#,
        &["exports/*.csv", "jobs/*/*/config.json", "training-runs/*"],
        &[],
    );
}

#[test]
fn boto3_client_calls() {
    assert_finds(
        "store.py",
        r#"
obj = s3.get_object(Bucket=BUCKET, Key=f"jobs/{job_id}/{run_id}/manifest.json")
s3.head_object(Bucket=BUCKET, Key="reference/index.json")

s3.put_object(
    Bucket=BUCKET,
    Key=f"jobs/{job_id}/{run_id}/result.json",
    Body=json.dumps(result).encode(),
)
s3.upload_file(local_path, BUCKET, f"training-metrics/{run_id}/{os.path.basename(local_path)}")
s3.download_file(BUCKET, f"training-runs/{run_id}/checkpoint.pt", "/tmp/ckpt.pt")
s3.upload_fileobj(io.BytesIO(data), BUCKET, "uploads/" + name)
s3.delete_object(Bucket=BUCKET, Key=f"tmp/{job_id}.lock")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"jobs/{job_id}/masks/")
listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="training-runs")
"#,
        &[
            "jobs/*/*/manifest.json",
            "jobs/*/*/result.json",
            "jobs/*/masks/*",
            "reference/index.json",
            "tmp/*.lock",
            "training-metrics/*",
            "training-runs/*",
            "training-runs/*/checkpoint.pt",
            "uploads/*",
        ],
        &[
            "jobs/*/*/result.json",
            "tmp/*.lock",
            "training-metrics/*",
            "uploads/*",
        ],
    );
}

#[test]
fn boto3_resource_and_presigned_calls() {
    assert_finds(
        "resource.py",
        r#"
s3.Object(BUCKET, f"reports/{day}.html").put(Body=html)
body = s3.Object(BUCKET, "reference/labels.csv").get()["Body"].read()
bucket.put_object(Key=f"thumbnails/{image_id}.png", Body=png)
url = s3.generate_presigned_url(
    "put_object",
    Params={"Bucket": BUCKET, "Key": f"incoming/{upload_id}"},
    ExpiresIn=3600,
)
view = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": f"reports/{day}.pdf"})
"#,
        &[
            "incoming/*",
            "reference/labels.csv",
            "reports/*.html",
            "reports/*.pdf",
            "thumbnails/*.png",
        ],
        &["incoming/*", "reports/*.html", "thumbnails/*.png"],
    );
}

#[test]
fn copies_write_only_their_destination() {
    assert_finds(
        "copy.py",
        r#"
s3.copy_object(
    CopySource={"Bucket": BUCKET, "Key": f"jobs/{job_id}/staging/{name}"},
    Bucket=BUCKET,
    Key=f"jobs/{job_id}/final/{name}",
)
fs.copy(f"s3://{BUCKET}/models/{model}/weights.bin", f"s3://{BUCKET}/releases/{version}/weights.bin")
"#,
        &[
            "jobs/*/final/*",
            "jobs/*/staging/*",
            "models/*/weights.bin",
            "releases/*/weights.bin",
        ],
        &["jobs/*/final/*", "releases/*/weights.bin"],
    );
    assert_finds(
        "copy.ts",
        "await s3.send(new CopyObjectCommand({ Bucket: bucket, CopySource: src, Key: `archive/${id}.json` }));\n",
        &["archive/*.json"],
        &["archive/*.json"],
    );
}

#[test]
fn aws_cli_in_scripts() {
    assert_finds(
        "deploy.sh",
        r#"#!/bin/sh
aws s3 cp s3://$BUCKET/models/latest.onnx ./model.onnx
aws s3 sync ./dist s3://$BUCKET/site/ --delete
aws s3 cp --recursive ./out "s3://${BUCKET}/exports/$(date +%F)/"
aws s3 rm s3://$BUCKET/tmp/ --recursive
aws s3 ls s3://$BUCKET/training-runs
"#,
        &[
            "exports/*",
            "models/latest.onnx",
            "site/*",
            "tmp/*",
            "training-runs/*",
        ],
        &["exports/*", "site/*", "tmp/*"],
    );
}

#[test]
fn fsspec_pandas_and_open_modes() {
    assert_finds(
        "etl.py",
        r#"
df = pd.read_parquet(f"s3://{BUCKET}/features/{day}/part.parquet")
df.to_parquet(f"s3://{BUCKET}/features-clean/{day}/part.parquet")
with fs.open(f"s3://{BUCKET}/logs/{run}.txt", "wb") as f:
    f.write(data)
with fs.open(f"s3://{BUCKET}/logs/{run}-input.txt", "rb") as f:
    data = f.read()
save_manifest(f"s3://{BUCKET}/manifests/{run}.json", manifest)
"#,
        &[
            "features-clean/*/part.parquet",
            "features/*/part.parquet",
            "logs/*-input.txt",
            "logs/*.txt",
            "manifests/*.json",
        ],
        &[
            "features-clean/*/part.parquet",
            "logs/*.txt",
            "manifests/*.json",
        ],
    );
}

#[test]
fn typescript_template_literals_and_sdk_v3() {
    assert_finds(
        "web/src/api/storage.ts",
        r#"
const maskUri = (jobId: string, name: string) => `s3://${bucket}/jobs/${jobId}/masks/${name}`;

export async function saveConfig(jobId: string, runId: string, config: Config) {
  // Stored next to the run's manifest.
  await client.send(
    new PutObjectCommand({
      Bucket,
      Key: `jobs/${jobId}/${runId}/config.json`,
      Body: JSON.stringify(config),
    }),
  );
  const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${jobId}/${runId}/manifest.json` }));
}
"#,
        &[
            "jobs/*/*/config.json",
            "jobs/*/*/manifest.json",
            "jobs/*/masks/*",
        ],
        &["jobs/*/*/config.json"],
    );
}

#[test]
fn go_sprintf_and_sdk_inputs() {
    assert_finds(
        "internal/store/s3.go",
        r#"
package store

// maskURI is where a job's mask lives.
func maskURI(bucket, job, name string) string {
	return fmt.Sprintf("s3://%s/jobs/%s/masks/%v", bucket, job, name)
}

func (s *Store) SaveManifest(ctx context.Context, job, run string, body io.Reader) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(fmt.Sprintf("jobs/%s/%s/manifest.json", job, run)),
		Body:   body,
	})
	return err
}

func (s *Store) Config(ctx context.Context, job, run string) (*s3.GetObjectOutput, error) {
	return s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(path.Join("jobs", job, run, "config.json")),
	})
}
"#,
        &[
            "jobs/*/*/config.json",
            "jobs/*/*/manifest.json",
            "jobs/*/masks/*",
        ],
        &["jobs/*/*/manifest.json"],
    );
}

#[test]
fn cdk_policy_statements_are_judged_one_by_one() {
    assert_finds(
        "cdk/training_tools_access_stack.py",
        r#"
role.add_to_policy(
    iam.PolicyStatement(
        actions=["s3:GetObject"],
        resources=[
            f"arn:aws:s3:::{bucket_name}/jobs/*/masks/*",
            f"arn:aws:s3:::{bucket_name}/training-runs/*",
        ],
    )
)
role.add_to_policy(
    iam.PolicyStatement(
        actions=["s3:GetObject", "s3:PutObject"],
        resources=[f"arn:aws:s3:::{bucket_name}/training-metrics/*"],
    )
)
role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[f"arn:aws:s3:::{bucket_name}"]))
data_bucket.grant_read(role, "reference/*")
data_bucket.grant_read_write(role, "scratch/*")
reports = data_bucket.arn_for_objects("reports/*")
"#,
        &[
            "jobs/*/masks/*",
            "reference/*",
            "reports/*",
            "scratch/*",
            "training-metrics/*",
            "training-runs/*",
        ],
        &["scratch/*", "training-metrics/*"],
    );
}

#[test]
fn cdk_typescript_and_cloudformation() {
    assert_finds(
        "lib/stack.ts",
        r#"
role.addToPolicy(new iam.PolicyStatement({
  actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
  resources: [`arn:aws:s3:::${props.bucketName}/uploads/*`],
}));
role.addToPolicy(new iam.PolicyStatement({
  actions: ['s3:GetObject'],
  resources: [`${bucket.bucketArn}/ignored/*`, 'arn:aws:s3:::shared-reference/genomes/*'],
}));
"#,
        &["genomes/*", "uploads/*"],
        &["uploads/*"],
    );
    assert_finds(
        "template.yaml",
        r#"
Resources:
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [s3:GetObject, s3:PutObject]
            Resource: !Sub "arn:${AWS::Partition}:s3:::${DataBucket}/exports/*"
          - Effect: Allow
            Action: s3:GetObject
            Resource: !Sub arn:aws:s3:::${DataBucket}/imports/*
"#,
        // YAML block statements have no brackets around them: only the line speaks.
        &["exports/*", "imports/*"],
        &[],
    );
}

#[test]
fn json_policy_documents() {
    assert_finds(
        "policy.json",
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject"],
      "Resource": ["arn:aws:s3:::aperture-data/jobs/*/masks/*", "arn:aws:s3:::aperture-data"]
    },
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::aperture-data/training-metrics/*"
    }
  ]
}"#,
        &["jobs/*/masks/*", "training-metrics/*"],
        &["training-metrics/*"],
    );
}

#[test]
fn yaml_and_json_config_files() {
    assert_finds(
        "config/pipeline.yaml",
        r#"
# Where the pipeline reads and writes.
inputs:
  masks: s3://aperture-data/jobs/{job_id}/masks/
  checkpoints: "s3://aperture-data/training-runs/"
outputs:
  metrics: s3://aperture-data/training-metrics/{run_id}/metrics.json  # one per run
"#,
        &[
            "jobs/*/masks/*",
            "training-metrics/*/metrics.json",
            "training-runs/*",
        ],
        &[],
    );
    assert_finds(
        "settings.json",
        r#"{"export": {"uri": "s3://aperture-data/exports/<date>/summary.csv?versionId=3"}, "docs": "https://example.com"}"#,
        &["exports/*/summary.csv"],
        &[],
    );
}

#[test]
fn prose_and_other_languages() {
    assert_finds(
        "README.md",
        "Masks live under `s3://<bucket>/jobs/<job_id>/masks/`. Logs go to s3://BUCKET_NAME/logs/.\n",
        &["jobs/*/masks/*", "logs/*"],
        &[],
    );
    assert_finds(
        "job.rb",
        "uri = \"s3://#{bucket}/ruby/#{id}.json\"\n",
        &["ruby/*.json"],
        &[],
    );
    assert_finds(
        "spark.scala",
        "val df = spark.read.parquet(s\"s3a://$bucket/events/$day\")\n",
        &["events/*"],
        &[],
    );
    assert_finds(
        "tpl.j2",
        "source: s3://{{ bucket }}/templated/{{ name }}.yaml\n",
        &["templated/*.yaml"],
        &[],
    );
    assert_finds(
        "main.tf",
        "resource \"x\" \"y\" {\n  # upload happens elsewhere\n  source = \"s3://${var.bucket}/tf/${var.key}.zip\"\n}\n",
        &["tf/*.zip"],
        &[],
    );
}

#[test]
fn concatenated_uris() {
    assert_finds(
        "concat.py",
        r#"
uri = "s3://" + BUCKET + "/jobs/" + job_id + "/masks/" + name
key = (f"jobs/{job_id}/"
       f"{run_id}/config.json")
data = s3.get_object(Bucket=BUCKET, Key=key)
s3.get_object(Bucket=BUCKET, Key=("exports/" f"{day}/" "summary.csv"))
"#,
        // `key` is followed to its assignment, one step.
        &[
            "exports/*/summary.csv",
            "jobs/*/*/config.json",
            "jobs/*/masks/*",
        ],
        &[],
    );
}

#[test]
fn key_cleanup() {
    assert_finds(
        "cleanup.py",
        r#"
a = f"s3://{B}/training-runs/{run}/{epoch}/{name}"
b = "s3://aperture-data/raw/"
c = "s3://aperture-data/logs//{day}/{{hour}}{minute}.log"
d = "s3://aperture-data/notes/today.txt?versionId=abc"
e = "see s3://aperture-data/docs/guide.md."
f = f"s3://{B}/jobs/{job}/*/*"
g = "s3://aperture-data/lone-folder"
"#,
        &[
            "docs/guide.md",
            "jobs/*",
            "logs/*/*.log",
            "lone-folder/*",
            "notes/today.txt",
            "raw/*",
            "training-runs/*",
        ],
        &[],
    );
}

#[test]
fn what_yields_nothing() {
    assert_finds(
        "nothing.py",
        r#"
if uri.startswith("s3://"):
    bucket, _, key = uri[len("s3://"):].partition("/")
generic = f"s3://{bucket}/{key}"
also = "s3://%s/%s" % (bucket, key)
bucket_only = "s3://aperture-data/"
doc = """Takes `s3://bucket/key` or `s3://BUCKET/PREFIX/`, see s3://my-bucket/path/..."""
arn = "arn:aws:s3:::aperture-data"
not_s3 = "https://s3.amazonaws.com/aperture-data/x.json"
xs3 = "ms3://aperture-data/fake/path"
table.get_item(Key={"pk": job_id})
"#,
        &[],
        &[],
    );
    // A `*` written as such is a key pattern; a placeholder alone is not.
    assert_finds(
        "all.json",
        r#"{"Resource": "arn:aws:s3:::aperture-data/*"}"#,
        &["*"],
        &[],
    );
}

#[test]
fn buckets_filter() {
    let text = r#"
BUCKET = os.environ.get("APERTURE_BUCKET", "aperture-data")
OTHER_BUCKET = "public-datasets"
a = f"s3://{BUCKET}/jobs/{job}/masks/{name}"
b = f"s3://{OTHER_BUCKET}/imagenet/{name}"
c = "s3://public-datasets/coco/annotations.json"
d = "s3://aperture-data/training-runs/"
e = f"s3://{bucket_from_args}/unknown/{x}.json"
f = f"s3://aperture-{env}/by-env/{x}.json"
g = "s3://%s/printf/%s.json" % (bucket, x)
s3.get_object(Bucket=BUCKET, Key=f"jobs/{job}/{run}/config.json")
s3.get_object(Bucket="public-datasets", Key="coco/labels.json")
"#;
    let everything = scan("paths.py", text).0;
    assert_eq!(everything.len(), 9, "{everything:?}");
    // Kept: listed literals, constants in this file holding a listed name, templates that can
    // name one, and buckets this file does not tell.
    let (read, _) = scan_with(&["aperture-data"], "paths.py", text);
    assert_eq!(
        read,
        keys(&[
            "by-env/*.json",
            "jobs/*/*/config.json",
            "jobs/*/masks/*",
            "printf/*.json",
            "training-runs/*",
            "unknown/*.json"
        ])
    );
    let (read, _) = scan_with(&["public-datasets"], "paths.py", text);
    assert_eq!(
        read,
        keys(&[
            "coco/annotations.json",
            "coco/labels.json",
            "imagenet/*",
            "printf/*.json",
            "unknown/*.json"
        ])
    );
    let (read, _) = scan_with(&["elsewhere"], "paths.py", text);
    assert_eq!(read, keys(&["printf/*.json", "unknown/*.json"]));
}

#[test]
fn bad_bucket_names_are_refused() {
    let err = S3Preset::new(
        "required-s3-permissions",
        &["s3://aperture-data".to_owned()],
        &BTreeMap::new(),
        false,
    )
    .unwrap_err();
    assert!(
        err.message.contains("export `required-s3-permissions`"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("`s3://aperture-data`"),
        "{}",
        err.message
    );
    assert!(err.hint.is_some());
}

#[test]
fn writes_seen_on_the_same_line_or_in_the_call() {
    assert_finds(
        "mixed.py",
        r#"
log.info("uploading results to s3://aperture-data/results/%s.json", run)
log.info("downloaded s3://aperture-data/inputs/%s.json", run)
write_json(
    f"s3://{BUCKET}/state/{run}.json",
    state,
)
persistResult(`s3://${bucket}/camel/${id}`)
"#,
        &["camel/*", "inputs/*.json", "results/*.json", "state/*.json"],
        &["camel/*", "results/*.json", "state/*.json"],
    );
}

#[test]
fn a_function_body_does_not_make_every_key_a_write() {
    assert_finds(
        "service.ts",
        r#"
export async function sync(jobId: string) {
  const masks = await list(`s3://${bucket}/jobs/${jobId}/masks/`);
  const body = await read(`s3://${bucket}/jobs/${jobId}/input.json`);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${jobId}/output.json`, Body: body }));
}
"#,
        &["jobs/*/input.json", "jobs/*/masks/*", "jobs/*/output.json"],
        &["jobs/*/output.json"],
    );
}

#[test]
fn deterministic() {
    let text = include_str!("../../../tests/fixtures/aperture/aperture/jobs/manifest.py");
    let first = scan("manifest.py", text);
    for _ in 0..3 {
        assert_eq!(scan("manifest.py", text), first);
    }
    assert!(!first.0.is_empty());
}

#[test]
fn big_one_line_files_are_read_whole() {
    // Minified bundles and one-line JSON: every finding's context is bounded, so a 2 MB line
    // with 60,000 paths is read in one pass (its time is measured in bench/, not here).
    let mut text = String::from("[");
    for i in 0..20_000 {
        text.push_str(&format!(
            "{{\"Bucket\":\"b-{}\",\"Key\":\"jobs/{i}/x.json\",\"u\":\"s3://b/k/{i}.json\"}},",
            i % 7
        ));
    }
    text.push(']');
    let (read, write) = scan("bundle.min.js", &text);
    assert_eq!(read.len(), 40_000);
    assert!(write.is_empty());
}

fn items(findings: &Findings, key: &str) -> Vec<String> {
    findings.items(key).into_iter().collect()
}

#[test]
fn values_keep_the_bucket() {
    let text = r#"
OTHER = "public-datasets"
s3.put_object(Bucket="aperture-data", Key="jobs/a/manifest.json", Body=b)
s3.get_object(Bucket=OTHER, Key="coco/labels.json")
s3.get_object(Bucket=settings.S3_BUCKET, Key="output/x.json")
u = f"s3://{cfg.bucket}/output/{run}/"
"#;
    let found = findings_with(&[], &[], false, "a.py", text);
    assert_eq!(
        items(&found, READ),
        keys(&[
            "${S3_BUCKET}/output/x.json",
            "${bucket}/output/*",
            "aperture-data/jobs/a/manifest.json",
            "public-datasets/coco/labels.json",
        ])
    );
    assert_eq!(
        items(&found, WRITE),
        keys(&["aperture-data/jobs/a/manifest.json"])
    );
    // Mapped placeholders name their bucket; the same key in two buckets stays two patterns.
    let found = findings_with(
        &[],
        &[("S3_BUCKET", "results"), ("bucket", "scratch")],
        false,
        "a.py",
        text,
    );
    assert_eq!(
        items(&found, READ),
        keys(&[
            "aperture-data/jobs/a/manifest.json",
            "public-datasets/coco/labels.json",
            "results/output/x.json",
            "scratch/output/*",
        ])
    );
    // Lines are kept for `check --explain`.
    assert_eq!(
        found.found[READ]["results/output/x.json"]
            .iter()
            .collect::<Vec<_>>(),
        [&5]
    );
}

#[test]
fn unknown_buckets_and_broad_patterns_are_left_out_and_reported() {
    let text = r#"{"Resource": ["arn:aws:s3:::aperture-data/*", "arn:aws:s3:::logs/*/app.log", "arn:aws:s3:::logs/app/*"]}
"#;
    let found = findings_with(&[], &[], false, "policy.json", text);
    assert_eq!(items(&found, READ), keys(&["logs/app/*"]));
    assert_eq!(
        found.left_out,
        vec![
            LeftOut {
                pattern: "aperture-data/*".to_owned(),
                line: 1,
                reason: Reason::TooBroad
            },
            LeftOut {
                pattern: "logs/*/app.log".to_owned(),
                line: 1,
                reason: Reason::TooBroad
            },
        ]
    );
    let found = findings_with(&[], &[], true, "policy.json", text);
    assert_eq!(items(&found, READ).len(), 3);
    assert!(found.left_out.is_empty());
    // A bucket-wide grant from a placeholder is as broad.
    let cdk = "resources=[f\"arn:aws:s3:::{bucket.bucket_name}/*\"]\n";
    let found = findings_with(&[], &[], false, "stack.py", cdk);
    assert!(items(&found, READ).is_empty());
    assert_eq!(found.left_out[0].pattern, "${bucket_name}/*");
    // A bucket without a name is reported, never guessed.
    let go = "key := fmt.Sprintf(\"s3://%s/models/%s\", b, id)\n";
    let found = findings_with(&[], &[], false, "m.go", go);
    assert!(items(&found, READ).is_empty());
    assert_eq!(found.left_out[0].reason, Reason::UnknownBucket);
    assert_eq!(found.left_out[0].pattern, "${}/models/*");
    // With one bucket configured, it is that one.
    let found = findings_with(&["models"], &[], false, "m.go", go);
    assert_eq!(items(&found, READ), keys(&["models/*"]));
}

#[test]
fn comments_docstrings_and_help_do_not_count() {
    let python = r#"
def upload(df, bucket):
    """Write `df` as Parquet, e.g. to s3://bucket/prefix/filename0.csv."""
    # s3://example/old-layout/
    parser.add_argument("--dest", help="where to write, like s3://my-bucket/out/")
    df.to_parquet(f"s3://{bucket}/output/{run}/data.parquet")
"#;
    let found = findings_with(&[], &[], false, "lib.py", python);
    assert_eq!(
        items(&found, READ),
        keys(&["${bucket}/output/*/data.parquet"])
    );
    assert_eq!(items(&found, WRITE), items(&found, READ));
    let go = r#"
// Copy objects, e.g. s5cmd cp s3://bucket/prefix/* .
var cmd = &cli.Command{
	Name:  "cp",
	Usage: "copy objects, e.g. s3://bucket/prefix/*",
	Description: `Examples:
	  s5cmd cp s3://bucket/object.gz .`,
}
/* s3://bucket/block/comment */
const dest = "s3://results/daily/"
"#;
    let found = findings_with(&[], &[], false, "cp.go", go);
    assert_eq!(items(&found, READ), keys(&["results/daily/*"]));
    let ts =
        "/** Reads s3://docs/x.json */\nconst u = `s3://${bucket}/in/${id}.json`; // s3://c/d\n";
    let found = findings_with(&[], &[], false, "a.ts", ts);
    assert_eq!(items(&found, READ), keys(&["${bucket}/in/*.json"]));
    // A string standing alone is a docstring even after code; a triple-quoted value is not.
    let values = "x = 1\nq = \"\"\"\ns3://data-lake/raw/\n\"\"\"\n";
    let found = findings_with(&[], &[], false, "q.py", values);
    assert_eq!(items(&found, READ), keys(&["data-lake/raw/*"]));
}

#[test]
fn values_followed_one_step() {
    let go = r#"
func save(id string) {
	objectKey := "models/" + id + "/weights.bin"
	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucketName),
		Key:    &objectKey,
	})
}
"#;
    assert_finds(
        "m.go",
        go,
        &["models/*/weights.bin"],
        &["models/*/weights.bin"],
    );
    let python = r#"
key = f"reports/{day}/summary.json"
s3.get_object(Bucket="reports-bucket", Key=key)
out = f"s3://{bucket}/output/{run}/"
df.write.mode("overwrite").parquet(out)
frame.to_csv(f"s3://{bucket}/exports/{day}.csv")
"#;
    assert_finds(
        "job.py",
        python,
        &["exports/*.csv", "output/*", "reports/*/summary.json"],
        &["exports/*.csv", "output/*"],
    );
    let ts = r#"
const prefix = `uploads/${user}/`;
await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
new s3deploy.BucketDeployment(this, "Site", {
  sources: [s3deploy.Source.asset("./site")],
  destinationBucket: siteBucket,
  destinationKeyPrefix: "web/static",
});
"#;
    assert_finds(
        "stack.ts",
        ts,
        &["uploads/*", "web/static/*"],
        &["web/static/*"],
    );
    let cdk = "s3deploy.BucketDeployment(self, 'D', sources=[src], destination_bucket=self.bucket, destination_key_prefix='config/')\n";
    let found = findings_with(&[], &[], false, "stack.py", cdk);
    assert_eq!(items(&found, WRITE), keys(&["${bucket}/config/*"]));
}

#[test]
fn help_held_in_a_variable_does_not_count() {
    let go = "var copyHelpTemplate = `Name:\n\t{{.HelpName}}\nExamples:\n\t> s5cmd cp s3://bucket/prefix/*.gz .\n`\n\nvar usage_text = \"s3://bucket/x.json\"\nvar target = \"s3://real-bucket/data/x.json\"\n";
    let found = findings_with(&[], &[], false, "cp.go", go);
    assert_eq!(items(&found, READ), keys(&["real-bucket/data/x.json"]));
}

#[test]
fn sdk_calls_described_as_data() {
    let cdk = r#"
cr.AwsCustomResource(self, "Put", on_create={
    "service": "S3",
    "action": "putObject",
    "parameters": {"Body": "Hello world", "Bucket": bucket_name, "Key": "helloWorld.txt"},
})
"#;
    assert_finds("cr.py", cdk, &["helloWorld.txt"], &["helloWorld.txt"]);
    let held = r#"
def create(self, bucket_name):
    create_params = {"Body": "Hello world", "Bucket": bucket_name, "Key": "hello/world.txt"}
    return AwsSdkCall(action="putObject", service="S3", parameters=create_params)

def read(self, bucket_name):
    get_params = {"Bucket": bucket_name, "Key": "hello/other.txt"}
    return AwsSdkCall(action="getObject", service="S3", parameters=get_params)
"#;
    assert_finds(
        "cr.py",
        held,
        &["hello/other.txt", "hello/world.txt"],
        &["hello/world.txt"],
    );
}

/// The benchmark's second ripgrep reference searches the very literals detection searches
/// every file for: `bench/run.sh` lists them, and they must stay the same.
#[test]
fn the_benchmark_searches_the_hit_material() {
    let bench = include_str!("../../../bench/run.sh");
    let line = bench
        .lines()
        .find_map(|l| l.strip_prefix("hit_material=\""))
        .expect("bench/run.sh lists the hit material");
    let mut listed: Vec<&str> = line.trim_end_matches('"').split(' ').collect();
    let mut searched = hit_material();
    listed.sort_unstable();
    searched.sort_unstable();
    assert_eq!(listed, searched);
}
