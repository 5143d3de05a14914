//! SHA-1 and SHA-256: a domain and its realm share objects, so a repository joins only a realm
//! of its own object format; `init` keeps the format of an empty repository it is given.

use crate::support::{ObjectFormat, TestEnv, gits, json};

const SHA256_REALM_SHA1_REPO: &str = "is a SHA-256 repository and this one is SHA-1: a repository \
                                      can only be a domain of a realm with the same object format";
const SHA1_REALM_SHA256_REPO: &str = "is a SHA-1 repository and this one is SHA-256: a repository \
                                      can only be a domain of a realm with the same object format";

/// With each git on the machine, as the refusal reads git's own message.
#[test]
fn a_repository_joins_only_a_realm_of_its_own_format() {
    for git in gits() {
        joins_only_its_own_format(TestEnv::with_format(ObjectFormat::Sha256).using_git(git));
    }
}

fn joins_only_its_own_format(env: TestEnv) {
    let realm256 = env.realm_repo("realm256", true, &[]);
    let app256 = env.code_repo("app256", &[]);
    env.set_format(ObjectFormat::Sha1);
    let realm1 = env.realm_repo("realm1", true, &[]);
    let app1 = env.code_repo("app1", &[]);
    for (dir, format) in [
        (&realm256, "sha256"),
        (&app256, "sha256"),
        (&realm1, "sha1"),
        (&app1, "sha1"),
    ] {
        assert_eq!(env.git(dir, &["rev-parse", "--show-object-format"]), format);
    }

    let dirs = [app1.as_path(), app256.as_path(), &realm1, &realm256];
    env.assert_refused(
        &dirs,
        2,
        &app1,
        &["join", "../realm256"],
        &format!("realm `../realm256` {SHA256_REALM_SHA1_REPO}"),
    );
    let url = format!("file://{}", realm256.display());
    env.assert_refused(
        &dirs,
        2,
        &app1,
        &["join", &url],
        &format!("realm `{url}` {SHA256_REALM_SHA1_REPO}"),
    );
    env.assert_refused(
        &dirs,
        2,
        &app256,
        &["join", "../realm1"],
        &format!("realm `../realm1` {SHA1_REALM_SHA256_REPO}"),
    );
    let out = env
        .realm_std(&app1, &["join", "../realm256"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "hint: join a SHA-1 realm ('git rev-parse --show-object-format' in a realm shows \
             its format), or create one with 'git realm init --object-format sha1 --name NAME \
             PATH'"
        ),
        "{out:?}"
    );

    // Each joins the realm of its own format.
    env.realm_ok(&app1, &["join", "../realm1"]);
    env.realm_ok(&app256, &["join", "../realm256"]);
    env.realm_ok(&app256, &["fetch"]);

    // A realm made again in the other format is refused by every command that reads it.
    std::fs::remove_dir_all(&realm256).unwrap();
    env.realm_ok(
        env.root(),
        &[
            "init",
            "--name",
            "letemcook",
            "--bare",
            "--object-format",
            "sha1",
            "realm256",
        ],
    );
    for args in [&["fetch"][..], &["sync"]] {
        env.assert_refused(
            &[&app256, &realm256],
            2,
            &app256,
            args,
            &format!("realm `../realm256` {SHA1_REALM_SHA256_REPO}"),
        );
    }
}

#[test]
fn init_keeps_the_format_of_an_empty_repository() {
    // git's default here is SHA-1: the repository's own format must win.
    let env = TestEnv::with_format(ObjectFormat::Sha1);
    let empty = env.path("empty");
    env.git(
        env.root(),
        &[
            "init",
            "--quiet",
            "--object-format=sha256",
            "-b",
            "trunk",
            "empty",
        ],
    );
    env.assert_refused(
        &[&empty],
        2,
        env.root(),
        &["init", "--name", "letemcook", "--bare", "empty"],
        "empty` is a repository with a working tree",
    );
    env.assert_refused(
        &[&empty],
        2,
        env.root(),
        &[
            "init",
            "--name",
            "letemcook",
            "--object-format",
            "sha1",
            "empty",
        ],
        "empty` is a SHA-256 repository, not SHA-1",
    );
    env.write(&empty, &[("notes.txt", "mine\n")]);
    env.assert_refused(
        &[&empty],
        2,
        env.root(),
        &["init", "--name", "letemcook", "empty"],
        "empty` is not empty",
    );
    std::fs::remove_file(empty.join("notes.txt")).unwrap();

    let report = json(&env.realm_ok(
        env.root(),
        &["--json", "init", "--name", "letemcook", "empty"],
    ));
    assert_eq!(report["object_format"], "sha256");
    assert_eq!(report["bare"], false);
    assert_eq!(report["commit"].as_str().unwrap().len(), 64);
    assert_eq!(
        env.git(&empty, &["symbolic-ref", "HEAD"]),
        "refs/heads/main"
    );
    assert_eq!(env.git(&empty, &["status", "--porcelain"]), "");
    env.git(&empty, &["fsck", "--strict", "--no-progress"]);

    let out = env.realm_ok(
        env.root(),
        &[
            "init",
            "--name",
            "letemcook",
            "--object-format",
            "sha256",
            "again",
        ],
    );
    assert!(out.contains("✓ Initialized git repository at "), "{out}");
    env.git(
        env.root(),
        &["init", "--quiet", "--object-format=sha256", "kept"],
    );
    let out = env.realm_ok(env.root(), &["init", "--name", "letemcook", "kept"]);
    assert!(out.contains("✓ Used the empty git repository at "), "{out}");

    // A bare one stays bare without --bare.
    env.git(
        env.root(),
        &[
            "init",
            "--quiet",
            "--bare",
            "--object-format=sha256",
            "served.git",
        ],
    );
    let report = json(&env.realm_ok(
        env.root(),
        &["--json", "init", "--name", "letemcook", "served.git"],
    ));
    assert_eq!(report["bare"], true);
    assert_eq!(report["object_format"], "sha256");

    // A repository with a commit is not made into a realm.
    let app = env.code_repo("app", &[]);
    env.assert_refused(
        &[&app],
        2,
        env.root(),
        &["init", "--name", "letemcook", "app"],
        "is already a git repository",
    );
}

#[test]
fn a_new_realm_takes_the_format_asked_for_or_gits_default() {
    let env = TestEnv::with_format(ObjectFormat::Sha1);
    let report = json(&env.realm_ok(
        env.root(),
        &[
            "--json",
            "init",
            "--name",
            "letemcook",
            "--object-format",
            "sha256",
            "asked",
        ],
    ));
    assert_eq!(report["object_format"], "sha256");
    assert_eq!(
        env.git(env.path("asked"), &["rev-parse", "--show-object-format"]),
        "sha256"
    );

    let out = env
        .realm_std(
            env.root(),
            &["--json", "init", "--name", "letemcook", "default"],
        )
        .env("GIT_DEFAULT_HASH", "sha256")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&String::from_utf8_lossy(&out.stdout))["object_format"],
        "sha256"
    );

    let report = json(&env.realm_ok(
        env.root(),
        &["--json", "init", "--name", "letemcook", "plain"],
    ));
    assert_eq!(report["object_format"], "sha1");
}
