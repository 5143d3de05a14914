//! The detector as `detection` drives it: which files, which content, and the RFC's aperture.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::realm::config::RuleConfig;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aperture")
}

/// Every file under `root`, as (repository-relative path, content), sorted by path.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read(&path).expect("fixture file reads")));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The value `source` yields over `files`, the way `detection::compute` gets it.
fn detect(source: &ExportSource, files: &[(String, Vec<u8>)]) -> Value {
    let detector = Detector::new(source).expect("source compiles");
    let findings: Vec<Findings> = files
        .iter()
        .filter(|(path, _)| detector.wants(path.as_bytes()))
        .map(|(path, data)| detector.scan(path.as_bytes(), data))
        .collect();
    assemble(&findings)
}

fn rfc_value() -> Value {
    json!({
        "read": [
            "jobs/*/*/config.json",
            "jobs/*/*/manifest.json",
            "jobs/*/masks/*",
            "training-metrics/*",
            "training-runs/*",
        ],
        "write": ["jobs/*/*/manifest.json", "training-metrics/*"],
    })
}

/// aperture's source as `join` writes it: its one bucket named, and the placeholders its code
/// writes for it mapped.
fn aperture_source() -> ExportSource {
    let mut source = ExportSource::s3("required-s3-permissions");
    source.buckets = vec!["aperture-data".to_owned()];
    source.variables = [("S3_BUCKET", "aperture-data"), ("bucket", "aperture-data")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    source
}

#[test]
fn aperture_yields_the_rfc_value() {
    let files = files(&fixture());
    let value = detect(&aperture_source(), &files);
    assert_eq!(value, rfc_value());
    // The same set as the RFC writes it, in assemble's order, as JSON.
    assert_eq!(
        serde_json::to_string(&value).expect("value serializes"),
        r#"{"read":["jobs/*/*/config.json","jobs/*/*/manifest.json","jobs/*/masks/*","training-metrics/*","training-runs/*"],"write":["jobs/*/*/manifest.json","training-metrics/*"]}"#
    );
    // Order of visiting files does not matter.
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(detect(&aperture_source(), &reversed), value);
    // Naming the bucket alone is enough: a bucket the code does not tell is taken to be it.
    let mut only_bucket = ExportSource::s3("required-s3-permissions");
    only_bucket.buckets = vec!["aperture-data".to_owned()];
    assert_eq!(detect(&only_bucket, &files), value);

    // Without a bucket named, every pattern keeps its bucket: the literal one, or the
    // placeholder the code writes, by name, never merged and never `*`.
    let bare = detect(&ExportSource::s3("required-s3-permissions"), &files);
    assert_eq!(
        bare,
        json!({
            "read": [
                "${S3_BUCKET}/jobs/*/*/config.json",
                "${S3_BUCKET}/jobs/*/*/manifest.json",
                "${S3_BUCKET}/jobs/*/masks/*",
                "${S3_BUCKET}/training-metrics/*",
                "${S3_BUCKET}/training-runs/*",
                "${bucket}/jobs/*/masks/*",
                "aperture-data/training-metrics/*",
                "aperture-data/training-runs/*",
            ],
            "write": ["${S3_BUCKET}/jobs/*/*/manifest.json", "${S3_BUCKET}/training-metrics/*"],
        })
    );
    // Mapped, the placeholders become the bucket's name.
    let mut mapped = aperture_source();
    mapped.buckets.clear();
    let value = detect(&mapped, &files);
    assert_eq!(
        value["write"],
        json!([
            "aperture-data/jobs/*/*/manifest.json",
            "aperture-data/training-metrics/*"
        ])
    );
    assert_eq!(value["read"].as_array().map(Vec::len), Some(5));

    // Naming another bucket leaves out the keys the code shows to be in `aperture-data`.
    let mut other = ExportSource::s3("e");
    other.buckets = vec!["fungal-data".to_owned()];
    other.variables = aperture_source().variables;
    assert_eq!(detect(&other, &files), json!({"read": [], "write": []}));
}

#[test]
fn aperture_skips_vendored_and_binary_files_that_would_add_paths() {
    let files = files(&fixture());
    let detector =
        Detector::new(&ExportSource::s3("required-s3-permissions")).expect("s3 compiles");
    let skipped = [
        "web/node_modules/s3-upload-helper/index.js",
        "third_party/s3shim/paths.py",
        "assets/logo.png",
        "data/samples/mask_0001.msk",
    ];
    for path in skipped {
        let (_, data) = files
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("fixture has {path}"));
        // Read as text, each would add a path the RFC value does not have.
        let text = String::from_utf8_lossy(data);
        let mut as_text = Findings::default();
        s3::S3Preset::new("x", &[], &BTreeMap::new(), false)
            .expect("s3 compiles")
            .scan(b"as-text.py", &text, &mut as_text);
        assert!(
            !as_text.items(s3::READ).is_empty(),
            "{path} would add nothing even if read"
        );
        let wanted = detector.wants(path.as_bytes());
        let found = detector.scan(path.as_bytes(), data);
        assert!(!wanted || !found_any(&found), "{path} was not skipped");
    }
    // The `.msk` file is skipped for its content too, not only for where it lies.
    let mut include = ExportSource::s3("e");
    include.include = vec!["data/samples/**".to_owned()];
    let detector = Detector::new(&include).expect("s3 compiles");
    assert!(detector.wants(b"data/samples/mask_0001.msk"));
    let (_, data) = files
        .iter()
        .find(|(p, _)| p == "data/samples/mask_0001.msk")
        .expect("fixture has the mask");
    assert!(!found_any(
        &detector.scan(b"data/samples/mask_0001.msk", data)
    ));
}

/// The RFC's "Daily Development": a developer adds experiment tracking to the metrics exporter.
/// The fixture's `export_experiment` ends in a line that adds nothing; appending the upload line
/// inside it adds `training-metrics/experiments/*` to read and write, and changes nothing else.
#[test]
fn aperture_adds_training_metrics_experiments() {
    let mut files = files(&fixture());
    let exporter = "models/training/metrics_exporter.py";
    let (_, data) = files
        .iter_mut()
        .find(|(p, _)| p == exporter)
        .expect("fixture has the exporter");
    assert!(
        data.ends_with(b"    log.info(\"experiment %s: results kept at %s\", experiment, path)\n")
    );
    data.extend_from_slice(
        b"    client().upload_file(path, S3_BUCKET, f\"training-metrics/experiments/{experiment}/{os.path.basename(path)}\")\n",
    );
    let mut expected = rfc_value();
    for key in ["read", "write"] {
        let items = expected[key].as_array_mut().expect("arrays");
        items.push(json!("training-metrics/experiments/*"));
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    assert_eq!(detect(&aperture_source(), &files), expected);
}

/// The RFC's own words for the edit, `# Added: s3://bucket/training-metrics/experiments/*`, are
/// a comment: they name the path without the code using it, and add nothing.
#[test]
fn the_rfc_comment_line_adds_nothing() {
    let mut files = files(&fixture());
    let exporter = "models/training/metrics_exporter.py";
    let (_, data) = files
        .iter_mut()
        .find(|(p, _)| p == exporter)
        .expect("fixture has the exporter");
    data.extend_from_slice(b"# Added: s3://bucket/training-metrics/experiments/*\n");
    assert_eq!(detect(&aperture_source(), &files), rfc_value());
}

#[test]
fn vendored_directories_at_any_depth() {
    let detector = Detector::new(&ExportSource::s3("e")).expect("s3 compiles");
    for path in [
        "vendor/x.go",
        "a/b/node_modules/c/index.js",
        "third_party/lib/a.py",
        "web/vendor/x/y.ts",
    ] {
        assert!(!detector.wants(path.as_bytes()), "{path}");
    }
    for path in [
        "src/vendors.py",
        "vendor.py",
        "my_node_modules/a.js",
        "src/third_party.py",
        "src/vendor",
    ] {
        assert!(detector.wants(path.as_bytes()), "{path}");
    }
}

#[test]
fn binary_by_extension_or_content() {
    let detector = Detector::new(&ExportSource::s3("e")).expect("s3 compiles");
    for path in [
        "logo.PNG",
        "a/b/model.onnx",
        "dist/app.tar.gz",
        "weights.safetensors",
        "x.pyc",
    ] {
        assert!(!detector.wants(path.as_bytes()), "{path}");
    }
    for path in ["Makefile", "a.py", ".png", "notes.png.yaml", "config.yaml"] {
        assert!(detector.wants(path.as_bytes()), "{path}");
    }
    let uri = b"u = \"s3://b/jobs/x.json\"\n";
    assert_eq!(detector.scan(b"a.py", uri).items("read").len(), 1);
    let mut binary = uri.to_vec();
    binary.insert(3, 0);
    assert!(detector.scan(b"a.py", &binary).items("read").is_empty());
    // Past the probe a NUL does not make a text file binary.
    let mut late = vec![b' '; BINARY_PROBE];
    late.extend_from_slice(uri);
    late.push(0);
    assert_eq!(detector.scan(b"a.py", &late).items("read").len(), 1);
    // `found` says what `scan` does, or nothing where it finds nothing.
    for data in [&uri[..], &binary, &late, b"nothing here\n", b""] {
        let scanned = detector.scan(b"a.py", data);
        assert_eq!(
            detector.found(b"a.py", data),
            found_any(&scanned).then_some(scanned)
        );
    }
    assert!(detector.found(b"a.py", uri).is_some());
}

#[test]
fn s3_always_has_read_and_write() {
    let files = vec![("a.py".to_owned(), b"print('hello')\n".to_vec())];
    assert_eq!(
        detect(&ExportSource::s3("e"), &files),
        json!({"read": [], "write": []})
    );
    let files = vec![(
        "a.py".to_owned(),
        b"s3.get_object(Bucket=B, Key='x/y.json')\n".to_vec(),
    )];
    assert_eq!(
        detect(&ExportSource::s3("e"), &files),
        json!({"read": ["${B}/x/y.json"], "write": []})
    );
}

fn rules_source(rules: Vec<RuleConfig>) -> ExportSource {
    ExportSource {
        detect: Some(DetectorKind::Rules),
        rules,
        ..ExportSource::s3("kafka-topics")
    }
}

#[test]
fn rules_over_a_tree() {
    let source = rules_source(vec![
        RuleConfig {
            pattern: r#"producer\.send\("([\w.-]+)""#.to_owned(),
            paths: vec!["src/**/*.py".to_owned()],
            into: "produces".to_owned(),
        },
        RuleConfig {
            pattern: r"^\s*-\s*topic:\s*(\S+)".to_owned(),
            paths: vec!["*.yaml".to_owned()],
            into: "consumes".to_owned(),
        },
    ]);
    let files = vec![
        (
            "src/orders/events.py".to_owned(),
            b"producer.send(\"orders.created\")\nproducer.send(\"orders.paid\")\n".to_vec(),
        ),
        (
            "src/billing.py".to_owned(),
            b"producer.send(\"billing.invoiced\")\nproducer.send(\"orders.paid\")\n".to_vec(),
        ),
        (
            "scripts/replay.py".to_owned(),
            b"producer.send(\"replay.only\")\n".to_vec(),
        ),
        (
            "deploy/consumers.yaml".to_owned(),
            b"subscriptions:\n  - topic: payments.settled\n  - topic: orders.created\n".to_vec(),
        ),
        (
            "vendor/lib/consumers.yaml".to_owned(),
            b"  - topic: vendored.topic\n".to_vec(),
        ),
    ];
    let detector = Detector::new(&source).expect("rules compile");
    assert!(!detector.wants(b"scripts/replay.py"));
    assert!(!detector.wants(b"README.md"));
    assert_eq!(
        detect(&source, &files),
        json!({
            "consumes": ["orders.created", "payments.settled"],
            "produces": ["billing.invoiced", "orders.created", "orders.paid"],
        })
    );
}

#[test]
fn sources_that_do_not_compile() {
    let bad_regex = rules_source(vec![RuleConfig {
        pattern: "(unclosed".to_owned(),
        paths: vec![],
        into: "k".to_owned(),
    }]);
    let err = Detector::new(&bad_regex).err().expect("refused");
    assert!(
        err.message.contains("`kafka-topics`") && err.message.contains("`(unclosed`"),
        "{}",
        err.message
    );
    let mut mixed = ExportSource::s3("e");
    mixed.rules = vec![RuleConfig {
        pattern: "(a)".to_owned(),
        paths: vec![],
        into: "k".to_owned(),
    }];
    assert!(Detector::new(&mixed).is_err());
    let mut filtered_rules = rules_source(vec![RuleConfig {
        pattern: "(a)".to_owned(),
        paths: vec![],
        into: "k".to_owned(),
    }]);
    filtered_rules.buckets = vec!["b-1".to_owned()];
    assert!(Detector::new(&filtered_rules).is_err());
    let file = ExportSource::file("e", "value.yaml");
    assert!(Detector::new(&file).is_err());
}

/// Half-written code, stray quotes and brackets, multi-byte text: detection reads it all without
/// panicking (a fixed seed keeps it reproducible; a longer run found nothing either).
#[test]
fn odd_text_never_panics() {
    let alphabet: &[&str] = &[
        "s3://",
        "arn:aws:s3:::",
        "{",
        "}",
        "${",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "'",
        "`",
        "\"\"\"",
        "/",
        "*",
        "%s",
        "%(",
        "<",
        ">",
        "#",
        "//",
        "/*",
        "*/",
        "\n",
        " ",
        "Key",
        "Bucket",
        "=",
        ":",
        ",",
        "+",
        "é",
        "日本",
        "\\",
        "put_object(",
        "copy(",
        "aws s3 cp ",
        "f\"",
        "open(",
        "\"w\"",
        "x",
        "jobs",
        ".",
        "$",
        "#{",
        "{{",
        "}}",
        "\u{feff}",
        "\r",
    ];
    let detector = Detector::new(&ExportSource::s3("e")).expect("compiles");
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..1_000 {
        let n = rng.usize(0..40);
        let text: String = (0..n)
            .map(|_| alphabet[rng.usize(0..alphabet.len())])
            .collect();
        for path in ["a.py", "a.ts", "a.rs", "a.md"] {
            let _ = detector.scan(path.as_bytes(), text.as_bytes());
        }
        let _ = mentions(
            "required-s3-permissions",
            &["jobs/*/masks/*".to_owned(), "a*b*c".to_owned()],
            text.as_bytes(),
        );
    }
}

#[test]
fn the_s3_prefilter_finds_its_words_in_any_ascii_case_and_nothing_else() {
    for text in [
        "x = S3Client()",
        "Bucket=B",
        "client.PutObject(",
        "UPLOAD_FILE",
        "self.download(",
        "CopySource",
        "grantRead(role)",
        "ARN_FOR(x)",
        "ends with s3",
    ] {
        assert!(s3::may_mention_s3(text.as_bytes()), "{text}");
    }
    for text in [
        "",
        "alpha beta gamma data model",
        "s",
        "bucke",
        "arn_fo",
        "objec",
    ] {
        assert!(!s3::may_mention_s3(text.as_bytes()), "{text}");
    }
    // Long text is searched a piece at a time: a word is found wherever it falls, across the
    // pieces' boundaries too.
    for len in [
        8 * 1024 - 9,
        8 * 1024 - 4,
        8 * 1024 - 1,
        8 * 1024,
        16 * 1024 - 3,
        50_000,
    ] {
        for word in ["DownLoad", "s3"] {
            let text = format!("{}{word}{}", "x".repeat(len), "y".repeat(len % 7));
            assert!(s3::may_mention_s3(text.as_bytes()), "{word} after {len}");
        }
        assert!(!s3::may_mention_s3("x".repeat(len).as_bytes()));
    }
}

#[test]
fn files_with_hit_material_are_read_and_near_misses_are_not() {
    // Each of these yields a key (or could), so each must reach the tokenizer.
    for (path, text) in [
        ("a.py", "s3.copy(src, \"b\", \"jobs/x.json\")"),
        ("a.py", "client.upload_file(f, B, 'k/x')"),
        ("a.cc", "std::copy(a, b, \"k\");"),
        ("a.py", "s3.put_object(Bucket=B, Key=\"k/x\")"),
        ("a.py", "bucket.Object(\"k/x\")"),
        ("a.ts", "new PutObjectCommand({ Bucket, Key: `k/${id}` })"),
        ("a.py", "{\"Bucket\": b, \"Key\": \"k/x\"}"),
        ("a.py", "bucket.put_object(Key='k/x')"),
        (
            "a.py",
            "BucketDeployment(destination_bucket=b, destination_key_prefix=\"p\")",
        ),
        ("a.py", "b.grant_read(role, \"k/*\")"),
        ("a.py", "b.arn_for_objects(\"k/*\")"),
        ("a.c", "const char *u = \"s3://b/k/x\";"),
        ("a.h", "#define A \"arn:aws:s3:::b/k/*\""),
        ("a.rs", "let u = format!(\"s3a://{}/k/x\", b);"),
    ] {
        assert!(s3::has_hit_material(text.as_bytes()), "{path}: {text}");
    }
    // A label or a call name inside a longer word, and a label with no bucket beside it: the
    // shapes of generated bindings and C sources.
    for text in [
        "pub fn BN_copy(dest: *mut BIGNUM, src: *const BIGNUM);",
        "EVP_MD_CTX_copy(out, in);",
        "pub const NID_X9_62_id_ecPublicKey: i32 = 408;",
        "struct { int Key: 3; }",
        "Key: \"k/x\", // and a bucket_name elsewhere",
        "x.myObject(\"k\"); my_upload_file(a, b, \"c\")",
    ] {
        assert!(!s3::has_hit_material(text.as_bytes()), "{text}");
    }
    // Both through the detector: the near miss is read only when a bucket comes with it.
    let detector = Detector::new(&ExportSource::s3("x")).expect("compiles");
    let near_miss = "x = MyBucketKey\nparams = {\"Key\": \"k/x.json\"}\n";
    assert!(!found_any(&detector.scan(b"a.py", near_miss.as_bytes())));
    let with_bucket = "s3.get_object(Bucket=\"b\", Key=\"k/x.json\")\n";
    assert!(found_any(&detector.scan(b"a.py", with_bucket.as_bytes())));
}

#[test]
fn hit_material_always_holds_a_trigger_word() {
    // `may_yield_keys` searches the hit material first; a file it lets through holds a trigger
    // word anyway, so the prefilter's words still say what every hit comes with.
    for text in [
        "s3.copy(a, b, \"k\")",
        "upload_file(a, b, \"k\")",
        "x.Object(b, \"k\")",
        "f(Bucket=b, Key=\"k\")",
        "f(destination_bucket=b, destination_key_prefix=\"k\")",
        "f(destinationBucket=b, destinationKeyPrefix=\"k\")",
        "b.put_object(Key=\"k\")",
        "b.grantReadWrite(r, \"k\")",
        "b.arnForObjects(\"k\")",
        "\"s3n://b/k\"",
        "arn:${Partition}:s3:::b/k",
    ] {
        assert!(s3::has_hit_material(text.as_bytes()), "{text}");
        assert!(s3::may_mention_s3(text.as_bytes()), "{text}");
        assert!(s3::may_yield_keys(text.as_bytes()), "{text}");
    }
}
