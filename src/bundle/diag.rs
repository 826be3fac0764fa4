//! Diagnostics: every problem found in the definition files, with file and path.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, relative to the definitions root.
    pub file: PathBuf,
    /// Where inside the document, e.g. `services[1].inputs.birth_act_record_number`.
    pub path: String,
    pub message: String,
    /// Line and column in the file, where the parser gave them.
    pub position: Option<(u64, u64)>,
}

impl Diagnostic {
    pub fn new(file: &Path, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            path: path.into(),
            message: message.into(),
            position: None,
        }
    }

    /// The same diagnostic, pointing at where a YAML value was written.
    pub fn at(mut self, location: &serde_saphyr::Location) -> Self {
        if location.line() > 0 {
            self.position = Some((location.line(), location.column()));
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

/// Everything wrong with the definitions: errors (the server refuses to start) and warnings.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the definitions:\n{}", .errors.len(), render(.errors))]
pub struct Diagnostics {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

fn render(list: &[Diagnostic]) -> String {
    list.iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}
