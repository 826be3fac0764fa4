//! What the registries saw in an open-loop run, printed after the usual figures: with an
//! outage, how the applications submitted before, during and after it ended, what the down
//! registry was asked while it was down, how long the backlog took to drain, and how long the
//! other registries' calls waited beside the same figure before it; without one, that wait for
//! the whole run, as the baseline. Then the sandbox's effects against the calls expected.
//!
//! A call's wait is from when it became due (`chain::Due`) to its successful answer, so it
//! counts the registry's own latency as well as onestop's delay in sending it. It reads the
//! sandbox's log and the applications as read back; it must not ask anything itself.

use super::Bench;
use super::chain::{Calls, Due, Reply};
use super::outage::{Phase, Window};
use super::report::{Finished, percentile};
use super::settle::Open;
use std::collections::{BTreeMap, HashMap};

/// What the run left to read.
pub struct Run<'a> {
    pub finished: Vec<&'a Finished>,
    pub open: &'a [Open],
    /// Applications submitted.
    pub submitted: usize,
    pub window: Option<Window>,
    /// The log by application.
    pub answered: &'a HashMap<String, Calls>,
    /// Effects the sandbox made during the run, by service.
    pub effects: BTreeMap<String, u64>,
}

/// The statuses every group is reported in, in this order, even when none ended so.
const STATUSES: [&str; 4] = [
    "completed",
    "completed_with_failures",
    "failed",
    "in_progress",
];

pub fn print(bench: &Bench, run: &Run) {
    let due = every_due(bench, run);
    if let Some(window) = run.window {
        let during = print_groups(bench, run, window);
        print_down_calls(bench, run, window, during);
        print_drain(bench, run, window, &due);
    }
    print_waits(bench, run.window, &due);
    if let Some(window) = run.window {
        print_waits_by_service(bench, window, &due);
    }
    print_effects(bench, run);
}

/// Each call of each application read back, with when it became due and was answered.
fn every_due(bench: &Bench, run: &Run) -> Vec<Due> {
    let none = Calls::new();
    let submitted = (run.finished.iter().map(|f| (&f.id, f.submitted)))
        .chain(run.open.iter().map(|o| (&o.id, o.submitted)));
    submitted
        .flat_map(|(id, at)| {
            let calls = run.answered.get(id).unwrap_or(&none);
            bench.chains.due(calls, at)
        })
        .collect()
}

/// The applications submitted before, during and after the outage, by how they ended; how
/// many were submitted during it.
fn print_groups(bench: &Bench, run: &Run, window: Window) -> usize {
    let mut groups: BTreeMap<Phase, BTreeMap<&str, usize>> = BTreeMap::new();
    let ended = (run.finished.iter()).map(|f| (f.submitted, f.status.as_str()));
    let open = run.open.iter().map(|o| (o.submitted, "in_progress"));
    for (submitted, status) in ended.chain(open) {
        let group = groups.entry(window.phase(submitted)).or_default();
        *group.entry(status).or_default() += 1;
    }
    let outage = bench.options.outage.as_ref();
    let registry = outage.map_or("", |o| o.registry.as_str());
    let text = match outage.is_some_and(|o| o.control) {
        true => format!("{registry} up, the window {:.1} s", window.seconds()),
        false => format!(
            "{registry} down {:.1} s ({} services answering 503)",
            window.seconds(),
            bench.down.len()
        ),
    };
    line("outage", text);
    for phase in [Phase::Before, Phase::During, Phase::After] {
        let group = groups.remove(&phase).unwrap_or_default();
        let label = format!("submitted {} the outage", name(phase));
        line(&label, ended_so(&group));
    }
    if run.finished.len() + run.open.len() < run.submitted {
        let unread = run.submitted - run.finished.len() - run.open.len();
        line("not read back", format!("{unread} applications"));
    }
    let during = (run.finished.iter().map(|f| f.submitted))
        .chain(run.open.iter().map(|o| o.submitted))
        .filter(|&at| window.phase(at) == Phase::During);
    during.count()
}

/// `n: completed a, completed_with_failures b, failed c, in progress d`, and any other status.
fn ended_so(group: &BTreeMap<&str, usize>) -> String {
    let total: usize = group.values().sum();
    let count = |status: &str| group.get(status).copied().unwrap_or(0);
    let named = STATUSES.iter().map(|s| (*s, count(s)));
    let others = (group.iter()).filter(|(s, _)| !STATUSES.contains(*s));
    let parts: Vec<String> = named
        .chain(others.map(|(s, n)| (*s, *n)))
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    format!("{total}: {}", parts.join(", "))
}

/// The calls the down registry received while it was down.
fn print_down_calls(bench: &Bench, run: &Run, window: Window, during: usize) {
    let replies = down_replies(bench, run).filter(|r| window.phase(r.arrived) == Phase::During);
    let (mut total, mut refused) = (0u64, 0u64);
    for reply in replies {
        total += 1;
        refused += u64::from(!reply.ok);
    }
    line(
        "calls while it was down",
        format!(
            "{total} ({refused} refused); {:.1} per second; {} per application submitted during it",
            total as f64 / window.seconds().max(1e-6),
            per(total as f64, during)
        ),
    );
}

/// Every answer the down registry gave.
fn down_replies<'a>(bench: &'a Bench, run: &'a Run) -> impl Iterator<Item = &'a Reply> + 'a {
    (run.answered.values().flatten())
        .filter(|(key, _)| bench.down.contains(key.service()))
        .flat_map(|(_, replies)| replies)
}

/// The backlog: the down registry's calls that were due before the outage ended and not
/// answered before it began; how long after the outage the last of them was answered
/// successfully, how long until the last application submitted by then finished, and the down
/// registry's calls per second meanwhile.
fn print_drain(bench: &Bench, run: &Run, window: Window, due: &[Due]) {
    let backlog: Vec<&Due> = (due.iter())
        .filter(|d| bench.down.contains(d.call.service()) && d.due < window.end)
        .filter(|d| d.answered.is_none_or(|at| at >= window.start))
        .collect();
    let never = backlog.iter().filter(|d| d.answered.is_none()).count();
    let held = format!(
        "{} calls held by the outage ({never} never answered successfully)",
        backlog.len()
    );
    let drained = (backlog.iter().filter_map(|d| d.answered)).filter(|&at| at >= window.end);
    match drained.max() {
        None => line("the drain", format!("{held}; none answered after it ended")),
        Some(drained) => {
            let seconds = (drained - window.end) as f64 / 1e6;
            let calls = (down_replies(bench, run))
                .filter(|r| (window.end..=drained).contains(&r.arrived))
                .count();
            line(
                "the drain",
                format!(
                    "{held}; the last answered successfully {seconds:.1} s after it ended; {:.1} calls per second to it meanwhile",
                    calls as f64 / seconds.max(1e-6)
                ),
            );
        }
    }
    print_last_finished(run, window);
}

/// When the last application submitted before the outage ended finished, beside that end.
fn print_last_finished(run: &Run, window: Window) {
    let affected = |at: i64| at < window.end;
    let last = (run.finished.iter().filter(|f| affected(f.submitted)))
        .map(|f| f.ended)
        .max();
    let open = run.open.iter().filter(|o| affected(o.submitted)).count();
    let last = last.map_or("-".to_owned(), |at| {
        let seconds = (at - window.end) as f64 / 1e6;
        let side = if seconds < 0.0 { "before" } else { "after" };
        format!("{:.1} s {side}", seconds.abs())
    });
    line(
        "last application finished",
        format!(
            "{last} the outage ended, of those submitted by its end ({open} still in progress)"
        ),
    );
}

/// p50 / p99 of the wait from due to answer of every call to a registry that was not down,
/// by when it became due (for the whole run without an outage).
fn print_waits(bench: &Bench, window: Option<Window>, due: &[Due]) {
    let mut waits: BTreeMap<Option<Phase>, Vec<f64>> = BTreeMap::new();
    let up = due
        .iter()
        .filter(|d| !bench.down.contains(d.call.service()));
    for d in up {
        if let Some(answered) = d.answered {
            let phase = window.map(|w| w.phase(d.due));
            let ms = (answered - d.due) as f64 / 1000.0;
            waits.entry(phase).or_default().push(ms);
        }
    }
    let at = |values: &mut Vec<f64>, whose: &str| {
        values.sort_by(f64::total_cmp);
        let q = |q: f64| percentile(values, q).map_or("-".to_owned(), |v| format!("{v:.1}"));
        let n = values.len();
        format!("p50 {} / p99 {} ms ({n} calls{whose})", q(0.50), q(0.99))
    };
    if window.is_none() {
        let all = waits.entry(None).or_default();
        line("call wait, due to answer", at(all, ", the whole run"));
        return;
    }
    let parts: Vec<String> = [Phase::Before, Phase::During, Phase::After]
        .into_iter()
        .map(|p| format!("{} {}", name(p), at(waits.entry(Some(p)).or_default(), "")))
        .collect();
    line(
        "other registries' call wait",
        "due to answer, by when the call became due:",
    );
    for part in parts {
        line("", part);
    }
}

/// The same wait's p99 per service: an outage changes which calls are made (while the tax
/// service is down, only the first stages' are), and the first stage's calls wait longer than
/// the others (the application is stored first), so the mix alone moves the p99 of them all.
fn print_waits_by_service(bench: &Bench, window: Window, due: &[Due]) {
    let mut waits: BTreeMap<&str, BTreeMap<Phase, Vec<f64>>> = BTreeMap::new();
    for d in due
        .iter()
        .filter(|d| !bench.down.contains(d.call.service()))
    {
        if let Some(answered) = d.answered {
            let ms = (answered - d.due) as f64 / 1000.0;
            let phases = waits.entry(d.call.service()).or_default();
            phases.entry(window.phase(d.due)).or_default().push(ms);
        }
    }
    line(
        "",
        "by service, p99 before / during / after (calls during):",
    );
    for (service, phases) in &mut waits {
        let mut p99 = |phase: Phase| {
            let values = phases.entry(phase).or_default();
            values.sort_by(f64::total_cmp);
            percentile(values, 0.99).map_or("-".to_owned(), |v| format!("{v:.1}"))
        };
        let (before, during, after) = (p99(Phase::Before), p99(Phase::During), p99(Phase::After));
        let n = phases.get(&Phase::During).map_or(0, Vec::len);
        line(
            "",
            format!("  {service} {before} / {during} / {after} ms ({n})"),
        );
    }
}

/// The effects the sandbox made against the calls the applications were expected to make:
/// a key is made effective once, so more effects than calls would be a call sent under a
/// second key; fewer, calls refused before their effect and never retried, or never sent.
fn print_effects(bench: &Bench, run: &Run) {
    let per_service = bench.chains.per_service();
    let mut keys: HashMap<&str, u64> = HashMap::new();
    for call in run.answered.values().flat_map(|calls| calls.keys()) {
        *keys.entry(call.service()).or_default() += 1;
    }
    let mut services: Vec<(&str, u64)> = per_service.into_iter().collect();
    services.sort();
    let expected = |per_app: u64| per_app * run.submitted as u64;
    let effects = |service: &str| run.effects.get(service).copied().unwrap_or(0);
    let total_expected: u64 = services.iter().map(|(_, n)| expected(*n)).sum();
    let total_effects: u64 = run.effects.values().sum();
    let total_keys: u64 = keys.values().sum();
    line(
        "effects / expected calls",
        format!("{total_effects} / {total_expected} ({total_keys} distinct keys called)"),
    );
    for (service, per_app) in services {
        let (made, expected) = (effects(service), expected(per_app));
        if made != expected {
            let called = keys.get(service).copied().unwrap_or(0);
            let text = format!("{service}: {made} / {expected} ({called} keys called)");
            line("", text);
        }
    }
}

fn name(phase: Phase) -> &'static str {
    match phase {
        Phase::Before => "before",
        Phase::During => "during",
        Phase::After => "after",
    }
}

fn per(value: f64, count: usize) -> String {
    if count == 0 {
        return "-".to_owned();
    }
    format!("{:.1}", value / count as f64)
}

/// One figure, its label in the report's first column.
fn line(label: &str, text: impl std::fmt::Display) {
    println!("{label:<29}{text}");
}
