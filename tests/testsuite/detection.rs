//! Detection on code shaped like real repositories': only code that runs counts, every pattern
//! is explained, values keep their bucket, old exports migrate, and damaged or partial clones
//! are read as far as they can be.

use snapbox::str;

use crate::support::{TestEnv, json};

const APP: &str = r#"import boto3

s3 = boto3.client("s3")
RESULTS = "results-bucket"


def save(run_id, body):
    """Saves a run, e.g. to s3://results-bucket/example/run.json."""
    # Old layout: s3://results-bucket/legacy/
    key = f"runs/{run_id}/result.json"
    s3.put_object(Bucket=RESULTS, Key=key, Body=body)


def inputs(day):
    return s3.get_object(Bucket="raw-data", Key=f"daily/{day}/input.csv")
"#;

const TEST: &str = r#"def test_save(s3):
    s3.put_object(Bucket="test-bucket", Key="fixtures/run.json", Body=b"")
"#;

const POLICY: &str = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
  "Resource": ["arn:aws:s3:::raw-data/*", "arn:aws:s3:::raw-data/daily/*"]}]}
"#;

#[test]
fn only_code_that_runs_counts_and_every_pattern_is_explained() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let repo = env.code_repo(
        "app",
        &[
            ("app/store.py", APP),
            ("tests/test_store.py", TEST),
            (
                "README.md",
                "Results go to s3://results-bucket/docs-only/\n",
            ),
            (
                "examples/demo.py",
                "s3.get_object(Bucket=\"demo\", Key=\"demo/x.json\")\n",
            ),
            ("deploy/policy.json", POLICY),
        ],
    );
    env.realm_ok(&repo, &["join", "../realm", "--as", "app"]);
    let exports = env.realm_file(env.path("realm"), "domains/app/exports.yaml");
    assert!(
        exports.contains(
            "  value:\n    read:\n    - raw-data/daily/*\n    - raw-data/daily/*/input.csv\n    - results-bucket/runs/*/result.json\n    write:\n    - results-bucket/runs/*/result.json\n"
        ),
        "{exports}"
    );
    env.commit_all(&repo, "join");

    env.realm(&repo, &["check", "--explain"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
export 'required-s3-permissions':
  read raw-data/daily/*
    deploy/policy.json:2
  read raw-data/daily/*/input.csv
    app/store.py:15
  read results-bucket/runs/*/result.json
    app/store.py:10
  write results-bucket/runs/*/result.json
    app/store.py:10
  left out (too broad): raw-data/* at deploy/policy.json:2
✓ 'app' is in step with realm 'letemcook'
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    let report = json(&env.realm_ok(&repo, &["check", "--explain", "--json"]));
    assert_eq!(
        report["explain"][0]["sources"]["write"]["results-bucket/runs/*/result.json"],
        serde_json::json!(["app/store.py:10"])
    );
    assert_eq!(report["explain"][0]["left_out"][0]["reason"], "too-broad");
    // Without --explain, check says in one line what it left out.
    env.realm(&repo, &["check"]).assert().success().stderr_eq(str![[r#"
note: export 'required-s3-permissions' leaves out 1 pattern (too broad: 1); 'git realm check --explain' lists them

"#]]);

    // A test file changing is not drift.
    env.write(
        &repo,
        &[(
            "tests/test_store.py",
            &format!("{TEST}    s3.get_object(Bucket=\"t\", Key=\"more/x.json\")\n"),
        )],
    );
    env.commit_all(&repo, "more tests");
    env.realm(&repo, &["check"]).assert().success();

    // A new key in code that runs is drift, and the message names its file and line.
    env.write(
        &repo,
        &[(
            "app/store.py",
            &format!("{APP}\n\ndef archive(day):\n    s3.copy_object(Bucket=RESULTS, Key=f\"archive/{{day}}/\", CopySource=\"x\")\n"),
        )],
    );
    env.commit_all(&repo, "archive");
    env.realm(&repo, &["check"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
drift: export 'required-s3-permissions' differs from 1.0.0 in realm 'letemcook'
  Added results-bucket/archive/* (read, write) at app/store.py:19
run 'git realm sync' to publish
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);

    // `include:` brings tests back; `allow_broad:` keeps the bucket-wide grant.
    let config = std::fs::read_to_string(repo.join(".realm/config.yaml")).unwrap();
    std::fs::write(
        repo.join(".realm/config.yaml"),
        format!("{config}  include: ['tests/**']\n  allow_broad: true\n"),
    )
    .unwrap();
    env.commit_all(&repo, "include tests");
    let out = env.realm_std(&repo, &["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Added raw-data/* (read) at deploy/policy.json:2"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("Added test-bucket/fixtures/run.json (read, write) at tests/test_store.py:2"),
        "{stdout}"
    );
    assert!(!stdout.contains("demo"), "examples stay out: {stdout}");
}

#[test]
fn exports_published_without_buckets_migrate_without_a_breaking_change() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let repo = env.code_repo(
        "app",
        &[(
            "app/store.py",
            APP.replace("\"raw-data\"", "RESULTS").as_str(),
        )],
    );
    env.realm_ok(&repo, &["join", "../realm", "--as", "app", "--no-detect"]);
    // What detection published before values kept the bucket: keys alone.
    env.realm_ok(
        &repo,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--value",
            r#"{"read": ["daily/*/input.csv", "runs/*/result.json"], "write": ["runs/*/result.json"]}"#,
        ],
    );
    let config = std::fs::read_to_string(repo.join(".realm/config.yaml")).unwrap();
    std::fs::write(
        repo.join(".realm/config.yaml"),
        format!("{config}exports:\n- name: required-s3-permissions\n  detect: s3\n"),
    )
    .unwrap();
    env.commit_all(&repo, "detect s3");
    env.realm(&repo, &["check"]).assert().success();

    // A real change shows as what it is: an addition, not every key replaced.
    env.write(
        &repo,
        &[(
            "app/jobs.py",
            "s3.get_object(Bucket=RESULTS, Key=\"models/latest.bin\")\nRESULTS = \"results-bucket\"\n",
        )],
    );
    env.commit_all(&repo, "models");
    env.realm(&repo, &["check"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
drift: export 'required-s3-permissions' differs from 1.0.0 in realm 'letemcook'
  Added models/latest.bin (read) at app/jobs.py:1
run 'git realm sync' to publish
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
}

#[test]
fn a_partial_clone_skips_missing_blobs_by_name_and_a_damaged_one_says_how_to_fix() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let repo = env.code_repo(
        "app",
        &[
            ("app/store.py", APP),
            (
                "lib/extra.py",
                "s3.get_object(Bucket=\"raw-data\", Key=\"extra/x.json\")\n",
            ),
        ],
    );
    env.realm_ok(&repo, &["join", "../realm", "--as", "app"]);
    env.commit_all(&repo, "join");
    env.git(&repo, &["push", "--quiet", "origin", "main"]);
    let origin = env.path("remotes/app.git");
    env.git(&origin, &["config", "uploadpack.allowFilter", "true"]);

    // A blobless, sparse clone: only the root and .realm/ are checked out, so only their
    // blobs are here; the others stay with the promisor remote.
    let clone = env.path("clone");
    env.git(
        env.root(),
        &[
            "clone",
            "--quiet",
            "--filter=blob:none",
            "--sparse",
            &format!("file://{}", origin.display()),
            clone.to_str().unwrap(),
        ],
    );
    env.git(&clone, &["sparse-checkout", "set", ".realm"]);
    env.realm_ok(&clone, &["fetch"]);
    let out = env
        .realm_std(&clone, &["check", "--exports"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: detection skipped files whose blobs this partial clone lacks: `app/store.py`, `lib/extra.py`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    // What it could not read is drift it cannot see past: it says so, and does not crash.
    assert_eq!(out.status.code(), Some(1), "{stderr}");

    // In a full clone a missing blob is damage: an error naming the file, with a hint.
    let blob = env.git(&repo, &["rev-parse", "HEAD:lib/extra.py"]);
    let blob = blob.trim();
    env.git(&repo, &["repack", "-a", "-d", "-q"]);
    env.git(&repo, &["prune-packed"]);
    // Unpack everything except that one blob, so it is really gone.
    let packs: Vec<_> = std::fs::read_dir(repo.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    for pack in &packs {
        let (code, out) = env.sh_run(
            &repo,
            &format!(
                "mv {p} {p}.old && git unpack-objects -q < {p}.old && rm -f {p}.old {idx}",
                p = pack.display(),
                idx = pack.with_extension("idx").display()
            ),
        );
        assert_eq!(code, 0, "{out}");
    }
    std::fs::remove_file(repo.join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..]))).unwrap();
    std::fs::remove_dir_all(repo.join(".git/realm/detect")).unwrap();
    env.realm(&repo, &["check", "--exports"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error: failed to read `lib/extra.py`: its blob [..] is missing from the object database
hint: run 'git fsck' to see what is damaged, then 'git fetch' or clone the repository again

"#]]);
}

#[test]
fn a_removed_pattern_is_named_where_it_was_in_the_published_commit() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let repo = env.code_repo("app", &[("app/store.py", APP)]);
    // The code commit the realm's 1.0.0 came from.
    let published = env.git(&repo, &["rev-parse", "--short=7", "HEAD"]);
    let published = published.trim();
    env.realm_ok(&repo, &["join", "../realm", "--as", "app"]);
    env.commit_all(&repo, "join");
    env.git(&repo, &["push", "--quiet", "origin", "main"]);

    // The daily inputs are no longer read.
    let without_inputs = APP.split("\n\ndef inputs").next().unwrap();
    env.write(&repo, &[("app/store.py", &format!("{without_inputs}\n"))]);
    let status = env.realm_ok(&repo, &["status"]);
    let removed =
        format!("Removed raw-data/daily/*/input.csv (read): was at app/store.py:15 in {published}");
    assert!(status.contains(&removed), "{status}");
    env.commit_all(&repo, "no daily inputs");
    let check = env.realm_std(&repo, &["check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        format!(
            "drift: export 'required-s3-permissions' differs from 1.0.0 in realm 'letemcook' (breaking)\n  {removed}\nrun 'git realm sync' to publish\nRealm state fetched just now (2026-01-24 10:00 UTC)\n"
        )
    );
    let report = env.realm_std(&repo, &["check", "--json"]).output().unwrap();
    let report = json(&String::from_utf8_lossy(&report.stdout));
    assert_eq!(
        report["drift"][0]["removed_sources"]["raw-data/daily/*/input.csv"],
        serde_json::json!(["app/store.py:15"])
    );
    assert_eq!(report["drift"][0]["removed_in"], published);

    // The pre-push hook blocks the push and says where the pattern was.
    let remote_before = env.git(&repo, &["ls-remote", "origin", "refs/heads/main"]);
    let (code, out) = env.sh_run(&repo, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&removed), "{out}");
    assert_eq!(
        env.git(&repo, &["ls-remote", "origin", "refs/heads/main"]),
        remote_before
    );

    // After a sync, a removal is named at the commit that sync published from.
    env.realm_ok(&repo, &["sync"]);
    let synced = env.git(&repo, &["rev-parse", "--short=7", "HEAD"]);
    let without_results = without_inputs.replace(
        "    s3.put_object(Bucket=RESULTS, Key=key, Body=body)\n",
        "",
    );
    env.write(&repo, &[("app/store.py", &without_results)]);
    let status = env.realm_ok(&repo, &["status"]);
    assert!(
        status.contains(&format!(
            "Removed results-bucket/runs/*/result.json (read, write): was at app/store.py:10 in {}",
            synced.trim()
        )),
        "{status}"
    );
}
