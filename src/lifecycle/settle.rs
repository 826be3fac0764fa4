//! What a call's dependencies decide for it: released when all of them succeeded, blocked when
//! one failed or is blocked. One rule (`verdict`), asked by the store after it records
//! outcomes (`settle`) and by the dispatcher when an answer comes back (`startable`).

use super::transition::Event;
use super::{CallKey, SubKind, SubStatus};
use std::collections::BTreeMap;

/// One sub-request of an application as the rules see it, borrowed from wherever it is kept.
#[derive(Debug, Clone, Copy)]
pub struct CallView<'a> {
    pub service: &'a str,
    pub item: i64,
    pub kind: SubKind,
    pub status: SubStatus,
    pub depends_on: &'a [CallKey],
}

impl<'a> CallView<'a> {
    pub fn new(
        (service, item): (&'a str, i64),
        kind: SubKind,
        status: SubStatus,
        depends_on: &'a [CallKey],
    ) -> Self {
        Self {
            service,
            item,
            kind,
            status,
            depends_on,
        }
    }
}

/// One sub-request of an application as the rules see it, owned.
#[derive(Debug, Clone)]
pub struct Call {
    pub key: CallKey,
    pub kind: SubKind,
    pub status: SubStatus,
    pub depends_on: Vec<CallKey>,
}

impl Call {
    pub fn view(&self) -> CallView<'_> {
        let key = (self.key.service(), self.key.item());
        CallView::new(key, self.kind, self.status, &self.depends_on)
    }
}

/// The application's calls by key, for looking up dependencies.
fn index<'a>(calls: &[CallView<'a>]) -> BTreeMap<(&'a str, i64), usize> {
    (calls.iter().enumerate())
        .map(|(i, c)| ((c.service, c.item), i))
        .collect()
}

/// What the dependencies of a waiting call decide, given the status of each call: `Blocked`
/// behind a failure, `Released` when all succeeded, nothing while some are under way. A
/// dependency that is not among the calls (none should be: a bundle's calls depend only on
/// calls that run) does not hold its dependent back.
fn verdict(
    depends_on: &[CallKey],
    status_of: impl Fn(&CallKey) -> Option<SubStatus>,
) -> Option<Event> {
    let status = |d: &CallKey| status_of(d).unwrap_or(SubStatus::Succeeded);
    if depends_on
        .iter()
        .any(|d| matches!(status(d), SubStatus::Failed | SubStatus::Blocked))
    {
        Some(Event::Blocked)
    } else if depends_on.iter().all(|d| status(d) == SubStatus::Succeeded) {
        Some(Event::Released)
    } else {
        None
    }
}

/// The statuses of an application's calls once every waiting one whose dependencies all
/// succeeded is released (`ready`) and every one behind a failure is blocked, repeated until
/// nothing changes (a block passes down a chain). In the calls' order.
pub fn settle(calls: &[CallView<'_>]) -> Vec<SubStatus> {
    let index = index(calls);
    let mut statuses: Vec<SubStatus> = calls.iter().map(|c| c.status).collect();
    loop {
        let mut changed = false;
        for (i, call) in calls.iter().enumerate() {
            if statuses[i] != SubStatus::Waiting {
                continue;
            }
            let of = |d: &CallKey| index.get(&(d.service(), d.item())).map(|&j| statuses[j]);
            let next = match verdict(call.depends_on, of) {
                Some(Event::Blocked) => SubStatus::Blocked,
                Some(_) => SubStatus::Ready,
                None => continue,
            };
            statuses[i] = next;
            changed = true;
        }
        if !changed {
            return statuses;
        }
    }
}

/// The waiting registry calls that may start now, before the answers that release them are
/// stored (`fanout::Flight`): those `settle` would release. A person's step is never started
/// here: it waits for the person.
pub fn startable(calls: &[CallView<'_>]) -> Vec<usize> {
    let index = index(calls);
    let of = |d: &CallKey| {
        index
            .get(&(d.service(), d.item()))
            .map(|&j| calls[j].status)
    };
    (calls.iter().enumerate())
        .filter(|(_, c)| c.status == SubStatus::Waiting && c.kind == SubKind::Service)
        .filter(|(_, c)| verdict(c.depends_on, of) == Some(Event::Released))
        .map(|(n, _)| n)
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use SubStatus::*;

    /// The rules over owned calls.
    pub fn settled(calls: &[Call]) -> Vec<SubStatus> {
        settle(&calls.iter().map(Call::view).collect::<Vec<_>>())
    }

    pub fn started(calls: &[Call]) -> Vec<usize> {
        startable(&calls.iter().map(Call::view).collect::<Vec<_>>())
    }

    /// A call for the tests: `service#0`.
    pub fn call(service: &str, status: SubStatus, depends_on: &[&str]) -> Call {
        Call {
            key: CallKey::new(service, 0),
            kind: SubKind::Service,
            status,
            depends_on: depends_on.iter().map(|d| CallKey::new(*d, 0)).collect(),
        }
    }

    #[test]
    fn a_call_is_released_when_the_last_of_its_dependencies_succeeds() {
        let calls = [
            call("a", Succeeded, &[]),
            call("b", Succeeded, &["a"]),
            call("c", Running, &["a"]),
            call("d", Waiting, &["b", "c"]),
            call("e", Waiting, &["b"]),
        ];
        assert_eq!(
            settled(&calls),
            [Succeeded, Succeeded, Running, Waiting, Ready]
        );
        assert_eq!(started(&calls), [4]);
    }

    #[test]
    fn a_failure_blocks_its_dependents_down_the_chain_and_starts_nothing() {
        let calls = [
            call("a", Failed, &[]),
            call("b", Waiting, &["a"]),
            call("c", Waiting, &["b"]),
            call("d", Waiting, &[]),
        ];
        assert_eq!(settled(&calls), [Failed, Blocked, Blocked, Ready]);
        assert_eq!(started(&calls), [3]);
    }

    #[test]
    fn a_persons_step_is_released_by_the_store_but_never_started_early() {
        let mut step = call("consent", Waiting, &["a"]);
        step.kind = SubKind::Human;
        let calls = [call("a", Succeeded, &[]), step];
        assert_eq!(settled(&calls), [Succeeded, Ready]);
        assert!(started(&calls).is_empty());
    }

    #[test]
    fn only_waiting_calls_change() {
        let calls = [
            call("a", Failed, &[]),
            call("b", Ready, &["a"]),
            call("c", Awaiting, &["a"]),
            call("d", Succeeded, &["a"]),
        ];
        assert_eq!(settled(&calls), [Failed, Ready, Awaiting, Succeeded]);
        assert!(started(&calls).is_empty());
    }

    #[test]
    fn a_dependency_that_is_not_among_the_calls_holds_nothing_back() {
        let calls = [call("b", Waiting, &["gone"])];
        assert_eq!(settled(&calls), [Ready]);
        assert_eq!(started(&calls), [0]);
    }

    #[test]
    fn repeated_calls_wait_for_their_own_item() {
        let item = |service: &str, item, status, deps: &[(&str, i64)]| Call {
            key: CallKey::new(service, item),
            kind: SubKind::Service,
            status,
            depends_on: deps.iter().map(|(s, i)| CallKey::new(*s, *i)).collect(),
        };
        let calls = [
            item("dereg", 0, Succeeded, &[]),
            item("dereg", 1, Running, &[]),
            item("reg", 0, Waiting, &[("dereg", 0)]),
            item("reg", 1, Waiting, &[("dereg", 1)]),
        ];
        assert_eq!(settled(&calls), [Succeeded, Running, Ready, Waiting]);
        assert_eq!(started(&calls), [2]);
    }
}
