//! What the sandbox remembers between calls: the effect made for each `(service, key)`, with its
//! outputs and when they may be given, and the counts of calls and effects that tests read.
//!
//! It is only ever touched under a short lock that no `await` crosses; it makes no decision about
//! how to answer (see `call` and `asynchronous`).

use super::generate;
use crate::bundle::Service;
use crate::registry::Protocol;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The effect of one idempotency key on one service, made once.
#[derive(Debug, Clone)]
pub(super) struct Effect {
    pub outputs: Value,
    /// When the outputs may be given: asynchronous answers are held back until then.
    pub ready_at: Instant,
    /// Whether a callback carries the outputs (then no status URL is offered).
    pub callback: bool,
}

/// How to make an effect that is not made yet.
pub(super) struct Making {
    /// How long its outputs are held back.
    pub hold: Duration,
    /// Whether a callback will carry them.
    pub callback: bool,
}

pub(super) struct State {
    effects: HashMap<(String, String), Effect>,
    /// What each service that was called has counted.
    counts: BTreeMap<String, Counts>,
    /// The last bodies each service received (`RECEIVED_KEPT` at most), so a test can see
    /// exactly what a registry was sent.
    received: HashMap<String, VecDeque<Value>>,
    /// The last UXP header sets each service received through the security server
    /// (`HEADERS_KEPT` at most), so a test can see what monitoring headers arrived.
    headers: HashMap<String, VecDeque<BTreeMap<String, String>>>,
    /// The sequences the registries number their records by.
    counters: generate::Counters,
}

/// Bodies kept per service.
const RECEIVED_KEPT: usize = 20;

/// UXP header sets kept per service.
const HEADERS_KEPT: usize = 10;

/// One service's counts: calls received (in all and by protocol), effects made, calls answered
/// and the time they took in all (arrival to answer).
#[derive(Debug, Default)]
struct Counts {
    calls: u64,
    protocols: BTreeMap<&'static str, u64>,
    effects: u64,
    answered: u64,
    answer_time: Duration,
}

impl State {
    pub fn new() -> Self {
        Self {
            effects: HashMap::new(),
            counts: BTreeMap::new(),
            received: HashMap::new(),
            headers: HashMap::new(),
            counters: generate::Counters::default(),
        }
    }

    /// Keep a valid body `service` received (the oldest kept goes).
    pub fn note_received(&mut self, service: &str, body: &Value) {
        let kept = self.received.entry(service.to_owned()).or_default();
        if kept.len() == RECEIVED_KEPT {
            kept.pop_front();
        }
        kept.push_back(body.clone());
    }

    /// The bodies `service` received last, oldest first.
    pub fn received(&self, service: &str) -> Vec<Value> {
        (self.received.get(service)).map_or_else(Vec::new, |k| k.iter().cloned().collect())
    }

    /// Keep the UXP headers a call to `service` carried (the oldest set kept goes).
    pub fn note_headers(&mut self, service: &str, headers: BTreeMap<String, String>) {
        let kept = self.headers.entry(service.to_owned()).or_default();
        if kept.len() == HEADERS_KEPT {
            kept.pop_front();
        }
        kept.push_back(headers);
    }

    /// The UXP header sets `service` received last, oldest first.
    pub fn headers(&self, service: &str) -> Vec<BTreeMap<String, String>> {
        (self.headers.get(service)).map_or_else(Vec::new, |k| k.iter().cloned().collect())
    }

    pub fn count_call(&mut self, service: &str, protocol: Protocol) {
        let counts = self.counts.entry(service.to_owned()).or_default();
        counts.calls += 1;
        *counts.protocols.entry(protocol.name()).or_default() += 1;
    }

    /// A call to a known service answered after `took`.
    pub fn count_answer(&mut self, service: &str, took: Duration) {
        if let Some(counts) = self.counts.get_mut(service) {
            counts.answered += 1;
            counts.answer_time += took;
        }
    }

    /// The effect of `key` on `service`, and whether this call made it: a repeated key gets
    /// the stored effect and makes no second one.
    pub fn effect(
        &mut self,
        service: &Service,
        key: &str,
        request: &Value,
        making: Making,
    ) -> (Effect, bool) {
        let id = (service.id.to_string(), key.to_owned());
        if let Some(effect) = self.effects.get(&id) {
            return (effect.clone(), false);
        }
        let effect = Effect {
            outputs: generate::outputs(service, request, key, &mut self.counters),
            ready_at: Instant::now() + making.hold,
            callback: making.callback,
        };
        self.effects.insert(id, effect.clone());
        self.counts
            .entry(service.id.to_string())
            .or_default()
            .effects += 1;
        (effect, true)
    }

    /// The stored effect of `key` on `service`, if one was made.
    pub fn find(&self, service: &str, key: &str) -> Option<Effect> {
        self.effects
            .get(&(service.to_owned(), key.to_owned()))
            .cloned()
    }

    /// `{"<service id>": {"calls": n, "effects": m, …, "protocols": {"trembita-soap": k}}, …}`
    /// for every service called so far.
    pub fn stats(&self) -> BTreeMap<&str, Value> {
        self.counts
            .iter()
            .map(|(service, c)| {
                let answer_ms = c.answer_time.as_secs_f64() * 1000.0;
                let counts = json!({
                    "calls": c.calls, "effects": c.effects, "answered": c.answered,
                    "answer_ms": answer_ms, "protocols": c.protocols,
                });
                (service.as_str(), counts)
            })
            .collect()
    }
}
