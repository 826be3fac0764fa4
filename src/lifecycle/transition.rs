//! Every transition of a sub-request: from which status an event may move it, and to which.
//! Anything not in the table is refused.

use super::{SubKind, SubStatus};

/// What happens to a sub-request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Every call it waits for succeeded: it may be sent.
    Released,
    /// A call it waits for failed (or is blocked itself): it will not be sent.
    Blocked,
    /// A dispatcher took it under a lease: its time came, or another's lease expired.
    Claimed,
    /// The dispatcher started it on the answer that released it, before that answer was stored
    /// (`fanout::Flight`); the store records it as claimed when it stores that answer.
    StartedEarly,
    /// A dispatcher's attempt ended, with the status its completion asks for
    /// (`Completion::status`).
    Attempted(SubStatus),
    /// A final answer from outside: a registry's callback or a person's decision.
    Answered { succeeded: bool },
    /// An operator runs a failed one again.
    Retried,
    /// An operator's retry of the failure it was blocked behind: it waits again.
    Unblocked,
}

/// Why an event cannot happen to a sub-request where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {kind:?} sub-request that is {from:?} cannot take {event:?}")]
pub struct IllegalTransition {
    pub kind: SubKind,
    pub from: SubStatus,
    pub event: Event,
}

/// Where `event` moves a sub-request of `kind` that is `from`.
pub fn next(kind: SubKind, from: SubStatus, event: Event) -> Result<SubStatus, IllegalTransition> {
    use SubKind::{Human, Service};
    use SubStatus::*;
    let to = match (event, kind, from) {
        (Event::Released, _, Waiting) => Some(Ready),
        (Event::Blocked, _, Waiting) => Some(Blocked),
        (Event::Claimed, _, Ready | Awaiting | Running) => Some(Running),
        (Event::StartedEarly, Service, Waiting) => Some(Running),
        (Event::Attempted(to), _, Running) => match to {
            Succeeded | Failed | Awaiting => Some(to),
            // A retry waits for its time; a person's step is never retried by the dispatcher.
            Ready if kind == Service => Some(to),
            _ => None,
        },
        (Event::Answered { succeeded }, Service, Ready | Running | Awaiting)
        | (Event::Answered { succeeded }, Human, Awaiting) => {
            Some(if succeeded { Succeeded } else { Failed })
        }
        (Event::Retried, Service, Failed) => Some(Ready),
        (Event::Retried, Human, Failed) => Some(Awaiting),
        (Event::Unblocked, _, Blocked) => Some(Waiting),
        _ => None,
    };
    to.ok_or(IllegalTransition { kind, from, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubKind::{Human, Service};
    use SubStatus::*;

    const ALL: [SubStatus; 7] = [
        Waiting, Ready, Running, Awaiting, Succeeded, Failed, Blocked,
    ];

    /// Every (kind, from) the event is allowed from, with where it goes; all others are refused.
    fn only(event: Event, allowed: &[(SubKind, SubStatus, SubStatus)]) {
        for kind in [Service, Human] {
            for from in ALL {
                let expected = allowed
                    .iter()
                    .find(|(k, f, _)| *k == kind && *f == from)
                    .map(|(_, _, to)| *to);
                match (next(kind, from, event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{kind:?} {from:?} {event:?}"),
                    (Err(e), None) => assert_eq!((e.kind, e.from, e.event), (kind, from, event)),
                    (got, want) => panic!("{kind:?} {from:?} {event:?}: {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn a_waiting_call_is_released_or_blocked_and_nothing_else_is() {
        let both = |to| [(Service, Waiting, to), (Human, Waiting, to)];
        only(Event::Released, &both(Ready));
        only(Event::Blocked, &both(Blocked));
    }

    #[test]
    fn a_call_is_claimed_when_ready_awaiting_or_its_lease_expired() {
        let mut allowed = Vec::new();
        for kind in [Service, Human] {
            for from in [Ready, Awaiting, Running] {
                allowed.push((kind, from, Running));
            }
        }
        only(Event::Claimed, &allowed);
    }

    #[test]
    fn only_a_waiting_registry_call_starts_early() {
        only(Event::StartedEarly, &[(Service, Waiting, Running)]);
    }

    #[test]
    fn an_attempt_ends_a_running_call_as_its_completion_says() {
        for to in [Succeeded, Failed, Awaiting] {
            only(
                Event::Attempted(to),
                &[(Service, Running, to), (Human, Running, to)],
            );
        }
        only(Event::Attempted(Ready), &[(Service, Running, Ready)]);
        for to in [Waiting, Running, Blocked] {
            only(Event::Attempted(to), &[]);
        }
    }

    #[test]
    fn an_answer_from_outside_finishes_an_open_call_or_an_awaited_persons_step() {
        for (succeeded, to) in [(true, Succeeded), (false, Failed)] {
            only(
                Event::Answered { succeeded },
                &[
                    (Service, Ready, to),
                    (Service, Running, to),
                    (Service, Awaiting, to),
                    (Human, Awaiting, to),
                ],
            );
        }
    }

    #[test]
    fn only_a_failure_is_retried_and_only_a_blocked_call_unblocked() {
        only(
            Event::Retried,
            &[(Service, Failed, Ready), (Human, Failed, Awaiting)],
        );
        only(
            Event::Unblocked,
            &[(Service, Blocked, Waiting), (Human, Blocked, Waiting)],
        );
    }
}
