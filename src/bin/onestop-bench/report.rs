//! The figures of a run: percentiles of completion latency and of the overhead over the
//! critical path, rates, and what the server process used; printed as plain text.

use super::Bench;
use super::chain::{Calls, Timeline};
use super::machine::MachineShare;
use super::server::Usage;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// One application that finished during the run.
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: String,
    /// Its `submitted_at` and its last transition, by the server's clock, in microseconds
    /// since the epoch.
    pub submitted: i64,
    pub ended: i64,
    pub status: String,
}

impl Finished {
    /// From `submitted_at` to its last transition.
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.ended.saturating_sub(self.submitted).unsigned_abs())
    }
}

/// What a load run measured, before the server's usage is added.
pub struct Figures {
    latencies: Vec<Duration>,
    statuses: BTreeMap<String, usize>,
    /// The critical path as set: stages × the latency asked of the sandbox.
    set: Duration,
    /// Stages, and the mean time a call took in the sandbox (its timer wakes a little late).
    stages: usize,
    per_call: Option<Duration>,
    /// Where each finished application's time went (`chain`), with its overhead over its own
    /// critical path, in milliseconds; sorted by that overhead. Of the applications whose
    /// calls were all answered.
    timelines: Vec<(f64, Timeline)>,
    elapsed: Duration,
    calls: u64,
    polls: u64,
    errors: u64,
    last_error: Option<String>,
}

type ClientSummary<'a> = (&'a [Finished], u64, u64, Option<&'a str>);

impl Figures {
    pub fn gather<'a>(
        bench: &Bench,
        clients: impl Iterator<Item = ClientSummary<'a>>,
        elapsed: Duration,
        calls: u64,
        per_call: Option<Duration>,
        answered: &HashMap<String, Calls>,
    ) -> Self {
        let mut figures = Self {
            latencies: Vec::new(),
            statuses: BTreeMap::new(),
            set: bench.critical_path(),
            stages: bench.stages,
            per_call,
            timelines: Vec::new(),
            elapsed,
            calls,
            polls: 0,
            errors: 0,
            last_error: None,
        };
        for (finished, polls, errors, last_error) in clients {
            for f in finished {
                figures.latencies.push(f.latency());
                let timeline = answered
                    .get(&f.id)
                    .and_then(|calls| bench.chains.timeline(calls, f.submitted, f.ended));
                if let Some(t) = timeline {
                    let over = f.latency().as_secs_f64() * 1000.0 - t.own_path;
                    figures.timelines.push((over, t));
                }
                *figures.statuses.entry(f.status.clone()).or_default() += 1;
            }
            figures.polls += polls;
            figures.errors += errors;
            figures.last_error = last_error.map(str::to_owned).or(figures.last_error);
        }
        figures.latencies.sort();
        figures.timelines.sort_by(|a, b| a.0.total_cmp(&b.0));
        figures
    }

    /// Print every figure of the run, given what the server used (`cpu` over the run,
    /// `usage` at its end), what the bench itself used and the machine's share.
    pub fn print(
        &self,
        cpu: Duration,
        usage: Usage,
        bench_cpu: Duration,
        machine: Option<MachineShare>,
    ) {
        let n = self.latencies.len();
        self.print_completions(n);
        self.print_timelines(n);
        self.print_usage(n, cpu, usage, bench_cpu, machine);
    }

    /// How many finished, how fast, and their latency and overhead over the critical path.
    fn print_completions(&self, n: usize) {
        let secs = self.elapsed.as_secs_f64();
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, c)| format!("{s} {c}"))
            .collect();
        println!(
            "applications finished        {n} in {secs:.1} s ({})",
            statuses.join(", ")
        );
        println!("completed per second         {:.1}", n as f64 / secs);
        println!(
            "completion latency           {}",
            self.percentiles(Duration::ZERO)
        );
        let answered = self.per_call.map_or(String::new(), |d| {
            format!(
                "; {:.1} ms as the sandbox answered ({:.2} ms a call)",
                self.critical().as_secs_f64() * 1000.0,
                d.as_secs_f64() * 1000.0
            )
        });
        println!(
            "critical path                {} set ({} stages){answered}",
            ms(self.set),
            self.stages
        );
        println!(
            "overhead over critical path  {}",
            self.percentiles(self.critical())
        );
    }

    /// The calls' rate, what the server, the bench and the machine used, the polls, and the
    /// errors the clients met.
    fn print_usage(
        &self,
        n: usize,
        cpu: Duration,
        usage: Usage,
        bench_cpu: Duration,
        machine: Option<MachineShare>,
    ) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "sub-requests per second      {:.0}",
            self.calls as f64 / secs
        );
        println!("server peak RSS              {:.1} MB", mb(usage.peak_rss));
        let per_app = cpu.as_secs_f64() / n.max(1) as f64;
        println!(
            "server CPU                   {:.2} ms per application ({:.1} s, {:.0} % of one core)",
            per_app * 1000.0,
            cpu.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / secs
        );
        println!(
            "bench process CPU            {:.1} s (sandbox and clients)",
            bench_cpu.as_secs_f64()
        );
        if let Some(machine) = machine {
            println!("machine CPU                  {machine} (all its cores, the whole run)");
        }
        println!(
            "status polls per application {:.2}",
            self.polls as f64 / n.max(1) as f64
        );
        if self.errors > 0 {
            let last = self.last_error.as_deref().unwrap_or_default();
            println!(
                "errors                       {} (last: {last})",
                self.errors
            );
        }
    }

    /// Each application's own critical path, the overhead over it, and where that went.
    fn print_timelines(&self, finished: usize) {
        let n = self.timelines.len();
        let at = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            let q = |q: f64| percentile(values, q).map_or("-".to_owned(), |v| format!("{v:.0}"));
            format!("p50 {} / p99 {} ms", q(0.50), q(0.99))
        };
        let mut own: Vec<f64> = self.timelines.iter().map(|(_, t)| t.own_path).collect();
        let mut over: Vec<f64> = self.timelines.iter().map(|(o, _)| *o).collect();
        println!(
            "each application's own path  {} (its calls' longest chain as the sandbox answered them; {n} of {finished})",
            at(&mut own)
        );
        println!("overhead over its own path   {}", at(&mut over));
        let part = |f: fn(&Timeline) -> f64| -> Vec<f64> {
            self.timelines.iter().map(|(_, t)| f(t)).collect()
        };
        println!(
            "where it went                submitted to first call {}; between calls {}; last answer to the end {}",
            at(&mut part(|t| t.to_first)),
            at(&mut part(|t| t.between)),
            at(&mut part(|t| t.to_end))
        );
        // The slowest 1 % by overhead, on average: which part makes the tail.
        let tail = &self.timelines[n - n.div_ceil(100).min(n)..];
        if !tail.is_empty() {
            let mean = |f: fn(&Timeline) -> f64| {
                tail.iter().map(|(_, t)| f(t)).sum::<f64>() / tail.len() as f64
            };
            let overhead = tail.iter().map(|(o, _)| o).sum::<f64>() / tail.len() as f64;
            println!(
                "the slowest 1 %, on average  overhead {overhead:.1} ms: to first call {:.1}, between calls {:.1}, to the end {:.1}, own path {:.1} ms",
                mean(|t| t.to_first),
                mean(|t| t.between),
                mean(|t| t.to_end),
                mean(|t| t.own_path)
            );
        }
    }

    /// The critical path as the sandbox answered it (as set if it answered nothing): what the
    /// overhead is measured over.
    fn critical(&self) -> Duration {
        self.per_call.map_or(self.set, |d| d * self.stages as u32)
    }

    /// p50, p95, p99 of the latencies minus `minus`.
    fn percentiles(&self, minus: Duration) -> String {
        let at = |q: f64| {
            percentile(&self.latencies, q).map_or("-".to_owned(), |d| {
                let ms = d.as_secs_f64() * 1000.0 - minus.as_secs_f64() * 1000.0;
                format!("{ms:.0} ms")
            })
        };
        format!("p50 {}  p95 {}  p99 {}", at(0.50), at(0.95), at(0.99))
    }
}

/// The `q` quantile of sorted values (nearest rank).
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// What is being measured, and on what.
pub fn heading(bench: &Bench, database_url: &str) {
    let o = &bench.options;
    let database = if database_url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0.0, |kib| kib as f64 / 1_048_576.0);
    println!("onestop bench: {database}, {cores} cores, {memory:.0} GiB");
    if let Some(count) = o.waiting {
        println!(
            "{count} applications parked on 202s, {} submitting at once; dispatcher concurrency {}",
            o.clients, o.dispatcher_concurrency
        );
        return;
    }
    let rate = o.rate.map_or("as fast as they finish".to_owned(), |r| {
        format!("{r} per s")
    });
    println!(
        "{} clients for {} s, submissions {rate}; registry latency {} ms per call; \
         critical path {} stages × {} ms; dispatcher concurrency {}, {} per registry",
        o.clients,
        o.duration.as_secs(),
        o.latency_ms,
        bench.stages,
        o.latency_ms,
        o.dispatcher_concurrency,
        o.registry_concurrency
    );
    if let Some(outage) = o.outage.as_ref().filter(|o| o.control) {
        println!(
            "outage window only (--outage-control): {} s from {} s after the load starts; {} stays up",
            outage.length.as_secs(),
            outage.at.as_secs(),
            outage.registry,
        );
    } else if let Some(outage) = &o.outage {
        println!(
            "outage: {} ({}) answers 503 to every call for {} s from {} s after the load starts",
            outage.registry,
            bench.down.iter().cloned().collect::<Vec<_>>().join(", "),
            outage.length.as_secs(),
            outage.at.as_secs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&values, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(percentile::<Duration>(&[], 0.5), None);
    }
}
