//! What a notification issue says: its title, body, comments, and the hidden marker that finds
//! it again. Everything from the realm is untrusted text, so it is escaped before it reaches
//! Markdown.

use super::forge::Forge;
use super::{Notice, Resolution};

/// The hidden line identifying the one open issue for a (consumer, export).
pub fn marker(realm: &str, provider: &str, export: &str, consumer: &str) -> String {
    format!(
        "<!-- git-realm: realm={} provider={} export={} consumer={} -->",
        token(realm),
        token(provider),
        token(export),
        token(consumer)
    )
}

const VERSION_MARKER: &str = "<!-- git-realm-version: ";

/// The version an issue body announces, from its version marker.
pub fn announced_version(body: &str) -> Option<semver::Version> {
    let start = body.find(VERSION_MARKER)? + VERSION_MARKER.len();
    let rest = &body[start..];
    rest[..rest.find(" -->")?].trim().parse().ok()
}

const TITLE_MAX: usize = 120;
const CHANGES_SHOWN: usize = 50;

pub fn title(notice: &Notice) -> String {
    let kind = if notice.breaking {
        "Breaking update"
    } else {
        "Update"
    };
    let head = format!(
        "{kind} for {}/{} {}",
        notice.provider, notice.export, notice.version
    );
    let title = match notice.changes.as_slice() {
        [] => head,
        [only] => format!("{head}: {}", one_line(only)),
        [first, rest @ ..] => {
            let more = if rest.len() == 1 {
                "1 more change".to_owned()
            } else {
                format!("{} more changes", rest.len())
            };
            format!("{head}: {} and {more}", one_line(first))
        }
    };
    shorten(&title, TITLE_MAX)
}

pub fn body(notice: &Notice, forge: Forge) -> String {
    let mut out = format!(
        "**{}** published **{} {}** in realm **{}**. This repository (domain **{}**) imports it",
        escape(&notice.provider, forge),
        escape(&notice.export, forge),
        escape(&notice.version, forge),
        escape(&notice.realm, forge),
        escape(&notice.consumer, forge),
    );
    match &notice.previous {
        Some(previous) => out.push_str(&format!(
            " and last resolved {}.\n\n",
            escape(previous, forge)
        )),
        None => out.push_str(".\n\n"),
    }
    out.push_str("### What changed\n\n");
    out.push_str(&changes(notice, forge));
    out.push('\n');
    out.push_str(&compatibility(notice, forge));
    out.push_str("\n\n### What to do\n\n");
    match notice.binding.as_deref() {
        Some(binding) => out.push_str(&format!(
            "1. Update `{}` to match the new value.\n",
            binding.replace(['`', '\n', '\r'], "")
        )),
        None => out.push_str(&format!(
            "1. Update the code that uses {} to match the new value (no binding file is recorded: \
             `git realm import --binding FILE` records one).\n",
            escape(&notice.export, forge)
        )),
    }
    let major = semver::Version::parse(&notice.version).map(|v| v.major);
    match major {
        // An import accepts one major (`^1`), so sync never resolves a new one by itself.
        Ok(major) if notice.breaking => out.push_str(&format!(
            "2. Accept the new major version in this repository: `git realm import --contract {} \
             --from {} --version ^{major}`. sync does not move an import to a new major by \
             itself; close this issue once that is done.\n\n",
            code(&notice.export),
            code(&notice.provider),
        )),
        _ => out.push_str(&format!(
            "2. Run `git realm sync` in this repository. It records that {} uses {} and closes \
             this issue.\n\n",
            escape(&notice.consumer, forge),
            escape(&notice.version, forge)
        )),
    }
    out.push_str("`git realm status` shows the new value and the binding to review.\n\n");
    out.push_str(&statements_to_add(notice));
    out.push_str(&format!(
        "<sub>Opened by git-realm for realm {}. Later versions of {} update this issue rather than \
         opening another.</sub>\n\n",
        escape(&notice.realm, forge),
        escape(&notice.export, forge)
    ));
    out.push_str(&marker(
        &notice.realm,
        &notice.provider,
        &notice.export,
        &notice.consumer,
    ));
    out.push('\n');
    out.push_str(&format!("{VERSION_MARKER}{} -->\n", token(&notice.version)));
    out
}

/// The comment on an open issue that a newer version takes over.
pub fn update_comment(notice: &Notice, was: Option<&semver::Version>, forge: Forge) -> String {
    let mut out = format!(
        "**{}** published **{} {}**",
        escape(&notice.provider, forge),
        escape(&notice.export, forge),
        escape(&notice.version, forge)
    );
    if let Some(was) = was {
        out.push_str(&format!(" (this issue was about {was})"));
    }
    // The notice lists every change since the consumer's version, not only this version's.
    match &notice.previous {
        Some(previous) => out.push_str(&format!(
            ". Changes since {}, the version {} last resolved:\n\n",
            escape(previous, forge),
            escape(&notice.consumer, forge)
        )),
        None => out.push_str(":\n\n"),
    }
    out.push_str(&changes(notice, forge));
    out.push('\n');
    out.push_str(&compatibility(notice, forge));
    out.push_str(&format!(
        "\n\nThe description above now covers {}.\n",
        escape(&notice.version, forge)
    ));
    out
}

/// The comment that closes the issue once the consumer has resolved the version it announces.
pub fn resolved_comment(resolution: &Resolution, forge: Forge) -> String {
    format!(
        "Resolved: **{}** now uses **{}/{} {}** (recorded by `git realm sync`).\n",
        escape(&resolution.consumer, forge),
        escape(&resolution.provider, forge),
        escape(&resolution.export, forge),
        escape(&resolution.version, forge)
    )
}

/// The comment when the consumer resolved an older version than the open issue announces.
pub fn partly_resolved_comment(
    resolution: &Resolution,
    announced: &semver::Version,
    forge: Forge,
) -> String {
    format!(
        "**{}** resolved **{}/{} {}**; this issue stays open for {announced}.\n",
        escape(&resolution.consumer, forge),
        escape(&resolution.provider, forge),
        escape(&resolution.export, forge),
        escape(&resolution.version, forge)
    )
}

fn changes(notice: &Notice, forge: Forge) -> String {
    if notice.changes.is_empty() {
        return "- (no changelog entries were recorded)\n".to_owned();
    }
    let mut out = String::new();
    for change in notice.changes.iter().take(CHANGES_SHOWN) {
        out.push_str(&format!(
            "- {}\n",
            escape(&shorten(&one_line(change), 300), forge)
        ));
    }
    if notice.changes.len() > CHANGES_SHOWN {
        out.push_str(&format!(
            "- … and {} more (see `git realm status`)\n",
            notice.changes.len() - CHANGES_SHOWN
        ));
    }
    out
}

fn compatibility(notice: &Notice, forge: Forge) -> String {
    if !notice.breaking {
        return "Backward compatible: only additions.".to_owned();
    }
    let mut out =
        "**Breaking:** something this repository may rely on was removed or changed.".to_owned();
    if let Some(date) = &notice.effective_from {
        out.push_str(&format!(" It takes effect on **{}**", escape(date, forge)));
        match &notice.previous {
            Some(previous) => out.push_str(&format!(
                "; until then {} stays current.",
                escape(previous, forge)
            )),
            None => out.push('.'),
        }
    }
    out
}

/// A value safe inside an HTML comment: no spaces, no `-->`.
fn token(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+') || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .replace("--", "-_")
}

/// A value safe inside a Markdown code span, where escapes do not apply.
fn code(value: &str) -> String {
    one_line(value).replace('`', "")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Untrusted text as literal Markdown: no emphasis, links, HTML, headings or @-mentions.
///
/// Backslash escapes are CommonMark's, which all three forges render. GitLab and Forgejo
/// also link references written with sigils GitHub does not know (`~label`, `%milestone`,
/// `$snippet`, `&epic`, `!merge-request`) and render `$…$` as math; there a sigil before a
/// name or number is escaped and followed by a zero-width space, which their reference
/// filters (run on the rendered text, after escapes are gone) do not read through.
fn escape(text: &str, forge: Forge) -> String {
    let mut out = String::with_capacity(text.len());
    let text = one_line(text);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '$' | '%' if forge != Forge::GitHub => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width space keeps `@team` from pinging anyone.
            '@' => out.push_str("@\u{200b}"),
            c => out.push(c),
        }
        let sigil = matches!(c, '#' | '!' | '~' | '%' | '$' | '&');
        let names = chars
            .peek()
            .is_some_and(|n| n.is_alphanumeric() || matches!(n, '"' | '[' | '-' | '_'));
        if forge != Forge::GitHub && sigil && names {
            out.push('\u{200b}');
        }
    }
    out
}

/// For an S3 value (`read`/`write` paths) and a binding in CDK, Terraform or JSON: the
/// statements that grant the added paths, in the binding's language.
fn statements_to_add(notice: &Notice) -> String {
    use crate::realm::grants::{self, Access, Gap, Language};
    let Some(binding) = notice.binding.as_deref() else {
        return String::new();
    };
    let Some(language) = Language::of(binding).filter(|l| *l != Language::Yaml) else {
        return String::new();
    };
    let mut added = Vec::new();
    for line in &notice.changes {
        let Some((path, keys)) = line
            .strip_prefix("Added ")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|rest| rest.rsplit_once(" ("))
        else {
            continue;
        };
        // Realm text goes into a code block: nothing that could end it or a string.
        if path.contains(['`', '"', '\'', '\\', '\n', '\r', '$', '{']) {
            continue;
        }
        for key in keys.split(", ") {
            let access = match key {
                "read" => Access::Read,
                "write" => Access::Write,
                _ => continue,
            };
            added.push(Gap {
                bucket: "BUCKET".to_owned(),
                path: path.to_owned(),
                access,
                reason: String::new(),
            });
        }
    }
    let Some(snippet) = grants::snippet(language, &added) else {
        return String::new();
    };
    let fence = match language {
        Language::Python => "python",
        Language::TypeScript => "typescript",
        Language::Terraform => "hcl",
        Language::Json | Language::Yaml => "json",
    };
    format!(
        "### Statements to add\n\nWhat grants the new paths in `{}` (`BUCKET` is the bucket's \
         name):\n\n```{fence}\n{snippet}```\n\n",
        binding.replace(['`', '\n', '\r'], "")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            realm: "letemcook".into(),
            provider: "aperture".into(),
            consumer: "letemcook-cdk".into(),
            consumer_repo_url: Some("git@github.com:cultivarium/letemcook-cdk.git".into()),
            consumer_forge: None,
            export: "required-s3-permissions".into(),
            version: "1.4.0".into(),
            previous: Some("1.3.0".into()),
            changes: vec!["Added training-metrics/experiments/* (read, write)".into()],
            breaking: false,
            effective_from: None,
            binding: Some("cdk/training_tools_access_stack.py".into()),
        }
    }

    #[test]
    fn title_names_the_export_the_version_and_the_change() {
        assert_eq!(
            title(&notice()),
            "Update for aperture/required-s3-permissions 1.4.0: Added training-metrics/experiments/* (read, write)"
        );
        let mut n = notice();
        n.breaking = true;
        n.version = "2.0.0".into();
        n.changes = vec![
            "Removed jobs/*/masks/*".into(),
            "Removed training-runs/*".into(),
            "Added x".into(),
        ];
        assert_eq!(
            title(&n),
            "Breaking update for aperture/required-s3-permissions 2.0.0: Removed jobs/*/masks/* and 2 more changes"
        );
        n.changes = vec!["x".repeat(400)];
        assert_eq!(title(&n).chars().count(), TITLE_MAX);
    }

    #[test]
    fn body_says_what_changed_what_to_edit_and_what_to_run() {
        let body = body(&notice(), Forge::GitHub);
        assert_eq!(
            body,
            "**aperture** published **required-s3-permissions 1.4.0** in realm **letemcook**. This \
             repository (domain **letemcook-cdk**) imports it and last resolved 1.3.0.

### What changed

- Added training-metrics/experiments/\\* (read, write)

Backward compatible: only additions.

### What to do

1. Update `cdk/training_tools_access_stack.py` to match the new value.
2. Run `git realm sync` in this repository. It records that letemcook-cdk uses 1.4.0 and closes this issue.

`git realm status` shows the new value and the binding to review.

### Statements to add

What grants the new paths in `cdk/training_tools_access_stack.py` (`BUCKET` is the bucket's name):

```python
role.add_to_policy(iam.PolicyStatement(
    actions=[\"s3:GetObject\"],
    resources=[
        \"arn:aws:s3:::BUCKET/training-metrics/experiments/*\",
    ],
))
role.add_to_policy(iam.PolicyStatement(
    actions=[\"s3:PutObject\"],
    resources=[
        \"arn:aws:s3:::BUCKET/training-metrics/experiments/*\",
    ],
))
```

<sub>Opened by git-realm for realm letemcook. Later versions of required-s3-permissions update this issue rather than opening another.</sub>

<!-- git-realm: realm=letemcook provider=aperture export=required-s3-permissions consumer=letemcook-cdk -->
<!-- git-realm-version: 1.4.0 -->
"
        );
        assert_eq!(
            announced_version(&body),
            Some(semver::Version::new(1, 4, 0))
        );
    }

    #[test]
    fn an_update_comment_says_since_when_its_changes_are() {
        let mut n = notice();
        n.changes.push("Added jobs/* (read)".into());
        assert_eq!(
            update_comment(&n, Some(&semver::Version::new(1, 3, 5)), Forge::GitHub),
            "**aperture** published **required-s3-permissions 1.4.0** (this issue was about \
             1.3.5). Changes since 1.3.0, the version letemcook-cdk last resolved:

- Added training-metrics/experiments/\\* (read, write)
- Added jobs/\\* (read)

Backward compatible: only additions.

The description above now covers 1.4.0.
"
        );
    }

    #[test]
    fn breaking_changes_carry_their_date() {
        let mut n = notice();
        n.breaking = true;
        n.effective_from = Some("2026-02-07".into());
        assert!(body(&n, Forge::GitHub).contains(
            "**Breaking:** something this repository may rely on was removed or changed. It takes \
             effect on **2026-02-07**; until then 1.3.0 stays current."
        ));
        // A breaking notice crosses a major, which sync does not resolve by itself.
        n.version = "2.0.0".into();
        assert!(body(&n, Forge::GitHub).contains(
            "2. Accept the new major version in this repository: `git realm import --contract \
             required-s3-permissions --from aperture --version ^2`. sync does not move an import \
             to a new major by itself; close this issue once that is done.\n"
        ));
    }

    #[test]
    fn realm_text_cannot_break_out() {
        let mut n = notice();
        n.changes = vec!["<img src=x> [link](http://evil) @everyone\n# heading".into()];
        n.consumer = "x --> <b>".into();
        let body = body(&n, Forge::GitHub);
        assert!(
            body.contains(
                "- \\<img src=x\\> \\[link\\](http://evil) @\u{200b}everyone \\# heading\n"
            )
        );
        assert!(body.contains("consumer=x_-____b_ -->"), "{body}");
        assert_eq!(body.matches("-->").count(), 2);
    }

    #[test]
    fn gitlab_and_forgejo_references_and_math_stay_text() {
        let mut n = notice();
        n.changes = vec!["Added #12 ~bug %v1 $x$ !3 &1 @team, 50% of jobs/*".into()];
        let line = |forge| {
            body(&n, forge)
                .lines()
                .find(|l| l.starts_with("- Added"))
                .expect("the change")
                .to_owned()
        };
        // GitHub links `#12` only; its text is as before.
        assert_eq!(
            line(Forge::GitHub),
            "- Added \\#12 \\~bug %v1 $x$ \\!3 \\&1 @\u{200b}team, 50% of jobs/\\*"
        );
        // GitLab and Forgejo link `~label`, `%milestone`, `!12`, `&epic` and render `$…$`.
        let zw = '\u{200b}';
        let expected = format!(
            "- Added \\#{zw}12 \\~{zw}bug \\%{zw}v1 \\${zw}x\\$ \\!{zw}3 \\&{zw}1 @{zw}team, 50\\% of jobs/\\*"
        );
        assert_eq!(line(Forge::GitLab), expected);
        assert_eq!(line(Forge::Forgejo), expected);
        // Task-list syntax and the hidden markers survive on every forge.
        for forge in [Forge::GitLab, Forge::Forgejo] {
            let body = body(&n, forge);
            assert!(body.contains("\n1. Update `cdk/training_tools_access_stack.py`"));
            assert!(body.ends_with(
                "<!-- git-realm: realm=letemcook provider=aperture export=required-s3-permissions consumer=letemcook-cdk -->\n<!-- git-realm-version: 1.4.0 -->\n"
            ));
            assert_eq!(
                announced_version(&body),
                Some(semver::Version::new(1, 4, 0))
            );
        }
    }
}
