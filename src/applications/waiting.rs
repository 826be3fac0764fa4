//! Which registry a call is waiting for, and since when: a call being retried after failures,
//! or held while its registry is unavailable, is waiting — not failing — and the status API
//! and the application's page say so.

use super::{ApplicationError, Applications};
use crate::lifecycle::{SubKind, SubStatus};
use crate::store::{OpenCircuit, SubRequestRecord};

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
    /// For each of `subs`, in order, what it is waiting for, if a registry.
    pub async fn waiting(
        &self,
        subs: &[SubRequestRecord],
    ) -> Result<Vec<Option<Waiting>>, ApplicationError> {
        let pending = |s: &SubRequestRecord| {
            s.kind == SubKind::Service && matches!(s.status, SubStatus::Ready | SubStatus::Running)
        };
        let open = if subs.iter().any(pending) {
            self.store.open_circuits().await?
        } else {
            Vec::new()
        };
        Ok(subs
            .iter()
            .map(|s| pending(s).then(|| self.waiting_for(s, &open)).flatten())
            .collect())
    }

    fn waiting_for(&self, sub: &SubRequestRecord, open: &[OpenCircuit]) -> Option<Waiting> {
        let registry = &self.catalog.service(&sub.service_id)?.registry;
        if let Some(circuit) = open.iter().find(|c| &c.registry == registry) {
            return Some(Waiting {
                registry: registry.clone(),
                unavailable: true,
                since: sub.failing_since.unwrap_or(circuit.opened_at),
                next_attempt_at: circuit.probe_at,
            });
        }
        let since = sub.failing_since.filter(|_| sub.failures > 0)?;
        Some(Waiting {
            registry: registry.clone(),
            unavailable: false,
            since,
            next_attempt_at: sub.next_attempt_at,
        })
    }
}
