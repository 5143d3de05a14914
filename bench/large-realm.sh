#!/usr/bin/env bash
# Budget (SPEC 8): `status`, `check` and `graph` on a realm of 1,000 domains x 5 exports
# answer in under 150 ms. Builds the realm in a temp dir and times the release binary with
# hyperfine.
#
#   bench/large-realm.sh [DOMAINS]
set -euo pipefail
domains=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release"
work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "fixture kept in $work" >&2; fi
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main

realm="$work/realm"
"$bin/git-realm" init --name bench --admission open "$realm" >/dev/null
python3 - "$realm" "$domains" <<'PY'
import os, sys
realm, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"domain-{i:04d}"
    os.makedirs(f"{realm}/domains/{d}", exist_ok=True)
    with open(f"{realm}/domains/{d}/domain.yaml", "w") as f:
        f.write(f"name: {d}\nrepo_url: https://github.com/example/{d}.git\nmaintainers:\n- team-{i}@example.com\njoined_at: 2026-01-24T10:00:00Z\n")
    with open(f"{realm}/domains/{d}/exports.yaml", "w") as f:
        f.write("exports:\n")
        for e in range(5):
            f.write(f"- name: export-{e}\n  version: 1.{e}.0\n  description: export {e} of {d}\n  value:\n    read:\n    - jobs/{d}/*\n    - metrics/{e}/*\n    write:\n    - jobs/{d}/out/*\n  changelog:\n  - version: 1.{e}.0\n    date: 2026-01-24\n    changes:\n    - First published\n")
    with open(f"{realm}/domains/{d}/imports.yaml", "w") as f:
        p = f"domain-{(i + 1) % n:04d}"
        f.write(f"imports:\n- contract: export-{i % 5}\n  from: {p}\n  version: ^1\n  status: current\n  resolved_version: 1.{i % 5}.0\n  resolved_at: 2026-01-24T10:00:00Z\n")
PY
git -C "$realm" add -A && git -C "$realm" commit -qm "bench: $domains domains"

app="$work/domain-0000"
git init -q "$app"
mkdir -p "$app/.realm"
printf 'jobs/domain-0000/*\n' > "$app/paths.txt"
printf 'realm:\n  name: bench\n  url: ../realm\n  domain: domain-0000\nexports:\n- name: export-0\n  detect: rules\n  rules:\n  - pattern: "(jobs/[a-z0-9-]+/\\\\*)"\n    paths: ["*.txt"]\n    into: read\n' > "$app/.realm/config.yaml"
git -C "$app" add -A && git -C "$app" commit -qm app
(cd "$app" && "$bin/git-realm" fetch >/dev/null)

cd "$app"
[ -n "${KEEP:-}" ] && exit 0
hyperfine --warmup 3 --runs 30 -N \
  "$bin/git-realm status" \
  "$bin/git-realm check" \
  "$bin/git-realm graph" \
  "$bin/git-realm graph --format dot" \
  -i
