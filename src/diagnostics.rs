//! Diagnostics: findings about an input that do not stop parsing (gaps, bad CRCs, odd padding).
//!
//! Parsers return their partial model plus a list of these; a hard failure is an error of the
//! format's own type instead.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One finding: where (a short context such as "eif header" or "ramdisk 1 cpio"), at which
/// byte offset when known, and what, in lower-case words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(severity: Severity, context: impl Into<String>, offset: Option<u64>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity, context: context.into(), offset, message: message.into() }
    }
    pub fn info(context: impl Into<String>, offset: Option<u64>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Info, context, offset, message)
    }
    pub fn warning(context: impl Into<String>, offset: Option<u64>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, context, offset, message)
    }
    pub fn error(context: impl Into<String>, offset: Option<u64>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, context, offset, message)
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.offset {
            Some(offset) => write!(f, "{level}: {} at {offset:#x}: {}", self.context, self.message),
            None => write!(f, "{level}: {}: {}", self.context, self.message),
        }
    }
}
