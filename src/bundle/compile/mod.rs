//! From files to a `Catalog`: parse every definition, check every reference, report every
//! problem at once. Split by what it compiles: `files` reads the definition files (the only
//! I/O but the receipt texts a bundle names), `refs` the `$ref`s between forms, `service` a
//! service, `bundle` a bundle and the order of its services, `step` one step of a bundle,
//! `human_step` a step a person takes, `templates` (with `template_paths` and `provided`) what
//! a bundle's templates name. No network, no database.

mod bundle;
mod files;
mod finding;
mod human_step;
mod provided;
mod refs;
mod service;
mod step;
mod template_paths;
mod templates;

use super::diag::{Diagnostic, Diagnostics};
use super::raw::{RawBundle, RawRetry, RawService, RawText};
use super::{Catalog, PolicyOverride, Service, ServiceId, Text};
use crate::form::{CombinedForm, Schemas};
pub(super) use files::Sources;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// Load and check everything under `root` (`bundles/`, `services/`, `forms/`).
pub fn compile(root: &Path) -> Result<Catalog, Diagnostics> {
    compile_from(Sources::Folder(root))
}

/// Check and compile definitions given as texts by path relative to the definitions' root
/// (`bundles/birth.yaml`, `services/…`, `forms/…`, `receipts/…`), as `compile` does the files
/// of a folder: a stored snapshot's files, or a fuzzer's.
pub fn compile_sources(files: &BTreeMap<String, String>) -> Result<Catalog, Diagnostics> {
    compile_from(Sources::Memory(files))
}

fn compile_from(sources: Sources) -> Result<Catalog, Diagnostics> {
    let mut diags = Vec::new();
    let mut forms = files::load_forms(sources, &mut diags);
    refs::check(&mut forms, &mut diags);
    let schemas = match index_forms(&forms) {
        Ok(schemas) => schemas,
        Err(problem) => {
            diags.push(problem);
            return Err(Diagnostics {
                errors: diags,
                warnings: Vec::new(),
            });
        }
    };
    let (services, broken) = compile_services(sources, &forms, &schemas, &mut diags);
    let mut warnings = super::lint::lint(&forms, &services);
    let mut catalog = Catalog {
        bundles: BTreeMap::new(),
        services,
        schemas,
        warnings: Vec::new(),
        earlier: BTreeMap::new(),
    };
    compile_bundles(
        sources,
        &mut catalog,
        &forms,
        &broken,
        &mut diags,
        &mut warnings,
    );
    if diags.is_empty() {
        catalog.warnings = warnings;
        Ok(catalog)
    } else {
        Err(Diagnostics {
            errors: diags,
            warnings,
        })
    }
}

/// Every form file in one offline registry, so `$ref`s between them resolve without a fetch.
fn index_forms(forms: &BTreeMap<String, Value>) -> Result<Schemas, Diagnostic> {
    let all = forms
        .iter()
        .map(|(rel, v)| (Schemas::uri_for(rel), v.clone()))
        .collect();
    Schemas::new(all).map_err(|e| {
        Diagnostic::new(
            Path::new("forms"),
            "",
            format!("cannot index the form files: {e}"),
        )
    })
}

/// Every service that compiles, and the ids of those that do not (so that bundles naming them
/// do not report their problems twice).
fn compile_services(
    sources: Sources,
    forms: &BTreeMap<String, Value>,
    schemas: &Schemas,
    diags: &mut Vec<Diagnostic>,
) -> (BTreeMap<ServiceId, Service>, BTreeSet<String>) {
    let mut services = BTreeMap::new();
    let mut broken = BTreeSet::new();
    for (file, raw) in files::load_yaml::<RawService>(sources, "services", diags) {
        let id = raw.id.clone();
        match service::compile_service(&file, raw, forms, schemas, diags) {
            Some(service) => {
                services.insert(service.id.clone(), service);
            }
            None => {
                broken.insert(id);
            }
        }
    }
    (services, broken)
}

/// Every bundle that compiles, into `catalog`, each checked for a combined form that can be
/// built and filled in, and for templates that name only what it provides.
fn compile_bundles(
    sources: Sources,
    catalog: &mut Catalog,
    forms: &BTreeMap<String, Value>,
    broken: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) {
    for (file, raw) in files::load_yaml::<RawBundle>(sources, "bundles", diags) {
        warnings.extend(super::lint::optional_only(&file, &raw));
        let mut unfilled = Vec::new();
        templates::check(sources, &file, &raw, catalog, forms, &mut unfilled);
        let bundle = bundle::compile_bundle(sources, &file, raw, catalog, broken, diags);
        diags.extend(unfilled);
        let Some(bundle) = bundle else {
            continue;
        };
        let ids: Vec<ServiceId> = bundle.steps.iter().map(|s| s.service.clone()).collect();
        if let Err(e) = CombinedForm::build(&bundle, catalog, &ids) {
            diags.push(Diagnostic::new(&file, "services", e.to_string()));
        }
        diags.extend(bundle::incompatible_fields(&file, &bundle, catalog, forms));
        catalog.bundles.insert(bundle.id.clone(), bundle);
    }
}

fn text(raw: RawText) -> Text {
    Text {
        uk: raw.uk,
        en: raw.en,
    }
}

/// A definition's own id: an identifier (`ServiceId::parse`, the same rule for bundles), the
/// same as its file's name.
fn check_id_matches_file(file: &Path, id: &str, diags: &mut Vec<Diagnostic>) {
    if let Err(e) = ServiceId::parse(id) {
        diags.push(Diagnostic::new(file, "id", e.to_string()));
    }
    let stem = files::file_stem(file);
    if id != stem {
        let message = format!("id \"{id}\" must match the file name \"{stem}\"");
        diags.push(Diagnostic::new(file, "id", message));
    }
}

/// `retry:` and `timeout_ms:` of a service or a step, checked.
fn compile_policy(
    file: &Path,
    at: &str,
    retry: Option<&RawRetry>,
    timeout_ms: Option<u64>,
    diags: &mut Vec<Diagnostic>,
) -> PolicyOverride {
    let prefix = if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    };
    if retry.is_some_and(|r| r.max_attempts == Some(0)) {
        diags.push(Diagnostic::new(
            file,
            format!("{prefix}retry.max_attempts"),
            "must be at least 1",
        ));
    }
    if retry.is_some_and(|r| r.retry_for_seconds == Some(0)) {
        diags.push(Diagnostic::new(
            file,
            format!("{prefix}retry.retry_for_seconds"),
            "must be more than 0",
        ));
    }
    if timeout_ms == Some(0) {
        diags.push(Diagnostic::new(
            file,
            format!("{prefix}timeout_ms"),
            "must be more than 0",
        ));
    }
    PolicyOverride {
        max_attempts: retry.and_then(|r| r.max_attempts).map(i64::from),
        retry_for: retry
            .and_then(|r| r.retry_for_seconds)
            .map(Duration::from_secs),
        backoff_base: retry
            .and_then(|r| r.backoff_base_ms)
            .map(Duration::from_millis),
        backoff_cap: retry
            .and_then(|r| r.backoff_cap_ms)
            .map(Duration::from_millis),
        timeout: timeout_ms.map(Duration::from_millis),
    }
}
