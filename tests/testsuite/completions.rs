//! Shell completions: `git realm completions SHELL`, and bash completing `git realm …` through
//! git's own completion.

use std::path::Path;

use crate::support::TestEnv;

const GIT_BASH_COMPLETION: &str = "/usr/share/bash-completion/completions/git";

#[test]
fn scripts_for_each_shell() {
    let env = TestEnv::new();
    let zsh = env.realm_ok(env.root(), &["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef git-realm\n"), "{zsh}");
    assert!(zsh.contains("_git-realm()"));
    let fish = env.realm_ok(env.root(), &["completions", "fish"]);
    assert!(fish.contains("complete -c git-realm "), "{fish}");
    let bash = env.realm_ok(env.root(), &["completions", "bash"]);
    assert!(bash.contains("complete -F _gitrealm -o nosort -o bashdefault -o default git-realm\n"));
    assert!(bash.contains("\n_git_realm() {\n"));
    env.write(env.root(), &[("git-realm.bash", &bash)]);
    let (code, out) = env.sh_run(env.root(), "bash -n git-realm.bash");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bash_completes_git_realm_through_git() {
    if !Path::new(GIT_BASH_COMPLETION).exists() {
        eprintln!("skipped: no {GIT_BASH_COMPLETION}");
        return;
    }
    let env = TestEnv::new();
    let script = format!(
        r#"source {GIT_BASH_COMPLETION}
eval "$(git realm completions bash)"
complete_line() {{
    COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
    read -ra COMP_WORDS <<<"$COMP_LINE"
    [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMPREPLY=()
    # As bash calls a completion function: the command, the word, the word before.
    "$2" "${{COMP_WORDS[0]}}" "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
    echo "$1|${{COMPREPLY[*]}}"
}}
complete_line "git realm jo" __git_wrap__git_main
complete_line "git -C . realm sy" __git_wrap__git_main
complete_line "git realm hooks " __git_wrap__git_main
complete_line "git realm hooks run post-" __git_wrap__git_main
complete_line "git realm join --no-" __git_wrap__git_main
complete_line "git-realm graph --format " _gitrealm
"#
    );
    env.write(env.root(), &[("complete.bash", &script)]);
    let (code, out) = env.sh_run(env.root(), "bash complete.bash");
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "git realm jo|join
git -C . realm sy|sync
git realm hooks |-C -h --json --help install uninstall run help
git realm hooks run post-|post-merge post-rewrite
git realm join --no-|--no-detect --no-hooks
git-realm graph --format |text mermaid dot
"
    );
}
