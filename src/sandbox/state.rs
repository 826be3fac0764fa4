//! What the sandbox remembers between calls: the effect made for each `(service, key)`, with its
//! outputs and when they may be given, and the counts of calls and effects that tests read.
//!
//! It is only ever touched under a short lock that no `await` crosses; it makes no decision about
//! how to answer (see `call` and `asynchronous`).

use super::generate;
use crate::bundle::Service;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
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
    calls: BTreeMap<String, u64>,
    effect_counts: BTreeMap<String, u64>,
    /// Per service, calls answered and the time taken answering them (arrival to answer).
    answers: BTreeMap<String, (u64, Duration)>,
    next_sequence: u64,
}

impl State {
    pub fn new() -> Self {
        Self {
            effects: HashMap::new(),
            calls: BTreeMap::new(),
            effect_counts: BTreeMap::new(),
            answers: BTreeMap::new(),
            next_sequence: 1,
        }
    }

    pub fn count_call(&mut self, service: &str) {
        *self.calls.entry(service.to_owned()).or_default() += 1;
    }

    /// A call to a known service answered after `took`.
    pub fn count_answer(&mut self, service: &str, took: Duration) {
        if !self.calls.contains_key(service) {
            return;
        }
        let (answered, time) = self.answers.entry(service.to_owned()).or_default();
        *answered += 1;
        *time += took;
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
        let id = (service.id.0.clone(), key.to_owned());
        if let Some(effect) = self.effects.get(&id) {
            return (effect.clone(), false);
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let effect = Effect {
            outputs: generate::outputs(service, request, sequence),
            ready_at: Instant::now() + making.hold,
            callback: making.callback,
        };
        self.effects.insert(id, effect.clone());
        *self.effect_counts.entry(service.id.0.clone()).or_default() += 1;
        (effect, true)
    }

    /// The stored effect of `key` on `service`, if one was made.
    pub fn find(&self, service: &str, key: &str) -> Option<Effect> {
        self.effects
            .get(&(service.to_owned(), key.to_owned()))
            .cloned()
    }

    /// `{"<service id>": {"calls": n, "effects": m}, …}` for every service called so far.
    pub fn stats(&self) -> BTreeMap<&str, Value> {
        self.calls
            .iter()
            .map(|(service, calls)| {
                let effects = self.effect_counts.get(service).copied().unwrap_or(0);
                let (answered, time) = self.answers.get(service).copied().unwrap_or_default();
                let answer_ms = time.as_secs_f64() * 1000.0;
                (
                    service.as_str(),
                    json!({ "calls": calls, "effects": effects, "answered": answered, "answer_ms": answer_ms }),
                )
            })
            .collect()
    }
}
