//! A posted form (`application/x-www-form-urlencoded` pairs) read back: the page's controls
//! (CSRF token, language, chosen services, submission key, the button pressed) apart from the
//! fields, whose names are JSON pointers (`/mother/rnokpp`, `/people/1/surname`); then the
//! fields turned into the JSON the API takes, guided by the form's schema (dates typed as
//! day.month.year made ISO, numbers read with a comma or spaces). Only what the schema knows is
//! taken; judging the data is left to the form's validation.

use super::dates;
use super::schema::{Field, Kind};
use crate::form::{FieldError, Message};
use crate::lang::Lang;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How many rows one list may have.
const MAX_ROWS: usize = 50;

/// What was pressed: the main button (or Enter), a language, or a list's add or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submit,
    /// Draw the form again for what was chosen so far (the fields a choice brings appear).
    Refresh,
    Language(Lang),
    Add(String),
    Remove(String, usize),
}

/// A form as posted (or a fresh one): field values by JSON pointer, and the page's controls.
#[derive(Debug, Clone)]
pub struct Submitted {
    values: HashMap<String, Vec<String>>,
    rows: HashMap<String, usize>,
    pub csrf: String,
    pub lang: Lang,
    /// The chosen optional services; `None` takes every one (as the API does).
    pub services: Option<Vec<String>>,
    /// The submission key of this form (a double click makes one application).
    pub key: String,
    pub action: Action,
    /// The clerk's reason to go on although the application repeats an earlier one.
    pub duplicate_reason: Option<String>,
    /// The earlier applications it repeats, when the last try was refused for them.
    pub duplicates: Vec<crate::applications::Duplicate>,
}

impl Submitted {
    /// An empty form.
    pub fn fresh(lang: Lang, services: Option<Vec<String>>, key: String) -> Self {
        Self {
            values: HashMap::new(),
            rows: HashMap::new(),
            csrf: String::new(),
            lang,
            services,
            key,
            action: Action::Submit,
            duplicate_reason: None,
            duplicates: Vec::new(),
        }
    }

    /// Read the posted pairs; control names start with `_`, field names with `/`.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::fresh(Lang::Uk, None, String::new());
        let mut chosen = false;
        let mut services = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                "_csrf" => form.csrf = value,
                "_lang" => form.lang = Lang::or_ukrainian(Some(&value)),
                "_key" => form.key = value,
                "_choice" => chosen = true,
                "_service" => services.push(value),
                "_action" => form.action = action(&value),
                "_duplicate_reason" => form.duplicate_reason = Some(value),
                _ if name.starts_with('/') => form.values.entry(name).or_default().push(value),
                _ => {
                    if let Some(list) = name.strip_prefix("_rows")
                        && let Ok(n) = value.parse::<usize>()
                    {
                        form.rows.insert(list.to_owned(), n.min(MAX_ROWS));
                    }
                }
            }
        }
        form.services = chosen.then_some(services);
        form
    }

    /// The first value posted for a field.
    pub fn value(&self, pointer: &str) -> Option<&str> {
        self.values.get(pointer)?.first().map(String::as_str)
    }

    /// Every value posted for a field (ticked boxes).
    pub fn all(&self, pointer: &str) -> &[String] {
        self.values.get(pointer).map_or(&[], Vec::as_slice)
    }

    /// How many rows a list has: as posted, or (never shown yet) its minimum, at least one.
    pub fn rows(&self, list: &str, min_items: usize) -> usize {
        self.rows
            .get(list)
            .copied()
            .unwrap_or_else(|| min_items.clamp(1, MAX_ROWS))
    }

    /// Add an empty row to a list; the pointer of the new row.
    pub fn add_row(&mut self, list: &str) -> String {
        let n = self.rows(list, 0);
        let grown = (n + 1).min(MAX_ROWS);
        self.rows.insert(list.to_owned(), grown);
        format!("{list}/{}", grown - 1)
    }

    /// Remove row `index` of a list; the rows after it move up, with their values.
    pub fn remove_row(&mut self, list: &str, index: usize) {
        let n = self.rows(list, 0);
        if index >= n {
            return;
        }
        let prefix = format!("{list}/");
        let moved = |key: &str| -> Option<Option<String>> {
            let rest = key.strip_prefix(&prefix)?;
            let (row, tail) = rest.split_once('/').map_or((rest, ""), |(r, t)| (r, t));
            let row: usize = row.parse().ok()?;
            let slash = if tail.is_empty() { "" } else { "/" };
            Some(match row.cmp(&index) {
                std::cmp::Ordering::Less => Some(key.to_owned()),
                std::cmp::Ordering::Equal => None,
                std::cmp::Ordering::Greater => Some(format!("{prefix}{}{slash}{tail}", row - 1)),
            })
        };
        self.values = renamed(std::mem::take(&mut self.values), &moved);
        self.rows = renamed(std::mem::take(&mut self.rows), &moved);
        self.rows.insert(list.to_owned(), n - 1);
    }
}

/// The map with each key renamed by `moved` (`Some(None)` drops it; `None` keeps it as it is).
fn renamed<V>(
    map: HashMap<String, V>,
    moved: &dyn Fn(&str) -> Option<Option<String>>,
) -> HashMap<String, V> {
    map.into_iter()
        .filter_map(|(key, value)| match moved(&key) {
            None => Some((key, value)),
            Some(new) => new.map(|k| (k, value)),
        })
        .collect()
}

fn action(value: &str) -> Action {
    if value == "refresh" {
        return Action::Refresh;
    }
    if let Some(code) = value.strip_prefix("lang:") {
        return Action::Language(Lang::or_ukrainian(Some(code)));
    }
    if let Some(list) = value.strip_prefix("add:") {
        return Action::Add(list.to_owned());
    }
    if let Some(row) = value.strip_prefix("remove:")
        && let Some((list, index)) = row.rsplit_once('/')
        && let Ok(index) = index.parse()
    {
        return Action::Remove(list.to_owned(), index);
    }
    Action::Submit
}

/// A property name as a JSON pointer segment.
pub fn segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The application data the form holds, and what could not be read (an impossible date, a
/// number that is not one), each next to its field.
pub fn data(fields: &[Field], form: &Submitted) -> (Value, Vec<FieldError>) {
    let mut errors = Vec::new();
    let (map, _) = object(fields, "", form, &mut errors);
    (Value::Object(map), errors)
}

/// An object's properties, and whether anything was filled in (a box left unticked is not).
fn object(
    fields: &[Field],
    prefix: &str,
    form: &Submitted,
    errors: &mut Vec<FieldError>,
) -> (Map<String, Value>, bool) {
    let mut map = Map::new();
    let mut filled = false;
    let sibling = |name: &str| {
        form.value(&format!("{prefix}/{}", segment(name)))
            .map(str::to_owned)
    };
    for field in fields.iter().filter(|f| f.shown(sibling)) {
        let pointer = format!("{prefix}/{}", segment(&field.name));
        if let Some((value, any)) = value(field, &pointer, form, errors) {
            filled |= any;
            map.insert(field.name.clone(), value);
        }
    }
    (map, filled)
}

/// One field's value (left out when empty and not required), and whether it was filled in.
fn value(
    field: &Field,
    pointer: &str,
    form: &Submitted,
    errors: &mut Vec<FieldError>,
) -> Option<(Value, bool)> {
    let typed = form.value(pointer).map(str::trim).unwrap_or_default();
    let mut refuse = |message: Message| {
        errors.push(FieldError::new(pointer, message));
        None
    };
    match &field.kind {
        Kind::Group(children) => {
            let (map, filled) = object(children, pointer, form, errors);
            (filled || field.required).then_some((Value::Object(map), filled))
        }
        Kind::List { item, min_items } => {
            let n = form.rows(pointer, *min_items);
            let items: Vec<Value> = (0..n)
                .map(|i| {
                    let at = format!("{pointer}/{i}");
                    value(item, &at, form, errors).map_or(Value::String(String::new()), |v| v.0)
                })
                .collect();
            (n > 0 || field.required).then_some((Value::Array(items), n > 0))
        }
        Kind::MultiChoice(options) => {
            let ticked = form.all(pointer);
            let values: Vec<Value> = options
                .iter()
                .filter(|o| ticked.contains(&o.value))
                .map(|o| Value::String(o.value.clone()))
                .collect();
            let any = !values.is_empty();
            (any || field.required).then_some((Value::Array(values), any))
        }
        Kind::Boolean => Some((Value::Bool(typed == "true"), typed == "true")),
        _ if typed.is_empty() => None,
        Kind::Date => match dates::parse(typed) {
            Ok(iso) => Some((Value::String(iso), true)),
            Err(message) => refuse(message),
        },
        Kind::Number { integer } => match number(typed, *integer) {
            Some(n) => Some((Value::Number(n), true)),
            None if *integer => refuse(Message::NotAWholeNumber),
            None => refuse(Message::NotANumber),
        },
        Kind::Text { .. } | Kind::Choice(_) => Some((Value::String(typed.to_owned()), true)),
    }
}

/// A number as people write it: `2 500 000`, `1500,50`.
fn number(typed: &str, integer: bool) -> Option<serde_json::Number> {
    let plain: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if let Ok(n) = plain.parse::<i64>() {
        return Some(n.into());
    }
    if integer {
        return None;
    }
    plain
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Text;

    fn text(name: &str, kind: Kind, required: bool) -> Field {
        Field {
            name: name.into(),
            title: Text {
                uk: name.into(),
                en: name.into(),
            },
            hint: None,
            required,
            kind,
            shown_when: None,
        }
    }

    fn posted(pairs: &[(&str, &str)]) -> Submitted {
        Submitted::from_pairs(
            pairs
                .iter()
                .map(|(a, b)| ((*a).into(), (*b).into()))
                .collect(),
        )
    }

    #[test]
    fn an_optional_group_left_empty_is_left_out_and_a_required_one_is_sent_empty() {
        let name = || {
            text(
                "surname",
                Kind::Text {
                    default: None,
                    max_length: None,
                    format: None,
                    short: false,
                },
                true,
            )
        };
        let fields = vec![
            text("father", Kind::Group(vec![name()]), false),
            text("mother", Kind::Group(vec![name()]), true),
        ];
        let (data, errors) = data(
            &fields,
            &posted(&[("/father/surname", " "), ("/mother/surname", "")]),
        );
        assert_eq!(data, serde_json::json!({ "mother": {} }));
        assert!(errors.is_empty());
    }

    #[test]
    fn a_field_shown_only_for_a_choice_is_not_read_while_another_is_chosen() {
        let short = || Kind::Text {
            default: None,
            max_length: None,
            format: None,
            short: true,
        };
        let mut record = text("record", short(), false);
        record.shown_when = Some(("basis".into(), vec!["marriage".into()]));
        let basis = text("basis", short(), true);
        let fields = [text("paternity", Kind::Group(vec![basis, record]), true)];
        let chosen =
            |basis: &str| posted(&[("/paternity/basis", basis), ("/paternity/record", "1234")]);
        let (other, _) = data(&fields, &chosen("mother-statement"));
        assert_eq!(
            other,
            serde_json::json!({ "paternity": { "basis": "mother-statement" } })
        );
        let (marriage, _) = data(&fields, &chosen("marriage"));
        assert_eq!(marriage["paternity"]["record"], "1234");
    }

    #[test]
    fn dates_and_numbers_are_read_as_people_write_them() {
        let fields = vec![
            text("born", Kind::Date, true),
            text("income", Kind::Number { integer: false }, true),
            text("bad", Kind::Date, true),
        ];
        let form = posted(&[
            ("/born", "19.11.2026"),
            ("/income", "2 500 000,5"),
            ("/bad", "31.02.2026"),
        ]);
        let (data, errors) = data(&fields, &form);
        assert_eq!(
            data,
            serde_json::json!({ "born": "2026-11-19", "income": 2500000.5 })
        );
        assert_eq!(errors[0].pointer, "/bad");
    }

    #[test]
    fn removing_a_row_moves_the_later_rows_up_with_their_values() {
        let mut form = posted(&[
            ("_rows/people", "3"),
            ("/people/0/surname", "А"),
            ("/people/1/surname", "Б"),
            ("/people/2/surname", "В"),
            ("_action", "remove:/people/1"),
        ]);
        assert_eq!(form.action, Action::Remove("/people".into(), 1));
        form.remove_row("/people", 1);
        assert_eq!(form.rows("/people", 0), 2);
        assert_eq!(form.value("/people/1/surname"), Some("В"));
    }
}
