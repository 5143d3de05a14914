//! The detection cache under the git dir: used when it helps, never wrong, safe to delete.

use std::path::Path;

use crate::support::TestEnv;

fn cache_files(repo: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(repo.join(".git/realm/detect")) {
        Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn incremental_detection_follows_every_commit() {
    let env = TestEnv::new();
    env.realm_repo("realm", false, &[]);
    let aperture = env.path("aperture");
    env.copy_tree(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/aperture"
        )),
        &aperture,
    );
    env.git(&aperture, &["init", "--quiet"]);
    env.commit_all(&aperture, "aperture");
    env.realm_ok(&aperture, &["join", "../realm"]);
    assert_eq!(
        cache_files(&aperture).len(),
        1,
        "join leaves the findings of HEAD's tree"
    );
    env.commit_all(&aperture, "join the realm");
    env.realm(&aperture, &["check"]).assert().success();

    let exporter = aperture.join("models/training/metrics_exporter.py");
    let original = std::fs::read_to_string(&exporter).unwrap();
    let line = "    client().upload_file(path, S3_BUCKET, f\"training-metrics/experiments/{experiment}/{os.path.basename(path)}\")\n";
    std::fs::write(&exporter, format!("{original}{line}")).unwrap();
    env.commit_all(&aperture, "experiments");
    let drift = env.realm_std(&aperture, &["check"]).output().unwrap();
    assert_eq!(drift.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&drift.stdout)
            .contains("Added training-metrics/experiments/* (read, write)")
    );

    // An older revision, computed from the newer cache, is still right.
    env.realm(&aperture, &["check", "--rev", "HEAD~1"])
        .assert()
        .success();
    env.realm(&aperture, &["check"]).assert().code(1);

    // A corrupt cache is ignored and rewritten; a deleted one is rebuilt.
    for file in cache_files(&aperture) {
        std::fs::write(file, "{not json").unwrap();
    }
    env.realm(&aperture, &["check"]).assert().code(1);
    std::fs::remove_dir_all(aperture.join(".git/realm/detect")).unwrap();
    env.realm(&aperture, &["check"]).assert().code(1);

    env.git(&aperture, &["revert", "--no-edit", "HEAD"]);
    env.realm(&aperture, &["check"]).assert().success();

    // A cache for one configuration never answers for another.
    let config = std::fs::read_to_string(aperture.join(".realm/config.yaml")).unwrap();
    std::fs::write(
        aperture.join(".realm/config.yaml"),
        format!("{config}  exclude: [README.md, aperture/jobs/masks.py, web/src/api/masks.ts]\n"),
    )
    .unwrap();
    let narrowed = env
        .realm_std(&aperture, &["check", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        narrowed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&narrowed.stderr)
    );
    assert!(String::from_utf8_lossy(&narrowed.stdout).contains("\"kind\": \"removed\""));
    assert_eq!(cache_files(&aperture).len(), 2);
}
