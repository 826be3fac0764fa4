//! Each application's own critical path, and where its overhead went.
//!
//! The own critical path is the longest chain of the application's calls through their
//! dependencies, each call as long as the sandbox took to answer it: the registries' own time
//! for that application, what it would take with no orchestration at all. The overhead is
//! measured over it as well as over `stages × the mean call`, which leaves the sandbox's own
//! slow calls (a timer that wakes late on a busy machine, the slowest of a stage's parallel
//! calls) in onestop's overhead.
//!
//! With the calls' arrival times (the sandbox's clock is the server's: one machine), the
//! application's latency splits along the chain that actually ended last: from `submitted_at`
//! to its first call's arrival, the gaps between a call's answer and the arrival of the call
//! it released, the calls themselves, and from the last answer to the final transition.
//!
//! Each call also has the time it became due (the successful answer of the last call it waits
//! for, or the application's `submitted_at`) and its own first successful answer: how long a
//! registry's calls waited, answers included, while another registry was down (`registries`).

use onestop::bundle::Call;
use onestop::lifecycle::CallKey;
use onestop::sandbox::Answered;
use std::collections::HashMap;
use std::time::Duration;

/// The example application's calls, in dependency order, with the calls each waits for.
pub struct Chains {
    /// Each call, and the positions (earlier in this list) of the calls it waits for.
    calls: Vec<(CallKey, Vec<usize>)>,
}

/// One answer the sandbox gave a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reply {
    /// Microseconds since the epoch.
    pub arrived: i64,
    pub took: Duration,
    /// A 2xx answer (a refused call is answered 503 and retried with the same key).
    pub ok: bool,
}

impl Reply {
    /// When the answer was given, in microseconds since the epoch.
    pub fn end(&self) -> i64 {
        self.arrived + self.took.as_micros() as i64
    }
}

/// One application's calls as the sandbox answered them, every answer in the order given.
pub type Calls = HashMap<CallKey, Vec<Reply>>;

/// Where one application's time went, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeline {
    /// The longest chain of its calls (the registries' own time).
    pub own_path: f64,
    /// From `submitted_at` to the arrival of the first call of the chain that ended last.
    pub to_first: f64,
    /// Along that chain, from each answer to the arrival of the call it released, summed.
    pub between: f64,
    /// From the last answer to the application's last transition.
    pub to_end: f64,
}

/// One call of one application: when it became due and when it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub call: CallKey,
    /// When the last of the calls it waits for was answered successfully (the application's
    /// `submitted_at` for a call that waits for none), in microseconds since the epoch.
    pub due: i64,
    /// Its first successful answer, if it had one.
    pub answered: Option<i64>,
}

impl Chains {
    pub fn new(calls: &[Call]) -> Self {
        let keys: Vec<CallKey> = (calls.iter())
            .map(|c| CallKey::new(c.service.as_str(), c.item as i64))
            .collect();
        // Calls come in dependency order: each waits only for calls before it.
        let calls = calls
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(at, (call, key))| {
                let waits = (call.depends_on.iter())
                    .filter_map(|d| keys[..at].iter().position(|k| k == d))
                    .collect();
                (key.clone(), waits)
            })
            .collect();
        Self { calls }
    }

    /// How many calls of each service one application makes.
    pub fn per_service(&self) -> HashMap<&str, u64> {
        let mut counts = HashMap::new();
        for (key, _) in &self.calls {
            *counts.entry(key.service()).or_default() += 1;
        }
        counts
    }

    /// The calls of one application.
    pub fn keys(&self) -> impl Iterator<Item = &CallKey> {
        self.calls.iter().map(|(key, _)| key)
    }

    /// The sandbox's log with each Trembita message id (`xrd:id`, `Uxp-QueryID`, which the
    /// registry sees instead of the call's key) put back to the key it was derived from, for
    /// the calls of `applications`.
    pub fn with_call_keys(&self, mut log: Vec<Answered>, applications: &[String]) -> Vec<Answered> {
        let mut keys = HashMap::new();
        for application in applications {
            for call in self.keys() {
                let key = format!("{application}:{}:{}", call.service(), call.item());
                keys.insert(onestop::registry::message_id(&key), key);
            }
        }
        for answered in &mut log {
            if let Some(key) = keys.get(&answered.key) {
                answered.key = key.clone();
            }
        }
        log
    }

    /// The sandbox's log (`AnswerLog`) by application: keys are `application:service:item`.
    /// A call answered more than once (a retry with the same key) keeps every answer.
    pub fn by_application(log: &[Answered]) -> HashMap<String, Calls> {
        let mut answered: HashMap<String, Calls> = HashMap::new();
        for a in log {
            let mut parts = a.key.splitn(3, ':');
            let (Some(app), Some(service), Some(item)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(item) = item.parse::<i64>() else {
                continue;
            };
            let reply = Reply {
                arrived: a.arrived.as_microsecond(),
                took: a.took,
                ok: (200..300).contains(&a.status),
            };
            (answered.entry(app.to_owned()).or_default())
                .entry(CallKey::new(service, item))
                .or_default()
                .push(reply);
        }
        answered
    }

    /// Each call of an application submitted at `submitted` (microseconds since the epoch) that
    /// became due: one is left out when a call it waits for was never answered successfully.
    pub fn due(&self, calls: &Calls, submitted: i64) -> Vec<Due> {
        let succeeded = |key: &CallKey| -> Option<i64> {
            let replies = calls.get(key)?;
            replies.iter().filter(|r| r.ok).map(Reply::end).min()
        };
        let answered: Vec<Option<i64>> = self.calls.iter().map(|(k, _)| succeeded(k)).collect();
        let mut due = Vec::with_capacity(self.calls.len());
        for (at, (key, waits)) in self.calls.iter().enumerate() {
            let released: Option<Vec<i64>> = waits.iter().map(|&i| answered[i]).collect();
            let Some(released) = released else {
                continue;
            };
            due.push(Due {
                call: key.clone(),
                due: released.into_iter().max().unwrap_or(submitted),
                answered: answered[at],
            });
        }
        due
    }

    /// Where the time of an application went, submitted and ended at those microseconds
    /// since the epoch; `None` if a call of it was never answered. A call answered more than
    /// once counts from its first arrival and for every answer's time.
    pub fn timeline(&self, calls: &Calls, submitted: i64, ended: i64) -> Option<Timeline> {
        let mut times: Vec<(i64, Duration)> = Vec::with_capacity(self.calls.len());
        // The longest chain if every call started as soon as those it waits for were answered.
        let mut finished: Vec<Duration> = Vec::with_capacity(self.calls.len());
        for (key, waits) in &self.calls {
            let replies = calls.get(key)?;
            let arrived = replies.iter().map(|r| r.arrived).min()?;
            let took = replies.iter().map(|r| r.took).sum();
            let start = waits.iter().map(|&i| finished[i]).max().unwrap_or_default();
            finished.push(start + took);
            times.push((arrived, took));
        }
        let own_path = finished.into_iter().max()?;
        let end = |i: usize| times[i].0 + times[i].1.as_micros() as i64;
        // Walk back from the call answered last through the call each waited for longest.
        let mut at = (0..times.len()).max_by_key(|&i| end(i))?;
        let last_answer = end(at);
        let mut between = 0;
        let first = loop {
            let Some(&before) = self.calls[at].1.iter().max_by_key(|&&i| end(i)) else {
                break times[at].0;
            };
            between += times[at].0 - end(before);
            at = before;
        };
        let ms = |us: i64| us as f64 / 1000.0;
        Some(Timeline {
            own_path: own_path.as_secs_f64() * 1000.0,
            to_first: ms(first - submitted),
            between: ms(between),
            to_end: ms(ended - last_answer),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onestop::bundle::ServiceId;

    fn call(service: &str, item: usize, depends_on: &[&str]) -> Call {
        Call {
            service: ServiceId::parse(service).expect("an id"),
            item,
            depends_on: (depends_on.iter())
                .map(|d| onestop::lifecycle::CallKey::parse(d).expect("a call key"))
                .collect(),
        }
    }

    fn answered(key: &str, arrived_ms: i64, took_ms: u64) -> Answered {
        Answered {
            key: key.to_owned(),
            arrived: jiff::Timestamp::from_millisecond(arrived_ms).expect("a time"),
            took: Duration::from_millis(took_ms),
            status: 200,
        }
    }

    fn refused(key: &str, arrived_ms: i64, took_ms: u64) -> Answered {
        Answered {
            status: 503,
            ..answered(key, arrived_ms, took_ms)
        }
    }

    /// a → (b, c) → d
    fn diamond() -> Chains {
        Chains::new(&[
            call("a", 0, &[]),
            call("b", 0, &["a#0"]),
            call("c", 0, &["a#0"]),
            call("d", 0, &["b#0", "c#0"]),
        ])
    }

    #[test]
    fn the_longest_chain_and_where_the_rest_went() {
        let chains = diamond();
        let log = vec![
            // x: submitted at 0; a 2–22, b 23–44, c 24–53 (the slow one), d 56–78; ended 80.
            answered("x:a:0", 2, 20),
            answered("x:b:0", 23, 21),
            answered("x:c:0", 24, 29),
            answered("x:d:0", 56, 22),
            // y: b answered twice (refused, then retried with the same key).
            answered("y:a:0", 0, 20),
            refused("y:b:0", 20, 20),
            answered("y:b:0", 45, 5),
            answered("y:c:0", 20, 20),
            answered("y:d:0", 50, 20),
            // z's last call was never answered.
            answered("z:a:0", 0, 20),
        ];
        let apps = Chains::by_application(&log);
        let x = chains.timeline(&apps["x"], 0, 80_000).expect("x");
        assert_eq!(
            x,
            Timeline {
                own_path: 71.0,
                to_first: 2.0,
                // 22 → 24 (c), 53 → 56 (d)
                between: 5.0,
                to_end: 2.0,
            }
        );
        let y = chains.timeline(&apps["y"], 0, 70_000).expect("y");
        assert_eq!(y.own_path, 65.0);
        assert_eq!(chains.timeline(&apps["z"], 0, 30_000), None);
    }

    #[test]
    fn a_call_is_due_when_the_last_call_it_waits_for_succeeded() {
        let chains = diamond();
        let log = vec![
            answered("y:a:0", 5, 20),
            refused("y:b:0", 25, 20),
            answered("y:b:0", 45, 5),
            answered("y:c:0", 25, 20),
            answered("y:d:0", 52, 20),
            // z: b was never answered successfully, so d never became due.
            answered("z:a:0", 0, 20),
            refused("z:b:0", 20, 20),
            answered("z:c:0", 20, 20),
        ];
        let apps = Chains::by_application(&log);
        let due = |app: &str, submitted_ms: i64| -> Vec<(String, i64, Option<i64>)> {
            let due = chains.due(&apps[app], submitted_ms * 1000);
            let ms = |us: i64| us / 1000;
            (due.into_iter())
                .map(|d| (d.call.to_string(), ms(d.due), d.answered.map(ms)))
                .collect()
        };
        let expected = |rows: &[(&str, i64, Option<i64>)]| -> Vec<(String, i64, Option<i64>)> {
            (rows.iter())
                .map(|(k, d, a)| (k.to_string(), *d, *a))
                .collect()
        };
        assert_eq!(
            due("y", 1),
            expected(&[
                ("a#0", 1, Some(25)),
                ("b#0", 25, Some(50)),
                ("c#0", 25, Some(45)),
                ("d#0", 50, Some(72)),
            ])
        );
        assert_eq!(
            due("z", 0),
            expected(&[
                ("a#0", 0, Some(20)),
                ("b#0", 20, None),
                ("c#0", 20, Some(40))
            ])
        );
        assert_eq!(chains.per_service()["b"], 1);
    }
}
