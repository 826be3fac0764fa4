//! Claiming due work from the database: whenever something wakes the dispatcher and every
//! `poll_interval`, as much as there is room for, leaving out the registries that are held;
//! and, when an unavailable registry's probe is due, the one call that probes it.

use super::Dispatcher;
use crate::fanout::{Handed, Start};
use crate::store::{Claim, Services, now_ms};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::mpsc;

impl Dispatcher {
    /// Look for due work until the dispatcher stops. A separate task, so that calls handed
    /// over by the writers never wait behind a claim.
    pub(super) async fn poll(self, claims: mpsc::UnboundedSender<Handed>) {
        let mut ticks = tokio::time::interval(self.settings.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut refreshed: Option<Instant> = None;
        loop {
            if self.stopping.is_stopping() {
                return;
            }
            if refreshed.is_none_or(|at| at.elapsed() >= self.settings.circuit.refresh) {
                self.gates.refresh().await;
                refreshed = Some(Instant::now());
            }
            let Some(()) = self.probe(&claims).await else {
                return;
            };
            match self.claim_due(&claims).await {
                // There may be more: look again at once.
                Some(true) => continue,
                Some(false) => {}
                None => return,
            }
            tokio::select! {
                () = self.wake.notified() => {}
                _ = ticks.tick() => {}
            }
        }
    }

    /// Claim what is due as far as there is room; whether the claim was full (`None` when the
    /// dispatcher has stopped).
    async fn claim_due(&self, claims: &mpsc::UnboundedSender<Handed>) -> Option<bool> {
        let free = (self.settings.concurrency).saturating_sub(self.held.load(Ordering::Relaxed));
        if free == 0 {
            return Some(false);
        }
        let held = self.gates.held_services(now_ms());
        let found = match self.take(free, Services::Except(&held)).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = ?e, "Failed to claim sub-requests");
                return Some(false);
            }
        };
        let full = !found.is_empty() && found.len() == free;
        self.hand(found, Start::Claimed, claims)?;
        Some(full)
    }

    /// One call to each unavailable registry whose probe this instance took (a due call, or
    /// else a parked one); the registry's other due calls are parked (`store::Parked`), so
    /// that claims do not read past them while it is unavailable. Most of its calls were
    /// parked as they were released; these are those held on their way to it.
    async fn probe(&self, claims: &mpsc::UnboundedSender<Handed>) -> Option<()> {
        let now = now_ms();
        let park = self.gates.park_until(now);
        for (gate, next_probe) in self.gates.probes(now).await {
            let until = park.max(next_probe);
            let services = gate.services();
            match self.take(1, Services::Probe(&services)).await {
                Ok(found) => self.hand(found, Start::Probe, claims)?,
                Err(e) => tracing::error!(error = ?e, "Failed to claim a probe"),
            }
            match self.store.park(&services, now, until).await {
                Ok(()) => self.gates.unpark_closed(&[gate]).await,
                Err(e) => {
                    tracing::error!(error = ?e, "Failed to park an unavailable registry's calls")
                }
            }
        }
        Some(())
    }

    async fn take(
        &self,
        limit: usize,
        services: Services<'_>,
    ) -> Result<Vec<Claim>, crate::store::StoreError> {
        let lease = self.settings.lease.as_millis() as i64;
        let instance = &self.settings.instance;
        (self.store)
            .claim(limit as i64, lease, instance, services)
            .await
    }

    fn hand(
        &self,
        found: Vec<Claim>,
        start: Start,
        claims: &mpsc::UnboundedSender<Handed>,
    ) -> Option<()> {
        self.held.fetch_add(found.len(), Ordering::Relaxed);
        for claim in found {
            let handed = Handed {
                claim,
                flight: None,
                start,
            };
            if claims.send(handed).is_err() {
                return None;
            }
        }
        Some(())
    }
}
