#!/usr/bin/env bash
# `git realm verify` over a realm whose commits carry OpenPGP signatures: each is checked by
# gpgv against a keyring of the keys the realm lists, made in a temporary directory, so the
# cost is one gpgv run per commit. The realm: an approver and one domain with ed25519 OpenPGP
# keys (made here, without a passphrase), then COMMITS commits of that domain, each signed by
# git with the domain's key. Times the cold verify (no cache: the whole history).
#
# Measured on 2 cores shared with other builds, with the debug binary (BIN=target/debug):
# 300 OpenPGP-signed commits verify cold in 3.3-3.8 s wall (1.5 s user), about 12 ms a
# commit, of which gpgv's own run is some 5 ms; a warm (cached) verify has nothing new to
# check, as for ssh.
#
#   bench/verify-openpgp.sh [COMMITS]       # default 1000; BIN=dir to skip the release build
set -euo pipefail
commits=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  BIN="$root/target/release"
fi
work=$(mktemp -d)
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
export GNUPGHOME="$work/home/.gnupg"
cleanup() { gpgconf --kill all 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
export PATH="$BIN:$PATH"
fpr() { gpg --batch --with-colons --list-keys "<$1>" | awk -F: '/^fpr/ {print $10; exit}'; }
for who in eric a; do
  gpg --batch --quiet --passphrase '' --quick-gen-key "Bench <$who@example.com>" ed25519 sign never 2>/dev/null
done
git config --global user.name Bench
git config --global user.email eric@example.com
git config --global init.defaultBranch main
git config --global user.signingkey "$(fpr eric@example.com)"
git realm init --name bench --admission open --require-signatures "$work/realm" >/dev/null

app="$work/alpha"
git init -q "$app" && git -C "$app" commit -q --allow-empty -m app
git -C "$app" config user.email a@example.com
git -C "$app" config user.signingkey "$(fpr a@example.com)"
(cd "$app" && git realm join ../realm --no-hooks >/dev/null && git realm export --name e --value '[0]' >/dev/null)

echo "signing $commits commits…" >&2
cd "$work/realm"
git config user.email a@example.com
git config user.signingkey "$(fpr a@example.com)"
for i in $(seq 1 "$commits"); do
  printf 'exports:\n- name: e\n  version: 1.%d.0\n  value: [%d]\n' "$i" "$i" >domains/alpha/exports.yaml
  git commit -qS -am "alpha: e 1.$i.0" -m "Realm-Domain: alpha"
done
cd "$app"
git realm fetch >/dev/null
hyperfine --warmup 1 --runs 3 -N \
  --prepare "rm -rf $app/.git/realm/verified" \
  -n "verify, cold ($commits OpenPGP-signed commits)" "$BIN/git-realm verify"
