//! Bad input: exit status 2, one error line naming the value or file, a hint, and nothing
//! changed anywhere.

use std::path::{Path, PathBuf};

use crate::support::TestEnv;
use crate::support::world::World;

struct Fixture {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

fn fixture() -> Fixture {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env)
        .approval_admission()
        .aperture_files(&[
            ("config/paths.yaml", "read: [a]\n"),
            ("bad.yaml", "a: [1\n"),
        ])
        .export_file("paths", "config/paths.yaml")
        .fungal_files(&[("cdk/stack.py", "policy = []\n")])
        .without_import()
        .build();
    Fixture {
        env,
        realm,
        aperture,
        fungal,
    }
}

/// Run `args` in `dir`; assert exit 2, an error line containing `needle`, a hint, and that
/// the realm, both code repos and the user's index are as they were.
fn refused(f: &Fixture, dir: &Path, args: &[&str], needle: &str) {
    let dirs = [f.realm.as_path(), f.aperture.as_path(), f.fungal.as_path()];
    f.env.assert_refused(&dirs, 2, dir, args, needle);
}

#[test]
fn names_that_break_the_pattern() {
    let f = fixture();
    let long = "a".repeat(64);
    for bad in ["../x", "Bad Name", "", long.as_str(), "-x", "x_y"] {
        let (name, contract, from) = (
            format!("--name={bad}"),
            format!("--contract={bad}"),
            format!("--from={bad}"),
        );
        refused(
            &f,
            &f.aperture,
            &["export", &name, "--value", "1"],
            "invalid export name",
        );
        refused(
            &f,
            &f.fungal,
            &["import", &contract, "--from", "aperture"],
            "invalid contract name",
        );
        refused(
            &f,
            &f.fungal,
            &["import", "--contract", "paths", &from],
            "invalid domain name",
        );
        refused(
            &f,
            f.env.root(),
            &["init", &name, "new-realm"],
            "invalid realm name",
        );
    }
    assert!(!f.env.path("new-realm").exists());
    let fresh = f.env.code_repo("fresh", &[]);
    refused(
        &f,
        &fresh,
        &["join", "../realm", "--as", "Bad Name"],
        "invalid domain name",
    );
    let unnamed = f.env.code_repo("Not_Valid", &[]);
    refused(
        &f,
        &unnamed,
        &["join", "../realm"],
        "invalid domain name `Not_Valid`",
    );
    assert!(!fresh.join(".realm").exists() && !unnamed.join(".realm").exists());
    assert_eq!(
        f.env
            .git(&fresh, &["for-each-ref", "refs/realm/", "refs/realm-join/"]),
        ""
    );
}

#[test]
fn realms_that_are_not_realms() {
    let f = fixture();
    let app = f.env.code_repo("app", &[]);
    refused(
        &f,
        &app,
        &["join", "../no-such-realm"],
        "realm `../no-such-realm` does not exist",
    );
    std::fs::create_dir(f.env.path("plain-dir")).unwrap();
    refused(
        &f,
        &app,
        &["join", "../plain-dir"],
        "is not a git repository",
    );
    let not_realm = f.env.code_repo("not-a-realm", &[]);
    refused(
        &f,
        &app,
        &["join", "../not-a-realm"],
        "it has no realm.yaml",
    );
    refused(&f, &app, &["join", "."], "cannot join itself");
    refused(
        &f,
        f.env.root(),
        &["init", "--name", "x", "not-a-realm"],
        "already a git repository",
    );
    assert!(!app.join(".realm").exists());
    assert_eq!(
        f.env
            .git(&app, &["for-each-ref", "refs/realm/", "refs/realm-join/"]),
        ""
    );
    assert_eq!(f.env.git(&not_realm, &["for-each-ref", "refs/realm/"]), "");
}

#[test]
fn values_versions_and_paths() {
    let f = fixture();
    let a = &f.aperture;
    refused(
        &f,
        a,
        &["export", "--name", "x", "--value", "{not json"],
        "invalid JSON in --value",
    );
    refused(
        &f,
        a,
        &["export", "--name", "x", "--file", "bad.yaml"],
        "bad.yaml: invalid YAML at line",
    );
    refused(
        &f,
        a,
        &["export", "--name", "x", "--file", "missing.yaml"],
        "file `missing.yaml` does not exist",
    );
    refused(
        &f,
        a,
        &["export", "--name", "x", "--file", "../realm/realm.yaml"],
        "outside the repository",
    );
    refused(
        &f,
        a,
        &["export", "--name", "x", "--value", "1", "--version", "1.x"],
        "invalid version `1.x`",
    );
    refused(
        &f,
        a,
        &[
            "export",
            "--name",
            "paths",
            "--value",
            "{\"read\": [\"a\", \"b\"]}",
            "--version",
            "1.0.1",
        ],
        "version 1.0.1 is too low",
    );
    let fg = &f.fungal;
    refused(
        &f,
        fg,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--version",
            ">>1",
        ],
        "invalid version requirement `>>1`",
    );
    refused(
        &f,
        fg,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--version",
            "^2",
        ],
        "does not satisfy `^2`",
    );
    refused(
        &f,
        fg,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "../aperture/bad.yaml",
        ],
        "outside the repository",
    );
    refused(
        &f,
        fg,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "/etc/passwd",
        ],
        "outside the repository",
    );
    refused(
        &f,
        fg,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "cdk/none.py",
        ],
        "binding `cdk/none.py` is not a file",
    );
    refused(
        &f,
        fg,
        &["import", "--contract", "paths", "--from", "nobody"],
        "unknown domain `nobody`",
    );
    refused(
        &f,
        fg,
        &["import", "--contract", "nothing", "--from", "aperture"],
        "domain `aperture` exports no contract `nothing`",
    );
    refused(
        &f,
        fg,
        &["import", "--contract", "paths", "--from", "fungal"],
        "cannot import from itself",
    );
}

#[test]
fn joining_twice_and_running_outside_a_repository() {
    let f = fixture();
    refused(
        &f,
        &f.aperture,
        &["join", "../realm"],
        "already joined realm `letemcook` as `aperture`",
    );
    let other = f.env.code_repo("other", &[]);
    f.env
        .realm_ok(&other, &["join", "../realm", "--as", "spare"]);
    let clash = f.env.code_repo("clash", &[]);
    refused(
        &f,
        &clash,
        &["join", "../realm", "--as", "aperture"],
        "already has a domain `aperture`",
    );
    std::fs::create_dir(f.env.path("nowhere")).unwrap();
    refused(
        &f,
        &f.env.path("nowhere"),
        &["fetch"],
        "not a git repository",
    );
    refused(
        &f,
        &f.env.path("nowhere"),
        &["export", "--name", "x", "--value", "1"],
        "not a git repository",
    );
}

#[test]
fn malformed_yaml_committed_into_the_realm_by_someone_else() {
    let f = fixture();
    f.env.write(
        &f.realm,
        &[(
            "domains/fungal/imports.yaml",
            "imports:\n  - contract: [unclosed\n",
        )],
    );
    f.env
        .commit_all(&f.realm, "someone breaks fungal's imports");
    // Fetching mirrors the realm as it is; reading it names the broken file, and only fungal
    // is broken: aperture still works, fungal's own writes are refused.
    f.env.realm_ok(&f.aperture, &["fetch"]);
    let status = f.env.realm_ok(&f.aperture, &["status"]);
    assert!(
        status.contains(
            "domain 'fungal' is broken in the realm: domains/fungal/imports.yaml: invalid YAML at line 2"
        ),
        "{status}"
    );
    f.env.realm_ok(&f.fungal, &["fetch"]);
    refused(
        &f,
        &f.fungal,
        &["export", "--name", "more", "--value", "1"],
        "domain `fungal` is broken in realm `letemcook`: domains/fungal/imports.yaml: invalid YAML at line 2",
    );
    f.env.write(
        &f.realm,
        &[
            ("domains/fungal/imports.yaml", "imports: []\n"),
            ("realm.yaml", "name: Not Valid\ngovernance: {}\n"),
        ],
    );
    f.env
        .commit_all(&f.realm, "someone renames the realm badly");
    f.env.realm_ok(&f.aperture, &["fetch"]);
    refused(
        &f,
        &f.aperture,
        &["export", "--name", "more", "--value", "1"],
        "realm.yaml: invalid realm name",
    );
}
