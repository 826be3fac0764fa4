//! What an application is found by: the work list's search terms (its number and the values its
//! bundle's `work_list.search` points at, normalised so that case and the apostrophe's three
//! spellings do not matter) and the keys of its bundle's duplicate rules, which flag a second
//! application of one event before it is stored.

use super::{ApplicationError, Applications};
use crate::bundle::{Bundle, Text};
use crate::store::Findable;
use serde_json::Value;

/// The longest reason a clerk may give for going on with a duplicate.
const REASON_MAX_CHARS: usize = 500;

/// An earlier application the new one repeats, as the clerk is told.
#[derive(Debug, Clone)]
pub struct Duplicate {
    /// Its number when it is the clerk's own institution's (another's is not named).
    pub id: Option<String>,
    /// What the two share, one title per rule, and the first field of the first rule.
    pub shared: Vec<Text>,
    pub pointer: String,
}

/// A search text as terms are kept: trimmed, lower case, one space between words, and the
/// apostrophe as `ʼ` (U+02BC) however it was typed (`'`, `’`, `ʼ`, `` ` ``).
pub fn normalise(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words
        .join(" ")
        .chars()
        .map(|c| match c {
            '\'' | '’' | '‘' | '`' | 'ʹ' | '′' => 'ʼ',
            other => other,
        })
        .collect()
}

/// The strings at `pointer` in `data`, `*` standing for every item of an array.
fn values_at<'a>(data: &'a Value, pointer: &str) -> Vec<&'a str> {
    let mut at: Vec<&Value> = vec![data];
    for segment in pointer.split('/').skip(1) {
        at = at
            .into_iter()
            .flat_map(|value| match (segment, value) {
                ("*", Value::Array(items)) => items.iter().collect(),
                (index, Value::Array(items)) => (index.parse::<usize>().ok())
                    .and_then(|i| items.get(i))
                    .into_iter()
                    .collect(),
                (key, value) => value.get(key).into_iter().collect::<Vec<_>>(),
            })
            .collect();
    }
    at.into_iter().filter_map(Value::as_str).collect()
}

/// What application `id` of `bundle` with `data` is found by; the duplicate keys are digests
/// under `digests`. An unknown bundle finds its applications by number alone.
pub fn findable(
    digests: &crate::audit::Digests,
    bundle: Option<&Bundle>,
    id: &str,
    data: &Value,
) -> Findable {
    let mut terms = vec![normalise(id)];
    let Some(bundle) = bundle else {
        return Findable {
            terms,
            duplicate_keys: Vec::new(),
            duplicate_rules: Vec::new(),
        };
    };
    for pointer in &bundle.work_list.search {
        for value in values_at(data, pointer) {
            let term = normalise(value);
            if !term.is_empty() && !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    let (mut duplicate_keys, mut duplicate_rules) = (Vec::new(), Vec::new());
    for rule in 0..bundle.duplicates.len() {
        for (key, at) in duplicate_keys_of(digests, bundle, rule, data) {
            duplicate_keys.push(key);
            duplicate_rules.push((rule, at));
        }
    }
    Findable {
        terms,
        duplicate_keys,
        duplicate_rules,
    }
}

/// The keys of duplicate rule `rule` for `data`: one, or one per item of the list its `*`
/// pointers name (each child of a twins birth), each with that item's values.
fn duplicate_keys_of(
    digests: &crate::audit::Digests,
    bundle: &Bundle,
    rule: usize,
    data: &Value,
) -> Vec<(String, String)> {
    let fields = &bundle.duplicates[rule].fields;
    let first = fields.first().cloned().unwrap_or_default();
    let Some(list) = fields
        .iter()
        .find_map(|f| f.split_once("/*"))
        .map(|(list, _)| list)
    else {
        let key = duplicate_key(digests, bundle, rule, fields, data);
        return key.map(|k| (k, first)).into_iter().collect();
    };
    let count = (data.pointer(list).and_then(Value::as_array)).map_or(0, Vec::len);
    (0..count)
        .filter_map(|i| {
            let item = format!("{list}/{i}");
            let fields: Vec<String> = (fields.iter())
                .map(|f| f.replacen(&format!("{list}/*"), &item, 1))
                .collect();
            let at = fields.first().cloned().unwrap_or_default();
            duplicate_key(digests, bundle, rule, &fields, data).map(|k| (k, at))
        })
        .collect()
}

/// The key of duplicate rule `rule` for `data` at `fields`: a keyed digest of the bundle, the
/// rule and each field's normalised value; none when a field is missing or empty.
fn duplicate_key(
    digests: &crate::audit::Digests,
    bundle: &Bundle,
    rule: usize,
    fields: &[String],
    data: &Value,
) -> Option<String> {
    let mut parts = vec![bundle.id.to_string(), rule.to_string()];
    for pointer in fields {
        let value = normalise(data.pointer(pointer)?.as_str()?);
        if value.is_empty() {
            return None;
        }
        parts.push(value);
    }
    Some(digests.of(&Value::String(parts.join("\u{1f}"))))
}

impl Applications {
    /// What application `id` of `bundle` with `data` is found by.
    pub fn findable(&self, bundle: &Bundle, id: &str, data: &Value) -> Findable {
        findable(&self.digests, Some(bundle), id, data)
    }

    /// The `earlier` applications a new one with `findable` repeats, as the clerk of
    /// `institution` is told: what the two share, and the number when it is their own.
    pub(super) fn duplicates(
        bundle: &Bundle,
        findable: &Findable,
        earlier: Vec<crate::store::Earlier>,
        institution: Option<&str>,
    ) -> Vec<Duplicate> {
        let rule_of = |key: &String| {
            let at = (findable.duplicate_keys.iter()).position(|k| k == key)?;
            findable.duplicate_rules.get(at).cloned()
        };
        (earlier.into_iter())
            .map(|e| {
                let mut found: Vec<(usize, String)> = e.keys.iter().filter_map(rule_of).collect();
                found.sort_unstable();
                let pointer = found.first().map(|(_, at)| at.clone()).unwrap_or_default();
                let mut rules: Vec<usize> = found.iter().map(|(r, _)| *r).collect();
                rules.dedup();
                let own = institution.is_some() && e.institution.as_deref() == institution;
                Duplicate {
                    id: own.then_some(e.id),
                    shared: (rules.iter())
                        .map(|&r| bundle.duplicates[r].title.clone())
                        .collect(),
                    pointer,
                }
            })
            .collect()
    }

    /// `index_unindexed` in the background at start, its outcome logged.
    pub async fn index_earlier(self) {
        match self.index_unindexed().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                applications = n,
                "Earlier applications are in the work list's search"
            ),
            Err(e) => {
                tracing::error!(error = ?e, "Failed to put earlier applications in the work list's search")
            }
        }
    }

    /// Give the applications stored before the work list (listed by its migration) their
    /// terms and duplicate keys; how many there were.
    pub async fn index_unindexed(&self) -> Result<usize, ApplicationError> {
        const BATCH: i64 = 500;
        let mut done = 0;
        loop {
            let found = self.store.unindexed(BATCH).await?;
            for (id, bundle, institution, data) in &found {
                let bundle = self.catalog.bundle(bundle);
                let findable = findable(&self.digests, bundle, id, data);
                (self.store)
                    .index(id, institution.as_deref(), &findable)
                    .await?;
                done += 1;
            }
            if (found.len() as i64) < BATCH {
                return Ok(done);
            }
        }
    }
}

/// A clerk's reason to go on with a duplicate: trimmed, not empty, without control characters,
/// at most `REASON_MAX_CHARS`; `None` when there is none worth keeping.
pub fn reason(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    let fine = !text.is_empty()
        && text.chars().count() <= REASON_MAX_CHARS
        && !text.chars().any(char::is_control);
    fine.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_apostrophes_case_and_spaces_do_not_matter_in_a_search() {
        assert_eq!(normalise(" Мар'яна "), normalise("марʼяна"));
        assert_eq!(normalise("Мар’яна"), "марʼяна");
        assert_eq!(normalise("Ковальчук  Олена"), "ковальчук олена");
        assert_ne!(normalise("Марьяна"), normalise("Марʼяна"));
    }

    #[test]
    fn a_star_in_a_search_pointer_takes_every_item() {
        let data = json!({ "people": [{ "surname": "А" }, { "surname": "Б" }, { "age": 3 }] });
        assert_eq!(values_at(&data, "/people/*/surname"), ["А", "Б"]);
        assert_eq!(values_at(&data, "/people/0/surname"), ["А"]);
        assert!(values_at(&data, "/nobody/surname").is_empty());
    }

    #[test]
    fn a_reason_must_say_something_in_one_short_text() {
        assert_eq!(
            reason(Some("  повторна видача  ")).as_deref(),
            Some("повторна видача")
        );
        assert_eq!(reason(Some("   ")), None);
        assert_eq!(reason(Some("рядок\u{0}")), None);
        assert_eq!(reason(Some(&"я".repeat(501))), None);
        assert_eq!(reason(None), None);
    }
}
