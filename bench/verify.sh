#!/usr/bin/env bash
# `git realm verify` over a realm of 10,000 signed commits (20 domains, every commit checked
# against the trust rules and its ssh signature verified): cold (no cache: the whole history)
# and warm (the cache under the git dir: nothing new), plus the verifying fetch of the whole
# history into a new code repository. The realm comes from bench/gen-realm-history.py.
#
# Measured on 2 cores shared with other builds (release): cold 4.3-7.0 s wall for 10,000
# commits (1.6 s of CPU), warm (cached) 8 ms at best; the verifying fetch of the whole history
# into a new code repository 15.7 s wall (3.8 s CPU, the git fetch included); in the bare
# realm (its 50,000 objects loose, as generated) 8.7-12.9 s wall (4.6 s CPU).
#
#   bench/verify.sh [COMMITS] [DOMAINS]
set -euo pipefail
commits=${1:-10000}
domains=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release"
work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "fixture kept in $work" >&2; fi
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
mkdir -p "$HOME" "$work/keys"
git config --global user.email domain-000@example.com
git config --global user.name Bench
git config --global init.defaultBranch main

echo "generating a realm of $commits signed commits…" >&2
python3 "$root/bench/gen-realm-history.py" "$work/realm" "$work/keys" "$commits" "$domains" >/dev/null

app="$work/domain-000"
git init -q "$app"
mkdir -p "$app/.realm"
printf 'realm:\n  name: bench\n  url: ../realm\n  domain: domain-000\n' > "$app/.realm/config.yaml"
git -C "$app" add -A && git -C "$app" commit -qm app
cd "$app"
echo "verifying fetch of the whole history:" >&2
time "$bin/git-realm" fetch
hyperfine --warmup 1 --runs 5 -N \
  --prepare "rm -rf $app/.git/realm/verified" \
  -n "verify, cold ($commits commits)" "$bin/git-realm verify"
hyperfine --warmup 3 --runs 20 -N \
  -n "verify, warm (cached)" "$bin/git-realm verify"
cd "$work/realm"
hyperfine --warmup 1 --runs 5 -N \
  -n "verify in the bare realm ($commits commits)" "$bin/git-realm verify"
