//! `--json` output is API: its field names are snapshotted here.

use snapbox::{IntoData, str};

use crate::support::TestEnv;
use crate::support::world::World;

#[test]
fn json_reports() {
    let env = TestEnv::new();
    let World {
        aperture, fungal, ..
    } = World::two_domains(&env)
        .aperture_files(&[("paths.yaml", "read: [a/*]\n")])
        .export_file("paths", "paths.yaml")
        .fungal_files(&[("policy.py", "a/*\n")])
        .binding("policy.py")
        .build();
    env.write(&aperture, &[("paths.yaml", "read: [a/*, b/*]\n")]);
    env.commit_all(&aperture, "b");

    env.realm(&aperture, &["check", "--json"])
        .assert()
        .code(1)
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "domain": "aperture",
  "at": "[HASH]",
  "realm_commit": "[HASH]",
  "fetched_at": "2026-01-24T10:00:00Z",
  "fetched": "auto",
  "drift": [
    {
      "export": "paths",
      "recorded_version": "1.0.0",
      "bump": "minor",
      "breaking": false,
      "changes": [
        {
          "kind": "added",
          "at": "read",
          "item": "b/*"
        }
      ],
      "summary": [
        "Added b/* (read)"
      ],
      "explained": [
        "Added b/* (read)"
      ],
      "sources": {}
    }
  ],
  "imports": [],
  "clean": false
}
"#]]
            .is_json(),
        );
    env.realm(&aperture, &["status", "--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "domain": "aperture",
  "realm_commit": "[HASH]",
  "fetched_at": "2026-01-24T10:00:00Z",
  "fetched": "auto",
  "admitted": true,
  "proposals": [],
  "exports": [
    {
      "name": "paths",
      "version": "1.0.0",
      "drift": {
        "export": "paths",
        "recorded_version": "1.0.0",
        "bump": "minor",
        "breaking": false,
        "changes": [
          {
            "kind": "added",
            "at": "read",
            "item": "b/*"
          }
        ],
        "summary": [
          "Added b/* (read)"
        ],
        "explained": [
          "Added b/* (read)"
        ],
        "sources": {}
      },
      "announced": null,
      "consumers": [
        {
          "domain": "fungal",
          "contract": "paths",
          "requirement": "^1",
          "status": "current",
          "binding": "policy.py",
          "repo_url": "[ROOT]/remotes/fungal.git"
        }
      ]
    }
  ],
  "imports": []
}
"#]]
            .is_json(),
        );
    env.realm(&aperture, &["sync", "--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "domain": "aperture",
  "dry_run": false,
  "source_commit": "[HASH]",
  "published": [
    {
      "export": "paths",
      "previous": "1.0.0",
      "version": "1.1.0",
      "bump": "minor",
      "breaking": false,
      "changes": [
        {
          "kind": "added",
          "at": "read",
          "item": "b/*"
        }
      ],
      "changelog": [
        "Added b/* (read)"
      ]
    }
  ],
  "resolved": [],
  "broken": [],
  "consumers": [
    {
      "domain": "fungal",
      "contract": "paths",
      "requirement": "^1",
      "status": "current",
      "binding": "policy.py",
      "repo_url": "[ROOT]/remotes/fungal.git"
    }
  ],
  "proposal": null,
  "realm_commit": "[HASH]",
  "notifications": {
    "delivered": [],
    "not_notified": [
      {
        "kind": "notice",
        "provider": "aperture",
        "consumer": "fungal",
        "export": "paths",
        "version": "1.1.0",
        "reason": "repo_url `[ROOT]/remotes/fungal.git` is not a GitHub repository URL"
      }
    ],
    "dropped": [],
    "pending": 1,
    "store_error": null
  }
}
"#]]
            .is_json(),
        );
    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["status", "--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "domain": "fungal",
  "realm_commit": "[HASH]",
  "fetched_at": "2026-01-24T10:00:00Z",
  "fetched": "auto",
  "admitted": true,
  "proposals": [],
  "exports": [],
  "imports": [
    {
      "contract": "paths",
      "from": "aperture",
      "requirement": "^1",
      "binding": "policy.py",
      "status": "stale",
      "resolved_version": "1.0.0",
      "latest_version": "1.1.0",
      "changes": [
        "Added b/* (read)"
      ],
      "reason": null,
      "announced": null
    }
  ]
}
"#]]
            .is_json(),
        );
    env.realm(&fungal, &["sync", "--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "domain": "fungal",
  "dry_run": false,
  "source_commit": "[HASH]",
  "published": [],
  "resolved": [
    {
      "contract": "paths",
      "from": "aperture",
      "previous_version": "1.0.0",
      "version": "1.1.0",
      "binding": "policy.py",
      "binding_unchanged": true,
      "changes": [
        "Added b/* (read)"
      ]
    }
  ],
  "broken": [],
  "consumers": [],
  "proposal": null,
  "realm_commit": "[HASH]",
  "notifications": {
    "delivered": [],
    "not_notified": [],
    "dropped": [],
    "pending": 0,
    "store_error": null
  }
}
"#]]
            .is_json(),
        );
    env.realm(&fungal, &["graph", "--json"])
        .assert()
        .success()
        .stdout_eq(
            str![[r#"
{
  "realm": "letemcook",
  "realm_commit": "[HASH]",
  "domains": [
    "aperture",
    "fungal"
  ],
  "edges": [
    {
      "from": "fungal",
      "to": "aperture",
      "contract": "paths",
      "requirement": "^1",
      "status": "current"
    }
  ]
}
"#]]
            .is_json(),
        );
}
