#!/usr/bin/env bash
# Budget (SPEC 8): N domains syncing at once to one bare realm all land, and `git fsck` is
# clean. For each N (default: 20, 50 and 100) prints whether every sync landed, how long the
# concurrent syncs took, and how many attempts a sync needed (median and worst), read from the
# `trace:` lines GIT_REALM_TRACE=1 prints on stderr, with what the retries spent pausing and
# fetching (median and worst per writer) and the median push, and the CPU time the syncs and
# the git processes they ran took in all (on a machine shared with other work, the wall time
# moves with the load; the CPU time much less).
#
#   bench/concurrent-sync.sh [N...]
#
# PROFILE=debug times the debug build; BIN=<dir> times the git-realm in <dir> instead (another
# revision's build, to compare on the same machine at the same time). TRACES=<dir> keeps each
# round's traces there (<dir>/<N>/sync-<i>.err).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${PROFILE:-release}
if [ -n "${BIN:-}" ]; then
  export PATH="$(cd "$BIN" && pwd):$PATH"
elif [ "$profile" = release ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  export PATH="$root/target/release:$PATH"
else
  cargo build --quiet --manifest-path "$root/Cargo.toml"
  export PATH="$root/target/$profile:$PATH"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main

# Seconds of user and system time of the children, from what `times` printed (its second line:
# `0m1.250s 0m0.340s`).
children_cpu() {
  sed -n 2p "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }'
}

# One round: a fresh realm, N domains joined with one export each, then N syncs at once.
round() {
  local n=$1 dir="$work/round-$1"
  mkdir -p "$dir"
  git realm init --name bench --admission open --bare "$dir/realm.git" >/dev/null
  for i in $(seq 1 "$n"); do
    d="$dir/domain-$i"
    git init -q "$d"
    printf 'read: [jobs/%s/*]\n' "$i" > "$d/paths.yaml"
    git -C "$d" add -A && git -C "$d" commit -qm init
    (cd "$d" && git realm join ../realm.git --no-hooks >/dev/null 2>&1 && git realm export --name paths --file paths.yaml >/dev/null)
    printf 'read: [jobs/%s/*, jobs/%s/more/*]\n' "$i" "$i" > "$d/paths.yaml"
    git -C "$d" commit -qam more
  done
  local before after start end failed=0
  before=$(git -C "$dir/realm.git" rev-list --count main)
  # The CPU time of this shell's children so far, and after the syncs (in this shell: `times`
  # in a subshell would count the subshell's).
  times >"$dir/times-before"
  start=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    (cd "$dir/domain-$i" && GIT_REALM_TRACE=1 git realm sync --no-notify >/dev/null 2>"$dir/sync-$i.err") &
  done
  for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
  end=$(date +%s.%N)
  times >"$dir/times-after"
  after=$(git -C "$dir/realm.git" rev-list --count main)
  git -C "$dir/realm.git" fsck --strict --no-dangling --no-progress
  local attempts
  attempts=$(cat "$dir"/sync-*.err | sed -n 's/^trace: publish: .* at attempt \([0-9]*\) after.*/\1/p' | sort -n)
  local median worst
  median=$(echo "$attempts" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  worst=$(echo "$attempts" | tail -n 1)
  # Per writer: ms pausing and ms fetching again after lost races, ms of the push that landed.
  local spent
  spent=$(cat "$dir"/sync-*.err | sed -n 's/^trace: publish: landed .*(retries: \([0-9]*\) ms fetching, \([0-9]*\) ms pausing; last push \([0-9]*\) ms)$/\2 \1 \3/p')
  stat() { echo "$spent" | cut -d' ' -f"$1" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms, worst %d ms", a[int((NR+1)/2)], a[NR]}'; }
  local landed="yes"
  [ $((after - before)) -eq "$n" ] && [ "$failed" -eq 0 ] || landed="NO ($((after - before)) of $n, $failed failed)"
  printf '%4d writers: all landed: %s; %6.2f s; attempts per writer: median %s, worst %s; git fsck clean\n' \
    "$n" "$landed" "$(echo "$end - $start" | bc)" "$median" "$worst"
  printf '             pausing: %s; fetching again: %s; landing push: %s\n' "$(stat 1)" "$(stat 2)" "$(stat 3)"
  printf '             CPU time of the syncs: %.1f s\n' "$(echo "$(children_cpu "$dir/times-after") - $(children_cpu "$dir/times-before")" | bc)"
  if [ -n "${TRACES:-}" ]; then
    mkdir -p "$TRACES/$n" && cp "$dir"/sync-*.err "$TRACES/$n/"
  fi
  [ "$landed" = yes ]
}

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20 50 100)
status=0
for n in "${sizes[@]}"; do round "$n" || status=1; done
exit $status
