#!/usr/bin/env bash
# Budget (SPEC 8): 20 domains syncing at once to one bare realm all land, and `git fsck` is
# clean. Prints how long the 20 concurrent syncs took and how many attempts the realm saw.
#
#   bench/concurrent-sync.sh [DOMAINS]
set -euo pipefail
n=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
export PATH="$root/target/release:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main

git realm init --name bench --admission open --bare "$work/realm.git" >/dev/null
for i in $(seq 1 "$n"); do
  d="$work/domain-$i"
  git init -q "$d"
  printf 'read: [jobs/%s/*]\n' "$i" > "$d/paths.yaml"
  git -C "$d" add -A && git -C "$d" commit -qm init
  (cd "$d" && git realm join ../realm.git --no-hooks >/dev/null && git realm export --name paths --file paths.yaml >/dev/null)
  printf 'read: [jobs/%s/*, jobs/%s/more/*]\n' "$i" "$i" > "$d/paths.yaml"
  git -C "$d" commit -qam more
done
before=$(git -C "$work/realm.git" rev-list --count main)
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  (cd "$work/domain-$i" && git realm sync --no-notify >/dev/null 2>"$work/sync-$i.err" || echo "domain-$i failed: $(cat "$work/sync-$i.err")") &
done
wait
end=$(date +%s.%N)
after=$(git -C "$work/realm.git" rev-list --count main)
git -C "$work/realm.git" fsck --strict --no-dangling --no-progress
echo "$n concurrent syncs: $((after - before)) realm commits landed in $(echo "$end - $start" | bc) s; git fsck clean"
[ $((after - before)) -eq "$n" ]
