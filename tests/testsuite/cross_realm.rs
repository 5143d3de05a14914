//! Imports across realms: fungal, in `letemcook`, imports a contract aperture exports in
//! `ml-infra` (where aperture is the domain `aperture-api`).

use std::path::{Path, PathBuf};

use snapbox::str;

use crate::support::world::World;
use crate::support::{ObjectFormat, TestEnv, json};

const API_V1: &str = "routes:\n- /v1/masks\n";
const API_V2: &str = "routes:\n- /v1/masks\n- /v1/metrics\n";

struct Realms {
    env: TestEnv,
    letemcook: PathBuf,
    ml_infra: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

/// The realm `ml-infra`, which aperture joins as `aperture-api`, exporting `api-routes` from
/// `api/routes.yaml`.
fn ml_infra_exported_by(env: &TestEnv, aperture: &Path) -> PathBuf {
    let ml_infra = env.path("ml-infra");
    let mut init = vec![
        "init",
        "--name",
        "ml-infra",
        "ml-infra",
        "--admission",
        "open",
    ];
    if env.format() != ObjectFormat::Sha1 {
        env.init(&ml_infra, false);
        init.truncate(4);
        init.extend(["--admission", "open"]);
    }
    env.realm_ok(env.root(), &init);
    env.write(aperture, &[("api/routes.yaml", API_V1)]);
    env.commit_all(aperture, "api routes");
    env.realm_ok(aperture, &["join", "../ml-infra", "--as", "aperture-api"]);
    env.realm_ok(
        aperture,
        &[
            "export",
            "--realm",
            "ml-infra",
            "--name",
            "api-routes",
            "--file",
            "api/routes.yaml",
        ],
    );
    ml_infra
}

/// The RFC's world in `letemcook`; a second realm `ml-infra` that aperture joins as
/// `aperture-api`, exporting `api-routes` from `api/routes.yaml`; fungal joins it too.
fn two_realms() -> Realms {
    let env = TestEnv::new();
    let World {
        realm: letemcook,
        aperture,
        fungal,
    } = World::two_domains(&env).build();
    let ml_infra = ml_infra_exported_by(&env, &aperture);
    env.commit_all(&aperture, "realm config");
    env.realm_ok(&fungal, &["join", "../ml-infra"]);
    Realms {
        env,
        letemcook,
        ml_infra,
        aperture,
        fungal,
    }
}

fn import_across(env: &TestEnv, fungal: &Path) -> String {
    env.realm_ok(
        fungal,
        &[
            "import",
            "--realm",
            "letemcook",
            "--contract",
            "api-routes",
            "--from",
            "ml-infra/aperture-api",
            "--binding",
            "cdk/stack.py",
        ],
    )
}

#[test]
fn an_import_across_realms_is_recorded_followed_resolved_and_drawn() {
    let Realms {
        env,
        letemcook,
        ml_infra,
        aperture,
        fungal,
    } = two_realms();
    let out = import_across(&env, &fungal);
    assert!(
        out.contains("✓ Import api-routes from ml-infra/aperture-api (^1, now at 1.0.0)"),
        "{out}"
    );
    // Recorded in fungal's realm, `from:` a plain domain name beside the provider's realm.
    let imports = env.realm_file(&letemcook, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("- contract: api-routes\n  from: aperture-api\n  realm: ml-infra\n"),
        "{imports}"
    );
    assert!(!imports.contains("realm_url"), "{imports}");
    assert!(
        env.git(&ml_infra, &["ls-tree", "-r", "--name-only", "main"])
            .lines()
            .all(|f| f != "domains/fungal/imports.yaml"),
        "nothing is written in the provider's realm"
    );

    env.realm_ok(&fungal, &["fetch"]);
    let status = json(&env.realm_ok(&fungal, &["status", "--realm", "letemcook", "--json"]));
    let across = status["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contract"] == "api-routes")
        .unwrap_or_else(|| panic!("{status:#}"))
        .clone();
    assert_eq!(across["from"], "aperture-api");
    assert_eq!(across["realm"], "ml-infra");
    assert_eq!(across["status"], "current");
    env.realm(&fungal, &["check"]).assert().success();

    // aperture's status in ml-infra lists its consumer in letemcook, without a fetch: the
    // other realm it belongs to is on this machine, and read fresh as its own.
    let status = json(&env.realm_ok(&aperture, &["status", "--realm", "ml-infra", "--json"]));
    let consumers = &status["exports"][0]["consumers"];
    assert_eq!(consumers[0]["domain"], "fungal", "{status:#}");
    assert_eq!(consumers[0]["realm"], "letemcook", "{status:#}");
    let text = env.realm_ok(&aperture, &["status", "--realm", "ml-infra"]);
    assert!(
        text.contains("Consumers of 'api-routes':\n  - letemcook/fungal (imports ^1, current)"),
        "{text}"
    );

    // aperture changes the contract and syncs in ml-infra: fungal is told, as a consumer.
    env.write(&aperture, &[("api/routes.yaml", API_V2)]);
    env.commit_all(&aperture, "metrics route");
    let planned = json(&env.realm_ok(
        &aperture,
        &["sync", "--realm", "ml-infra", "--dry-run", "--json"],
    ));
    assert_eq!(planned["consumers"][0]["domain"], "fungal", "{planned:#}");
    assert_eq!(planned["consumers"][0]["realm"], "letemcook", "{planned:#}");
    assert_eq!(
        planned["would_notify"][0]["consumer"], "fungal",
        "{planned:#}"
    );
    let synced = json(&env.realm_ok(&aperture, &["sync", "--realm", "ml-infra", "--json"]));
    assert_eq!(synced["published"][0]["version"], "1.1.0", "{synced:#}");
    assert_eq!(synced["consumers"][0]["realm"], "letemcook", "{synced:#}");

    // fungal sees it stale without a fetch of its own: `ml-infra` is a realm on this machine,
    // so status reads it fresh, as it does its own realm.
    let status = json(&env.realm_ok(&fungal, &["status", "--realm", "letemcook", "--json"]));
    let across = status["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contract"] == "api-routes")
        .unwrap()
        .clone();
    assert_eq!(across["status"], "stale", "{status:#}");
    assert_eq!(across["latest_version"], "1.1.0");
    assert_eq!(
        across["changes"][0], "Added /v1/metrics (routes)",
        "{status:#}"
    );
    let check = env
        .realm(&fungal, &["check", "--realm", "letemcook"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("ml-infra/aperture-api"), "{text}");

    // fungal's sync resolves it in letemcook, and notes the provider's realm.
    let synced = json(&env.realm_ok(&fungal, &["sync", "--realm", "letemcook", "--json"]));
    assert_eq!(synced["resolved"][0]["from"], "aperture-api", "{synced:#}");
    assert_eq!(synced["resolved"][0]["realm"], "ml-infra", "{synced:#}");
    assert_eq!(synced["resolved"][0]["version"], "1.1.0");
    let subject = env.git(&letemcook, &["log", "-1", "--format=%s", "main"]);
    assert_eq!(
        subject,
        "fungal: resolve ml-infra/aperture-api/api-routes 1.1.0"
    );
    let realm_commit = env.git(&letemcook, &["rev-parse", "main"]);
    let note = env.git(
        &fungal,
        &["log", "-1", "--notes=realm", "--format=%N", "HEAD"],
    );
    assert!(
        note.contains(&format!(
            "Realm-Import: letemcook ml-infra/aperture-api/api-routes 1.1.0 realm-commit={realm_commit}"
        )),
        "{note}"
    );
    let imports = env.realm_file(&letemcook, "domains/fungal/imports.yaml");
    assert!(
        imports.contains("realm: ml-infra") && imports.contains("resolved_version: 1.1.0"),
        "{imports}"
    );
    env.realm(&fungal, &["check"]).assert().success();

    // One graph of both realms, a subgraph each, the import crossing the boundary.
    let dot = env.realm_ok(&fungal, &["graph", "--format", "dot"]);
    assert_dot_renders(&dot);
    assert!(dot.contains("subgraph \"cluster_letemcook\" {"), "{dot}");
    assert!(dot.contains("subgraph \"cluster_ml-infra\" {"), "{dot}");
    assert!(
        dot.contains(
            "\"letemcook/fungal\" -> \"ml-infra/aperture-api\" [label=\"api-routes ^1 (current)\"];"
        ),
        "{dot}"
    );
    let mermaid = env.realm_ok(&fungal, &["graph", "--format", "mermaid"]);
    snapbox::assert_data_eq!(
        &mermaid,
        str![[r#"
flowchart LR
  subgraph r0["letemcook"]
    d0["aperture"]
    d1["fungal"]
  end
  subgraph r1["ml-infra"]
    d2["aperture-api"]
    d3["fungal"]
  end
  d1 -->|"required-s3-permissions ^1 (current)"| d0
  d1 -->|"api-routes ^1 (current)"| d2

"#]]
    );
    assert_mermaid_valid(&mermaid);
    // Asked of one realm, the other realm's provider still has its own subgraph.
    let one = env.realm_ok(
        &fungal,
        &["graph", "--realm", "letemcook", "--format", "mermaid"],
    );
    assert!(
        one.contains("  subgraph r1[\"ml-infra\"]\n    d2[\"aperture-api\"]\n"),
        "{one}"
    );
    assert_mermaid_valid(&one);
    let one = env.realm_ok(
        &fungal,
        &["graph", "--realm", "letemcook", "--format", "dot"],
    );
    assert_dot_renders(&one);
    assert!(one.contains("subgraph \"cluster_ml-infra\" {"), "{one}");
    let text = env.realm_ok(&fungal, &["graph", "--realm", "letemcook"]);
    assert!(
        text.contains("fungal -> ml-infra/aperture-api: api-routes ^1 (current)"),
        "{text}"
    );
    // A realm without imports across realms draws as it always did.
    let plain = env.realm_ok(
        &fungal,
        &["graph", "--realm", "ml-infra", "--format", "mermaid"],
    );
    assert!(!plain.contains("subgraph"), "{plain}");
    let graph = json(&env.realm_ok(&fungal, &["graph", "--json"]));
    assert_eq!(graph["realms"][0]["realm"], "letemcook");
    let edges = graph["realms"][0]["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["to"] == "aperture-api" && e["to_realm"] == "ml-infra"),
        "{graph:#}"
    );
}

#[test]
fn an_export_published_directly_tells_consumers_in_other_realms() {
    let Realms {
        env,
        aperture,
        fungal,
        ..
    } = two_realms();
    import_across(&env, &fungal);
    env.realm_ok(&aperture, &["fetch"]);
    env.write(&aperture, &[("api/routes.yaml", API_V2)]);
    env.commit_all(&aperture, "metrics route");
    let exported = json(&env.realm_ok(
        &aperture,
        &[
            "export",
            "--realm",
            "ml-infra",
            "--name",
            "api-routes",
            "--file",
            "api/routes.yaml",
            "--json",
        ],
    ));
    assert_eq!(exported["result"], "published", "{exported:#}");
    // No token in the tests: the consumer in letemcook is the one not notified, and waits.
    let waiting = &exported["notifications"]["not_notified"];
    assert_eq!(waiting[0]["consumer"], "fungal", "{exported:#}");
    assert_eq!(waiting[0]["export"], "api-routes", "{exported:#}");
    assert_eq!(exported["notifications"]["pending"], 1, "{exported:#}");
}

#[test]
fn leaving_is_refused_while_a_domain_of_another_realm_imports_from_it() {
    let Realms {
        env,
        ml_infra,
        aperture,
        fungal,
        ..
    } = two_realms();
    import_across(&env, &fungal);
    env.realm_ok(&aperture, &["fetch"]);
    let before = env.state_of(&[&ml_infra, &aperture]);
    env.realm(&aperture, &["leave", "--realm", "ml-infra"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: domains of other realms import from `aperture-api`: letemcook/fungal
hint: ask them to drop those imports, or leave anyway with 'git realm leave --force'

"#]]);
    assert_eq!(env.state_of(&[&ml_infra, &aperture]), before);

    let left = json(&env.realm_ok(
        &aperture,
        &["leave", "--realm", "ml-infra", "--force", "--json"],
    ));
    assert_eq!(left["broken_consumers"][0], "letemcook/fungal", "{left:#}");
    let config = std::fs::read_to_string(aperture.join(".realm/config.yaml")).unwrap();
    assert!(!config.contains("ml-infra"), "{config}");
    assert!(config.contains("letemcook"), "{config}");
}

#[test]
fn an_import_across_realms_names_a_realm_domain_and_contract_that_exist() {
    let Realms {
        env,
        letemcook,
        ml_infra,
        aperture: _,
        fungal,
    } = two_realms();
    env.realm_ok(&fungal, &["fetch"]);
    let dirs: [&Path; 3] = [&letemcook, &ml_infra, &fungal];
    let import = |from: &'static str, contract: &'static str| {
        vec![
            "import",
            "--realm",
            "letemcook",
            "--contract",
            contract,
            "--from",
            from,
        ]
    };
    env.assert_refused(
        &dirs,
        2,
        &fungal,
        &import("nope/aperture-api", "api-routes"),
        "not a member of realm `nope`",
    );
    env.assert_refused(
        &dirs,
        2,
        &fungal,
        &import("ml-infra/nope", "api-routes"),
        "unknown domain `nope` in realm `ml-infra`",
    );
    env.assert_refused(
        &dirs,
        2,
        &fungal,
        &import("ml-infra/aperture-api", "nope"),
        "domain `aperture-api` exports no contract `nope`",
    );
    env.assert_refused(
        &dirs,
        2,
        &fungal,
        &import("ml-infra/Bad Name", "api-routes"),
        "invalid domain name",
    );
}

#[test]
fn a_realm_read_without_joining_is_fetched_from_the_url_recorded() {
    let env = TestEnv::new();
    let World {
        realm: letemcook,
        aperture,
        fungal,
    } = World::two_domains(&env).build();
    let ml_infra = ml_infra_exported_by(&env, &aperture);
    let url = ml_infra.to_str().unwrap();
    // Without --from-url, a realm fungal does not belong to is refused.
    env.realm(
        &fungal,
        &[
            "import",
            "--contract",
            "api-routes",
            "--from",
            "ml-infra/aperture-api",
        ],
    )
    .assert()
    .code(2);
    env.realm_ok(
        &fungal,
        &[
            "import",
            "--contract",
            "api-routes",
            "--from",
            "ml-infra/aperture-api",
            "--from-url",
            url,
        ],
    );
    let imports = env.realm_file(&letemcook, "domains/fungal/imports.yaml");
    assert!(
        imports.contains(&format!(
            "  from: aperture-api\n  realm: ml-infra\n  realm_url: {url}\n"
        )),
        "{imports}"
    );
    let status = json(&env.realm_ok(&fungal, &["status", "--json"]));
    let across = status["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contract"] == "api-routes")
        .unwrap()
        .clone();
    assert_eq!(across["status"], "current", "{status:#}");

    env.write(&aperture, &[("api/routes.yaml", API_V2)]);
    env.commit_all(&aperture, "metrics route");
    env.realm_ok(&aperture, &["sync", "--realm", "ml-infra"]);
    // fungal's sync fetches the realm it reads, and resolves the import.
    let synced = json(&env.realm_ok(&fungal, &["sync", "--json"]));
    assert_eq!(synced["resolved"][0]["realm"], "ml-infra", "{synced:#}");
    assert_eq!(synced["resolved"][0]["version"], "1.1.0", "{synced:#}");
    let dot = env.realm_ok(&fungal, &["graph", "--format", "dot"]);
    assert_dot_renders(&dot);
    assert!(dot.contains("subgraph \"cluster_ml-infra\" {"), "{dot}");
}

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

/// With the validator `.ci/mermaid-check.sh` names in GIT_REALM_MERMAID_VALIDATOR: Mermaid's
/// own parser reads `text` as a flowchart.
fn assert_mermaid_valid(text: &str) {
    use std::io::Write;
    let Some(validator) = std::env::var_os("GIT_REALM_MERMAID_VALIDATOR") else {
        return;
    };
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
    assert!(
        out.status.success(),
        "Mermaid rejected:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
