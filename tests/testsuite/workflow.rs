//! Drift, sync, status, check and graph across a provider and a consumer, with real git.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use snapbox::str;

use crate::support::world::{PATHS_V1, World};
use crate::support::{TestEnv, json};

struct Pair {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

/// aperture exports `required-s3-permissions` from a file; fungal imports it.
fn pair(aperture_is_approver: bool) -> Pair {
    let env = TestEnv::new();
    let mut world = World::two_domains(&env).fungal_email("ops@fungal.example");
    if !aperture_is_approver {
        world = world.aperture_email("dev@aperture.example");
    }
    let World {
        realm,
        aperture,
        fungal,
    } = world.build();
    Pair {
        env,
        realm,
        aperture,
        fungal,
    }
}

#[test]
fn provider_change_flows_to_the_consumer() {
    let Pair {
        env,
        realm,
        aperture,
        fungal,
    } = pair(true);
    env.realm(&aperture, &["check"]).assert().success();

    env.write(&aperture, &[("config/s3.yaml", "read:\n- jobs/*\n- training-metrics/*\n- training-metrics/experiments/*\nwrite:\n- training-metrics/*\n- training-metrics/experiments/*\n")]);
    // Not committed yet: status (working tree) sees it, check (HEAD) does not until asked.
    env.realm(&aperture, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
aperture (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Export 'required-s3-permissions' has local changes:
  Added training-metrics/experiments/* (read, write)
  Consumers:
  - fungal (imports ^1, current)
  Run 'git realm sync' to update the realm

"#]]);
    env.realm(&aperture, &["check"]).assert().success();
    env.realm(&aperture, &["check", "--worktree"])
        .assert()
        .code(1);
    env.commit_all(&aperture, "track experiment metrics");
    env.realm(&aperture, &["check"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
drift: export 'required-s3-permissions' differs from 1.0.0 in realm 'letemcook'
  Added training-metrics/experiments/* (read, write)
run 'git realm sync' to publish
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    env.realm(&aperture, &["check", "--imports"])
        .assert()
        .success();
    env.realm(&aperture, &["check", "--rev", "HEAD~1"])
        .assert()
        .success();

    env.realm(&aperture, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added training-metrics/experiments/* (read, write)
Consumers:
  fungal (imports required-s3-permissions ^1)
✓ Realm synced (commit [HASH])
Notifying consumers:
✗ Not notified: fungal about aperture/required-s3-permissions 1.1.0: repo_url `[ROOT]/remotes/fungal.git` is not a GitHub repository URL

"#]]);
    assert_eq!(
        env.git(&realm, &["log", "-1", "--format=%s"]),
        "aperture: export required-s3-permissions 1.1.0"
    );
    let exports = env.realm_file(&realm, "domains/aperture/exports.yaml");
    assert!(exports.contains("  changelog:\n  - version: 1.1.0\n    date: 2026-01-24\n    changes:\n    - Added training-metrics/experiments/* (read, write)\n"), "{exports}");
    env.realm(&aperture, &["check"]).assert().success();
    env.realm(&aperture, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Nothing to sync: the realm is up to date

"#]]);

    // The consumer's status fetches the realm (a path on this machine) first: it sees the new
    // version without a `fetch`.
    env.realm(&fungal, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
fungal (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Stale import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
  Binding: cdk/stack.py
  Changes:
    Added training-metrics/experiments/* (read, write)

"#]]);
    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
fungal (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Stale import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
  Binding: cdk/stack.py
  Changes:
    Added training-metrics/experiments/* (read, write)

"#]]);
    env.realm(&fungal, &["check"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
stale: import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);

    env.write(
        &fungal,
        &[(
            "cdk/stack.py",
            "paths = ['jobs/*', 'training-metrics/*', 'training-metrics/experiments/*']\n",
        )],
    );
    env.commit_all(&fungal, "grant experiment metrics");
    env.realm(&fungal, &["sync"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Imports resolved:
  required-s3-permissions from aperture: now at 1.1.0
    Added training-metrics/experiments/* (read, write)
    Review binding: cdk/stack.py
✓ Realm synced (commit [HASH])

"#]]);
    let imports = env.realm_file(&realm, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("status: current\n  resolved_version: 1.1.0\n"),
        "{imports}"
    );
    env.realm(&fungal, &["check"]).assert().success();
    env.realm(&fungal, &["graph"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
realm letemcook
  aperture
  fungal -> aperture: required-s3-permissions ^1 (current)

"#]]);
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(env.git(&realm, &["status", "--porcelain"]), "");
}

#[test]
fn resolving_without_touching_the_binding_warns() {
    let Pair {
        env,
        aperture,
        fungal,
        ..
    } = pair(true);
    env.write(
        &aperture,
        &[("config/s3.yaml", &format!("{PATHS_V1}- extra/*\n"))],
    );
    env.commit_all(&aperture, "more");
    env.realm_ok(&aperture, &["sync"]);
    let out = env.realm_ok(&fungal, &["sync"]);
    assert!(
        out.contains("warning: cdk/stack.py has not changed since the previous resolution"),
        "{out}"
    );
}

#[test]
fn removal_is_breaking_and_held_as_a_proposal_until_approved() {
    let Pair {
        env,
        realm,
        aperture,
        fungal,
    } = pair(false);
    env.write(
        &aperture,
        &[("config/s3.yaml", "read:\n- jobs/*\nwrite: []\n")],
    );
    env.commit_all(&aperture, "drop training metrics");
    env.realm(&aperture, &["check"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
drift: export 'required-s3-permissions' differs from 1.0.0 in realm 'letemcook' (breaking)
  Removed training-metrics/* (read, write): no longer in the code
run 'git realm sync' to publish
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    let dry = json(&env.realm_ok(&aperture, &["sync", "--dry-run", "--json"]));
    assert_eq!(dry["published"][0]["breaking"], true);
    assert_eq!(
        dry["proposal"],
        "proposals/aperture/required-s3-permissions-2.0.0"
    );

    let main_before = env.git(&realm, &["rev-parse", "main"]);
    env.realm(&aperture, &["sync"]).assert().success().stdout_eq(str![[r#"
Exports updated:
  required-s3-permissions: 1.0.0 → 2.0.0 (breaking)
    Removed training-metrics/* (read, write)
Consumers:
  fungal (imports required-s3-permissions ^1)
✓ Proposed as proposals/aperture/required-s3-permissions-2.0.0 (commit [HASH]); an approver must run 'git realm approve aperture/required-s3-permissions-2.0.0'

"#]]);
    assert_eq!(
        env.git(&realm, &["rev-parse", "main"]),
        main_before,
        "main is unchanged until approved"
    );
    let status = env.realm_ok(&aperture, &["status"]);
    assert!(
        status.contains("Proposal awaiting approval: aperture/required-s3-permissions-2.0.0"),
        "{status}"
    );

    // The realm's creator approves; the change is announced with its effective date.
    let approver = env.code_repo("platform", &[]);
    env.realm_ok(&approver, &["join", "../realm"]);
    env.realm_ok(
        &approver,
        &["approve", "aperture/required-s3-permissions-2.0.0"],
    );
    let exports = env.realm_file(&realm, "domains/aperture/exports.yaml");
    assert!(exports.contains("effective_from: 2026-02-07"), "{exports}");
    assert!(exports.contains("version: 2.0.0"), "{exports}");

    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["check"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
breaking: 'required-s3-permissions' from aperture 2.0.0 takes effect on 2026-02-07
✓ 'fungal' is in step with realm 'letemcook'
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    let status = env.realm_ok(&fungal, &["status"]);
    assert!(status.contains("Breaking change announced: 'required-s3-permissions' from aperture 2.0.0 takes effect on 2026-02-07\n  Removed training-metrics/* (read, write)"), "{status}");

    // After the grace period the consumer's ^1 no longer holds.
    let mut late = env.realm_std(&fungal, &["check"]);
    late.env("GIT_REALM_NOW", "2026-02-08T00:00:00Z");
    let out = late.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "broken: import 'required-s3-permissions' from aperture: 2.0.0 does not satisfy `^1`\nRealm state fetched just now (2026-02-08 00:00 UTC)\n"
    );
    let mut sync = env.realm_std(&fungal, &["sync"]);
    sync.env("GIT_REALM_NOW", "2026-02-08T00:00:00Z");
    let out = sync.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken import is reported, never resolved"
    );
    let imports = env.realm_file(&realm, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("status: broken\n  resolved_version: 1.0.0\n"),
        "{imports}"
    );
}

#[test]
fn an_approvers_own_breaking_change_needs_no_proposal() {
    let Pair {
        env,
        realm,
        aperture,
        ..
    } = pair(true);
    env.write(&aperture, &[("config/s3.yaml", "read: []\nwrite: []\n")]);
    env.commit_all(&aperture, "drop all");
    env.realm_ok(&aperture, &["sync"]);
    assert_eq!(
        env.git(&realm, &["log", "-1", "--format=%s", "main"]),
        "aperture: export required-s3-permissions 2.0.0"
    );
}

/// Every file under `dir`, with its bytes, for byte-for-byte comparison.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn dry_run_changes_nothing_anywhere() {
    let Pair {
        env,
        realm,
        aperture,
        fungal,
    } = pair(true);
    env.write(
        &aperture,
        &[("config/s3.yaml", &format!("{PATHS_V1}- extra/*\n"))],
    );
    env.commit_all(&aperture, "more");
    let before = (files_under(env.root()), files_under(&realm));
    env.realm(&aperture, &["sync", "--dry-run"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
Exports to publish:
  required-s3-permissions: 1.0.0 → 1.1.0
    Added extra/* (write)
Consumers:
  fungal (imports required-s3-permissions ^1)
Would update the realm in one commit (dry run)
Would notify:
  fungal in no tracker (not as things stand: repo_url `[ROOT]/remotes/fungal.git` is not a GitHub repository URL)

"#]]);
    env.realm(&fungal, &["sync", "--dry-run"])
        .assert()
        .success();
    assert!(
        before == (files_under(env.root()), files_under(&realm)),
        "a dry run wrote something"
    );
}

#[test]
fn schema_violations_are_refused_with_the_failing_path() {
    let Pair {
        env,
        realm,
        aperture,
        ..
    } = pair(true);
    env.write(&aperture, &[("schema.yaml", "type: object\nproperties:\n  read: {type: array, items: {type: string}}\n  write: {type: array, items: {type: string}}\n")]);
    env.commit_all(&aperture, "schema");
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--file",
            "config/s3.yaml",
            "--schema",
            "schema.yaml",
        ],
    );
    let before = env.git(&realm, &["rev-parse", "main"]);
    env.realm(&aperture, &["export", "--name", "required-s3-permissions", "--value", r#"{"read": ["a", 7]}"#])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error: the value of export `aperture/required-s3-permissions` fails its schema at `/read/1`: 7 is not of type "string"
hint: change the value so it matches the schema, or change the schema

"#]]);
    env.write(&aperture, &[("config/s3.yaml", "read: [1]\n")]);
    env.commit_all(&aperture, "oops");
    env.realm(&aperture, &["sync"]).assert().code(2);
    assert_eq!(env.git(&realm, &["rev-parse", "main"]), before);
}

#[test]
fn graphs_are_valid_dot_and_mermaid() {
    let Pair { env, fungal, .. } = pair(true);
    let dot = env.realm_ok(&fungal, &["graph", "--format", "dot"]);
    assert_dot_renders(&dot);
    assert!(
        dot.contains(
            "\"fungal\" -> \"aperture\" [label=\"required-s3-permissions ^1 (current)\"];"
        ),
        "{dot}"
    );

    let mermaid = env.realm_ok(&fungal, &["graph", "--format", "mermaid"]);
    snapbox::assert_data_eq!(
        &mermaid,
        str![[r#"
flowchart LR
  d0["aperture"]
  d1["fungal"]
  d1 -->|"required-s3-permissions ^1 (current)"| d0

"#]]
    );
    assert_mermaid_reads_the_graph(&env, &fungal, &mermaid);
    env.realm(&fungal, &["graph", "--at", "main~2"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
realm letemcook
  aperture

"#]]);
    env.realm(&fungal, &["graph", "--at", "nope"])
        .assert()
        .code(2);
}

#[test]
fn graphs_of_stale_broken_and_awkward_imports_are_valid() {
    let Pair {
        env,
        realm,
        aperture,
        fungal,
        ..
    } = pair(true);
    // Names with digits and hyphens, and requirements with spaces, commas, `<`, `>` and `=`.
    let render = env.code_repo("render", &[("deploy.sh", "echo jobs/*\n")]);
    env.realm_ok(&render, &["join", "../realm", "--as", "3d-render-2"]);
    let ml = env.code_repo("ml-ops-42", &[("train.py", "paths = ['jobs/*']\n")]);
    env.realm_ok(&ml, &["join", "../realm"]);
    for (repo, requirement, binding) in [
        (&render, ">=1.0.0, <2", "deploy.sh"),
        (&ml, "=1.0.0", "train.py"),
    ] {
        env.realm_ok(
            repo,
            &[
                "import",
                "--contract",
                "required-s3-permissions",
                "--from",
                "aperture",
                "--version",
                requirement,
                "--binding",
                binding,
            ],
        );
    }
    // aperture publishes 1.1.0: `^1` and `>=1.0.0, <2` go stale, `=1.0.0` breaks.
    env.write(
        &aperture,
        &[("config/s3.yaml", &format!("{PATHS_V1}- extra/*\n"))],
    );
    env.commit_all(&aperture, "more");
    env.realm_ok(&aperture, &["sync"]);
    // A realm edited by hand: an import of a contract nobody exports, from a domain that is
    // not in the realm, is broken. Its requirement has the `<`, `>` and `,` that Mermaid must
    // read as text. (Text that breaks the name and semver rules never gets this far: the
    // realm is refused when it loads, see untrusted_realm.rs.)
    let imports = env.realm_file(&realm, "domains/ml-ops-42/imports.yaml");
    env.write(
        &realm,
        &[(
            "domains/ml-ops-42/imports.yaml",
            &format!(
                "{imports}\n- contract: x-1\n  from: legacy-0\n  version: '>0.0.1-rc.1, <=0.1'\n  status: current\n"
            ),
        )],
    );
    env.commit_all(&realm, "hand edit");
    env.realm_ok(&fungal, &["fetch"]);

    let mermaid = env.realm_ok(&fungal, &["graph", "--format", "mermaid"]);
    snapbox::assert_data_eq!(
        &mermaid,
        str![[r##"
flowchart LR
  d0["3d-render-2"]
  d1["aperture"]
  d2["fungal"]
  d3["legacy-0"]
  d4["ml-ops-42"]
  d0 -->|"required-s3-permissions #gt;=1.0.0, #lt;2 (stale)"| d1
  d2 -->|"required-s3-permissions ^1 (stale)"| d1
  d4 -->|"required-s3-permissions =1.0.0 (broken)"| d1
  d4 -->|"x-1 #gt;0.0.1-rc.1, #lt;=0.1 (broken)"| d3

"##]]
    );
    assert_mermaid_reads_the_graph(&env, &fungal, &mermaid);
    assert_dot_renders(&env.realm_ok(&fungal, &["graph", "--format", "dot"]));
}

/// Graphviz renders `dot`.
fn assert_dot_renders(dot: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("graphviz `dot` is installed (.ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot rejected:\n{dot}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

/// Runs Mermaid's own parser, the validator `.ci/mermaid-check.sh` installs and names in
/// GIT_REALM_MERMAID_VALIDATOR, on `text`: `Ok` with what Mermaid read (nodes and edges with
/// their labels as a reader sees them), `Err` with Mermaid's error. `None` without a validator.
fn mermaid_read(text: &str) -> Option<Result<serde_json::Value, String>> {
    use std::io::Write;
    let validator = std::env::var_os("GIT_REALM_MERMAID_VALIDATOR")?;
    let mut child = std::process::Command::new(&validator)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run the Mermaid validator {validator:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => Some(Ok(json(&String::from_utf8_lossy(&out.stdout)))),
        Some(1) => Some(Err(stderr)),
        _ => panic!(
            "the Mermaid validator {validator:?} could not run ({}):\n{stderr}",
            out.status
        ),
    }
}

/// When a Mermaid validator is set: Mermaid parses `text`, the mermaid output of `git realm
/// graph` in `dir`, as a flowchart of exactly the domains and edges `graph --json` reports,
/// labelled as the text output labels them; and Mermaid rejects a broken flowchart, so that
/// this cannot pass because the validator accepts anything.
fn assert_mermaid_reads_the_graph(env: &TestEnv, dir: &Path, text: &str) {
    let Some(read) = mermaid_read(text) else {
        return;
    };
    let read = read.unwrap_or_else(|e| panic!("Mermaid rejected:\n{text}\n{e}"));
    let broken = text.replacen("\"]", "]", 1);
    let error = mermaid_read(&broken)
        .unwrap()
        .expect_err("Mermaid rejects an unterminated label");
    assert!(error.contains("Parse error"), "{error}");

    let graph = json(&env.realm_ok(dir, &["graph", "--json"]));
    let label_of = |id: &serde_json::Value| {
        read["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| &n["id"] == id)
            .unwrap_or_else(|| panic!("no node {id} in {read:#}"))["label"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut nodes: Vec<String> = read["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"].as_str().unwrap().to_owned())
        .collect();
    nodes.sort();
    let domains: Vec<String> = graph["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(nodes, domains, "Mermaid read:\n{read:#}");
    let mut edges: Vec<(String, String, String)> = read["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                label_of(&e["from"]),
                label_of(&e["to"]),
                e["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String, String)> = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_owned();
            (
                field("from"),
                field("to"),
                format!(
                    "{} {} ({})",
                    field("contract"),
                    field("requirement"),
                    field("status")
                ),
            )
        })
        .collect();
    edges.sort();
    expected.sort();
    assert_eq!(edges, expected, "Mermaid read:\n{read:#}");
}
