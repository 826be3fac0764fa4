//! A bundle: its templates, its steps (each compiled by `step`), its human steps, the order its
//! services run in (a cycle is an error), and the fields two services would demand with
//! incompatible types. It reads no files but the receipt texts a bundle names.

use super::human_step::compile_human_step;
use super::step::{check_repeated_bindings, compile_condition, compile_step};
use super::{check_id_matches_file, text};
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::RawBundle;
use crate::bundle::{
    Bundle, BundleId, Catalog, HumanStep, ReceiptTexts, Refusal, ServiceId, Step, SummaryRow,
};
use crate::form::Schemas;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

/// A bundle, or nothing when anything about it is wrong (every problem reported). Services in
/// `broken` failed on their own and are not reported again.
pub(super) fn compile_bundle(
    sources: super::Sources,
    file: &Path,
    raw: RawBundle,
    catalog: &Catalog,
    broken: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Bundle> {
    let before = diags.len();
    check_id_matches_file(file, &raw.id, diags);
    let receipt = match &raw.receipt {
        Some(name) => ReceiptTexts::load(|path| sources.read(path), file, name, diags),
        None => Some(ReceiptTexts::default_texts()),
    };
    check_templates(file, &raw, diags);
    let in_bundle: BTreeSet<&str> = raw
        .services
        .iter()
        .map(|s| s.service.value.as_str())
        .collect();
    let fields = form_fields(&raw, catalog);
    let scope = Scope {
        file,
        in_bundle: &in_bundle,
        fields: &fields,
    };
    let steps = steps(&scope, &raw, catalog, broken, diags);
    check_repeated_bindings(file, &raw, &steps, diags);
    let human_steps = human_steps(&scope, &raw, diags);
    let retention = retention(file, raw.retention.as_deref(), diags);
    let (work_list, duplicates) = super::finding::finding(file, &raw, &fields, diags);
    let refusals = refusals(file, &raw, scope.fields, diags);
    let ordered = ordered(file, &steps, diags);
    if diags.len() > before {
        return None;
    }
    Some(Bundle {
        id: BundleId::parse(&raw.id).ok()?,
        files: own_files(file, &raw),
        version: raw.version,
        title: text(raw.title),
        description: text(raw.description),
        public: raw.public,
        retention,
        applicant: raw.applicant,
        summary: summary(raw.summary),
        steps: ordered?,
        human_steps,
        receipt: receipt?,
        work_list,
        duplicates,
        refusals,
        purposes: purposes(file, raw.purposes, diags),
        forms: Mutex::new(BTreeMap::new()),
    })
}

/// Why the data is processed: ids sent comma-separated in a header (`Uxp-Purpose-Ids`), so
/// each is letters, digits and `-_.:` (an error is reported otherwise).
fn purposes(file: &Path, purposes: Vec<String>, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    for (n, purpose) in purposes.iter().enumerate() {
        let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if purpose.is_empty() || !purpose.chars().all(fits) {
            diags.push(Diagnostic::new(
                file,
                format!("purposes[{n}]"),
                format!("\"{purpose}\" is not a purpose id (letters, digits, - _ . : only)"),
            ));
        }
    }
    purposes
}

/// The further lines of the receipt's summary.
fn summary(rows: Vec<crate::bundle::raw::RawSummaryRow>) -> Vec<SummaryRow> {
    (rows.into_iter())
        .map(|row| SummaryRow {
            label: text(row.label),
            value: row.value,
        })
        .collect()
}

/// The bundle's own files: its file and the receipt texts it names.
fn own_files(file: &Path, raw: &RawBundle) -> Vec<String> {
    let mut files = vec![file.to_string_lossy().replace('\\', "/")];
    files.extend(raw.receipt.as_ref().map(|name| format!("receipts/{name}")));
    files
}

/// The steps in an order that respects their dependencies, or a cycle reported.
fn ordered(file: &Path, steps: &[Step], diags: &mut Vec<Diagnostic>) -> Option<Vec<Step>> {
    let ordered = order(steps).map_err(|cycle| {
        let message = format!("dependency cycle: {}", cycle.join(" → "));
        diags.push(Diagnostic::new(file, "services", message));
    });
    ordered.ok()
}

/// How long personal data is kept after the application ends: a positive duration.
fn retention(file: &Path, raw: Option<&str>, diags: &mut Vec<Diagnostic>) -> Option<jiff::Span> {
    let text = raw?;
    match text.parse::<jiff::Span>() {
        Ok(span) if span.is_positive() => Some(span),
        Ok(_) => {
            diags.push(Diagnostic::new(
                file,
                "retention",
                "must be a positive duration",
            ));
            None
        }
        Err(e) => {
            let message = format!("not a duration (write P90D or \"90 days\"): {e}");
            diags.push(Diagnostic::new(file, "retention", message));
            None
        }
    }
}

/// What a bundle's parts are checked against: its file, its services, its form's fields.
struct Scope<'a> {
    file: &'a Path,
    in_bundle: &'a BTreeSet<&'a str>,
    fields: &'a BTreeSet<String>,
}

/// The applicant and summary templates must compile.
fn check_templates(file: &Path, raw: &RawBundle, diags: &mut Vec<Diagnostic>) {
    if let Err(e) = handlebars::Template::compile(&raw.applicant) {
        diags.push(Diagnostic::new(
            file,
            "applicant",
            format!("invalid template: {e}"),
        ));
    }
    for (i, row) in raw.summary.iter().enumerate() {
        if let Err(e) = handlebars::Template::compile(&row.value) {
            diags.push(Diagnostic::new(
                file,
                format!("summary[{i}].value"),
                format!("invalid template: {e}"),
            ));
        }
    }
}

/// The bundle's steps that compile, in the file's order, each listed once.
fn steps(
    scope: &Scope,
    raw: &RawBundle,
    catalog: &Catalog,
    broken: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Step> {
    let file = scope.file;
    let mut seen = BTreeSet::new();
    let mut steps = Vec::new();
    for (i, step) in raw.services.iter().enumerate() {
        let at = format!("services[{i}]");
        if !seen.insert(step.service.value.as_str()) {
            let message = format!("service \"{}\" is listed twice", step.service.value);
            diags.push(
                Diagnostic::new(file, format!("{at}.service"), message)
                    .at(&step.service.referenced),
            );
        }
        if broken.contains(&step.service.value) {
            // Its own file's problems are already reported; say nothing twice.
            continue;
        }
        // A repeated step's condition may name its item (`person.military.liable`): it is
        // then judged for each item.
        let mut fields = scope.fields.clone();
        fields.extend(step.for_each.as_ref().map(|e| e.as_input.value.clone()));
        let condition = step.when.as_ref().and_then(|source| {
            compile_condition(file, &format!("{at}.when"), source, &fields, diags)
        });
        steps.push(
            compile_step(file, &at, step, scope.in_bundle, catalog, diags).map(|mut s| {
                s.condition = condition;
                s
            }),
        );
    }
    steps.into_iter().flatten().collect()
}

/// The bundle's human steps that compile, each declared once.
fn human_steps(scope: &Scope, raw: &RawBundle, diags: &mut Vec<Diagnostic>) -> Vec<HumanStep> {
    let mut ids = BTreeSet::new();
    for (i, h) in raw.human_steps.iter().enumerate() {
        if !ids.insert(h.id.as_str()) {
            let message = format!("human step \"{}\" is declared twice", h.id);
            diags.push(Diagnostic::new(
                scope.file,
                format!("human_steps[{i}].id"),
                message,
            ));
        }
    }
    raw.human_steps
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            compile_human_step(scope.file, i, h, scope.in_bundle, scope.fields, diags)
        })
        .collect()
}

/// `refuse:` of a bundle: each condition parses and names fields of the form.
fn refusals(
    file: &Path,
    raw: &RawBundle,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Refusal> {
    let mut found = Vec::new();
    for (i, rule) in raw.refuse.iter().enumerate() {
        let at = format!("refuse[{i}].when");
        if !rule.pointer.starts_with('/') {
            let message = format!("\"{}\" must be a JSON pointer", rule.pointer);
            diags.push(Diagnostic::new(
                file,
                format!("refuse[{i}].pointer"),
                message,
            ));
        }
        if let Some(condition) = compile_condition(file, &at, &rule.when, fields, diags) {
            found.push(Refusal {
                condition,
                pointer: rule.pointer.clone(),
                message: text(rule.message.clone()),
            });
        }
    }
    found
}

/// The top-level fields of the bundle's combined form: every input of its services that is not
/// bound to an earlier service's output.
fn form_fields(raw: &RawBundle, catalog: &Catalog) -> BTreeSet<String> {
    raw.services
        .iter()
        .filter_map(|step| {
            let service = catalog.service(&step.service.value)?;
            let as_input = step
                .for_each
                .as_ref()
                .map(|each| each.as_input.value.as_str());
            let asked = service.input.properties.keys();
            let mut fields: Vec<String> = asked
                .filter(|name| !step.inputs.contains_key(*name) && Some(name.as_str()) != as_input)
                .cloned()
                .collect();
            fields.extend(step.for_each.as_ref().map(|each| each.items.value.clone()));
            Some(fields)
        })
        .flatten()
        .collect()
}

/// Steps in dependency order (stable), or the services of a cycle.
fn order(steps: &[Step]) -> Result<Vec<Step>, Vec<String>> {
    let mut done: Vec<Step> = Vec::new();
    let mut left: Vec<&Step> = steps.iter().collect();
    while !left.is_empty() {
        let ready = left.iter().position(|s| {
            s.depends_on
                .iter()
                .all(|d| done.iter().any(|x| &x.service == d))
        });
        match ready {
            Some(i) => done.push(left.remove(i).clone()),
            None => return Err(find_cycle(&left)),
        }
    }
    Ok(done)
}

/// Walk dependencies among the unresolved steps until a service repeats: that loop is the cycle.
fn find_cycle(left: &[&Step]) -> Vec<String> {
    let mut path: Vec<&ServiceId> = left.first().map(|s| &s.service).into_iter().collect();
    while let Some(current) = left.iter().find(|s| Some(&&s.service) == path.last()) {
        let unresolved = |d: &&ServiceId| left.iter().any(|s| &s.service == *d);
        let Some(next) = current.depends_on.iter().find(unresolved) else {
            break;
        };
        if let Some(start) = path.iter().position(|p| *p == next) {
            let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
            cycle.push(next.to_string());
            return cycle;
        }
        path.push(next);
    }
    path.iter().map(|s| s.to_string()).collect()
}

/// Fields that two services of a bundle demand with different JSON types: no data could satisfy
/// both, so every application would be refused.
pub(super) fn incompatible_fields(
    file: &Path,
    bundle: &Bundle,
    catalog: &Catalog,
    forms: &BTreeMap<String, Value>,
) -> Vec<Diagnostic> {
    let mut types: BTreeMap<&str, Vec<(&ServiceId, String)>> = BTreeMap::new();
    for step in &bundle.steps {
        let Some(service) = catalog.service(&step.service) else {
            continue;
        };
        for (name, schema) in &service.input.properties {
            let asked = !step.bindings.iter().any(|b| &b.input == name)
                && step.repeat.as_ref().is_none_or(|r| &r.as_input != name);
            if let (true, Some(kind)) = (asked, json_type(schema, forms)) {
                types.entry(name).or_default().push((&step.service, kind));
            }
        }
    }
    let mut diags = Vec::new();
    for (field, demands) in types {
        let Some((first, kind)) = demands.first() else {
            continue;
        };
        if let Some((other, other_kind)) = demands.iter().find(|(_, k)| k != kind) {
            let message = format!(
                "services \"{first}\" and \"{other}\" demand incompatible schemas for field \"{field}\": {kind} vs {other_kind}"
            );
            diags.push(Diagnostic::new(file, "services", message));
        }
    }
    diags
}

/// The JSON type a property schema demands, following a `$ref` to another form file.
fn json_type(schema: &Value, forms: &BTreeMap<String, Value>) -> Option<String> {
    if let Some(kind) = schema.get("type") {
        return Some(kind.to_string());
    }
    let reference = schema.get("$ref")?.as_str()?;
    let relative = reference.strip_prefix(Schemas::BASE)?;
    if relative.contains('#') {
        return None;
    }
    forms.get(relative)?.get("type").map(Value::to_string)
}
