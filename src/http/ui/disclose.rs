//! Which fields of the form a choice brings: a field its object's `if`/`then` requires only for
//! some values of a sibling (the marriage record for a marriage) is shown once one of them is
//! chosen. Read from the schema only; the data is judged by `form`, against the same schema.

use super::schema::{Field, Kind};
use serde_json::Value;

impl Field {
    /// Whether the field is shown, given how its siblings' values read (`sibling`).
    pub fn shown(&self, sibling: impl Fn(&str) -> Option<String>) -> bool {
        match &self.shown_when {
            None => true,
            Some((name, values)) => sibling(name).is_some_and(|v| values.contains(&v)),
        }
    }

    /// Whether it, or a field inside it, is shown only for a choice.
    pub fn discloses(&self) -> bool {
        self.shown_when.is_some()
            || match &self.kind {
                Kind::Group(children) => children.iter().any(Field::discloses),
                Kind::List { item, .. } => item.discloses(),
                _ => false,
            }
    }
}

/// The object's `if`/`then`s of the shape "when field K is one of these values, these fields
/// are required": (K, the values, the fields).
pub(super) fn choices_requiring(schema: &Value) -> Vec<(String, Vec<String>, Vec<String>)> {
    let all_of = schema["allOf"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    std::iter::once(schema)
        .chain(all_of)
        .filter_map(|s| {
            let (condition, then) = (s.get("if")?, s.get("then")?);
            let (name, accepted) = condition["properties"].as_object()?.iter().next()?;
            let values: Vec<String> = match (&accepted["const"], &accepted["enum"]) {
                (Value::String(one), _) => vec![one.clone()],
                (_, Value::Array(many)) => many
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => return None,
            };
            let required = then["required"].as_array()?;
            let fields = required
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            Some((name.clone(), values, fields))
        })
        .collect()
}
