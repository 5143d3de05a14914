#!/usr/bin/env bash
# Budget (SPEC 8): the pre-push hook, whole process as git runs it (the hook script, git,
# git-realm), answers in < 30 ms on an RFC-sized repository, and in < 100 ms on a 100k-file
# repository where nothing relevant changed since the last check. Builds both fixtures in a
# temp dir and times the installed hook with hyperfine.
#
#   bench/pre-push.sh [FILES]     # FILES: size of the large repository (default 100000)
set -euo pipefail
files=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "fixtures kept in $work" >&2; fi
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
export PATH="$root/target/release:$PATH"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main
git realm init --name bench --admission open "$work/realm" >/dev/null

# A repository of `$2` source files, a few of them naming S3 paths, joined to the realm (which
# detects and publishes its s3 export and installs the hooks), then one unrelated commit.
fixture() {
	local dir=$1 count=$2
	git init -q "$dir"
	python3 - "$dir" "$count" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = f"{d}/src/m{i // 1000:03d}"
    os.makedirs(sub, exist_ok=True)
    with open(f"{sub}/f{i:06d}.py", "w") as f:
        if i % max(1, n // 10) == 0:
            f.write(f"s3.get_object(Bucket='data', Key='jobs/{i}/input')\nURI = 's3://data/jobs/{{job}}/masks/{i}'\n")
        else:
            f.write(f"def f{i}(x):\n    return x + {i}\n")
PY
	git -C "$dir" add -A && git -C "$dir" commit -qm "code"
	(cd "$dir" && git realm join ../realm >/dev/null 2>&1)
	git -C "$dir" add -A && git -C "$dir" commit -qm "join the realm"
	(cd "$dir" && git realm check >/dev/null)
	# The cache as the last check left it: every timed run starts from it, so each one reads
	# the change since that check (an unrelated file), not a cache already at the pushed tree.
	cp -r "$dir/.git/realm/detect" "$dir.cache"
	echo "# unrelated" >>"$dir/src/m000/f000001.py"
	git -C "$dir" commit -qam "an unrelated change"
	printf 'refs/heads/main %s refs/heads/main %s\n' "$(git -C "$dir" rev-parse HEAD)" "$(printf '0%.0s' $(seq 40))" >"$dir.refs"
}

fixture "$work/rfc" 40
fixture "$work/large" "$files"
[ -n "${KEEP:-}" ] && exit 0
for repo in rfc large; do
	cd "$work/$repo"
	hyperfine --warmup 3 --runs 30 \
		--prepare "rm -rf .git/realm/detect && cp -r $work/$repo.cache .git/realm/detect" \
		--command-name "pre-push, $repo ($(git ls-files | wc -l) files)" \
		".git/hooks/pre-push origin $work/remote.git <$work/$repo.refs"
done
