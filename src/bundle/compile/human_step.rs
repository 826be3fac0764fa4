//! A step a person takes (a consent, a co-signature): the services that wait for it, how long
//! it stays open, and when it is needed. Pure, like the rest of compilation.

use super::step::compile_condition;
use super::text;
use crate::bundle::HumanStep;
use crate::bundle::ServiceId;
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::RawHumanStep;
use std::collections::BTreeSet;
use std::path::Path;

pub(super) fn compile_human_step(
    file: &Path,
    i: usize,
    raw: &RawHumanStep,
    in_bundle: &BTreeSet<&str>,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<HumanStep> {
    let at = format!("human_steps[{i}]");
    let before = diags.len();
    // A step's id is a call's service in the store, its key and the retry URL: an identifier.
    if let Err(e) = ServiceId::parse(&raw.id) {
        diags.push(Diagnostic::new(file, format!("{at}.id"), e.to_string()));
    }
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
    let expires_after = compile_expiry(file, &at, raw, diags);
    let person = raw
        .person
        .as_ref()
        .map(|p| compile_person(file, &at, p, fields, diags));
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
            .filter_map(|s| ServiceId::parse(&s.value).ok())
            .collect(),
        expires_after: expires_after?,
        person: person.flatten(),
    })
}

/// The person's pointers must point into the combined form's fields.
fn compile_person(
    file: &Path,
    at: &str,
    raw: &crate::bundle::raw::RawPerson,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<crate::bundle::Person> {
    let before = diags.len();
    let pointers = [("rnokpp", Some(&raw.rnokpp)), ("phone", raw.phone.as_ref())];
    for (name, pointer) in pointers.into_iter().filter_map(|(n, p)| Some((n, p?))) {
        let top = pointer.strip_prefix('/').and_then(|p| p.split('/').next());
        if !top.is_some_and(|t| fields.contains(t)) {
            let message = format!("\"{pointer}\" is not a JSON pointer to a field of the form");
            diags.push(Diagnostic::new(
                file,
                format!("{at}.person.{name}"),
                message,
            ));
        }
    }
    (diags.len() == before).then(|| crate::bundle::Person {
        name: raw.name.clone(),
        rnokpp: raw.rnokpp.clone(),
        phone: raw.phone.clone(),
    })
}

/// How long the step stays open: a positive ISO 8601 or friendly duration.
fn compile_expiry(
    file: &Path,
    at: &str,
    raw: &RawHumanStep,
    diags: &mut Vec<Diagnostic>,
) -> Option<jiff::Span> {
    let expiry_at = format!("{at}.expires_after");
    match raw.expires_after.value.parse::<jiff::Span>() {
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
    }
}
