//! The errors a caller tells apart: bad input (exit 2, with a hint) and refusals (exit 1).

use std::fmt;

/// Input that cannot be used as given; the hint says how to fix it.
#[derive(Debug)]
pub struct BadInput {
    pub message: String,
    pub hint: Option<String>,
}

impl BadInput {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        BadInput {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BadInput {}

/// A policy said no (governance, a consumer still importing): exit status 1.
#[derive(Debug)]
pub struct Refusal {
    pub message: String,
    pub hint: Option<String>,
}

impl Refusal {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Refusal {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// The hint attached anywhere in an error's chain, if any.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|e| {
        e.downcast_ref::<BadInput>()
            .and_then(|b| b.hint.as_deref())
            .or_else(|| e.downcast_ref::<Refusal>().and_then(|r| r.hint.as_deref()))
    })
}

/// Exit status for an error: 1 for a refusal, 2 for everything else.
pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<Refusal>()) {
        1
    } else {
        2
    }
}

/// `text` on one line and free of terminal control: control characters (a newline, ESC) are
/// shown escaped. Errors quote values from files written by others; a newline in one must not
/// forge a second `error:` or `hint:` line, nor an escape sequence recolour the terminal.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_escapes_control_characters() {
        assert_eq!(
            super::one_line("a `x\nerror: forged` \u{1b}[31mred é"),
            "a `x\\nerror: forged` \\u{1b}[31mred é"
        );
    }
}
