//! The reports on the definitions themselves: `check` (every problem at once), `form` (a
//! bundle's combined form) and `graph` (a bundle's dependency graph).
//!
//! They read the definitions folder and print; they must not start a server or touch a
//! database.

use super::find;
use crate::bundle::{Catalog, Diagnostics, LOCK_FILE, Lock, Notation, Snapshot, against_lock};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Compile every definition under `root` and print every error and warning with its file and
/// path; fails on any error, and on any warning with `deny_warnings`. Each bundle version's
/// files are compared with `bundles/versions.lock`; `lock` records the versions it lacks (the
/// only file `check` writes). The registry settings are checked against the definitions too (a
/// registry reached through Trembita whose services do not say where they live there, a client
/// identity or TLS files that cannot be used).
pub fn check(
    root: &Path,
    registries: &crate::settings::RegistrySettings,
    deny_warnings: bool,
    lock: bool,
) -> ExitCode {
    let (errors, warnings, summary) =
        match crate::bundle::compile(root) {
            Ok(catalog) => {
                let summary = format!(
                    "{} bundle(s), {} service(s)",
                    catalog.bundles.len(),
                    catalog.services.len()
                );
                let versions = versions(root, &catalog, lock);
                let mut errors = versions.errors;
                let settings = crate::registry::setup::problems(registries, &catalog);
                errors.extend((settings.into_iter()).map(|p| {
                    crate::bundle::Diagnostic::new(Path::new("settings"), "registries", p)
                }));
                let mut warnings = catalog.warnings;
                warnings.extend(versions.warnings);
                (errors, warnings, summary)
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

/// The bundle versions against the lock; with `record`, the unrecorded ones are recorded
/// (and so no longer warned of).
fn versions(root: &Path, catalog: &Catalog, record: bool) -> Diagnostics {
    let mut lock = Lock::read(root);
    if record {
        for bundle in catalog.bundles.values() {
            match Snapshot::of(root, catalog, bundle) {
                Ok(snapshot) => lock.record(&snapshot),
                Err(e) => eprintln!("cannot read the files of bundle {}: {e}", bundle.id),
            }
        }
        if let Err(e) = lock.write(root) {
            eprintln!("cannot write {LOCK_FILE}: {e}");
        }
    }
    against_lock(root, catalog, &lock)
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
