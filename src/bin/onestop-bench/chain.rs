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

use onestop::bundle::Call;
use onestop::lifecycle::CallKey;
use onestop::sandbox::Answered;
use std::collections::HashMap;
use std::time::Duration;

/// The example application's calls, in dependency order, with the calls each waits for.
pub struct Chains {
    /// `service#item`, and the positions (earlier in this list) of the calls it waits for.
    calls: Vec<(String, Vec<usize>)>,
}

/// One application's calls as the sandbox answered them: by `service#item`, the arrival (in
/// microseconds since the epoch) and the time taken.
pub type Calls = HashMap<String, (i64, Duration)>;

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

impl Chains {
    pub fn new(calls: &[Call]) -> Self {
        let names: Vec<String> = calls
            .iter()
            .map(|c| CallKey::new(c.service.as_str(), c.item as i64).to_string())
            .collect();
        // Calls come in dependency order: each waits only for calls before it.
        let calls = calls
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(at, (call, name))| {
                let waits = call
                    .depends_on
                    .iter()
                    .filter_map(|d| names[..at].iter().position(|n| *n == d.to_string()))
                    .collect();
                (name.clone(), waits)
            })
            .collect();
        Self { calls }
    }

    /// The sandbox's log (`AnswerLog`) by application: keys are `application:service:item`.
    /// A call answered more than once (a retry with the same key) keeps its first arrival and
    /// counts every answer's time.
    pub fn by_application(log: Vec<Answered>) -> HashMap<String, Calls> {
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
            let arrived = a.arrived.as_microsecond();
            let call = answered
                .entry(app.to_owned())
                .or_default()
                .entry(CallKey::new(service, item).to_string())
                .or_insert((arrived, Duration::ZERO));
            call.0 = call.0.min(arrived);
            call.1 += a.took;
        }
        answered
    }

    /// Where the time of an application went, submitted and ended at those microseconds
    /// since the epoch; `None` if a call of it was never answered.
    pub fn timeline(&self, calls: &Calls, submitted: i64, ended: i64) -> Option<Timeline> {
        let mut times: Vec<(i64, Duration)> = Vec::with_capacity(self.calls.len());
        // The longest chain if every call started as soon as those it waits for were answered.
        let mut finished: Vec<Duration> = Vec::with_capacity(self.calls.len());
        for (name, waits) in &self.calls {
            let call = *calls.get(name)?;
            let start = waits.iter().map(|&i| finished[i]).max().unwrap_or_default();
            finished.push(start + call.1);
            times.push(call);
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
        }
    }

    #[test]
    fn the_longest_chain_and_where_the_rest_went() {
        // a → (b, c) → d
        let chains = Chains::new(&[
            call("a", 0, &[]),
            call("b", 0, &["a#0"]),
            call("c", 0, &["a#0"]),
            call("d", 0, &["b#0", "c#0"]),
        ]);
        let log = vec![
            // x: submitted at 0; a 2–22, b 23–44, c 24–53 (the slow one), d 56–78; ended 80.
            answered("x:a:0", 2, 20),
            answered("x:b:0", 23, 21),
            answered("x:c:0", 24, 29),
            answered("x:d:0", 56, 22),
            // y: b answered twice (a retry with the same key).
            answered("y:a:0", 0, 20),
            answered("y:b:0", 20, 20),
            answered("y:b:0", 45, 5),
            answered("y:c:0", 20, 20),
            answered("y:d:0", 50, 20),
            // z's last call was never answered.
            answered("z:a:0", 0, 20),
        ];
        let apps = Chains::by_application(log);
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
}
