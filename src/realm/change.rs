//! One realm commit, as data: the files it writes or removes and the message that says why.

use std::collections::BTreeMap;

use serde::Serialize;

/// The edits of one realm commit, applied to the tip it is built on.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// Path in the realm to new content, or `None` to remove it (a file or a whole directory).
    pub edits: BTreeMap<String, Option<Vec<u8>>>,
    pub subject: String,
    /// Free text between the subject and the trailers.
    pub body: Option<String>,
    pub trailers: Vec<(String, String)>,
    /// Further parents after the tip (hex ids): the proposal an approval merges.
    pub merged: Vec<String>,
    /// Realm branches deleted in the same atomic push (an accepted proposal's).
    pub delete_branches: Vec<String>,
}

impl Change {
    pub fn new(subject: impl Into<String>) -> Self {
        Change {
            subject: subject.into(),
            ..Change::default()
        }
    }

    pub fn put(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> &mut Self {
        self.edits.insert(path.into(), Some(content.into()));
        self
    }

    pub fn put_yaml<T: Serialize>(&mut self, path: impl Into<String>, value: &T) -> &mut Self {
        self.put(path, crate::realm::yaml::to_string(value))
    }

    pub fn remove(&mut self, path: impl Into<String>) -> &mut Self {
        self.edits.insert(path.into(), None);
        self
    }

    pub fn trailer(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.trailers.push((key.to_owned(), value.into()));
        self
    }

    /// The commit message: the subject, a blank line, then the trailers.
    pub fn message(&self) -> String {
        let mut msg = format!("{}\n", self.subject);
        if let Some(body) = &self.body {
            msg.push_str(&format!("\n{}\n", body.trim_end()));
        }
        if !self.trailers.is_empty() {
            msg.push('\n');
            for (key, value) in &self.trailers {
                msg.push_str(&format!("{key}: {value}\n"));
            }
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_has_trailers_after_a_blank_line() {
        let mut change = Change::new("aperture: export required-s3-permissions 1.4.0");
        change
            .trailer("Realm-Domain", "aperture")
            .trailer("Source-Commit", "abc");
        assert_eq!(
            change.message(),
            "aperture: export required-s3-permissions 1.4.0\n\nRealm-Domain: aperture\nSource-Commit: abc\n"
        );
    }
}
