//! The parsed realm kept under the git dir: the same answers as a cold run, safe to delete,
//! and a realm that changed by one domain read again for that domain alone.

use std::path::Path;

use crate::support::TestEnv;

fn cache_dir(repo: &Path) -> std::path::PathBuf {
    repo.join(".git/realm/snapshot")
}

/// The cached records, as `<tree id> <domain>` keys. A cache file is a magic line, then
/// records of a key and an encoded domain, each after its length (4 bytes, little-endian).
fn cached_domains(repo: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir(cache_dir(repo)) {
        for file in dir {
            let data = std::fs::read(file.unwrap().path()).unwrap();
            let Some(mut rest) = data.strip_prefix(b"realm\0\x03\n".as_slice()) else {
                continue;
            };
            fn field<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
                let (len, tail) = rest.split_at(4);
                let len = u32::from_le_bytes(len.try_into().unwrap()) as usize;
                let (field, tail) = tail.split_at(len);
                *rest = tail;
                field
            }
            while !rest.is_empty() {
                let key = String::from_utf8(field(&mut rest).to_vec()).unwrap();
                field(&mut rest);
                out.push(key);
            }
        }
    }
    out.sort();
    out
}

fn domains(keys: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = keys
        .iter()
        .filter_map(|k| k.split_once(' ').map(|(_, name)| name))
        .collect();
    out.sort();
    out
}

/// What every reading command says, stdout, stderr and exit status.
fn answers(env: &TestEnv, dir: &Path) -> Vec<String> {
    answers_as(env, dir, false)
}

/// [`answers`], each command run with no cache when `cold` (a run keeps what it parsed, and
/// the next one would read it).
fn answers_as(env: &TestEnv, dir: &Path, cold: bool) -> Vec<String> {
    let mut out = Vec::new();
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["check", "--json"],
        &["graph", "--json"],
        &["graph"],
        &["graph", "--format", "dot"],
        &["graph", "--format", "mermaid"],
        &["check"],
        &["check", "--explain"],
    ] {
        if cold {
            let _ = std::fs::remove_dir_all(cache_dir(dir));
        }
        let output = env.realm_std(dir, args).output().unwrap();
        out.push(format!(
            "$ git realm {}\n{:?}\n{}\n{}",
            args.join(" "),
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    out
}

/// The answers from the cache as it is, and again with the cache deleted before each.
fn warm_and_cold(env: &TestEnv, dir: &Path) -> (Vec<String>, Vec<String>) {
    let warm = answers(env, dir);
    let cold = answers_as(env, dir, true);
    (warm, cold)
}

#[test]
fn cached_realm_answers_as_a_cold_one() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let aperture = env.code_repo("aperture", &[("paths.yaml", "read: [a/*]\n")]);
    env.realm_ok(&aperture, &["join", "../realm"]);
    env.realm_ok(
        &aperture,
        &["export", "--name", "paths", "--file", "paths.yaml"],
    );
    let fungal = env.code_repo("fungal", &[("policy.py", "a/*\n")]);
    env.realm_ok(&fungal, &["join", "../realm"]);
    env.realm_ok(
        &fungal,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "policy.py",
        ],
    );
    // Written by hand: a domain with fields git-realm does not know (not a number, a key that
    // is not text), and one that is broken.
    env.write(
        &realm,
        &[
            (
                "domains/odd/domain.yaml",
                "name: odd\nmaintainers: [odd@example.com]\nfloor: .nan\nplan: {7: seven}\n",
            ),
            (
                "domains/odd/exports.yaml",
                "exports:\n- name: odd-paths\n  version: 1.0.0\n  value: {read: [o/*]}\n  note: kept\n",
            ),
            ("domains/bad/domain.yaml", "name: bad\n"),
            (
                "domains/bad/exports.yaml",
                "exports: [{name: Bad, version: 1.0.0}]\n",
            ),
        ],
    );
    env.commit_all(&realm, "someone edits the realm by hand");
    env.realm_ok(&aperture, &["fetch"]);
    env.write(&aperture, &[("paths.yaml", "read: [a/*, b/*]\n")]);
    env.commit_all(&aperture, "b");

    // A run keeps every domain, the broken one with why it is broken, and removes what an
    // earlier version left there.
    std::fs::remove_dir_all(cache_dir(&aperture)).unwrap();
    let stale = cache_dir(&aperture).join("00000000000000ff");
    std::fs::create_dir_all(cache_dir(&aperture)).unwrap();
    std::fs::write(&stale, "abc fungal\t{}\n").unwrap();
    env.realm_ok(&aperture, &["status"]);
    assert!(!stale.exists());
    let cached = cached_domains(&aperture);
    assert_eq!(
        domains(&cached),
        ["aperture", "bad", "fungal", "odd"],
        "{cached:?}"
    );

    let (warm, cold) = warm_and_cold(&env, &aperture);
    assert_eq!(warm, cold);
    assert!(
        warm[3].contains("\"odd\"") && warm[1].contains("broken"),
        "{warm:?}"
    );

    // One domain changes: its new tree is parsed and kept beside the old one, the others
    // are taken from the cache, and the answers are still a cold run's.
    env.write(
        &realm,
        &[(
            "domains/bad/exports.yaml",
            "exports: [{name: good, version: 1.0.0}]\n",
        )],
    );
    env.commit_all(&realm, "bad is fixed");
    env.realm_ok(&aperture, &["fetch"]);
    let warm = answers(&env, &aperture);
    let kept = cached_domains(&aperture);
    assert_eq!(
        domains(&kept),
        ["aperture", "bad", "bad", "fungal", "odd"],
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .all(|k| cached.contains(k) || k.ends_with(" bad"))
    );
    let cold = answers_as(&env, &aperture, true);
    assert_eq!(warm, cold);
    assert!(!warm[1].contains("broken"), "{warm:?}");
    let after = cached_domains(&aperture);

    // A corrupt cache is ignored and rewritten.
    for file in std::fs::read_dir(cache_dir(&aperture)).unwrap() {
        let path = file.unwrap().path();
        let mut data = std::fs::read(&path).unwrap();
        // The first record's domain does not decode, and the last record is cut short.
        let key_len = u32::from_le_bytes(data[8..12].try_into().unwrap()) as usize;
        data[12 + key_len + 4] ^= 0xff;
        data.truncate(data.len() - 3);
        std::fs::write(&path, data).unwrap();
    }
    assert_eq!(answers(&env, &aperture), cold);
    let now = cached_domains(&aperture);
    assert!(after.iter().all(|k| now.contains(k)), "{now:?}");
    let mut once = now.clone();
    once.dedup();
    assert_eq!(once, now);
    // So is a file that is not a cache at all.
    for file in std::fs::read_dir(cache_dir(&aperture)).unwrap() {
        std::fs::write(file.unwrap().path(), "not a line\nabc fungal\t{not json\n").unwrap();
    }
    assert_eq!(answers(&env, &aperture), cold);
    let now = cached_domains(&aperture);
    assert!(after.iter().all(|k| now.contains(k)), "{now:?}");
}

/// Commands read the domains they need whole and the others as skeletons from the cache (no
/// values, descriptions, or changelogs without an announced change): a member that imports,
/// is imported, and shares the realm with unrelated domains whose exports have all of these
/// says the same, in every mode, as a cold run that parsed everything.
#[test]
fn partly_read_realm_answers_as_a_whole_one() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let aperture = env.code_repo("aperture", &[("paths.yaml", "read: [a/*]\n")]);
    env.realm_ok(&aperture, &["join", "../realm"]);
    env.realm_ok(
        &aperture,
        &["export", "--name", "paths", "--file", "paths.yaml"],
    );
    let fungal = env.code_repo(
        "fungal",
        &[("policy.py", "a/*\n"), ("rules.yaml", "write: [f/*]\n")],
    );
    env.realm_ok(&fungal, &["join", "../realm"]);
    env.realm_ok(
        &fungal,
        &["export", "--name", "rules", "--file", "rules.yaml"],
    );
    env.realm_ok(
        &fungal,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "policy.py",
        ],
    );
    let gill = env.code_repo("gill", &[("uses.py", "f/*\n")]);
    env.realm_ok(&gill, &["join", "../realm"]);
    env.realm_ok(
        &gill,
        &[
            "import",
            "--contract",
            "rules",
            "--from",
            "fungal",
            "--binding",
            "uses.py",
        ],
    );
    // Unrelated domains written by hand: exports with descriptions, schemas, values,
    // changelogs, a breaking change announced for later, one whose value breaks its schema,
    // and imports between them that are current, stale, announced, broken and unsatisfied.
    let exports = "exports:\n\
        - name: zones\n  version: 2.0.0\n  description: the zones\n\
        \x20 value: {read: [z/*], n: 3}\n  effective_from: '2999-01-01'\n\
        \x20 changelog:\n  - {version: 2.0.0, date: 2026-01-20, changes: [breaking]}\n\
        \x20 - {version: 1.1.0, date: 2026-01-10, changes: [more]}\n\
        \x20 - {version: 1.0.0, date: 2026-01-01, changes: [first]}\n\
        - name: typed\n  version: 1.0.0\n  description: checked\n\
        \x20 schema: {type: object, required: [n], properties: {n: {type: number}}}\n\
        \x20 value: {n: 1}\n\
        - name: mistyped\n  version: 1.0.0\n\
        \x20 schema: {type: object, properties: {n: {type: number}}}\n  value: {n: one}\n\
        - name: plain\n  version: 3.1.0\n  value: [p/*]\n\
        \x20 changelog: [{version: 3.1.0, date: 2026-01-02, changes: [later]}]\n";
    let imports = "imports:\n\
        - {contract: zones, from: zeta, version: ^1, resolved_version: 1.0.0}\n\
        - {contract: typed, from: zeta, version: ^1, resolved_version: 1.0.0}\n\
        - {contract: mistyped, from: zeta, version: ^1, resolved_version: 1.0.0}\n\
        - {contract: plain, from: zeta, version: ^2}\n\
        - {contract: gone, from: zeta, version: ^1}\n\
        - {contract: paths, from: aperture, version: ^1, resolved_version: 0.9.0}\n";
    env.write(
        &realm,
        &[
            (
                "domains/zeta/domain.yaml",
                "name: zeta\nmaintainers: [z@example.com]\n",
            ),
            ("domains/zeta/exports.yaml", exports),
            (
                "domains/omega/domain.yaml",
                "name: omega\nrepo_url: https://h/o.git\n",
            ),
            ("domains/omega/imports.yaml", imports),
            ("domains/omega/exports.yaml", exports),
        ],
    );
    env.commit_all(&realm, "unrelated domains");
    for member in [&aperture, &fungal, &gill] {
        env.realm_ok(member, &["fetch"]);
    }
    env.write(&aperture, &[("paths.yaml", "read: [a/*, b/*]\n")]);
    env.commit_all(&aperture, "b");

    for member in [&aperture, &fungal, &gill] {
        // The first run parses and keeps every domain; the second reads the cache.
        let _ = std::fs::remove_dir_all(cache_dir(member));
        env.realm_ok(member, &["status"]);
        assert_eq!(
            domains(&cached_domains(member)),
            ["aperture", "fungal", "gill", "omega", "zeta"]
        );
        let (warm, cold) = warm_and_cold(&env, member);
        assert_eq!(warm, cold);
        assert!(warm[3].contains("\"omega\""), "{warm:?}");
    }
    let graph = answers(&env, &gill);
    for status in ["current", "stale", "broken"] {
        assert!(graph[3].contains(status), "{status}: {graph:?}");
    }
}
