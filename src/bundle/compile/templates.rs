//! A bundle's templates checked against what they are rendered over, so that a field the
//! combined form cannot provide is an error of `check`, not a blank or a render failure later:
//! the receipt texts (`receipts/<file>.hbs`, over `applicant`, `event`, `application.number` and
//! `.status`, `data` and `outputs.[<service>]`, as `receipt::view` builds them) and the
//! templates over the data alone (`applicant`, `summary[i].value`, `work_list.name`, a human
//! step's `person.name`). A template that does not compile is reported where it is compiled,
//! not again here. It reads the receipt file a bundle names, and nothing else.

use super::provided::Provided;
use super::template_paths::{Kind, Problem, problems};
use crate::bundle::Catalog;
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::RawBundle;
use handlebars::Template;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What a template is rendered over.
#[derive(Clone, Copy)]
enum Root {
    /// The application's data: the bundle's combined form.
    Data,
    /// The receipt texts' model, the data under `data`.
    Receipt,
}

/// Every path of `raw`'s templates its root cannot provide, reported (the receipt's against
/// its `.hbs` file with line and column; the others against `file` with their YAML path).
pub(super) fn check(
    sources: super::Sources,
    file: &Path,
    raw: &RawBundle,
    catalog: &Catalog,
    forms: &BTreeMap<String, Value>,
    diags: &mut Vec<Diagnostic>,
) {
    let data = data(raw, catalog, forms);
    for (at, source) in data_templates(raw) {
        let Ok(template) = Template::compile(source) else {
            continue;
        };
        for problem in problems(&template, &data) {
            let message = describe(&problem, Root::Data);
            diags.push(Diagnostic::new(file, at.clone(), message));
        }
    }
    let Some(name) = &raw.receipt else {
        return;
    };
    let path = Path::new("receipts").join(name);
    let Ok(source) = sources.read(&path) else {
        return;
    };
    let Ok(template) = Template::compile(&source) else {
        return;
    };
    let model = receipt_model(raw, catalog, forms, data);
    for problem in problems(&template, &model) {
        let key = key_of_line(&source, problem.line);
        let mut diagnostic = Diagnostic::new(&path, key, describe(&problem, Root::Receipt));
        diagnostic.position = Some((problem.line as u64, problem.column as u64));
        diags.push(diagnostic);
    }
}

/// The templates over the data alone, each with its YAML path.
fn data_templates(raw: &RawBundle) -> Vec<(String, &str)> {
    let mut list = vec![("applicant".to_owned(), raw.applicant.as_str())];
    for (i, row) in raw.summary.iter().enumerate() {
        list.push((format!("summary[{i}].value"), row.value.as_str()));
    }
    if let Some(name) = raw.work_list.as_ref().and_then(|w| w.name.as_deref()) {
        list.push(("work_list.name".to_owned(), name));
    }
    for (i, step) in raw.human_steps.iter().enumerate() {
        if let Some(person) = &step.person {
            list.push((
                format!("human_steps[{i}].person.name"),
                person.name.as_str(),
            ));
        }
    }
    list
}

/// What the combined form of every service of the bundle provides: each input not bound to
/// an earlier service's output, and each repeated step's list of items. Open when a service
/// is unknown or broken (its own problems are reported; guessing its fields would add noise).
fn data(raw: &RawBundle, catalog: &Catalog, forms: &BTreeMap<String, Value>) -> Provided {
    let mut fields: BTreeMap<String, Provided> = BTreeMap::new();
    let mut add = |name: &str, provided: Provided| {
        let merged = match fields.remove(name) {
            Some(existing) => existing.union(provided),
            None => provided,
        };
        fields.insert(name.to_owned(), merged);
    };
    for step in &raw.services {
        let Some(service) = catalog.service(&step.service.value) else {
            return Provided::Open;
        };
        let properties = &service.input.properties;
        let each = step.for_each.as_ref();
        for (name, schema) in properties {
            let repeated = each.is_some_and(|e| &e.as_input.value == name);
            if !step.inputs.contains_key(name) && !repeated {
                add(name, Provided::of(schema, forms));
            }
        }
        if let Some(each) = each {
            let item = (properties.get(&each.as_input.value))
                .map_or(Provided::Open, |schema| Provided::of(schema, forms));
            add(&each.items.value, Provided::List(Box::new(item)));
        }
    }
    Provided::Object(fields)
}

/// What the receipt texts are rendered over (`receipt::from_application::texts_model`).
fn receipt_model(
    raw: &RawBundle,
    catalog: &Catalog,
    forms: &BTreeMap<String, Value>,
    data: Provided,
) -> Provided {
    let values = |names: &[&str]| {
        let fields = names.iter().map(|n| ((*n).to_owned(), Provided::Value));
        Provided::Object(fields.collect())
    };
    let outputs = raw.services.iter().map(|step| {
        let id = step.service.value.clone();
        let service = catalog.service(&id);
        let provided = service.map_or(Provided::Open, |s| Provided::of(&s.outputs, forms));
        (id, provided)
    });
    Provided::Object(BTreeMap::from([
        ("applicant".to_owned(), Provided::Value),
        ("event".to_owned(), values(&["uk", "en"])),
        ("application".to_owned(), values(&["number", "status"])),
        ("data".to_owned(), data),
        ("outputs".to_owned(), Provided::Object(outputs.collect())),
    ]))
}

/// The diagnostic's text: the path as written, and why nothing is there.
fn describe(problem: &Problem, root: Root) -> String {
    let written = &problem.written;
    let why = match &problem.kind {
        Kind::NoField { at, field, known } => no_field(root, at, field, known),
        Kind::List { at, field } => format!(
            "\"{}\" is a list, with no field \"{field}\": name its items inside {{{{#each {}}}}}",
            shown(at),
            shown(at)
        ),
        Kind::Single { at, field } => {
            format!(
                "\"{}\" is a single value, with no field \"{field}\"",
                shown(at)
            )
        }
        Kind::NotAList => "a single value, not a list to go through with {{#each}}".to_owned(),
        Kind::AboveRoot => "`../` climbs above the template's root".to_owned(),
        Kind::Local => "@index, @first, @last and @key are known only inside {{#each}}".to_owned(),
        Kind::UnknownHelper => {
            return format!(
                "unknown helper \"{written}\" (there are date, money and handlebars' own)"
            );
        }
        Kind::Partial => {
            return format!("\"{written}\": partials and decorators are not available here");
        }
    };
    format!("\"{written}\": {why}")
}

/// Why a field is not there, in the words of what the template is rendered over.
fn no_field(root: Root, at: &[String], field: &str, known: &[String]) -> String {
    let known = known.join(", ");
    match (root, at) {
        (Root::Receipt, []) => format!(
            "a receipt template has no \"{field}\": it is given applicant, event, application \
             (number, status), data (the form's fields) and outputs.[<service>]"
        ),
        (Root::Receipt, [outputs]) if outputs == "outputs" => {
            format!("no service \"{field}\" in this bundle (it has: {known})")
        }
        (Root::Receipt, [outputs, service]) if outputs == "outputs" => {
            format!("service \"{service}\" declares no output \"{field}\" (it declares: {known})")
        }
        (Root::Data, []) => format!("the form has no field \"{field}\" (it has: {known})"),
        (Root::Receipt, [data]) if data == "data" => {
            format!("the form has no field \"{field}\" (it has: {known})")
        }
        _ => format!(
            "\"{}\" has no field \"{field}\" (it has: {known})",
            shown(at)
        ),
    }
}

/// A location as a template writes it: `data.children[].given_name`, `outputs.[civil.birth]`.
fn shown(at: &[String]) -> String {
    let mut text = String::new();
    for segment in at {
        if !text.is_empty() && !segment.starts_with('[') {
            text.push('.');
        }
        if segment.contains('.') {
            text.push_str(&format!("[{segment}]"));
        } else {
            text.push_str(segment);
        }
    }
    text
}

/// The key of a receipt text whose line is `line` (`intro.uk`), or nothing.
fn key_of_line(source: &str, line: usize) -> String {
    let text = source
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or_default();
    let key = text.split_once(':').map_or("", |(key, _)| key.trim());
    let is_key = |c: char| c.is_alphanumeric() || "._-".contains(c);
    if !key.is_empty() && key.chars().all(is_key) {
        key.to_owned()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(fields: Vec<(&str, Provided)>) -> Provided {
        Provided::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A form with a name, a mother and a list of children.
    fn form() -> Provided {
        let child = object(vec![
            ("given_name", Provided::Value),
            ("birth_date", Provided::Value),
        ]);
        object(vec![
            ("name", Provided::Value),
            ("mother", object(vec![("surname", Provided::Value)])),
            ("children", Provided::List(Box::new(child))),
        ])
    }

    /// What `template` over `root` is told, each problem as `line:column: message`.
    fn told(template: &str, root: &Provided, over: Root) -> Vec<String> {
        let template = Template::compile(template).expect("compiles");
        (problems(&template, root).iter())
            .map(|p| format!("{}:{}: {}", p.line, p.column, describe(p, over)))
            .collect()
    }

    #[test]
    fn paths_inside_each_and_with_are_the_fields_of_the_item_or_the_value() {
        let fine = [
            "{{#each children}}{{given_name}} {{this.birth_date}} {{@index}}{{#if @first}}!{{/if}} {{../name}} {{@root.mother.surname}}{{/each}}",
            "{{#each children as |child i|}}{{child.given_name}} {{i}}{{#with ../mother}}{{surname}} {{child.birth_date}} {{@index}}{{/with}}{{/each}}",
            "{{children.[0].given_name}} {{date (lookup children.[0] \"birth_date\")}} {{money 5}} {{#with mother}}{{surname}}{{else}}{{name}}{{/with}}",
            "{{#if (eq name \"x\")}}{{mother.surname}}{{else if children}}{{len children}}{{else}}-{{/if}} {{{name}}} {{this.name}}",
        ];
        for template in fine {
            assert_eq!(
                told(template, &form(), Root::Data),
                Vec::<String>::new(),
                "{template}"
            );
        }
    }

    #[test]
    fn a_path_the_form_cannot_provide_is_told_with_its_line_and_column() {
        let template = "{{nmae}}\n{{#each children}}{{given_nme}}{{/each}} {{children.given_name}}\n\
                        {{#if x}}{{name.first}}{{/if}} {{date (lookup mother.maiden)}} {{@first}} {{shout name}}";
        assert_eq!(
            told(template, &form(), Root::Data),
            [
                r#"1:1: "nmae": the form has no field "nmae" (it has: children, mother, name)"#,
                r#"2:19: "given_nme": "children[]" has no field "given_nme" (it has: birth_date, given_name)"#,
                r#"2:42: "children.given_name": "children" is a list, with no field "given_name": name its items inside {{#each children}}"#,
                r#"3:1: "x": the form has no field "x" (it has: children, mother, name)"#,
                r#"3:10: "name.first": "name" is a single value, with no field "first""#,
                r#"3:32: "mother.maiden": "mother" has no field "maiden" (it has: surname)"#,
                r#"3:64: "@first": @index, @first, @last and @key are known only inside {{#each}}"#,
                r#"3:75: unknown helper "shout" (there are date, money and handlebars' own)"#,
            ]
        );
    }

    #[test]
    fn a_receipt_names_its_bundles_services_and_their_declared_outputs() {
        let outputs = object(vec![(
            "civil.birth",
            object(vec![("number", Provided::Value)]),
        )]);
        let root = object(vec![
            ("applicant", Provided::Value),
            ("data", form()),
            ("outputs", outputs),
        ]);
        let fine =
            "{{outputs.[civil.birth].number}} {{#each data.children}}{{../applicant}}{{/each}}";
        assert_eq!(told(fine, &root, Root::Receipt), Vec::<String>::new());
        let wrong = "{{outputs.[tax].rnokpp}} {{outputs.[civil.birth].numbr}} {{data.nmae}}";
        assert_eq!(
            told(wrong, &root, Root::Receipt),
            [
                r#"1:1: "outputs.[tax].rnokpp": no service "tax" in this bundle (it has: civil.birth)"#,
                r#"1:26: "outputs.[civil.birth].numbr": service "civil.birth" declares no output "numbr" (it declares: number)"#,
                r#"1:58: "data.nmae": the form has no field "nmae" (it has: children, mother, name)"#,
            ]
        );
    }
}
