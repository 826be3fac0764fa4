//! The form's fields as the templates draw them: each field with its label and hint in the
//! page's language, its value as typed, its error next to it, and the error summary linking
//! to each field. An error whose pointer names no drawn field goes to the nearest drawn one
//! above it (a list's `minItems` to the list). Nothing here reads or judges the data.

use super::parse::{Submitted, segment};
use super::schema::{Choice, Field, Kind};
use crate::form::FieldError;
use crate::lang::Lang;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What the form template gets: the fields, and the summary of errors in the form's order.
pub struct FormView {
    pub fields: Vec<Value>,
    pub summary: Vec<Value>,
}

/// Draw `fields` with the values of `form` and `errors`; `focus` names the field (a new row)
/// or the list's add button (`add:/list`) to put the keyboard on.
pub fn view(
    fields: &[Field],
    form: &Submitted,
    errors: &[FieldError],
    focus: Option<String>,
) -> FormView {
    let mut anchored: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in errors {
        let text = e.message.text(form.lang);
        let list = anchored.entry(anchor(fields, &e.pointer)).or_default();
        if !list.contains(&text) {
            list.push(text);
        }
    }
    let mut draw = Draw {
        form,
        lang: form.lang,
        errors: anchored,
        focus,
        summary: Vec::new(),
    };
    if let Some(whole) = draw.errors.remove("") {
        for text in whole {
            draw.summary
                .push(json!({ "href": "#application-form", "text": text }));
        }
    }
    let fields = fields
        .iter()
        .map(|f| draw.node(f, &format!("/{}", segment(&f.name)), &[], 1))
        .collect();
    // Anything not drawn (it should not happen) is still said, at the top.
    for text in std::mem::take(&mut draw.errors).into_values().flatten() {
        draw.summary
            .push(json!({ "href": "#application-form", "text": text }));
    }
    FormView {
        fields,
        summary: draw.summary,
    }
}

struct Draw<'a> {
    form: &'a Submitted,
    lang: Lang,
    errors: BTreeMap<String, Vec<String>>,
    focus: Option<String>,
    summary: Vec<Value>,
}

impl Draw<'_> {
    fn node(&mut self, field: &Field, pointer: &str, path: &[String], level: usize) -> Value {
        let label = self.lang.pick(&field.title);
        self.labelled(field, pointer, path, level, label)
    }

    fn labelled(
        &mut self,
        field: &Field,
        pointer: &str,
        path: &[String],
        level: usize,
        label: String,
    ) -> Value {
        let id = id_for(pointer);
        let mut trail = path.to_vec();
        trail.push(label.clone());
        let error = self.errors.remove(pointer).map(|e| e.join(". "));
        let target = match &field.kind {
            Kind::Choice(o) if o.len() <= 4 => format!("{id}-0"),
            Kind::MultiChoice(_) => format!("{id}-0"),
            _ => id.clone(),
        };
        if let Some(error) = &error {
            let text = format!("{}: {error}", trail.join(" — "));
            self.summary
                .push(json!({ "href": format!("#{target}"), "text": text }));
        }
        let hint = self.hint(field);
        let described: Vec<String> = [
            hint.as_ref().map(|_| format!("{id}-hint")),
            error.as_ref().map(|_| format!("{id}-error")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut node = json!({
            "id": id,
            "name": pointer,
            "label": label,
            "hint": hint,
            "required": field.required,
            "error": error,
            "describedby": described.join(" "),
            "level": level.min(4),
        });
        let extra = self.kind(field, pointer, &id, &trail, level);
        merge(&mut node, extra);
        node
    }

    /// The field's help text, and what the page adds: how to type a date, that an optional
    /// section may be left empty.
    fn hint(&self, field: &Field) -> Option<String> {
        let own = field.hint.as_ref().map(|h| self.lang.pick(h));
        let extra = match &field.kind {
            Kind::Date => Some(self.lang.text("date_hint")),
            Kind::Group(children) if !field.required && asks_required(children) => {
                Some(self.lang.text("optional_group"))
            }
            _ => None,
        };
        match (own, extra) {
            (Some(own), Some(extra)) => Some(format!("{own}. {extra}")),
            (own, extra) => own.or(extra),
        }
    }

    fn kind(
        &mut self,
        field: &Field,
        pointer: &str,
        id: &str,
        trail: &[String],
        level: usize,
    ) -> Value {
        let typed = self.form.value(pointer).unwrap_or_default().to_owned();
        match &field.kind {
            Kind::Group(children) => {
                let sibling = |name: &str| {
                    let at = format!("{pointer}/{}", segment(name));
                    self.form.value(&at).map(str::to_owned)
                };
                let shown: Vec<&Field> = children.iter().filter(|c| c.shown(sibling)).collect();
                let children: Vec<Value> = shown
                    .into_iter()
                    .map(|c| {
                        self.node(
                            c,
                            &format!("{pointer}/{}", segment(&c.name)),
                            trail,
                            level + 1,
                        )
                    })
                    .collect();
                json!({ "is_group": true, "children": children })
            }
            Kind::List { item, min_items } => {
                // A row's own label ("Особа 2") says which list it is in.
                let parent = &trail[..trail.len().saturating_sub(1)];
                self.list(item, *min_items, pointer, parent, level)
            }
            Kind::Choice(options) => {
                let options = self.options(options, id, pointer, &[typed]);
                if options.len() <= 4 {
                    json!({ "is_radios": true, "options": options, "autofocus": self.take_focus(pointer) })
                } else {
                    json!({ "is_select": true, "options": options, "autofocus": self.take_focus(pointer) })
                }
            }
            Kind::MultiChoice(options) => {
                let ticked = self.form.all(pointer).to_vec();
                json!({ "is_checkboxes": true, "options": self.options(options, id, pointer, &ticked) })
            }
            Kind::Boolean => json!({
                "is_checkbox": true,
                "checked": typed == "true",
                "autofocus": self.take_focus(pointer),
            }),
            _ => self.input(field, pointer, typed),
        }
    }

    fn input(&mut self, field: &Field, pointer: &str, typed: String) -> Value {
        let (width, kind, inputmode) = look(&field.kind);
        // A field never shown before (a fresh form, a new row) starts with its default.
        let value = match &field.kind {
            Kind::Text {
                default: Some(d), ..
            } if self.form.value(pointer).is_none() => d.clone(),
            _ => typed,
        };
        let max_length = match &field.kind {
            Kind::Text { max_length, .. } => *max_length,
            _ => None,
        };
        json!({
            "is_input": true,
            "type": kind,
            "inputmode": inputmode,
            "width": width,
            "maxlength": max_length,
            "value": value,
            "autofocus": self.take_focus(pointer),
        })
    }

    fn list(
        &mut self,
        item: &Field,
        min_items: usize,
        pointer: &str,
        trail: &[String],
        level: usize,
    ) -> Value {
        let n = self.form.rows(pointer, min_items);
        let item_title = self.lang.pick(&item.title);
        let (noun, add_label) = if item_title.is_empty() {
            (self.lang.text("row"), self.lang.text("add_row"))
        } else {
            let add = format!("{}: {item_title}", self.lang.text("add"));
            (item_title, add)
        };
        let rows: Vec<Value> = (0..n)
            .map(|i| {
                let at = format!("{pointer}/{i}");
                let label = format!("{noun} {}", i + 1);
                let mut node = self.labelled(item, &at, trail, level + 1, label.clone());
                // A row is there because someone added it: no asterisk on it.
                node["required"] = Value::Bool(false);
                json!({
                    "node": node,
                    // Never fewer rows than the form needs.
                    "removable": n > min_items,
                    "remove": format!("remove:{at}"),
                    "remove_label": format!("{}: {label}", self.lang.text("remove")),
                })
            })
            .collect();
        let add_focus = self.focus.as_deref() == Some(&format!("add:{pointer}"));
        json!({
            "is_list": true,
            "item_is_group": matches!(item.kind, Kind::Group(_)),
            "rows": rows,
            "rows_name": format!("_rows{pointer}"),
            "rows_count": n,
            "add": format!("add:{pointer}"),
            "add_label": add_label,
            "add_autofocus": add_focus,
        })
    }

    fn options(
        &self,
        options: &[Choice],
        id: &str,
        pointer: &str,
        chosen: &[String],
    ) -> Vec<Value> {
        options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                json!({
                    "id": format!("{id}-{i}"),
                    "name": pointer,
                    "value": o.value,
                    "label": self.lang.pick(&o.label),
                    "checked": chosen.contains(&o.value),
                })
            })
            .collect()
    }

    /// Whether the keyboard goes to this field: the first field at or under the focus pointer.
    fn take_focus(&mut self, pointer: &str) -> bool {
        let hit = self
            .focus
            .as_deref()
            .is_some_and(|f| pointer == f || pointer.starts_with(&format!("{f}/")));
        if hit {
            self.focus = None;
        }
        hit
    }
}

/// Width class, input type and on-screen keyboard of a typed field.
fn look(kind: &Kind) -> (&'static str, &'static str, Option<&'static str>) {
    match kind {
        Kind::Date => ("short", "text", None),
        Kind::Number { integer: true } => ("short", "text", Some("numeric")),
        Kind::Number { integer: false } => ("short", "text", Some("decimal")),
        Kind::Text { format, short, .. } => match format.as_deref() {
            Some("rnokpp") => ("short", "text", Some("numeric")),
            Some("phone-ua") => ("short", "tel", Some("tel")),
            Some("iban-ua") => ("long", "text", None),
            Some("email") => ("long", "email", Some("email")),
            Some("kved" | "unzr" | "id-card" | "passport-ua-old") => ("short", "text", None),
            _ if *short => ("short", "text", None),
            _ => ("long", "text", None),
        },
        _ => ("long", "text", None),
    }
}

/// Whether any field of a group, however deep, is required (within its own group).
fn asks_required(children: &[Field]) -> bool {
    children.iter().any(|c| match &c.kind {
        Kind::Group(inner) => c.required || asks_required(inner),
        _ => c.required,
    })
}

/// The deepest drawn field at or above `pointer`: `""` when it names none.
fn anchor(fields: &[Field], pointer: &str) -> String {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut at = String::new();
    let mut level = fields;
    let mut i = 0;
    while let Some(seg) = segments.get(i) {
        let Some(field) = level.iter().find(|f| segment(&f.name) == *seg) else {
            break;
        };
        at = format!("{at}/{seg}");
        i += 1;
        let item = match &field.kind {
            Kind::Group(children) => {
                level = children;
                continue;
            }
            Kind::List { item, .. } => item,
            _ => break,
        };
        match segments.get(i) {
            Some(row) if row.bytes().all(|b| b.is_ascii_digit()) => {
                at = format!("{at}/{row}");
                i += 1;
            }
            _ => break,
        }
        match &item.kind {
            Kind::Group(children) => level = children,
            _ => break,
        }
    }
    at
}

/// The HTML id of a field: `f` and its pointer with dots (`/mother/rnokpp` → `f.mother.rnokpp`).
pub fn id_for(pointer: &str) -> String {
    let safe: String = pointer
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => c,
            _ => '_',
        })
        .collect();
    format!("f{safe}")
}

fn merge(node: &mut Value, extra: Value) {
    if let (Value::Object(node), Value::Object(extra)) = (node, extra) {
        node.extend(extra);
    }
}
