//! How applications of a bundle are found: the work list's name and search pointers, and the
//! duplicate rules. Each pointer must start at a field of the bundle's combined form.

use super::text;
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::{RawBundle, RawDuplicateRule};
use crate::bundle::{DuplicateRule, WorkList};
use std::collections::BTreeSet;
use std::path::Path;

/// The work list and the duplicate rules of a bundle.
pub(super) fn finding(
    file: &Path,
    raw: &RawBundle,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> (WorkList, Vec<DuplicateRule>) {
    let work_list = work_list(file, raw, fields, diags);
    (work_list, duplicates(file, &raw.duplicates, fields, diags))
}

/// The work list's name (the applicant's when not given) and search pointers.
fn work_list(
    file: &Path,
    raw: &RawBundle,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> WorkList {
    let Some(list) = &raw.work_list else {
        return WorkList {
            name: raw.applicant.clone(),
            search: Vec::new(),
        };
    };
    let name = list.name.clone().unwrap_or_else(|| raw.applicant.clone());
    if let Err(e) = handlebars::Template::compile(&name) {
        let message = format!("invalid template: {e}");
        diags.push(Diagnostic::new(file, "work_list.name", message));
    }
    for (i, pointer) in list.search.iter().enumerate() {
        check_pointer(
            file,
            &format!("work_list.search[{i}]"),
            pointer,
            fields,
            diags,
        );
    }
    WorkList {
        name,
        search: list.search.clone(),
    }
}

/// The duplicate rules, each with at least one pointer.
fn duplicates(
    file: &Path,
    raw: &[RawDuplicateRule],
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DuplicateRule> {
    let mut rules = Vec::with_capacity(raw.len());
    for (i, rule) in raw.iter().enumerate() {
        let at = format!("duplicates[{i}].fields");
        if rule.fields.is_empty() {
            diags.push(Diagnostic::new(file, at.clone(), "name at least one field"));
        }
        for (j, pointer) in rule.fields.iter().enumerate() {
            check_pointer(file, &format!("{at}[{j}]"), pointer, fields, diags);
            let stars = pointer.split('/').filter(|segment| *segment == "*").count();
            let list = pointer.split_once("/*").map(|(list, _)| list);
            let lists = (rule.fields.iter()).filter_map(|f| f.split_once("/*").map(|(l, _)| l));
            if stars > 1 || lists.into_iter().any(|l| Some(l) != list && list.is_some()) {
                let message = format!(
                    "\"{pointer}\": a duplicate rule takes one value a field, or one a item of a single list (`/children/*/…`)"
                );
                diags.push(Diagnostic::new(file, format!("{at}[{j}]"), message));
            }
        }
        rules.push(DuplicateRule {
            title: text(rule.title.clone()),
            fields: rule.fields.clone(),
        });
    }
    rules
}

/// A pointer must start at one of the form's fields.
fn check_pointer(
    file: &Path,
    at: &str,
    pointer: &str,
    fields: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let top = pointer.strip_prefix('/').and_then(|p| p.split('/').next());
    if !top.is_some_and(|t| fields.contains(t)) {
        let message = format!("\"{pointer}\" is not a JSON pointer to a field of the form");
        diags.push(Diagnostic::new(file, at, message));
    }
}
