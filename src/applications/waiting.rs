//! Which registry a call is waiting for, and since when: a call being retried after failures,
//! or held while its registry is unavailable, is waiting — not failing — and the status API
//! and the application's page say so.

use super::{ApplicationError, Applications};
use crate::lifecycle::{ApplicationId, SubKind, SubStatus};
use crate::store::{CallTiming, OpenCircuit, SubRequestRecord};

/// A call waiting for its registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub registry: String,
    /// The registry is unavailable (its circuit is open): the call is held, not attempted.
    pub unavailable: bool,
    /// Since when the call has been waiting for it (ms).
    pub since: i64,
    /// When it (or, while the registry is unavailable, the registry's probe) is tried next.
    pub next_attempt_at: i64,
}

impl Applications {
    /// For each of `subs` (the calls of application `id`), in order, what it is waiting for,
    /// if a registry.
    pub async fn waiting(
        &self,
        id: &ApplicationId,
        subs: &[SubRequestRecord],
    ) -> Result<Vec<Option<Waiting>>, ApplicationError> {
        let open: Vec<OpenCircuit> = self.unavailable(subs);
        let pending = |s: &SubRequestRecord| {
            s.kind == SubKind::Service && matches!(s.status, SubStatus::Ready | SubStatus::Running)
        };
        let held = |s: &SubRequestRecord| {
            let registry = self.catalog.service_any(&s.service_id).map(|x| &x.registry);
            registry.is_some_and(|r| open.iter().any(|c| &c.registry == r))
        };
        // Most statuses are read while nothing fails: then no query at all.
        if !subs
            .iter()
            .any(|s| pending(s) && (s.failures > 0 || held(s)))
        {
            return Ok(vec![None; subs.len()]);
        }
        let timings = self.store.call_timings(id).await?;
        Ok(subs
            .iter()
            .map(|s| {
                let timing = timings
                    .iter()
                    .find(|t| t.service_id == s.service_id && t.item == s.item);
                pending(s)
                    .then(|| self.waiting_for(s, timing?, &open))
                    .flatten()
            })
            .collect())
    }

    /// The circuits of the registries `subs` call that are unavailable now.
    fn unavailable(&self, subs: &[SubRequestRecord]) -> Vec<OpenCircuit> {
        let mut open: Vec<OpenCircuit> = Vec::new();
        for sub in subs {
            let Some(service) = self.catalog.service_any(&sub.service_id) else {
                continue;
            };
            if open.iter().any(|c| c.registry == service.registry) {
                continue;
            }
            open.extend(self.registries.unavailable(&service.registry));
        }
        open
    }

    fn waiting_for(
        &self,
        sub: &SubRequestRecord,
        timing: &CallTiming,
        open: &[OpenCircuit],
    ) -> Option<Waiting> {
        let registry = &self.catalog.service_any(&sub.service_id)?.registry;
        if let Some(circuit) = open.iter().find(|c| &c.registry == registry) {
            return Some(Waiting {
                registry: registry.clone(),
                unavailable: true,
                since: timing.failing_since.unwrap_or(circuit.opened_at),
                next_attempt_at: circuit.probe_at,
            });
        }
        let since = timing.failing_since.filter(|_| sub.failures > 0)?;
        Some(Waiting {
            registry: registry.clone(),
            unavailable: false,
            since,
            next_attempt_at: timing.next_attempt_at,
        })
    }
}
