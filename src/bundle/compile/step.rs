//! A step of a bundle: the service it calls, what it waits for, the outputs bound to its inputs
//! (checked against both schemas), its repetition over a list, its `when:` condition and its
//! retry policy. Pure: it reads only the catalogue compiled so far.

use super::compile_policy;
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::{RawBundle, RawStep};
use crate::bundle::{Binding, Catalog, Condition, Repeat, Service, ServiceId, Step};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

pub(super) fn compile_step(
    file: &Path,
    at: &str,
    raw: &RawStep,
    in_bundle: &BTreeSet<&str>,
    catalog: &Catalog,
    diags: &mut Vec<Diagnostic>,
) -> Option<Step> {
    let Some(service) = catalog.service(&raw.service.value) else {
        let id = &raw.service.value;
        let message = format!("unknown service \"{id}\" (no services/{id}.yaml)");
        diags.push(
            Diagnostic::new(file, format!("{at}.service"), message).at(&raw.service.referenced),
        );
        return None;
    };
    let mut depends_on: Vec<ServiceId> = Vec::new();
    for (j, after) in raw.after.iter().enumerate() {
        let id = ServiceId::parse(&after.value).ok();
        if let Some(id) = id.filter(|_| in_bundle.contains(after.value.as_str())) {
            depends_on.push(id);
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
    let repeat = repeat(file, at, raw, service, diags);
    Some(Step {
        service: service.id.clone(),
        optional: raw.optional,
        condition: None,
        depends_on,
        bindings,
        repeat,
        policy,
    })
}

/// The step's repetition over a list (`for_each`): the input each item goes to must be an input
/// of the service not bound to anything else.
fn repeat(
    file: &Path,
    at: &str,
    raw: &RawStep,
    service: &Service,
    diags: &mut Vec<Diagnostic>,
) -> Option<Repeat> {
    let each = raw.for_each.as_ref()?;
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
}

/// An output of a repeated service can feed only a service repeated over the same items (item by
/// item): anything else would not know which item's output to take.
pub(super) fn check_repeated_bindings(
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
                    .position(|s| s.service.value == step.service.as_str());
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

/// Parse a `when:` condition and check that it reads only fields of the combined form.
pub(super) fn compile_condition(
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
        .service(from)
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
        from: from_service.id.clone(),
        output: output.to_owned(),
    })
}
