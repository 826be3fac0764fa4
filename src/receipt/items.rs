//! The items services repeat for (the children of a birth, the family members moving): which
//! item each repeated call is for, its name, and the table's groups. With two items or more the
//! table gives each item a heading and its own lines, and each repeated line's title names its
//! item (for the pages that list the calls flat); with one item the table stays as it would be
//! without repetition, so a one-child receipt keeps its compact look. Reads the application's
//! data and the bundle; formats nothing but the names.

use super::services::{Group, Services};
use super::{Bi, ServiceLine};
use crate::bundle::Bundle;
use crate::store::{ApplicationRecord, SubKind, SubRequestRecord};
use serde_json::Value;

/// An item: the array field a service repeats over, and the index in it.
type Item<'a> = (&'a str, i64);

/// The calls' lines (titles without any item's name), arranged for the table.
pub(super) fn arrange(
    bundle: &Bundle,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    mut lines: Vec<ServiceLine>,
) -> Services {
    let items: Vec<Option<Item<'_>>> = subs.iter().map(|s| item_of(bundle, s)).collect();
    let keys = distinct_items(&items);
    if keys.len() < 2 {
        return Services::flat(lines);
    }
    let groups = keys
        .iter()
        .map(|key| Group {
            heading: heading(&application.data, *key),
            rows: (items.iter().enumerate())
                .filter(|(i, item)| item.as_ref() == Some(key) && *i < lines.len())
                .map(|(i, _)| (i, lines[i].title.clone()))
                .collect(),
        })
        .collect::<Vec<_>>();
    for (line, item) in lines.iter_mut().zip(&items) {
        if let Some(item) = item {
            let name = heading(&application.data, *item);
            line.title.uk = format!("{} ({})", line.title.uk, name.uk);
            line.title.en = format!("{} ({})", line.title.en, name.en);
        }
    }
    Services::grouped(lines, groups)
}

/// The item a call is for, when its service repeats.
fn item_of<'a>(bundle: &'a Bundle, sub: &SubRequestRecord) -> Option<Item<'a>> {
    if sub.kind != SubKind::Service {
        return None;
    }
    let repeat = bundle.step(&sub.service_id)?.repeat.as_ref()?;
    Some((repeat.items.as_str(), sub.item))
}

/// Each item once: arrays in the order the bundle first repeats over them, items by index.
fn distinct_items<'a>(items: &[Option<Item<'a>>]) -> Vec<Item<'a>> {
    let mut arrays: Vec<&str> = Vec::new();
    let mut keys: Vec<Item<'a>> = Vec::new();
    for &(array, index) in items.iter().flatten() {
        if !arrays.contains(&array) {
            arrays.push(array);
        }
        if !keys.contains(&(array, index)) {
            keys.push((array, index));
        }
    }
    keys.sort_by_key(|(array, index)| (arrays.iter().position(|a| a == array), *index));
    keys
}

/// The item's given name and surname, or its number when it has none.
fn heading(data: &Value, (array, index): Item<'_>) -> Bi {
    match item_name(data, array, index) {
        Some(name) => Bi::new(name.clone(), name),
        None => Bi::new(format!("№ {}", index + 1), format!("No. {}", index + 1)),
    }
}

fn item_name(data: &Value, array: &str, index: i64) -> Option<String> {
    let item = data.get(array)?.get(usize::try_from(index).ok()?)?;
    let text = |field: &str| {
        item.get(field)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    match (text("given_name"), text("surname")) {
        (Some(given), Some(surname)) => Some(format!("{given} {surname}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_ordered_by_array_then_index_and_counted_once() {
        let items = [
            None,
            Some(("children", 0)),
            Some(("children", 1)),
            Some(("people", 0)),
            Some(("children", 0)),
            Some(("children", 1)),
        ];
        assert_eq!(
            distinct_items(&items),
            [("children", 0), ("children", 1), ("people", 0)]
        );
        assert!(distinct_items(&[None, Some(("children", 0))]).len() < 2);
    }

    #[test]
    fn an_item_is_named_by_its_given_name_and_surname_or_numbered() {
        let data = serde_json::json!({ "children": [
            { "given_name": "Мар'яна", "surname": "Коваленко" },
            { "given_name": " ", "surname": "" },
            { "given_name": "Остап" },
        ] });
        let named = |index| heading(&data, ("children", index));
        assert_eq!(named(0), Bi::new("Мар'яна Коваленко", "Мар'яна Коваленко"));
        assert_eq!(named(1), Bi::new("№ 2", "No. 2"));
        assert_eq!(named(2).uk, "Остап");
        assert_eq!(named(7), Bi::new("№ 8", "No. 8"));
    }
}
