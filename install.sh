#!/bin/sh
# Install git-realm from this checkout: the binary, its man pages (git opens `man git-realm`
# for 'git realm --help') and completions for bash, zsh and fish.
#
#   ./install.sh                    # into ~/.local: bin/, share/man/man1/, share/…/completions
#   PREFIX=/usr/local ./install.sh  # anywhere else
#
# man finds $PREFIX/share/man by itself once $PREFIX/bin is on PATH, which 'git realm' needs.
set -eu
cd "$(dirname "$0")"
prefix=${PREFIX:-$HOME/.local}

cargo install --locked --path . --root "$prefix"

mkdir -p "$prefix/share/man/man1"
cp man/*.1 "$prefix/share/man/man1/"

bin="$prefix/bin/git-realm"
mkdir -p "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions"
"$bin" completions bash >"$prefix/share/bash-completion/completions/git-realm"
"$bin" completions zsh >"$prefix/share/zsh/site-functions/_git-realm"
fish_dir=${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions
if command -v fish >/dev/null 2>&1; then
	mkdir -p "$fish_dir"
	"$bin" completions fish >"$fish_dir/git-realm.fish"
fi

echo "Installed git-realm in $prefix/bin, man pages in $prefix/share/man/man1"
case ":$PATH:" in
*":$prefix/bin:"*) ;;
*) echo "note: add $prefix/bin to PATH so that git finds 'git realm' (and man its pages)" ;;
esac
if command -v zsh >/dev/null 2>&1; then
	echo "note: for zsh, add $prefix/share/zsh/site-functions to fpath before compinit"
fi
