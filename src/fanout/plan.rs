//! The plan of an application: which services run, in which stages (services of one stage run in
//! parallel), and why the others do not. Pure: used by `onestop explain` and, later, the pages.

use crate::bundle::{Bundle, ServiceId};

/// What an application of `bundle` with `selection` will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Stage by stage; every service of a stage depends only on earlier stages.
    pub stages: Vec<Vec<ServiceId>>,
    /// Services of the bundle that will not run, with the reason in Ukrainian.
    pub skipped: Vec<(ServiceId, String)>,
}

/// Stage each selected service after the longest chain of its dependencies.
pub fn plan(bundle: &Bundle, selection: &[ServiceId]) -> Plan {
    let mut stage_of: Vec<(ServiceId, usize)> = Vec::new();
    for step in bundle
        .steps
        .iter()
        .filter(|s| selection.contains(&s.service))
    {
        let stage = step
            .depends_on
            .iter()
            .filter_map(|d| stage_of.iter().find(|(id, _)| id == d).map(|(_, n)| n + 1))
            .max()
            .unwrap_or(0);
        stage_of.push((step.service.clone(), stage));
    }
    let count = stage_of.iter().map(|(_, n)| n + 1).max().unwrap_or(0);
    let stages = (0..count)
        .map(|n| {
            stage_of
                .iter()
                .filter(|(_, s)| *s == n)
                .map(|(id, _)| id.clone())
                .collect()
        })
        .collect();
    let skipped = bundle
        .steps
        .iter()
        .filter(|s| !selection.contains(&s.service))
        .map(|s| {
            (
                s.service.clone(),
                "послугу за вибором не обрано (optional service not chosen)".to_owned(),
            )
        })
        .collect();
    Plan { stages, skipped }
}
