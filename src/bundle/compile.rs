//! From files to a `Catalog`: parse every definition, check every reference, report every
//! problem at once.

use super::diag::{Diagnostic, Diagnostics};
use super::raw::{RawBundle, RawHumanStep, RawRetry, RawService, RawStep, RawText};
use super::{
    Binding, Bundle, BundleId, Catalog, Condition, HumanStep, PolicyOverride, ReceiptTexts, Repeat,
    Service, ServiceId, ServiceInput, Step, SummaryRow, Text,
};
use crate::form::{CombinedForm, Schemas};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Load and check everything under `root` (`bundles/`, `services/`, `forms/`).
pub fn compile(root: &Path) -> Result<Catalog, Diagnostics> {
    let mut diags = Vec::new();
    let forms = load_forms(root, &mut diags);
    let schemas = match Schemas::new(
        forms
            .iter()
            .map(|(rel, v)| (Schemas::uri_for(rel), v.clone()))
            .collect(),
    ) {
        Ok(schemas) => schemas,
        Err(e) => {
            diags.push(Diagnostic::new(
                Path::new("forms"),
                "",
                format!("cannot index the form files: {e}"),
            ));
            return Err(Diagnostics {
                errors: diags,
                warnings: Vec::new(),
            });
        }
    };
    let mut services = BTreeMap::new();
    let mut broken = BTreeSet::new();
    for (file, raw) in load_yaml::<RawService>(root, "services", &mut diags) {
        let id = raw.id.clone();
        match compile_service(&file, raw, &forms, &schemas, &mut diags) {
            Some(service) => {
                services.insert(service.id.clone(), service);
            }
            None => {
                broken.insert(id);
            }
        }
    }
    let warnings = super::lint::lint(&forms, &services);
    let mut catalog = Catalog {
        bundles: BTreeMap::new(),
        services,
        schemas,
        warnings: Vec::new(),
    };
    for (file, raw) in load_yaml::<RawBundle>(root, "bundles", &mut diags) {
        if let Some(bundle) = compile_bundle(root, &file, raw, &catalog, &broken, &mut diags) {
            let ids: Vec<ServiceId> = bundle.steps.iter().map(|s| s.service.clone()).collect();
            if let Err(e) = CombinedForm::build(&bundle, &catalog, &ids) {
                diags.push(Diagnostic::new(&file, "services", e.to_string()));
            }
            diags.extend(incompatible_fields(&file, &bundle, &catalog, &forms));
            catalog.bundles.insert(bundle.id.clone(), bundle);
        }
    }
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

fn files_with_suffix(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_with_suffix(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// Every `forms/**/*.schema.json`, by path relative to `forms/`.
fn load_forms(root: &Path, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Value> {
    let dir = root.join("forms");
    let mut paths = Vec::new();
    files_with_suffix(&dir, ".schema.json", &mut paths);
    let mut forms = BTreeMap::new();
    for path in paths {
        let shown = relative(root, &path);
        let rel = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| {
                    format!(
                        "invalid JSON at line {}, column {}: {e}",
                        e.line(),
                        e.column()
                    )
                })
            }) {
            Ok(value) => {
                forms.insert(rel, value);
            }
            Err(e) => diags.push(Diagnostic::new(&shown, "", e)),
        }
    }
    forms
}

fn load_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    folder: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, T)> {
    let mut paths = Vec::new();
    let dir = root.join(folder);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        paths = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
    }
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let shown = relative(root, &path);
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_saphyr::from_str::<T>(&text) {
                Ok(raw) => out.push((shown, raw)),
                Err(e) => diags.push(Diagnostic::new(
                    &shown,
                    "",
                    format!("cannot read YAML: {}", first_line(&e.to_string())),
                )),
            },
            Err(e) => diags.push(Diagnostic::new(
                &shown,
                "",
                format!("cannot read file: {e}"),
            )),
        }
    }
    out
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    line.trim_start_matches("error: ").to_owned()
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn text(raw: RawText) -> Text {
    Text {
        uk: raw.uk,
        en: raw.en,
    }
}

fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn check_id_matches_file(file: &Path, id: &str, diags: &mut Vec<Diagnostic>) {
    let stem = file_stem(file);
    if id != stem {
        let message = format!("id \"{id}\" must match the file name \"{stem}\"");
        diags.push(Diagnostic::new(file, "id", message));
    }
}

fn compile_service(
    file: &Path,
    raw: RawService,
    forms: &BTreeMap<String, Value>,
    schemas: &Schemas,
    diags: &mut Vec<Diagnostic>,
) -> Option<Service> {
    let before = diags.len();
    check_id_matches_file(file, &raw.id, diags);
    let form_file = Path::new("forms").join(&raw.form);
    let input = match forms.get(&raw.form) {
        None => {
            diags.push(Diagnostic::new(
                file,
                "form",
                format!("form file not found or unreadable: {}", form_file.display()),
            ));
            None
        }
        Some(form) => match service_input(form, &Schemas::uri_for(&raw.form)) {
            Ok(input) => Some(input),
            Err(e) => {
                diags.push(Diagnostic::new(&form_file, "", e));
                None
            }
        },
    };
    // Only a form that was read can be compiled; a missing one is reported once, above.
    let input_validator = input.as_ref().and_then(|_| {
        let form_ref = serde_json::json!({ "$ref": Schemas::uri_for(&raw.form) });
        let invalid = |e| Diagnostic::new(&form_file, "", format!("invalid JSON Schema: {e}"));
        schemas
            .validator(&form_ref)
            .map_err(|e| diags.push(invalid(e)))
            .ok()
    });
    let output_validator = schemas
        .validator(&raw.outputs)
        .map_err(|e| {
            diags.push(Diagnostic::new(
                file,
                "outputs",
                format!("invalid JSON Schema: {e}"),
            ))
        })
        .ok();
    if !raw.outputs.get("properties").is_some_and(Value::is_object) {
        diags.push(Diagnostic::new(
            file,
            "outputs",
            "the output schema must be an object schema with \"properties\"",
        ));
    }
    for (lang, template) in [("uk", &raw.reference.uk), ("en", &raw.reference.en)] {
        if let Err(e) = handlebars::Template::compile(template) {
            diags.push(Diagnostic::new(
                file,
                format!("reference.{lang}"),
                format!("invalid template: {e}"),
            ));
        }
    }
    let policy = compile_policy(file, "", raw.retry.as_ref(), raw.timeout_ms, diags);
    if diags.len() > before {
        return None;
    }
    Some(Service {
        id: ServiceId(raw.id),
        title: text(raw.title),
        registry: raw.registry,
        authority: text(raw.authority),
        form: raw.form,
        input: input?,
        input_validator: input_validator?,
        outputs: raw.outputs,
        output_validator: output_validator?,
        reference: text(raw.reference),
        policy,
    })
}

/// The top-level properties (with `$ref`s made absolute) and required fields of a form file.
fn service_input(form: &Value, uri: &str) -> Result<ServiceInput, String> {
    let Some(properties) = form.get("properties").and_then(Value::as_object) else {
        return Err("a service form must be an object schema with top-level \"properties\"".into());
    };
    let mut out = BTreeMap::new();
    for (name, schema) in properties {
        let mut schema = schema.clone();
        crate::form::absolutize(&mut schema, uri).map_err(|e| format!("properties.{name}: {e}"))?;
        out.insert(name.clone(), schema);
    }
    let required = form
        .get("required")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(ServiceInput {
        properties: out,
        required,
    })
}

fn compile_bundle(
    root: &Path,
    file: &Path,
    raw: RawBundle,
    catalog: &Catalog,
    broken: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Bundle> {
    let before = diags.len();
    check_id_matches_file(file, &raw.id, diags);
    let receipt = match &raw.receipt {
        Some(name) => ReceiptTexts::load(root, file, name, diags),
        None => Some(ReceiptTexts::default_texts()),
    };
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
    let in_bundle: BTreeSet<&str> = raw
        .services
        .iter()
        .map(|s| s.service.value.as_str())
        .collect();
    let fields = form_fields(&raw, catalog);
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
        let condition = step.when.as_ref().and_then(|source| {
            compile_condition(file, &format!("{at}.when"), source, &fields, diags)
        });
        steps.push(
            compile_step(file, &at, step, &in_bundle, catalog, diags).map(|mut s| {
                s.condition = condition;
                s
            }),
        );
    }
    let steps: Vec<Step> = steps.into_iter().flatten().collect();
    check_repeated_bindings(file, &raw, &steps, diags);
    let mut ids = BTreeSet::new();
    for (i, h) in raw.human_steps.iter().enumerate() {
        if !ids.insert(h.id.as_str()) {
            let message = format!("human step \"{}\" is declared twice", h.id);
            diags.push(Diagnostic::new(
                file,
                format!("human_steps[{i}].id"),
                message,
            ));
        }
    }
    let human_steps = raw
        .human_steps
        .iter()
        .enumerate()
        .filter_map(|(i, h)| compile_human_step(file, i, h, &in_bundle, &fields, diags))
        .collect();
    let ordered = match order(&steps) {
        Ok(ordered) => ordered,
        Err(cycle) => {
            diags.push(Diagnostic::new(
                file,
                "services",
                format!("dependency cycle: {}", cycle.join(" → ")),
            ));
            return None;
        }
    };
    if diags.len() > before {
        return None;
    }
    Some(Bundle {
        id: BundleId(raw.id),
        version: raw.version,
        title: text(raw.title),
        description: text(raw.description),
        applicant: raw.applicant,
        summary: raw
            .summary
            .into_iter()
            .map(|row| SummaryRow {
                label: text(row.label),
                value: row.value,
            })
            .collect(),
        steps: ordered,
        human_steps,
        receipt: receipt?,
        forms: Mutex::new(BTreeMap::new()),
    })
}

fn compile_step(
    file: &Path,
    at: &str,
    raw: &RawStep,
    in_bundle: &BTreeSet<&str>,
    catalog: &Catalog,
    diags: &mut Vec<Diagnostic>,
) -> Option<Step> {
    let id = ServiceId(raw.service.value.clone());
    let Some(service) = catalog.service(&id) else {
        let message = format!("unknown service \"{id}\" (no services/{id}.yaml)");
        diags.push(
            Diagnostic::new(file, format!("{at}.service"), message).at(&raw.service.referenced),
        );
        return None;
    };
    let mut depends_on: Vec<ServiceId> = Vec::new();
    for (j, after) in raw.after.iter().enumerate() {
        if in_bundle.contains(after.value.as_str()) {
            depends_on.push(ServiceId(after.value.clone()));
        } else {
            let message = format!("unknown service \"{}\": not in this bundle", after.value);
            diags.push(
                Diagnostic::new(file, format!("{at}.after[{j}]"), message).at(&after.referenced),
            );
        }
    }
    let mut bindings = Vec::new();
    for (input, source) in &raw.inputs {
        let path = format!("{at}.inputs.{input}");
        match check_binding(service, input, &source.value, in_bundle, catalog) {
            Ok(binding) => {
                if !depends_on.contains(&binding.from) {
                    depends_on.push(binding.from.clone());
                }
                bindings.push(binding);
            }
            Err(e) => diags.push(Diagnostic::new(file, path, e).at(&source.referenced)),
        }
    }
    let policy = compile_policy(file, at, raw.retry.as_ref(), raw.timeout_ms, diags);
    let repeat = raw.for_each.as_ref().and_then(|each| {
        let as_input = &each.as_input.value;
        let problem = if !service.input.properties.contains_key(as_input) {
            Some(format!(
                "\"{as_input}\" is not an input of service \"{}\"",
                service.id
            ))
        } else if raw.inputs.contains_key(as_input) {
            Some(format!(
                "\"{as_input}\" is also bound to an output; it cannot be both"
            ))
        } else {
            None
        };
        match problem {
            Some(message) => {
                let path = format!("{at}.for_each.as");
                diags.push(Diagnostic::new(file, path, message).at(&each.as_input.referenced));
                None
            }
            None => Some(Repeat {
                items: each.items.value.clone(),
                as_input: as_input.clone(),
            }),
        }
    });
    Some(Step {
        service: id,
        optional: raw.optional,
        condition: None,
        depends_on,
        bindings,
        repeat,
        policy,
    })
}

/// An output of a repeated service can feed only a service repeated over the same items (item by
/// item): anything else would not know which item's output to take.
fn check_repeated_bindings(
    file: &Path,
    raw: &RawBundle,
    steps: &[Step],
    diags: &mut Vec<Diagnostic>,
) {
    for step in steps {
        for binding in &step.bindings {
            let Some(source) = steps.iter().find(|s| s.service == binding.from) else {
                continue;
            };
            let items = |s: &Step| s.repeat.as_ref().map(|r| r.items.clone());
            if source.repeat.is_some() && items(source) != items(step) {
                let message = format!(
                    "\"{}\" repeats for each item of \"{}\", so its output \"{}\" can only feed a service repeated over the same items",
                    source.service,
                    items(source).unwrap_or_default(),
                    binding.output
                );
                let position = raw
                    .services
                    .iter()
                    .position(|s| s.service.value == step.service.0);
                let written = position.and_then(|i| raw.services[i].inputs.get(&binding.input));
                let path = format!(
                    "services[{}].inputs.{}",
                    position.unwrap_or_default(),
                    binding.input
                );
                let problem = Diagnostic::new(file, path, message);
                diags.push(match written {
                    Some(written) => problem.at(&written.referenced),
                    None => problem,
                });
            }
        }
    }
}

fn compile_human_step(
    file: &Path,
    i: usize,
    raw: &RawHumanStep,
    in_bundle: &BTreeSet<&str>,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<HumanStep> {
    let at = format!("human_steps[{i}]");
    let before = diags.len();
    for (j, service) in raw.before.iter().enumerate() {
        if !in_bundle.contains(service.value.as_str()) {
            let message = format!("unknown service \"{}\": not in this bundle", service.value);
            diags.push(
                Diagnostic::new(file, format!("{at}.before[{j}]"), message).at(&service.referenced),
            );
        }
    }
    if raw.before.is_empty() {
        diags.push(Diagnostic::new(
            file,
            format!("{at}.before"),
            "name at least one service that waits for this step",
        ));
    }
    let expiry_at = format!("{at}.expires_after");
    let expires_after = match raw.expires_after.value.parse::<jiff::Span>() {
        Ok(span) if span.is_positive() => Some(span),
        Ok(_) => {
            let problem = Diagnostic::new(file, expiry_at, "must be a positive duration");
            diags.push(problem.at(&raw.expires_after.referenced));
            None
        }
        Err(e) => {
            let message = format!("not a duration (write P14D or \"14 days\"): {e}");
            let problem = Diagnostic::new(file, expiry_at, message);
            diags.push(problem.at(&raw.expires_after.referenced));
            None
        }
    };
    let condition = raw
        .when
        .as_ref()
        .map(|source| compile_condition(file, &format!("{at}.when"), source, fields, diags));
    if diags.len() > before {
        return None;
    }
    Some(HumanStep {
        id: raw.id.clone(),
        title: text(raw.title.clone()),
        instructions: text(raw.instructions.clone()),
        condition: condition.flatten(),
        before: raw
            .before
            .iter()
            .map(|s| ServiceId(s.value.clone()))
            .collect(),
        expires_after: expires_after?,
    })
}

/// The top-level fields of the bundle's combined form: every input of its services that is not
/// bound to an earlier service's output.
fn form_fields(raw: &RawBundle, catalog: &Catalog) -> BTreeSet<String> {
    raw.services
        .iter()
        .filter_map(|step| {
            let service = catalog.service(&ServiceId(step.service.value.clone()))?;
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

/// Parse a `when:` condition and check that it reads only fields of the combined form.
fn compile_condition(
    file: &Path,
    at: &str,
    source: &serde_saphyr::Spanned<String>,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Arc<Condition>> {
    let condition = match Condition::parse(&source.value) {
        Ok(condition) => condition,
        Err(e) => {
            let problem = Diagnostic::new(file, at, format!("condition does not parse: {e}"));
            diags.push(problem.at(&source.referenced));
            return None;
        }
    };
    let unknown: Vec<String> = condition
        .fields()
        .iter()
        .filter(|f| !fields.contains(*f))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = fields.iter().map(String::as_str).collect();
        let unknown: Vec<String> = unknown.iter().map(|u| format!("\"{u}\"")).collect();
        let message = format!(
            "condition names unknown field(s) {} (the form has: {})",
            unknown.join(", "),
            known.join(", ")
        );
        diags.push(Diagnostic::new(file, at, message).at(&source.referenced));
        return None;
    }
    Some(Arc::new(condition))
}

fn check_binding(
    service: &Service,
    input: &str,
    source: &str,
    in_bundle: &BTreeSet<&str>,
    catalog: &Catalog,
) -> Result<Binding, String> {
    let Some(target) = service.input.properties.get(input) else {
        return Err(format!(
            "\"{input}\" is not an input of service \"{}\"",
            service.id
        ));
    };
    let Some((from, output)) = source.rsplit_once('.') else {
        return Err(format!(
            "\"{source}\" must be written as <service>.<output>"
        ));
    };
    if !in_bundle.contains(from) {
        return Err(format!(
            "no service \"{from}\" in this bundle produces \"{output}\""
        ));
    }
    let from_service = catalog
        .service(&ServiceId(from.to_owned()))
        .ok_or_else(|| format!("unknown service \"{from}\""))?;
    let Some(produced) = from_service
        .outputs
        .get("properties")
        .and_then(|p| p.get(output))
    else {
        return Err(format!("service \"{from}\" has no output \"{output}\""));
    };
    let (want, have) = (target.get("type"), produced.get("type"));
    if want.is_some() && have.is_some() && want != have {
        return Err(format!(
            "type mismatch: input \"{input}\" is {} but output \"{source}\" is {}",
            want.map(Value::to_string).unwrap_or_default(),
            have.map(Value::to_string).unwrap_or_default()
        ));
    }
    Ok(Binding {
        input: input.to_owned(),
        from: ServiceId(from.to_owned()),
        output: output.to_owned(),
    })
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
            let mut cycle: Vec<String> = path[start..].iter().map(|s| s.0.clone()).collect();
            cycle.push(next.0.clone());
            return cycle;
        }
        path.push(next);
    }
    path.iter().map(|s| s.0.clone()).collect()
}

/// Fields that two services of a bundle demand with different JSON types: no data could satisfy
/// both, so every application would be refused.
fn incompatible_fields(
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
    if timeout_ms == Some(0) {
        diags.push(Diagnostic::new(
            file,
            format!("{prefix}timeout_ms"),
            "must be more than 0",
        ));
    }
    PolicyOverride {
        max_attempts: retry.and_then(|r| r.max_attempts).map(i64::from),
        backoff_base: retry
            .and_then(|r| r.backoff_base_ms)
            .map(Duration::from_millis),
        backoff_cap: retry
            .and_then(|r| r.backoff_cap_ms)
            .map(Duration::from_millis),
        timeout: timeout_ms.map(Duration::from_millis),
    }
}
