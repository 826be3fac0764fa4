//! The plan of an application: which services run, in which stages (services of one stage run in
//! parallel), and why the others do not. Pure: used by `onestop explain` and, later, the pages.

use crate::bundle::{Bundle, ServiceId};
use serde_json::Value;

/// What an application of `bundle` with `selection` will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Stage by stage; every service of a stage depends only on earlier stages. With each
    /// service, its number of calls (more than 1 for a service repeated per item).
    pub stages: Vec<Vec<(ServiceId, usize)>>,
    /// Services of the bundle that will not run, with the reason in Ukrainian.
    pub skipped: Vec<(ServiceId, String)>,
}

/// Stage each applicable service after the longest chain of its dependencies that run.
pub fn plan(bundle: &Bundle, selection: &[ServiceId], data: &Value) -> Plan {
    let applicable = bundle.applicable(data, selection);
    let mut stage_of: Vec<(&ServiceId, usize)> = Vec::new();
    for planned in &applicable.run {
        let service = &planned.service;
        let stage = planned
            .depends_on
            .iter()
            .filter_map(|d| stage_of.iter().find(|(id, _)| *id == d).map(|(_, n)| n + 1))
            .max()
            .unwrap_or(0);
        stage_of.push((service, stage));
    }
    let count = stage_of.iter().map(|(_, n)| n + 1).max().unwrap_or(0);
    let stages = (0..count)
        .map(|n| {
            stage_of
                .iter()
                .filter(|(_, s)| *s == n)
                .map(|(id, _)| {
                    let items = applicable
                        .run
                        .iter()
                        .find(|p| &p.service == *id)
                        .map_or(1, |p| p.items.len());
                    ((*id).clone(), items)
                })
                .collect()
        })
        .collect();
    let not_chosen = bundle
        .steps
        .iter()
        .filter(|s| !selection.contains(&s.service))
        .map(|s| {
            let reason = "послугу за вибором не обрано (optional service not chosen)".to_owned();
            (s.service.clone(), reason)
        });
    let skipped = not_chosen.chain(applicable.skipped).collect();
    Plan { stages, skipped }
}
