//! Precision and recall of the `s3` preset over small files written in the shapes found in real
//! repositories that use S3 (a Go S3 command-line tool, a Python S3 filesystem library, CDK
//! example stacks in Python and TypeScript with their Lambda handlers, a Terraform bucket
//! module, a Spark job), each with what a careful engineer says the repository needs.
//!
//! The shapes that misled detection there are all here: test files and end-to-end suites full of
//! `s3://bucket/prefix/*`, `--help` and usage text, docstring examples, change logs and READMEs,
//! example directories, comments, bucket-wide grants from a placeholder, keys built in a variable
//! first, `BucketDeployment` prefixes, DataFrame writers.

use std::collections::BTreeSet;

use super::{Detector, Findings, found_any};
use crate::realm::config::ExportSource;

/// A file and the patterns it needs, as `(key, item)` with `key` `read` or `write`.
struct Case {
    path: &'static str,
    text: &'static str,
    needs: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    // A Go S3 command-line tool: every bucket and key comes from its arguments.
    Case {
        path: "command/cp.go",
        text: r#"package command

// NewCopyCommand copies objects, e.g. s5cmd cp s3://bucket/prefix/* dir/
func NewCopyCommand() *cli.Command {
	return &cli.Command{
		Name:     "cp",
		HelpName: "cp",
		Usage:    "copy objects",
		Description: `Examples:
	01. Download an S3 object to working directory
		 > s5cmd cp s3://bucket/prefix/object.gz .
	02. Upload a file to S3 bucket
		 > s5cmd cp myfile.gz s3://bucket/
`,
		Action: func(c *cli.Context) error {
			return Copy{src: c.Args().Get(0), dst: c.Args().Get(1)}.Run(c.Context)
		},
	}
}

func (c Copy) upload(ctx context.Context, dst *url.URL, f *os.File) error {
	_, err := c.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(dst.Bucket),
		Key:    aws.String(dst.Path),
		Body:   f,
	})
	return err
}
"#,
        needs: &[],
    },
    Case {
        path: "command/cp_test.go",
        text: r#"func TestCopyS3ToLocal(t *testing.T) {
	src := "s3://bucket/prefix/file.txt"
	putFile(t, s3client, "bucket", "prefix/file.txt", "content")
	cmd := s5cmd("cp", src, ".")
}
"#,
        needs: &[],
    },
    Case {
        path: "e2e/sync_test.go",
        text: r#"func TestSyncS3toS3(t *testing.T) {
	cmd := s5cmd("sync", "s3://bucket/a/*", "s3://dst/b/")
}
"#,
        needs: &[],
    },
    Case {
        path: "CHANGELOG.md",
        text: "- Fixed `cp s3://bucket/*/file.txt` with wildcards (#42)\n",
        needs: &[],
    },
    Case {
        path: "storage/url/url.go",
        text: r#"// New parses "s3://bucket/key" into a URL.
func New(s string) (*URL, error) {
	if !strings.HasPrefix(s, "s3://") {
		return nil, fmt.Errorf("not an S3 URL: %q", s)
	}
	return parse(s[len("s3://"):])
}
"#,
        needs: &[],
    },
    // A Python S3 filesystem library: docstring examples, tests with fixture buckets.
    Case {
        path: "s3fs/core.py",
        text: r#"class S3FileSystem(AsyncFileSystem):
    """Access S3 as if it were a file system.

    Examples
    --------
    >>> s3 = S3FileSystem(anon=False)
    >>> s3.ls('my-bucket/')
    >>> with s3.open('s3://bucket/prefix/filename0.csv', 'wb') as f:
    ...     f.write(b'hello')
    """

    async def _put_file(self, lpath, rpath, **kwargs):
        bucket, key, _ = self.split_path(rpath)
        await self._call_s3("put_object", Bucket=bucket, Key=key, Body=data)

    def url(self, path, expires=3600):
        """Generate presigned URL to access path by HTTP, like s3://bucket/key."""
        bucket, key, version_id = self.split_path(path)
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
"#,
        needs: &[],
    },
    Case {
        path: "s3fs/tests/test_s3fs.py",
        text: r#"test_bucket_name = "test"
files = {"test/accounts.1.json": b"...", "2014-01-01.csv": b"..."}

def test_simple(s3):
    s3.put_object(Bucket=test_bucket_name, Key="nested/file1", Body=b"x")
    assert s3.cat("s3://test/nested/file1") == b"x"
"#,
        needs: &[],
    },
    Case {
        path: "docs/source/index.rst",
        text: ">>> fs.ls('s3://my-bucket/my-prefix/')\n",
        needs: &[],
    },
    // CDK in Python: a stack that deploys a site and grants a function a prefix, and its handler.
    Case {
        path: "python/s3-object-lambda/stack.py",
        text: r#"class ProcessingStack(Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        data = s3.Bucket(self, "Data")
        handler = lambda_.Function(self, "Handler", environment={"DATA_BUCKET": data.bucket_name})
        data.grant_read(handler, "incoming/*")
        data.grant_write(handler, "processed/*")
        # Everything: arn:aws:s3:::${Token[Data]}/*
        handler.add_to_role_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[data.arn_for_objects("*")],
        ))
        s3deploy.BucketDeployment(self, "Config", sources=[s3deploy.Source.asset("./config")],
            destination_bucket=data, destination_key_prefix="config/")
"#,
        needs: &[
            ("read", "${data}/incoming/*"),
            ("read", "${data}/processed/*"),
            ("write", "${data}/processed/*"),
            ("read", "${data}/config/*"),
            ("write", "${data}/config/*"),
        ],
    },
    Case {
        path: "python/s3-object-lambda/lambda/index.py",
        text: r#"import os
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    """Moves s3://<bucket>/incoming/<name> to processed/."""
    name = event["name"]
    source = f"incoming/{name}"
    body = s3.get_object(Bucket=os.environ["DATA_BUCKET"], Key=source)["Body"].read()
    s3.put_object(Bucket=os.environ["DATA_BUCKET"], Key=f"processed/{name}", Body=body)
"#,
        needs: &[
            ("read", "${DATA_BUCKET}/incoming/*"),
            ("read", "${DATA_BUCKET}/processed/*"),
            ("write", "${DATA_BUCKET}/processed/*"),
        ],
    },
    Case {
        path: "python/s3-object-lambda/tests/unit/test_stack.py",
        text: r#"def test_bucket_policy():
    template.has_resource_properties("AWS::IAM::Policy", {"Resource": "arn:aws:s3:::test-bucket/processed/*"})
"#,
        needs: &[],
    },
    // CDK in TypeScript and a Lambda on the JavaScript SDK v3.
    Case {
        path: "typescript/image-resize/lambda/index.ts",
        text: r#"import { S3Client, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";

const s3 = new S3Client({});

/** Reads s3://bucket/uploads/{id}.png and writes thumbnails/{id}.png. */
export const handler = async (event: { id: string }) => {
  const key = `uploads/${event.id}.png`;
  const original = await s3.send(new GetObjectCommand({ Bucket: process.env.IMAGES_BUCKET, Key: key }));
  await s3.send(new PutObjectCommand({
    Bucket: process.env.IMAGES_BUCKET,
    Key: `thumbnails/${event.id}.png`,
    Body: await resize(original.Body),
  }));
};
"#,
        needs: &[
            ("read", "${IMAGES_BUCKET}/uploads/*.png"),
            ("read", "${IMAGES_BUCKET}/thumbnails/*.png"),
            ("write", "${IMAGES_BUCKET}/thumbnails/*.png"),
        ],
    },
    Case {
        path: "typescript/image-resize/test/index.test.ts",
        text: "expect(await read('s3://test-bucket/uploads/1.png')).toBeDefined();\n",
        needs: &[],
    },
    Case {
        path: "typescript/image-resize/README.md",
        text: "Upload an image to `s3://<bucket>/uploads/` and find it under `thumbnails/`.\n",
        needs: &[],
    },
    // A Terraform bucket module: a bucket-wide grant from a placeholder, and a log delivery
    // statement scoped to a prefix.
    Case {
        path: "main.tf",
        text: r#"# Grants everything in the bucket, e.g. arn:aws:s3:::my-bucket/*
data "aws_iam_policy_document" "deny_insecure_transport" {
  statement {
    sid       = "denyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*"]
  }
}

data "aws_iam_policy_document" "elb_log_delivery" {
  statement {
    sid       = "AWSLogDeliveryWrite"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${var.bucket}/AWSLogs/*"]
  }
}
"#,
        needs: &[
            ("read", "${bucket}/AWSLogs/*"),
            ("write", "${bucket}/AWSLogs/*"),
        ],
    },
    Case {
        path: "examples/complete/main.tf",
        text: r#"module "log_bucket" {
  source = "../../"
  policy = "arn:aws:s3:::example-logs/alb/*"
}
"#,
        needs: &[],
    },
    // A Go service that builds its key in a variable first.
    Case {
        path: "internal/models/store.go",
        text: r#"func (s *Store) Save(ctx context.Context, id string, body io.Reader) error {
	objectKey := "models/" + id + "/weights.bin"
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(os.Getenv("MODEL_BUCKET")),
		Key:    &objectKey,
		Body:   body,
	})
	return err
}
"#,
        needs: &[
            ("read", "${MODEL_BUCKET}/models/*/weights.bin"),
            ("write", "${MODEL_BUCKET}/models/*/weights.bin"),
        ],
    },
    // A Spark job writing Parquet and a pandas report.
    Case {
        path: "jobs/daily.py",
        text: r#"def run(spark, day, b="analytics-lake"):
    events = spark.read.json(f"s3://{b}/raw/events/{day}/")
    events.groupBy("user").count().write.mode("overwrite").parquet(f"s3://{b}/output/daily/{day}/")
    summary = f"s3://{b}/reports/{day}.csv"
    events.toPandas().to_csv(summary)
"#,
        needs: &[
            ("read", "analytics-lake/raw/events/*"),
            ("read", "analytics-lake/output/daily/*"),
            ("write", "analytics-lake/output/daily/*"),
            ("read", "analytics-lake/reports/*.csv"),
            ("write", "analytics-lake/reports/*.csv"),
        ],
    },
];

/// (true positives, found, needed) over every case.
fn score(source: &ExportSource) -> (usize, usize, usize, Vec<String>) {
    let detector = Detector::new(source).expect("s3 compiles");
    let (mut hits, mut found_total, mut needed_total) = (0, 0, 0);
    let mut misses = Vec::new();
    for case in CASES {
        let findings = if detector.wants(case.path.as_bytes()) {
            detector.scan(case.path.as_bytes(), case.text.as_bytes())
        } else {
            Findings::default()
        };
        let found: BTreeSet<(String, String)> = findings
            .found
            .iter()
            .flat_map(|(key, items)| items.keys().map(move |item| (key.clone(), item.clone())))
            .collect();
        let needed: BTreeSet<(String, String)> = case
            .needs
            .iter()
            .map(|(k, i)| ((*k).to_owned(), (*i).to_owned()))
            .collect();
        hits += found.intersection(&needed).count();
        found_total += found.len();
        needed_total += needed.len();
        for extra in found.difference(&needed) {
            misses.push(format!("{}: found {} {}", case.path, extra.0, extra.1));
        }
        for missed in needed.difference(&found) {
            misses.push(format!("{}: missed {} {}", case.path, missed.0, missed.1));
        }
        let _ = found_any(&findings);
    }
    (hits, found_total, needed_total, misses)
}

#[test]
fn precision_and_recall_on_real_shapes() {
    let (hits, found, needed, misses) = score(&ExportSource::s3("required-s3-permissions"));
    let precision = hits as f64 / found.max(1) as f64;
    let recall = hits as f64 / needed.max(1) as f64;
    eprintln!("precision {hits}/{found} = {precision:.2}, recall {hits}/{needed} = {recall:.2}");
    for miss in &misses {
        eprintln!("  {miss}");
    }
    assert!(misses.is_empty(), "{misses:#?}");
    assert_eq!((hits, found, needed), (20, 20, 20));
}
