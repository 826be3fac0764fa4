//! The reports on the definitions themselves: `check` (every problem at once), `form` (a
//! bundle's combined form) and `graph` (a bundle's dependency graph).
//!
//! They read the definitions folder and print; they must not start a server or touch a
//! database.

use super::find;
use crate::bundle::Notation;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Compile every definition under `root` and print every error and warning with its file and
/// path; fails on any error, and on any warning with `deny_warnings`.
pub fn check(root: &Path, deny_warnings: bool) -> ExitCode {
    let (errors, warnings, summary) = match crate::bundle::compile(root) {
        Ok(catalog) => {
            let summary = format!(
                "{} bundle(s), {} service(s)",
                catalog.bundles.len(),
                catalog.services.len()
            );
            (Vec::new(), catalog.warnings, summary)
        }
        Err(diagnostics) => (diagnostics.errors, diagnostics.warnings, String::new()),
    };
    for d in &errors {
        println!("error: {d}");
    }
    for d in &warnings {
        println!("warning: {d}");
    }
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    if errors.is_empty() && warnings.is_empty() {
        println!("ok: {summary}, no problems");
    } else {
        println!("{} error(s), {} warning(s)", errors.len(), warnings.len());
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Print the combined form (JSON Schema) of bundle `id` for the comma-separated `services`
/// (every service when `None`), the same JSON as `GET /api/v1/bundles/{id}/form`.
pub fn form(root: &Path, id: &str, services: Option<&str>) -> anyhow::Result<ExitCode> {
    let catalog = crate::bundle::compile(root)?;
    let bundle = find(&catalog, id)?;
    let chosen: Option<Vec<String>> = services.map(|s| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let selection = bundle.select(chosen.as_deref())?;
    let form = bundle.form(&catalog, &selection)?;
    let text = serde_json::to_string_pretty(&form.bundled).context("Failed to print the form")?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Print the dependency graph of bundle `id` in `notation`.
pub fn graph(root: &Path, id: &str, notation: Notation) -> anyhow::Result<ExitCode> {
    let catalog = crate::bundle::compile(root)?;
    let bundle = find(&catalog, id)?;
    print!("{}", crate::bundle::graph(bundle, &catalog, notation));
    Ok(ExitCode::SUCCESS)
}
