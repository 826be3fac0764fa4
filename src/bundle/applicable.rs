//! Which services an application actually runs: the selected ones whose conditions hold and
//! whose bound inputs come from services that run, repeated per item where the bundle says so,
//! with the dependencies of every call. Pure: the same data always gives the same plan.

use super::{Bundle, ServiceId, Step};
use crate::lifecycle::CallKey;
use serde_json::Value;

/// One service that runs: how many calls (items) and which services it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub service: ServiceId,
    /// The array field it repeats over, or `None` for a single call.
    pub repeat_items: Option<String>,
    /// The items it is called for: each index of the array its condition holds for (a
    /// repeated service), otherwise `[0]`.
    pub items: Vec<usize>,
    /// The services it waits for, among those that run.
    pub depends_on: Vec<ServiceId>,
}

/// One registry call of an application: a service, an item, and the calls it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: ServiceId,
    pub item: usize,
    pub depends_on: Vec<CallKey>,
}

/// Which services of an application run and which do not (with the reason in Ukrainian), and
/// the human steps the application waits for.
#[derive(Debug, Clone)]
pub struct Applicable {
    pub run: Vec<Planned>,
    pub skipped: Vec<(ServiceId, String)>,
    /// Human steps that apply: their condition holds (or cannot be evaluated: asking a person
    /// once too often is better than skipping a consent) and a service waiting on them runs.
    pub human: Vec<PlannedHuman>,
}

/// A human step an application waits for, and the services that wait on it.
#[derive(Debug, Clone)]
pub struct PlannedHuman {
    pub id: String,
    pub before: Vec<ServiceId>,
    pub expires_after: jiff::Span,
}

impl Bundle {
    /// Of the selected services, those that apply to `data`, in dependency order.
    pub fn applicable(&self, data: &Value, selection: &[ServiceId]) -> Applicable {
        let mut run: Vec<Planned> = Vec::new();
        let mut skipped = Vec::new();
        for step in self.steps.iter().filter(|s| selection.contains(&s.service)) {
            match why_not(step, data, &run) {
                Some(reason) => skipped.push((step.service.clone(), reason)),
                None => {
                    let runs = |id: &ServiceId| run.iter().any(|p| &p.service == id);
                    let depends_on = step
                        .depends_on
                        .iter()
                        .filter(|d| runs(d))
                        .cloned()
                        .collect();
                    run.push(Planned {
                        service: step.service.clone(),
                        repeat_items: step.repeat.as_ref().map(|r| r.items.clone()),
                        items: items(step, data),
                        depends_on,
                    });
                }
            }
        }
        let human = self
            .human_steps
            .iter()
            .filter(|h| {
                h.condition
                    .as_ref()
                    .is_none_or(|c| c.evaluate(data) != Ok(false))
            })
            .map(|h| PlannedHuman {
                id: h.id.clone(),
                before: (h.before.iter())
                    .filter(|b| run.iter().any(|p| &p.service == *b))
                    .cloned()
                    .collect(),
                expires_after: h.expires_after,
            })
            .filter(|h| !h.before.is_empty())
            .collect();
        Applicable {
            run,
            skipped,
            human,
        }
    }
}

impl Applicable {
    /// Every registry call, each with the calls it waits for: item by item between services
    /// repeated over the same array, otherwise every item of the dependency.
    pub fn calls(&self) -> Vec<Call> {
        let mut calls = Vec::new();
        for planned in &self.run {
            for &item in &planned.items {
                let mut depends_on = Vec::new();
                for dep in &planned.depends_on {
                    let Some(source) = self.run.iter().find(|p| &p.service == dep) else {
                        continue;
                    };
                    let same_items = source.repeat_items.is_some()
                        && source.repeat_items == planned.repeat_items;
                    if same_items {
                        // The same item's call, when the item has one (its condition held).
                        if source.items.contains(&item) {
                            depends_on.push(CallKey::new(dep.to_string(), item as i64));
                        }
                    } else {
                        depends_on.extend(
                            (source.items.iter()).map(|&i| CallKey::new(dep.to_string(), i as i64)),
                        );
                    }
                }
                for human in self
                    .human
                    .iter()
                    .filter(|h| h.before.contains(&planned.service))
                {
                    depends_on.push(CallKey::new(human.id.as_str(), 0));
                }
                calls.push(Call {
                    service: planned.service.clone(),
                    item,
                    depends_on,
                });
            }
        }
        calls
    }
}

/// The items a step is called for: every item of its array whose condition holds, when the
/// condition names the item (`person.military.liable`); otherwise every item, or `[0]` for a
/// step that is not repeated.
fn items(step: &Step, data: &Value) -> Vec<usize> {
    let Some(repeat) = &step.repeat else {
        return vec![0];
    };
    let all = (data.get(&repeat.items).and_then(Value::as_array)).map_or(&[][..], Vec::as_slice);
    let per_item = (step.condition.as_ref()).filter(|c| c.reads(&repeat.as_input));
    (all.iter().enumerate())
        .filter(|(_, item)| {
            per_item
                .is_none_or(|c| c.evaluate_for(data, Some((&repeat.as_input, item))) == Ok(true))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Whether a step's condition is judged per item (it names the item) rather than once.
fn per_item(step: &Step) -> bool {
    (step.repeat.as_ref()).is_some_and(|r| {
        step.condition
            .as_ref()
            .is_some_and(|c| c.reads(&r.as_input))
    })
}

/// Why a selected step does not run for this data, if it does not.
fn why_not(step: &Step, data: &Value, run: &[Planned]) -> Option<String> {
    if let Some(condition) = step.condition.as_ref().filter(|_| !per_item(step)) {
        match condition.evaluate(data) {
            Ok(true) => {}
            Ok(false) => return Some(format!("умова не виконується: {}", condition.source)),
            Err(e) => {
                return Some(format!(
                    "умову не вдалося обчислити ({e}): {}",
                    condition.source
                ));
            }
        }
    }
    if let Some(binding) = step.bindings.iter().find(|b| {
        !run.iter()
            .any(|p| p.service == b.from && !p.items.is_empty())
    }) {
        return Some(format!(
            "потрібен результат послуги {}, яка не виконується",
            binding.from
        ));
    }
    if let Some(repeat) = &step.repeat
        && items(step, data).is_empty()
    {
        return Some(match &step.condition {
            Some(condition) if per_item(step) => format!(
                "умова не виконується для жодного елемента поля {}: {}",
                repeat.items, condition.source
            ),
            _ => format!(
                "немає жодного елемента в полі {} (no items in {})",
                repeat.items, repeat.items
            ),
        });
    }
    None
}
