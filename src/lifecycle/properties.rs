//! Property tests: over random dependency graphs, outcomes and orders of answers, the stored
//! path (outcomes stored, then `settle`) and the early start (`startable` on each answer, as
//! `fanout::Flight` does, before the store settles) reach the same final state, and that state
//! is the one the dependencies call for. Every step goes through `next`, so an illegal
//! transition fails the test.

use super::settle::tests::{settled, started};
use super::{Call, CallKey, Event, SubKind, SubStatus, next};
use proptest::prelude::*;

/// One generated application: per call, the earlier calls it depends on, whether its attempts
/// succeed in the end, and how many retriable failures come first.
#[derive(Debug, Clone)]
struct Case {
    calls: Vec<(Vec<usize>, bool, u8)>,
    /// Which in-flight call answers next, taken modulo how many there are.
    order: Vec<usize>,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..10).prop_flat_map(|n| {
        let call = |i: usize| {
            let deps = proptest::collection::vec(any::<bool>(), i).prop_map(|picks| {
                picks
                    .iter()
                    .enumerate()
                    .filter_map(|(j, &p)| p.then_some(j))
                    .collect::<Vec<usize>>()
            });
            (deps, any::<bool>(), 0u8..3)
        };
        let calls: Vec<_> = (0..n).map(call).collect();
        (calls, proptest::collection::vec(any::<usize>(), 64))
            .prop_map(|(calls, order)| Case { calls, order })
    })
}

fn key(i: usize) -> CallKey {
    CallKey::new(format!("s{i}"), 0)
}

fn apply(call: &mut Call, event: Event) {
    call.status = next(call.kind, call.status, event).expect("a legal transition");
}

/// Run the case to its end; with `early`, answers start what they release at once.
fn run(case: &Case, early: bool) -> Vec<SubStatus> {
    let mut calls: Vec<Call> = (case.calls.iter().enumerate())
        .map(|(i, (deps, ..))| Call {
            key: key(i),
            kind: SubKind::Service,
            status: SubKind::Service.first_status(!deps.is_empty()),
            depends_on: deps.iter().map(|&d| key(d)).collect(),
        })
        .collect();
    let mut failures_left: Vec<u8> = case.calls.iter().map(|c| c.2).collect();
    let mut order = case.order.iter().cycle();
    loop {
        // The dispatcher claims what is ready; then one of the running calls answers.
        for call in calls.iter_mut().filter(|c| c.status == SubStatus::Ready) {
            apply(call, Event::Claimed);
        }
        let running: Vec<usize> = (0..calls.len())
            .filter(|&i| calls[i].status == SubStatus::Running)
            .collect();
        let Some(&pick) = order.next() else { break };
        let Some(&i) = running.get(pick % running.len().max(1)) else {
            break;
        };
        let status = if failures_left[i] > 0 {
            failures_left[i] -= 1;
            SubStatus::Ready
        } else if case.calls[i].1 {
            SubStatus::Succeeded
        } else {
            SubStatus::Failed
        };
        apply(&mut calls[i], Event::Attempted(status));
        if early && status == SubStatus::Succeeded {
            for n in started(&calls) {
                apply(&mut calls[n], Event::StartedEarly);
            }
        }
        for (n, status) in settled(&calls).into_iter().enumerate() {
            if status != calls[n].status {
                let event = match status {
                    SubStatus::Blocked => Event::Blocked,
                    _ => Event::Released,
                };
                apply(&mut calls[n], event);
            }
        }
    }
    calls.iter().map(|c| c.status).collect()
}

/// What the dependencies call for: a call whose dependencies all succeeded ends as its own
/// attempts do; one behind a failure is blocked.
fn expected(case: &Case) -> Vec<SubStatus> {
    let mut statuses: Vec<SubStatus> = Vec::new();
    for (deps, succeeds, _) in &case.calls {
        let clear = deps.iter().all(|&d| statuses[d] == SubStatus::Succeeded);
        statuses.push(match (clear, succeeds) {
            (false, _) => SubStatus::Blocked,
            (true, true) => SubStatus::Succeeded,
            (true, false) => SubStatus::Failed,
        });
    }
    statuses
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_early_start_and_the_stored_path_reach_the_same_final_state(case in case()) {
        let stored = run(&case, false);
        let early = run(&case, true);
        prop_assert_eq!(&stored, &early);
        prop_assert_eq!(&stored, &expected(&case));
    }
}
