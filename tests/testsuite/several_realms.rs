//! One repository in several realms: aperture coordinates S3 paths with fungal in `letemcook`
//! and an API with web in `ml-infra`, under a different domain name in each.

use std::path::{Path, PathBuf};

use crate::support::world::PATHS_V1;
use crate::support::{ObjectFormat, TestEnv, json};

const API_V1: &str = "url: https://api.example.com\n";

/// The repositories of the two-realm world.
struct TwoRealms {
    letemcook: PathBuf,
    ml_infra: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
    web: PathBuf,
}

/// A realm named `name` created by `git realm init` at `dir`, with open admission.
fn realm_named(env: &TestEnv, dir: &str, name: &str) -> PathBuf {
    if env.format() != ObjectFormat::Sha1 {
        env.init(env.path(dir), false);
    }
    env.realm_ok(
        env.root(),
        &["init", "--name", name, dir, "--admission", "open"],
    );
    env.path(dir)
}

fn config(repo: &Path) -> String {
    std::fs::read_to_string(repo.join(".realm/config.yaml")).expect("config")
}

/// Run a script (a push) with git-realm on PATH; panic unless it succeeds. Its output.
fn sh_ok(env: &TestEnv, dir: &Path, script: &str) -> String {
    let (code, out) = env.sh_run(dir, script);
    assert_eq!(code, 0, "`{script}` failed:\n{out}");
    out
}

fn tip(env: &TestEnv, realm: &Path) -> String {
    env.git(realm, &["rev-parse", "main"])
}

/// letemcook: aperture exports `required-s3-permissions`, fungal imports it. ml-infra: web,
/// and aperture as `aperture-api` exporting `api-endpoint`. aperture has pushed all that.
fn two_realms(env: &TestEnv) -> TwoRealms {
    let letemcook = env.realm_repo("realm", false, &["--admission", "open"]);
    let ml_infra = realm_named(env, "ml-realm", "ml-infra");
    let aperture = env.code_repo(
        "aperture",
        &[("config/s3.yaml", PATHS_V1), ("config/api.yaml", API_V1)],
    );
    env.realm_ok(&aperture, &["join", "../realm"]);
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--file",
            "config/s3.yaml",
        ],
    );
    // One realm: the RFC's single mapping.
    let single = config(&aperture);
    assert!(single.starts_with("realm:"), "{single}");
    assert!(!single.contains("realms:"), "{single}");

    let fungal = env.code_repo(
        "fungal",
        &[("cdk/stack.py", "paths = ['jobs/*', 'training-metrics/*']\n")],
    );
    env.realm_ok(&fungal, &["join", "../realm"]);
    env.realm_ok(
        &fungal,
        &[
            "import",
            "--contract",
            "required-s3-permissions",
            "--from",
            "aperture",
            "--binding",
            "cdk/stack.py",
        ],
    );
    let web = env.code_repo("web", &[]);
    env.realm_ok(&web, &["join", "../ml-realm"]);

    env.realm_ok(&aperture, &["join", "../ml-realm", "--as", "aperture-api"]);
    // The second realm turns the file into the list, and it still parses.
    let listed = config(&aperture);
    assert!(listed.starts_with("realms:"), "{listed}");
    assert!(listed.contains("name: letemcook"), "{listed}");
    assert!(listed.contains("name: ml-infra"), "{listed}");
    assert!(listed.contains("domain: aperture-api"), "{listed}");
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "api-endpoint",
            "--file",
            "config/api.yaml",
            "--realm",
            "ml-infra",
        ],
    );
    assert!(config(&aperture).starts_with("realms:"));
    env.realm_ok(&aperture, &["fetch"]);
    env.commit_all(&aperture, "join the realms");
    sh_ok(env, &aperture, "git push -q origin main");
    TwoRealms {
        letemcook,
        ml_infra,
        aperture,
        fungal,
        web,
    }
}

#[test]
fn one_repository_in_two_realms() {
    let env = TestEnv::new();
    let w = two_realms(&env);
    let aperture = &w.aperture;

    // Reading commands: a section per realm, JSON `{"realms": [...]}`; --realm, the old shape.
    let status = env.realm_ok(aperture, &["status"]);
    assert!(status.contains("── realm letemcook ──"), "{status}");
    assert!(status.contains("── realm ml-infra ──"), "{status}");
    let status = json(&env.realm_ok(aperture, &["status", "--json"]));
    let realms = status["realms"].as_array().expect("realms");
    assert_eq!(realms.len(), 2, "{status}");
    assert_eq!(realms[0]["realm"], "letemcook");
    assert_eq!(realms[1]["realm"], "ml-infra");
    assert_eq!(realms[1]["domain"], "aperture-api");
    let one = json(&env.realm_ok(aperture, &["status", "--json", "--realm", "ml-infra"]));
    assert!(one.get("realms").is_none(), "{one}");
    assert_eq!(one["realm"], "ml-infra");
    let alone = env.realm_ok(aperture, &["status", "--realm", "letemcook"]);
    assert!(!alone.contains("── realm"), "{alone}");

    let check = env.realm_ok(aperture, &["check"]);
    assert!(check.contains("── realm letemcook ──"), "{check}");
    assert!(check.contains("── realm ml-infra ──"), "{check}");
    let check = json(&env.realm_ok(aperture, &["check", "--json"]));
    assert_eq!(check["realms"].as_array().map(Vec::len), Some(2), "{check}");
    let one = json(&env.realm_ok(aperture, &["check", "--json", "--realm", "letemcook"]));
    assert!(one.get("realms").is_none(), "{one}");

    // Where the realm matters, the command asks which, naming them; nothing is written.
    let dirs = [
        aperture.as_path(),
        w.letemcook.as_path(),
        w.ml_infra.as_path(),
    ];
    for args in [
        &[
            "export",
            "--name",
            "api-endpoint",
            "--file",
            "config/api.yaml",
        ][..],
        &["import", "--contract", "web-config", "--from", "web"],
        &["leave"],
    ] {
        env.assert_refused(
            &dirs,
            2,
            aperture,
            args,
            "belongs to 2 realms (letemcook, ml-infra)",
        );
    }
    // An export belongs to one realm.
    env.assert_refused(
        &dirs,
        2,
        aperture,
        &[
            "export",
            "--name",
            "required-s3-permissions",
            "--file",
            "config/s3.yaml",
            "--realm",
            "ml-infra",
        ],
        "export `required-s3-permissions` belongs to realm `letemcook` (domain `aperture`)",
    );
    env.assert_refused(
        &dirs,
        2,
        aperture,
        &[
            "export",
            "--name",
            "api-endpoint",
            "--value",
            "{}",
            "--realm",
            "letemcook",
        ],
        "belongs to realm `ml-infra`",
    );

    // Pre-push: drift in either realm blocks the push, naming that realm alone.
    let pushed = env.git(aperture, &["rev-parse", "origin/main"]);
    for (file, text, blocked, other) in [
        (
            "config/s3.yaml",
            "read:\n- jobs/*\n- training-metrics/*\n- models/*\nwrite:\n- training-metrics/*\n",
            "letemcook",
            "ml-infra",
        ),
        (
            "config/api.yaml",
            "url: https://api2.example.com\n",
            "aperture-api",
            "letemcook",
        ),
    ] {
        let blocked = if blocked == "aperture-api" {
            "ml-infra"
        } else {
            blocked
        };
        env.write(aperture, &[(file, text)]);
        env.commit_all(aperture, "drift");
        let (code, out) = env.sh_run(aperture, "git push -q origin main");
        assert_ne!(code, 0, "{out}");
        assert!(
            out.contains(&format!("changes exports of realm '{blocked}'")),
            "{out}"
        );
        assert!(
            !out.contains(&format!("of realm '{other}'")),
            "{blocked} only: {out}"
        );
        assert!(out.contains("hint: run 'git realm sync'"), "{out}");
        assert_eq!(env.git(aperture, &["rev-parse", "origin/main"]), pushed);
        env.git(aperture, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }

    // One sync publishes to both realms: a commit in each, a notes line for each.
    env.write(
        aperture,
        &[
            (
                "config/s3.yaml",
                "read:\n- jobs/*\n- training-metrics/*\n- models/*\nwrite:\n- training-metrics/*\n",
            ),
            ("config/api.yaml", "url: https://api2.example.com\n"),
        ],
    );
    let head = env.commit_all(aperture, "new paths and a new api");
    // Drift in both: each realm named, the verdict told once.
    let (code, out) = env.sh_run(aperture, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("── realm letemcook ──")
            && out.contains("changes exports of realm 'letemcook'")
            && out.contains("── realm ml-infra ──")
            && out.contains("changes exports of realm 'ml-infra'"),
        "{out}"
    );
    assert_eq!(
        out.matches("refused: the realm must be synced first")
            .count(),
        1,
        "{out}"
    );
    assert_eq!(
        out.matches("hint: run 'git realm sync'").count(),
        1,
        "{out}"
    );
    let (let_before, ml_before) = (tip(&env, &w.letemcook), tip(&env, &w.ml_infra));
    let sync = json(&env.realm_ok(aperture, &["sync", "--no-notify", "--json"]));
    let realms = sync["realms"].as_array().expect("realms");
    assert_eq!(realms.len(), 2, "{sync}");
    for (realm, dir, before) in [
        ("letemcook", &w.letemcook, &let_before),
        ("ml-infra", &w.ml_infra, &ml_before),
    ] {
        let after = tip(&env, dir);
        assert_ne!(&after, before, "{realm}: {sync}");
        assert_eq!(
            env.git(dir, &["rev-parse", "main~1"]),
            *before,
            "{realm}: one commit"
        );
    }
    let notes = env.git(
        aperture,
        &["log", "-1", "--notes=realm", "--format=%N", &head],
    );
    let lines: Vec<&str> = notes.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{notes}");
    assert!(
        lines.iter().any(|l| l.contains("letemcook"))
            && lines.iter().any(|l| l.contains("ml-infra")),
        "{notes}"
    );
    let out = sh_ok(&env, aperture, "git push -q origin main");
    assert!(
        !out.contains("── realm"),
        "a clean push says nothing: {out}"
    );

    // post-merge with two realms: each fetched, only the realm with news speaks.
    env.realm_ok(
        &w.web,
        &["export", "--name", "web-config", "--value", "{\"a\": 1}"],
    );
    let out = env.realm_ok(aperture, &["hooks", "run", "post-merge", "0"]);
    assert!(out.contains("── realm ml-infra ──"), "{out}");
    assert!(
        out.contains("Realm 'ml-infra' has new export versions:\n  web/web-config 1.0.0 (new)"),
        "{out}"
    );
    assert!(!out.contains("── realm letemcook"), "{out}");
    let report = json(&env.realm_ok(aperture, &["--json", "hooks", "run", "post-merge", "0"]));
    let realms = report["realms"].as_array().expect("realms");
    assert_eq!(realms.len(), 2, "{report}");
    assert!(realms.iter().all(|r| r["fetch"] == "fetched"), "{report}");
    // --realm: that realm alone, in the one-realm shape.
    let one = json(&env.realm_ok(
        aperture,
        &[
            "--json",
            "hooks",
            "run",
            "--realm",
            "letemcook",
            "post-merge",
            "0",
        ],
    ));
    assert_eq!(one["realm"], "letemcook", "{one}");
    assert!(one.get("realms").is_none(), "{one}");

    // list: per realm, this user's repositories and their domain names.
    let list = json(&env.realm_ok(aperture, &["list", "--json"]));
    let domains = |realm: &str| -> Vec<String> {
        list["realms"]
            .as_array()
            .expect("realms")
            .iter()
            .filter(|r| r["name"] == realm)
            .flat_map(|r| r["repos"].as_array().cloned().unwrap_or_default())
            .map(|r| r["domain"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(domains("letemcook"), ["aperture", "fungal"], "{list}");
    assert_eq!(domains("ml-infra"), ["web", "aperture-api"], "{list}");
    let human = env.realm_ok(aperture, &["list", "--realm", "ml-infra"]);
    assert!(human.starts_with("ml-infra\t"), "{human}");
    assert!(human.contains("  aperture-api\t"), "{human}");
    assert!(!human.contains("letemcook"), "{human}");
    env.assert_refused(
        &[aperture.as_path()],
        2,
        aperture,
        &["list", "--realm", "nowhere"],
        "realm `nowhere`",
    );

    // Leaving one realm keeps the other working, and the hooks.
    env.realm_ok(aperture, &["leave", "--realm", "ml-infra"]);
    // The file keeps the list form it was given, now of one membership.
    let left = config(aperture);
    assert!(
        left.starts_with("realms:\n- realm:\n    name: letemcook\n"),
        "{left}"
    );
    assert!(!left.contains("ml-infra"), "{left}");
    assert!(left.contains("name: letemcook"), "{left}");
    let hook = std::fs::read_to_string(aperture.join(".git/hooks/pre-push")).unwrap_or_default();
    assert!(hook.contains("git-realm hooks run"), "{hook}");
    let status = env.realm_ok(aperture, &["status"]);
    assert!(!status.contains("── realm"), "{status}");
    let status = json(&env.realm_ok(aperture, &["status", "--json"]));
    assert_eq!(status["realm"], "letemcook", "{status}");
    env.realm_ok(
        aperture,
        &["export", "--name", "api-endpoint", "--value", "{}"],
    );
    env.write(
        aperture,
        &[(
            "config/s3.yaml",
            "read:\n- jobs/*\nwrite:\n- training-metrics/*\n",
        )],
    );
    env.commit_all(aperture, "fewer paths");
    let (code, out) = env.sh_run(aperture, "git push -q origin main");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("changes exports of realm 'letemcook'"),
        "{out}"
    );
    let _ = &w.fungal;
}

/// Detected exports in two realms: the pre-push hook detects each pushed commit once for both,
/// and finds what each realm's own detection finds.
#[test]
fn the_pre_push_hook_detects_once_for_every_realm() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &["--admission", "open"]);
    let ml_infra = realm_named(&env, "ml-realm", "ml-infra");
    let aperture = env.aperture_repo();
    env.realm_ok(&aperture, &["join", "../realm"]);
    env.realm_ok(&aperture, &["join", "../ml-realm", "--as", "aperture-api"]);
    env.realm_ok(
        &aperture,
        &[
            "export",
            "--name",
            "training-paths",
            "--detect",
            "--realm",
            "ml-infra",
        ],
    );
    assert!(
        env.realm_file(&ml_infra, "domains/aperture-api/exports.yaml")
            .contains("training-paths"),
        "published to ml-infra"
    );
    env.commit_all(&aperture, "join the realms");
    // Detected in one pass, each export as its realm records it: no drift.
    let out = sh_ok(&env, &aperture, "git push -q origin main");
    assert!(!out.contains("realm"), "{out}");

    let exporter = aperture.join("models/training/metrics_exporter.py");
    let original = std::fs::read_to_string(&exporter).unwrap();
    let line = "    client().upload_file(path, S3_BUCKET, f\"training-metrics/experiments/{experiment}/{os.path.basename(path)}\")\n";
    std::fs::write(&exporter, format!("{original}{line}")).unwrap();
    env.commit_all(&aperture, "experiments");
    for _ in 0..2 {
        // The second time from the caches the first left.
        let (code, out) = env.sh_run(&aperture, "git push -q origin main");
        assert_ne!(code, 0, "{out}");
        assert!(
            out.contains("changes exports of realm 'letemcook':\n  required-s3-permissions"),
            "{out}"
        );
        assert!(
            out.contains("changes exports of realm 'ml-infra':\n  training-paths"),
            "{out}"
        );
        assert_eq!(out.matches("experiments/*").count(), 2, "{out}");
    }
    // What check finds, export by export, is what the hook found.
    let check = env
        .realm_std(&aperture, &["check", "--json"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let check = json(&String::from_utf8_lossy(&check.stdout));
    assert_eq!(check["realms"].as_array().map(Vec::len), Some(2), "{check}");
}
