//! A stored application's data typed back into a form's fields: what a correction starts from.

use super::parse::segment;
use super::schema::{Field, Kind};
use serde_json::Value;

/// The pairs a form of `fields` posts for `data` as stored: the values typed back (dates as
/// day.month.year), and each list's row count, so a stored application can be shown in its
/// form again (a correction starts from what was submitted).
pub fn pairs_of(fields: &[Field], data: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for field in fields {
        let pointer = format!("/{}", segment(&field.name));
        typed_back(field, &pointer, data.get(&field.name), &mut pairs);
    }
    pairs
}

fn typed_back(
    field: &Field,
    pointer: &str,
    value: Option<&Value>,
    out: &mut Vec<(String, String)>,
) {
    let Some(value) = value else { return };
    match (&field.kind, value) {
        (Kind::Group(children), Value::Object(map)) => {
            for child in children {
                let at = format!("{pointer}/{}", segment(&child.name));
                typed_back(child, &at, map.get(&child.name), out);
            }
        }
        (Kind::List { item, .. }, Value::Array(items)) => {
            out.push((format!("_rows{pointer}"), items.len().to_string()));
            for (i, each) in items.iter().enumerate() {
                typed_back(item, &format!("{pointer}/{i}"), Some(each), out);
            }
        }
        (Kind::MultiChoice(_), Value::Array(items)) => {
            for each in items.iter().filter_map(Value::as_str) {
                out.push((pointer.to_owned(), each.to_owned()));
            }
        }
        (Kind::Date, Value::String(date)) => {
            let shown = (date.parse::<jiff::civil::Date>().ok())
                .map_or_else(|| date.clone(), |d| d.strftime("%d.%m.%Y").to_string());
            out.push((pointer.to_owned(), shown));
        }
        (_, Value::String(text)) => out.push((pointer.to_owned(), text.clone())),
        (_, Value::Bool(b)) => out.push((pointer.to_owned(), b.to_string())),
        (_, Value::Number(n)) => out.push((pointer.to_owned(), n.to_string())),
        _ => {}
    }
}
