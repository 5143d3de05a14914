//! The statements a binding must add, written in the binding's own language.

use super::{Access, Gap, Language};

/// A statement per access granting the missing paths, for a binding in `language`.
pub fn snippet(language: Language, gaps: &[Gap]) -> Option<String> {
    let mut groups: Vec<(Access, Vec<String>)> = Vec::new();
    for gap in gaps {
        let arn = format!("arn:aws:s3:::{}/{}", gap.bucket, gap.path);
        match groups.iter_mut().find(|(a, _)| *a == gap.access) {
            Some((_, arns)) => arns.push(arn),
            None => groups.push((gap.access, vec![arn])),
        }
    }
    if groups.is_empty() {
        return None;
    }
    let quote = |items: &[String], q: &str| {
        items
            .iter()
            .map(|i| format!("{q}{i}{q}"))
            .collect::<Vec<_>>()
    };
    let mut out = String::new();
    for (access, arns) in &groups {
        let action = access.action();
        match language {
            Language::Python => out.push_str(&format!(
                "role.add_to_policy(iam.PolicyStatement(\n    actions=[\"{action}\"],\n    resources=[\n        {},\n    ],\n))\n",
                quote(arns, "\"").join(",\n        ")
            )),
            Language::TypeScript => out.push_str(&format!(
                "role.addToPolicy(new iam.PolicyStatement({{\n  actions: ['{action}'],\n  resources: [\n    {},\n  ],\n}}));\n",
                quote(arns, "'").join(",\n    ")
            )),
            Language::Terraform => out.push_str(&format!(
                "statement {{\n  actions   = [\"{action}\"]\n  resources = [\n    {},\n  ]\n}}\n",
                quote(arns, "\"").join(",\n    ")
            )),
            Language::Json | Language::Yaml => {
                let statement = serde_json::json!({
                    "Effect": "Allow",
                    "Action": action,
                    "Resource": arns,
                });
                let text = if language == Language::Json {
                    serde_json::to_string_pretty(&statement).expect("json")
                } else {
                    serde_yaml::to_string(&vec![statement]).expect("yaml")
                };
                out.push_str(text.trim_end());
                out.push('\n');
            }
        }
    }
    Some(out)
}
