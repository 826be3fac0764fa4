//! Each registry as this instance sees it, and what lets a call to it go: the registry's
//! concurrency limit and optional rate, a pause it asked for (`Retry-After`), and its circuit.
//!
//! A registry that fails `failures_to_open` calls in a row (retriable failures: timeouts, 5xx,
//! 429, broken answers) is *unavailable*: the circuit opens, for every instance on the database
//! (`store::circuits`). Its calls are then held — not claimed, not attempted, nothing of their
//! budget used — and one probe call at a time goes out, at intervals that double from
//! `probe_first` to `probe_max`. The first call the registry answers (a success, a refusal, a
//! 202) closes the circuit, and the held calls drain at the registry's pace. Only the instance
//! whose write opened or closed the circuit logs it, so the log says it once.
//!
//! Calls wait for their own registry before they take one of the instance's permits, so a slow
//! or unavailable registry never holds up calls to the others (no head-of-line blocking).

use super::{Circuit, RegistryLimits};
use crate::bundle::Catalog;
use crate::store::{OpenCircuit, Store, now_ms};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a held call's error says.
pub(super) const UNAVAILABLE: &str = "реєстр тимчасово недоступний (the registry is unavailable)";
const PAUSED: &str = "реєстр просив зачекати (the registry asked to wait: Retry-After)";

/// Every registry's gate.
pub(super) struct Gates {
    by_registry: BTreeMap<String, Arc<Gate>>,
    /// For a registry no definition names (its service vanished from the catalog).
    fallback: Arc<Gate>,
    circuit: Circuit,
    store: Store,
}

/// One registry's gate.
pub(super) struct Gate {
    name: String,
    /// Its services, which a claim leaves out while the registry is held.
    services: Vec<String>,
    permits: Arc<Semaphore>,
    limit: usize,
    pace: Option<Pace>,
    /// Calls to it this instance holds (waiting here or in a call).
    busy: AtomicUsize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Retriable failures in a row, as this instance saw them.
    failures: u32,
    /// The circuit, when open, as this instance last read or wrote it.
    open: Option<OpenCircuit>,
    /// No call before this time (ms): the registry's `Retry-After`.
    paused_until: i64,
}

/// Whether a call may go now.
pub(super) enum Admit {
    Go,
    Hold { at: i64, reason: &'static str },
}

/// Calls spaced `1 / rate` apart.
struct Pace {
    interval: Duration,
    next: Mutex<tokio::time::Instant>,
}

/// The registries unavailable, as this instance sees them, and their services.
#[derive(Default)]
pub(super) struct Unavailable<'a> {
    pub registries: Vec<&'a Gate>,
    pub services: Vec<&'a str>,
}

/// A call's place at its registry: a permit of its concurrency, counted as busy until dropped.
pub(super) struct Entered<'a> {
    gate: &'a Gate,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.gate.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gates {
    pub fn new(
        store: Store,
        catalog: &Catalog,
        circuit: Circuit,
        default_concurrency: usize,
        limits: &BTreeMap<String, RegistryLimits>,
    ) -> Self {
        let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // A service an earlier version still runs keeps its registry's gate.
        for service in catalog.all_services() {
            let name = service.registry.clone();
            services
                .entry(name)
                .or_default()
                .push(service.id.to_string());
        }
        let names: BTreeSet<String> = services.keys().chain(limits.keys()).cloned().collect();
        let gate = |name: &str| {
            let limits = limits.get(name).cloned().unwrap_or_default();
            let owned = services.get(name).cloned().unwrap_or_default();
            Arc::new(Gate::new(name, owned, default_concurrency, &limits))
        };
        Self {
            by_registry: names
                .iter()
                .map(|name| (name.clone(), gate(name)))
                .collect(),
            fallback: gate(""),
            circuit,
            store,
        }
    }

    pub fn of(&self, registry: &str) -> &Gate {
        self.by_registry.get(registry).unwrap_or(&self.fallback)
    }

    /// The services a claim leaves out now: those of registries that are unavailable, asked to
    /// be left alone, or have as many calls waiting here as they take at once.
    pub fn held_services(&self, now: i64) -> Vec<&str> {
        let mut held = Vec::new();
        for gate in self.by_registry.values() {
            let full = gate.busy.load(Ordering::Relaxed) >= gate.limit;
            let state = gate.state();
            if full || state.open.is_some() || state.paused_until > now {
                held.extend(gate.services.iter().map(String::as_str));
            }
        }
        held
    }

    /// The registries unavailable now, as this instance last saw them, with their services.
    pub fn unavailable(&self) -> Unavailable<'_> {
        let mut unavailable = Unavailable::default();
        for gate in self.by_registry.values() {
            if gate.is_open() {
                unavailable.registries.push(gate);
                unavailable
                    .services
                    .extend(gate.services.iter().map(String::as_str));
            }
        }
        unavailable
    }

    /// Until when an unavailable registry's calls are parked (`store::Parked`): ten of its
    /// longest probe intervals. The circuit's close lets them go at once; this bounds the wait
    /// of a call parked on a view already stale.
    pub fn park_until(&self, now: i64) -> i64 {
        now.saturating_add(ms(self.circuit.probe_max).saturating_mul(10))
    }

    /// After calls of `registries` were parked on this instance's view that they were
    /// unavailable: let those of a registry that has closed since go now. The close lets the
    /// calls parked before it go; the view changes before that, so a park committed after the
    /// close is seen here (or by `refresh`, when the close was another instance's).
    pub async fn unpark_closed(&self, registries: &[&Gate]) {
        for gate in registries {
            if !gate.is_open() {
                self.unpark(gate).await;
            }
        }
    }

    async fn unpark(&self, gate: &Gate) {
        if let Err(e) = self.store.unpark(&gate.services(), now_ms()).await {
            tracing::error!(error = ?e, registry = %gate.name, "Failed to let a registry's parked calls go");
        }
    }

    /// Read the circuits other instances may have opened or closed.
    pub async fn refresh(&self) {
        match self.store.open_circuits().await {
            Ok(open) => {
                let mut open: BTreeMap<String, OpenCircuit> =
                    open.into_iter().map(|c| (c.registry.clone(), c)).collect();
                for (name, gate) in &self.by_registry {
                    let closed = {
                        let mut state = gate.state();
                        let was_open = state.open.is_some();
                        state.open = open.remove(name);
                        was_open && state.open.is_none()
                    };
                    if closed {
                        // Closed elsewhere: this instance's run of failures is over too, and
                        // what it parked meanwhile goes (see `unpark_closed`).
                        gate.state().failures = 0;
                        self.unpark(gate).await;
                    }
                }
            }
            Err(e) => tracing::error!(error = ?e, "Failed to read the registries' circuits"),
        }
    }

    /// The unavailable registries whose probe is due and which this instance won the right to
    /// probe (at most one instance per probe), each with when the next probe is due.
    pub async fn probes(&self, now: i64) -> Vec<(&Gate, i64)> {
        let mut won = Vec::new();
        for gate in self.by_registry.values() {
            let Some(due) = gate.state().open.clone().filter(|c| c.probe_at <= now) else {
                continue;
            };
            let next = (due.probe_interval_ms.saturating_mul(2)).min(ms(self.circuit.probe_max));
            let taken = self.store.take_probe(&due, now, next).await;
            if let Some(open) = gate.state().open.as_mut() {
                // Whoever took it, look again at the next refresh, which reads the next probe.
                open.probe_at = now + next.min(ms(self.circuit.refresh));
            }
            match taken {
                Ok(true) => won.push((&**gate, now + next)),
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = ?e, registry = %gate.name, "Failed to take a probe")
                }
            }
        }
        won
    }

    /// The registry answered (a success, a refusal, a 202): it is available.
    pub async fn answered(&self, gate: &Gate) {
        let was_open = {
            let mut state = gate.state();
            state.failures = 0;
            state.open.take().is_some()
        };
        if !was_open {
            return;
        }
        match self
            .store
            .close_circuit(&gate.name, now_ms(), &gate.services())
            .await
        {
            Ok(Some(closed)) => {
                let seconds = (now_ms() - closed.opened_at).max(0) / 1000;
                // At the outage's level, so that a log filtered to warnings shows both ends.
                tracing::warn!(registry = %gate.name, unavailable_for_seconds = seconds, probes = closed.probes, "Registry available again; its held calls go out at its pace");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = ?e, registry = %gate.name, "Failed to close a circuit")
            }
        }
    }

    /// A call to the registry failed in a way worth retrying, perhaps with its `Retry-After`.
    pub async fn failed(&self, gate: &Gate, retry_after: Option<Duration>) {
        let now = now_ms();
        let first = ms(self.circuit.probe_first);
        let opens = {
            let mut state = gate.state();
            state.failures = state.failures.saturating_add(1);
            if let Some(after) = retry_after {
                state.paused_until = state.paused_until.max(now + ms(after));
            }
            let opens = state.open.is_none() && state.failures >= self.circuit.failures_to_open;
            if opens {
                state.open = Some(OpenCircuit {
                    registry: gate.name.clone(),
                    opened_at: now,
                    probe_at: now + first,
                    probe_interval_ms: first,
                });
            }
            opens
        };
        if !opens {
            return;
        }
        match self.store.open_circuit(&gate.name, now, first).await {
            Ok(true) => {
                let failures = self.circuit.failures_to_open;
                tracing::warn!(registry = %gate.name, failures, "Registry unavailable; its calls are held and it is probed until it answers");
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = ?e, registry = %gate.name, "Failed to open a circuit")
            }
        }
    }
}

impl Gate {
    fn new(name: &str, services: Vec<String>, concurrency: usize, limits: &RegistryLimits) -> Self {
        let limit = limits.concurrency.unwrap_or(concurrency).max(1);
        let pace = limits.rate_per_second.map(|rate| Pace {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(tokio::time::Instant::now()),
        });
        Self {
            name: name.to_owned(),
            services,
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            pace,
            busy: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
        }
    }

    pub fn services(&self) -> Vec<&str> {
        self.services.iter().map(String::as_str).collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the registry is unavailable, as this instance last saw it.
    pub fn is_open(&self) -> bool {
        self.state().open.is_some()
    }

    /// Count a call as waiting here until the guard is dropped.
    pub fn enter(&self) -> Entered<'_> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Entered { gate: self }
    }

    /// Whether a call may go at `now`: a probe always; others not while the registry is
    /// unavailable (they wait for it to close) or paused.
    pub fn admit(&self, probe: bool, now: i64) -> Admit {
        let state = self.state();
        if probe {
            Admit::Go
        } else if let Some(open) = &state.open {
            // Parked until the next probe (see `store::circuits::park`).
            Admit::Hold {
                at: open.probe_at.max(now),
                reason: UNAVAILABLE,
            }
        } else if state.paused_until > now {
            Admit::Hold {
                at: state.paused_until,
                reason: PAUSED,
            }
        } else {
            Admit::Go
        }
    }

    /// Wait for one of the registry's permits, then for its pace.
    pub async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        if let Some(pace) = &self.pace {
            let slot = {
                let mut next = pace.next.lock().unwrap_or_else(PoisonError::into_inner);
                let slot = (*next).max(tokio::time::Instant::now());
                *next = slot + pace.interval;
                slot
            };
            tokio::time::sleep_until(slot).await;
        }
        Some(permit)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What this instance knows of the registries' circuits (as it last read or changed them,
/// at most `refresh` ago), for the pages and the status API: no query on their path.
#[derive(Clone)]
pub struct Registries(Arc<Gates>);

impl Registries {
    pub(super) fn new(gates: Arc<Gates>) -> Self {
        Self(gates)
    }

    /// The circuit of `registry` when it is unavailable.
    pub fn unavailable(&self, registry: &str) -> Option<OpenCircuit> {
        self.0.by_registry.get(registry)?.state().open.clone()
    }
}
