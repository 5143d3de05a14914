//! `import` runs the binding verifier as `sync` does (SPEC 4.4): an import its binding does
//! not grant is refused, `--force` records the gap, a granted one is recorded verified.

use std::path::{Path, PathBuf};

use snapbox::str;

use crate::bindings::{PY_BEFORE, PY_GRANT, VALUE_V1, VALUE_V2, after_edit, verify_with_s3_iam};
use crate::support::world::World;
use crate::support::{TestEnv, json};

const BINDING: &str = "cdk/training_tools_access_stack.py";
const IMPORTS: &str = "domains/fungal/imports.yaml";
const GAP: &str = "training-metrics/experiments/* (write): no statement allows s3:PutObject on arn:aws:s3:::cultivarium-training/training-metrics/experiments/*";

struct Setup {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

/// aperture exports `required-s3-permissions` (1.0.0); fungal has a binding granting 1.0.0
/// and verifies the import with s3-iam. fungal's join records the binding as a candidate
/// import (it mentions the export's values).
fn setup() -> Setup {
    setup_with(&[(BINDING, PY_BEFORE)])
}

/// [`setup`] with `files` in fungal's repository.
fn setup_with(files: &[(&str, &str)]) -> Setup {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env)
        .aperture_files(&[("config/s3.yaml", VALUE_V1)])
        .fungal_files(files)
        .fungal_email("ops@fungal.example")
        .without_import()
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

/// [`setup`], fungal importing 1.0.0 with its (granting) binding, then aperture publishing
/// 1.1.0, which adds `training-metrics/experiments/*` to `write`: the binding does not grant it.
fn imported_then_v2() -> Setup {
    let s = setup();
    s.env.realm_ok(
        &s.fungal,
        &[
            "import",
            "--contract",
            "required-s3-permissions",
            "--from",
            "aperture",
            "--binding",
            BINDING,
        ],
    );
    s.env.realm_ok(&s.aperture, &["fetch"]);
    s.env.write(&s.aperture, &[("config/s3.yaml", VALUE_V2)]);
    s.env.commit_all(&s.aperture, "track experiment metrics");
    s.env.realm_ok(&s.aperture, &["sync", "--no-notify"]);
    s.env.realm_ok(&s.fungal, &["fetch"]);
    s
}

fn import_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "import",
        "--contract",
        "required-s3-permissions",
        "--from",
        "aperture",
        "--no-notify",
    ];
    args.extend_from_slice(extra);
    args
}

/// What a refused import must leave as it was, byte for byte: the realm's tip, fungal's notes
/// ref, fungal's imports.yaml in the realm (or its absence) and fungal's .realm/config.yaml.
fn written(s: &Setup) -> (String, String, String, Vec<u8>) {
    let tip = s.env.git(&s.realm, &["rev-parse", "main"]);
    let notes = s.env.git(
        &s.fungal,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/notes/",
        ],
    );
    let (_, imports) = s
        .env
        .sh_run(&s.realm, &format!("git show main:{IMPORTS} 2>&1"));
    let config = std::fs::read(s.fungal.join(".realm/config.yaml")).unwrap();
    (tip, notes, imports, config)
}

fn run(s: &Setup, args: &[&str]) -> (Option<i32>, String, String) {
    let out = s
        .env
        .realm_std(&s.fungal, args)
        .output()
        .expect("run git-realm");
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn note_log(env: &TestEnv, dir: &Path) -> String {
    env.git(dir, &["log", "--notes=realm", "-1", "--format=%N"])
}

#[test]
fn a_granted_import_is_recorded_verified() {
    let s = setup();
    s.env
        .realm(&s.fungal, &import_args(&["--binding", BINDING]))
        .assert()
        .success()
        .stdout_eq(str![[r#"
✓ Import required-s3-permissions from aperture (^1, now at 1.0.0)
  Binding: cdk/training_tools_access_stack.py (grants the value)
✓ Realm updated (commit [HASH])

"#]]);
    let imports = s.env.realm_file(&s.realm, IMPORTS);
    assert!(imports.contains("verified: true"), "{imports}");
    assert!(imports.contains("status: current"), "{imports}");
    assert!(!imports.contains("ungranted"), "{imports}");
}

#[test]
fn an_ungranted_import_is_refused_and_writes_nothing() {
    let s = imported_then_v2();
    let before = written(&s);
    assert!(before.2.contains("verified: true"), "{}", before.2);
    let (code, stdout, stderr) = run(&s, &import_args(&[]));
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "Ungranted import 'required-s3-permissions' from aperture: {BINDING} does not grant 1.1.0 (not recorded):\n  {GAP}\n✗ Nothing recorded: the import is not granted by its binding\n"
        )
    );
    assert!(
        stderr.contains("error: import refused: its binding does not grant the value"),
        "{stderr}"
    );
    assert!(stderr.contains("'git realm import --force'"), "{stderr}");
    assert_eq!(written(&s), before, "a refused import wrote something");
}

#[test]
fn force_records_the_ungranted_import_and_the_note() {
    let s = imported_then_v2();
    let tip = s.env.git(&s.realm, &["rev-parse", "main"]);
    let (code, stdout, stderr) = run(&s, &import_args(&["--force"]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "Ungranted import 'required-s3-permissions' from aperture: {BINDING} does not grant 1.1.0 (recorded with --force):\n  {GAP}\n"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("✓ Realm updated (commit "), "{stdout}");
    let new_tip = s.env.git(&s.realm, &["rev-parse", "main"]);
    assert_ne!(new_tip, tip);
    let imports = s.env.realm_file(&s.realm, IMPORTS);
    for want in [
        "status: ungranted",
        "verified: false",
        "resolved_version: 1.1.0",
        &format!("binding: {BINDING}"),
        "training-metrics/experiments/* (write)",
    ] {
        assert!(imports.contains(want), "{want:?} not in:\n{imports}");
    }
    let note = note_log(&s.env, &s.fungal);
    assert!(
        note.contains(&format!(
            "Realm-Import: letemcook aperture/required-s3-permissions 1.1.0 realm-commit={new_tip}"
        )),
        "{note}"
    );
    assert!(
        note.contains(&format!(
            "Realm-Ungranted: letemcook aperture/required-s3-permissions 1.1.0 {GAP}"
        )),
        "{note}"
    );
    // Recorded ungranted, the import is a finding for check until the binding grants it.
    s.env
        .realm(&s.fungal, &["check", "--imports"])
        .assert()
        .code(1);
}

#[test]
fn a_verifier_without_a_binding_is_refused() {
    // No file mentions the export, so join records no candidate import and no binding.
    let s = setup_with(&[("README.md", "fungal image analysis\n")]);
    let before = written(&s);
    let (code, stdout, stderr) = run(&s, &import_args(&["--json"]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let report = json(&stdout);
    assert_eq!(report["refused"], true, "{report}");
    assert_eq!(report["verified"], false, "{report}");
    assert_eq!(report["commit"], serde_json::Value::Null, "{report}");
    let gaps = report["ungranted"].as_array().expect("ungranted listed");
    assert!(!gaps.is_empty(), "{report}");
    assert!(
        gaps.iter().all(|g| g
            .as_str()
            .unwrap()
            .contains("the import names no binding file")),
        "{report}"
    );
    assert!(
        stderr.contains("hint: name the file that grants it with --binding FILE"),
        "{stderr}"
    );
    assert_eq!(written(&s), before, "a refused import wrote something");
}

#[test]
fn a_re_import_keeps_and_verifies_its_binding() {
    let s = imported_then_v2();
    // The binding now grants 1.1.0: the re-import without --binding verifies the recorded one.
    let text = std::fs::read_to_string(s.fungal.join(BINDING)).unwrap();
    s.env
        .write(&s.fungal, &[(BINDING, &after_edit(&text, PY_GRANT))]);
    s.env.commit_all(&s.fungal, "grant experiment metrics");
    let (code, stdout, stderr) = run(&s, &import_args(&["--json"]));
    assert_eq!(code, Some(0), "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["binding"], BINDING, "{report}");
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["resolved_version"], "1.1.0", "{report}");
    let imports = s.env.realm_file(&s.realm, IMPORTS);
    assert!(
        imports.contains(&format!("binding: {BINDING}")),
        "{imports}"
    );
    assert!(imports.contains("verified: true"), "{imports}");
    assert!(imports.contains("resolved_version: 1.1.0"), "{imports}");
}

#[test]
fn json_reports_verified_ungranted_and_refused() {
    let s = imported_then_v2();
    // Refused: all three fields.
    let (code, stdout, _) = run(&s, &import_args(&["--json"]));
    assert_eq!(code, Some(1));
    let refused = json(&stdout);
    assert_eq!(refused["refused"], true, "{refused}");
    assert_eq!(refused["verified"], false, "{refused}");
    assert_eq!(refused["ungranted"], serde_json::json!([GAP]), "{refused}");
    assert_eq!(refused["status"], "ungranted", "{refused}");
    // Forced: recorded, so not refused, still ungranted.
    let (code, stdout, _) = run(&s, &import_args(&["--json", "--force"]));
    assert_eq!(code, Some(1));
    let forced = json(&stdout);
    assert!(forced.get("refused").is_none(), "{forced}");
    assert_eq!(forced["verified"], false, "{forced}");
    assert_eq!(forced["ungranted"], serde_json::json!([GAP]), "{forced}");
    assert!(forced["commit"].is_string(), "{forced}");
    // Without a verifier: no `verified`, no `ungranted`, no `refused`.
    let config = std::fs::read_to_string(s.fungal.join(".realm/config.yaml")).unwrap();
    let unverified = config.replace(
        "imports:\n- contract: required-s3-permissions\n  from: aperture\n  verify: s3-iam\n  bucket: cultivarium-training\n",
        "",
    );
    assert_ne!(unverified, config);
    s.env
        .write(&s.fungal, &[(".realm/config.yaml", &unverified)]);
    let (code, stdout, stderr) = run(&s, &import_args(&["--json"]));
    assert_eq!(code, Some(0), "{stderr}");
    let plain = json(&stdout);
    for field in ["verified", "ungranted", "refused"] {
        assert!(plain.get(field).is_none(), "{field} in {plain}");
    }
}
