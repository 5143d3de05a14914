#!/usr/bin/env bash
# Every row of the performance table, each timed in one hyperfine run with its reference
# (`git status` on the same repository, `rg` over the same files and patterns):
#
#   hook     pre-push, whole process, RFC-sized repo and 100k files with a commit touching
#            1,000 files (vs `git status`)
#   detect   cold detection, 100k files (vs rg)
#   small    cold detection, small real repositories: crates from ~/.cargo (vs rg)
#            rg runs twice: with three S3 literals, and with the literals detection itself
#            searches every file for
#   realm    status / check (clean and with drift) / graph, 1,000 and 10,000 domains x 5 exports
#   sync     50 simultaneous syncs to one bare realm
#
#   bench/run.sh [ROW...]            (default: every row but sync)
#
# BIN=path/to/git-realm times that binary instead of building the release one (to compare
# builds on the same fixtures); BENCH_DIR=dir keeps the fixtures there and reuses them (the
# 10,000-domain realm and the 100k-file repository take a minute to generate). Needs
# hyperfine and rg (apt-get install hyperfine ripgrep). FIXTURES_ONLY=1 makes the fixtures
# and times nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(hook detect small realm)
if [ -z "${BIN:-}" ]; then
	cargo build --release --quiet --manifest-path "$root/Cargo.toml"
	BIN="$root/target/release/git-realm"
fi
BIN=$(realpath "$BIN")
bindir=$(mktemp -d)
ln -s "$BIN" "$bindir/git-realm"
export PATH="$bindir:$PATH"
if [ -n "${BENCH_DIR:-}" ]; then
	work=$(mkdir -p "$BENCH_DIR" && realpath "$BENCH_DIR")
else
	work=$(mktemp -d)
	trap 'rm -rf "$work" "$bindir"' EXIT
fi
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main
gen="python3 $root/bench/fixtures.py"
# hyperfine's markdown table: mean, min, max, and each command relative to the fastest.
hf() {
	[ -z "${FIXTURES_ONLY:-}" ] || return 0
	local table
	table=$(mktemp)
	# Its warnings (first runs slower, non-zero exit codes: `check` with drift) say nothing here.
	hyperfine -i --style none --export-markdown "$table" "$@" >/dev/null 2>&1 || echo "hyperfine failed: $*"
	cat "$table"
	rm -f "$table"
}
say() { printf '\n== %s\n' "$*"; }

# A bare realm of `$2` domains x 5 exports, and two members as domain-00000: one whose code
# computes exactly what the realm says (check is clean), one with a change (check drifts).
make_realm() {
	local dir=$1 n=$2
	[ -d "$dir/realm.git" ] && return
	mkdir -p "$dir"
	git realm init --name bench --admission open --bare "$dir/realm.git" >/dev/null
	git -C "$dir/realm.git" show main:.github/CODEOWNERS >"$dir/owners" 2>/dev/null || : >"$dir/owners"
	$gen realm "$n" "$dir/owners" | git -C "$dir/realm.git" fast-import --quiet
	for app in clean drift; do
		git init -q "$dir/$app"
		mkdir -p "$dir/$app/.realm" "$dir/$app/exports"
		{
			printf 'realm:\n  name: bench\n  url: ../realm.git\n  domain: domain-00000\nexports:\n'
			for e in 0 1 2 3 4; do printf -- '- name: export-%s\n  file: exports/export-%s.yaml\n' $e $e; done
		} >"$dir/$app/.realm/config.yaml"
		for e in 0 1 2 3 4; do
			printf 'read:\n- jobs/domain-00000/*\n- metrics/%s/*\nwrite:\n- jobs/domain-00000/out/*\n' $e >"$dir/$app/exports/export-$e.yaml"
		done
		[ $app = drift ] && printf -- '- jobs/extra/*\n' >>"$dir/$app/exports/export-0.yaml"
		git -C "$dir/$app" add -A && git -C "$dir/$app" commit -qm "$app"
		(cd "$dir/$app" && git realm fetch >/dev/null)
	done
}

# A repository of `$2` generated files (a few use S3), packed and checked out, joined to a
# small realm (which detects its export and installs the hooks).
make_code() {
	local dir=$1 n=$2
	if [ ! -d "$dir/.git" ]; then
		git init -q "$dir"
		$gen code "$n" | git -C "$dir" fast-import --quiet
		git -C "$dir" reset -q --hard main
		git -C "$dir" repack -adq
	fi
	[ -f "$dir/.realm/config.yaml" ] && return
	(cd "$dir" && git realm join ../realm-small.git --as "$(basename "$dir")" >/dev/null 2>&1)
	git -C "$dir" add -A && git -C "$dir" commit -qm "join the realm"
}

# A real repository from crate sources on this machine, joined like make_code's.
make_crate() {
	local dir=$1 src=$2
	[ -d "$dir/.git" ] && return
	mkdir -p "$dir" && cp -r "$src"/. "$dir"
	git init -q "$dir" && git -C "$dir" add -A && git -C "$dir" commit -qm "$(basename "$src")"
	git -C "$dir" repack -adq
	mkdir -p "$dir/.realm"
	printf 'realm:\n  name: bench\n  url: ../realm-small.git\n  domain: %s\nexports:\n- name: required-s3-permissions\n  detect: s3\n' \
		"$(basename "$dir")" >"$dir/.realm/config.yaml"
	git -C "$dir" add -A && git -C "$dir" commit -qm "realm config"
	(cd "$dir" && git realm fetch >/dev/null)
}

small_realm() {
	[ -d "$work/realm-small.git" ] || git realm init --name bench --admission open --bare "$work/realm-small.git" >/dev/null
}

rg_s3="rg --no-ignore --hidden -g '!.git' -g '!.realm' -c -e 's3://' -e 'arn:aws:s3:::' -e 'Bucket=' ."
# The literals the s3 preset searches every file for before it reads any further (its hit
# material: `has_hit_material` in src/detect/s3.rs; a unit test keeps this list equal to it).
hit_material="s3:// s3a:// s3n:// :s3::: Key Prefix destination_key_prefix destinationKeyPrefix upload_file( upload_fileobj( download_file( download_fileobj( copy( Object( ObjectSummary( arn_for_objects( arnForObjects( grant_read( grant_write( grant_read_write( grant_put( grant_delete( grantRead( grantWrite( grantReadWrite( grantPut( grantDelete("
rg_same="rg --no-ignore --hidden -g '!.git' -g '!.realm' -c -F$(printf " -e '%s'" $hit_material) ."

for row in "${rows[@]}"; do
	case $row in
	hook)
		small_realm
		make_code "$work/rfc" 40
		make_code "$work/code-100k" 100000
		for repo in rfc code-100k; do
			dir=$work/$repo
			if [ ! -f "$dir.refs" ]; then
				# The cache as the last check left it; the pushed commit touches 1,000 files
				# (40 in the RFC-sized repo), written as loose objects as a commit writes them.
				(cd "$dir" && git realm check >/dev/null)
				rm -rf "$dir.cache" && cp -r "$dir/.git/realm/detect" "$dir.cache"
				git -C "$dir" ls-files 'src/*' | sed -n '1,1000p' | while read -r f; do echo "# touched" >>"$dir/$f"; done
				git -C "$dir" commit -qam "a change to many files"
				printf 'refs/heads/main %s refs/heads/main %s\n' "$(git -C "$dir" rev-parse HEAD)" \
					"$(git -C "$dir" rev-parse HEAD~1)" >"$dir.refs"
			fi
			say "pre-push hook, $repo ($(git -C "$dir" ls-files | wc -l) files, $(git -C "$dir" diff --name-only HEAD~1 | wc -l) changed), vs git status"
			# In a shell, as git runs the hook (hyperfine takes the shell's own start-up off).
			(cd "$dir" && hf --warmup 3 --runs 30 \
				--prepare "rm -rf .git/realm/detect && cp -r $dir.cache .git/realm/detect" \
				-n "pre-push" ".git/hooks/pre-push origin $work/remote.git <$dir.refs" \
				-n "git status" "git status")
		done
		;;
	detect)
		small_realm
		make_code "$work/code-100k" 100000
		say "cold detection, 100k files, vs rg over the same files and patterns"
		(cd "$work/code-100k" && hf -N --warmup 1 --runs 10 \
			-n "git realm check --exports (cold)" --prepare "rm -rf .git/realm/detect" "git-realm check --exports" \
			-n rg --prepare true "$rg_s3" \
			-n "rg (the same literals)" --prepare true "$rg_same")
		;;
	small)
		small_realm
		for crate in anyhow-1 tokio-1 aws-lc-sys-0; do
			src=$(ls -d "$registry"/*/$crate.* 2>/dev/null | head -n 1)
			[ -n "$src" ] || { echo "no $crate sources under $registry: skipped"; continue; }
			make_crate "$work/crate-$crate" "$src"
			say "cold detection, $(basename "$src") ($(git -C "$work/crate-$crate" ls-files | wc -l) files), vs rg"
			(cd "$work/crate-$crate" && hf -N --warmup 3 --runs 30 \
				-n "git realm check --exports (cold)" --prepare "rm -rf .git/realm/detect" "git-realm check --exports" \
				-n rg --prepare true "$rg_s3" \
				-n "rg (the same literals)" --prepare true "$rg_same")
		done
		;;
	realm)
		for n in 1000 10000; do
			make_realm "$work/realm-$n" "$n"
			say "realm of $n domains x 5 exports (member domain-00000)"
			# The realm is a local path, so status and check fetch it on every run (a URL is
			# fetched when due): "no fetch" is the work of reading it alone.
			(cd "$work/realm-$n/clean" && git-realm check >/dev/null) || echo "note: check is not clean on the clean member"
			(cd "$work/realm-$n/clean" && hf -N --warmup 3 --runs 20 \
				-n status "git-realm status" \
				-n "status (no fetch)" "env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=realm.fetchInterval GIT_CONFIG_VALUE_0=never git-realm status" \
				-n "check (clean)" "git-realm check" \
				-n graph "git-realm graph" \
				-n "graph --json" "git-realm graph --json" \
				-n "git status" "git status")
			(cd "$work/realm-$n/drift" && hf -N --warmup 3 --runs 20 \
				-n "check (drift)" "git-realm check" \
				-n "git status" "git status")
		done
		;;
	sync)
		say "50 simultaneous syncs (bench/concurrent-sync.sh: attempts, pauses and CPU time)"
		[ -n "${FIXTURES_ONLY:-}" ] || BIN=$bindir "$root/bench/concurrent-sync.sh" 50
		;;
	*)
		echo "unknown row $row (hook, detect, small, realm, sync)" >&2
		exit 2
		;;
	esac
done
