//! Fan-out: take ready sub-requests from the database, call their registries in parallel, store
//! the outcomes, and let dependents go when their inputs exist.
//!
//! Everything durable lives in the database (claims are leases, the next attempt time is a
//! column), so a restarted instance picks up where a dead one stopped. This module does not
//! decide what an HTTP answer means (`registry::classify` does) nor how it is stored (`store`).

mod dispatcher;
mod flight;
mod gates;
mod jobs;
mod plan;
mod policy;
mod request;
mod writer;

pub use dispatcher::{Dispatcher, Liveness, Stopped};
pub use gates::Registries;
pub use jobs::{SubmitError, Submitter};
pub use plan::{Plan, plan};
pub use policy::{Policies, Policy, RegistryLimits};
pub use request::build_request;

use flight::Flight;

use crate::store::{CallContext, Claim, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How the dispatcher paces itself and what it tells registries.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// This instance's name, recorded on every claim.
    pub instance: String,
    /// How often to look for due work when nothing wakes the dispatcher earlier.
    pub poll_interval: Duration,
    /// How many sub-requests this instance works on at once (across registries).
    pub concurrency: usize,
    /// How long a claim is held before another instance may take it over.
    pub lease: Duration,
    /// The call policy before registries, services and steps override it.
    pub defaults: Policy,
    /// Calls in flight to one registry, unless its limits say otherwise.
    pub registry_concurrency: usize,
    pub registries: BTreeMap<String, RegistryLimits>,
    /// When a registry counts as unavailable and how it is probed.
    pub circuit: Circuit,
    /// After a 202 without a status URL: when to ask again if no callback came.
    pub recheck_after: Duration,
    /// After a 202 with a status URL and no `Retry-After`: when to poll.
    pub poll_every: Duration,
    /// A call the registry accepted (202) but never answered fails after this.
    pub answer_deadline: Duration,
    /// Where registries post late answers: `{callback_base}/{token}`.
    pub callback_base: String,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            instance: "onestop".into(),
            poll_interval: Duration::from_millis(200),
            concurrency: 32,
            lease: Duration::from_secs(60),
            defaults: Policy {
                timeout: Duration::from_secs(10),
                retry_for: Duration::from_secs(72 * 3600),
                max_attempts: None,
                backoff_base: Duration::from_millis(500),
                backoff_cap: Duration::from_secs(300),
            },
            registry_concurrency: 16,
            registries: BTreeMap::new(),
            circuit: Circuit {
                failures_to_open: 5,
                probe_first: Duration::from_secs(2),
                probe_max: Duration::from_secs(60),
                refresh: Duration::from_secs(1),
            },
            recheck_after: Duration::from_secs(900),
            poll_every: Duration::from_secs(5),
            answer_deadline: Duration::from_secs(30 * 24 * 3600),
            callback_base: "http://127.0.0.1:8080/api/v1/callbacks".into(),
        }
    }
}

/// A registry's circuit: unavailable after `failures_to_open` retriable failures in a row,
/// probed after `probe_first`, then at intervals doubling up to `probe_max`; each instance
/// reads the shared state every `refresh`.
#[derive(Debug, Clone, Copy)]
pub struct Circuit {
    pub failures_to_open: u32,
    pub probe_first: Duration,
    pub probe_max: Duration,
    pub refresh: Duration,
}

/// A claim on its way to the dispatcher, with the flight it belongs to when the writer or an
/// earlier answer handed it over (a claim taken from the database has none).
pub(super) struct Handed {
    claim: Claim,
    flight: Option<Arc<Flight>>,
    start: Start,
}

/// How a held claim came to the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// Claimed from the database, or handed over by the writer that claimed it.
    Claimed,
    /// Started by its flight on an answer not yet stored: its row becomes `running` only when
    /// the writer stores that answer (see `Flight`).
    Early,
    /// The one call that probes an unavailable registry (see `gates`).
    Probe,
}

impl Handed {
    /// The claims one batch took, the calls of one application sharing one flight (they
    /// share their request context: one per application and transaction).
    fn with_flights(claims: Vec<Claim>) -> Vec<Handed> {
        let mut flights: Vec<(Arc<CallContext>, Arc<Flight>)> = Vec::new();
        let mut handed = Vec::with_capacity(claims.len());
        for claim in claims {
            let flight = claim.context.as_ref().map(|context| {
                match flights.iter().rev().find(|(c, _)| Arc::ptr_eq(c, context)) {
                    Some((_, flight)) => flight.clone(),
                    None => {
                        let flight = Arc::new(Flight::new(&claim.application_id, context));
                        flights.push((context.clone(), flight.clone()));
                        flight
                    }
                }
            });
            handed.push(Handed {
                claim,
                flight,
                start: Start::Claimed,
            });
        }
        handed
    }
}

/// Why a claimed sub-request could not be turned into a registry call.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease on the sub-request was lost")]
    LeaseLost,
    #[error("the instance is stopping; the call is left for another")]
    Stopping,
    #[error("the {0} of a claimed sub-request is missing")]
    Missing(&'static str),
    #[error("item {item} of \"{items}\" is missing from the application data")]
    MissingItem { items: String, item: i64 },
    #[error("input \"{input}\" is bound to \"{from}.{output}\", which has no value")]
    Unbound {
        input: String,
        from: String,
        output: String,
    },
}
