//! How a call ends: what a dispatcher's attempt, a registry's callback or a person's decision
//! does to its sub-request.

use super::transition::{Event, next};
use super::{SubKind, SubStatus};
use serde_json::Value;

/// How a dispatcher's attempt at a call ended, as the lifecycle sees it.
#[derive(Debug, Clone)]
pub enum Completion {
    Succeeded(Value),
    Failed(String),
    /// A retriable failure: try again `at` (ms). `reason` is the error, kept for operators;
    /// `since` is when the call's current run of failures began (its time budget counts from
    /// there).
    Retry {
        at: i64,
        reason: String,
        since: i64,
    },
    /// Not attempted: the call's registry is unavailable (or asked to be left alone), so the
    /// call waits until `at` and uses nothing of its budget.
    Held {
        at: i64,
        reason: String,
    },
    /// The registry accepted the call (202): wait for its callback or poll `poll_url`; look again
    /// at `check_at` and fail at `deadline`.
    Awaiting {
        check_at: i64,
        poll_url: Option<String>,
        deadline: i64,
    },
}

impl Completion {
    /// The status the call takes.
    pub fn status(&self) -> SubStatus {
        match self {
            Self::Succeeded(_) => SubStatus::Succeeded,
            Self::Failed(_) => SubStatus::Failed,
            Self::Retry { .. } | Self::Held { .. } => SubStatus::Ready,
            Self::Awaiting { .. } => SubStatus::Awaiting,
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Succeeded(_) => "succeeded",
            Self::Failed(_) => "failed",
            Self::Retry { .. } => "retry",
            Self::Held { .. } => "held",
            Self::Awaiting { .. } => "awaiting",
        }
    }
}

/// A final answer from outside the dispatcher: a registry's callback, a person's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Succeeded(Value),
    /// Refused, with the reason kept for operators and the receipt.
    Failed(String),
}

impl Answer {
    pub fn succeeded(&self) -> bool {
        matches!(self, Self::Succeeded(_))
    }
}

/// How an answer from outside was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// It finished the sub-request.
    Applied,
    /// The sub-request had already finished the same way: nothing changed.
    AlreadyDone,
    /// The sub-request had already finished otherwise (or the step expired): nothing changed.
    Conflict(SubStatus),
}

/// What `answer` does to a sub-request of `kind` that is `status` (with `outputs` stored):
/// `Ok` with the status it takes, or `Err` with why nothing changes. The same answer twice is
/// taken once: the second time it is already done.
pub fn answer_from_outside(
    kind: SubKind,
    status: SubStatus,
    outputs: Option<&Value>,
    answer: &Answer,
) -> Result<SubStatus, Finish> {
    let event = Event::Answered {
        succeeded: answer.succeeded(),
    };
    next(kind, status, event).map_err(|_| {
        let same = match answer {
            Answer::Succeeded(o) => status == SubStatus::Succeeded && outputs == Some(o),
            Answer::Failed(_) => status == SubStatus::Failed,
        };
        if same {
            Finish::AlreadyDone
        } else {
            Finish::Conflict(status)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubStatus::*;
    use serde_json::json;

    #[test]
    fn each_completion_gives_the_status_an_attempt_may_end_in() {
        let completions = [
            (Completion::Succeeded(json!({})), Succeeded),
            (Completion::Failed("no".into()), Failed),
            (
                Completion::Retry {
                    at: 5,
                    reason: "503".into(),
                    since: 1,
                },
                Ready,
            ),
            (
                Completion::Held {
                    at: 5,
                    reason: "unavailable".into(),
                },
                Ready,
            ),
            (
                Completion::Awaiting {
                    check_at: 1,
                    poll_url: None,
                    deadline: 2,
                },
                Awaiting,
            ),
        ];
        for (completion, status) in completions {
            assert_eq!(completion.status(), status);
            let after = next(SubKind::Service, Running, Event::Attempted(status));
            assert_eq!(after, Ok(status), "{}", completion.name());
        }
    }

    #[test]
    fn an_answer_from_outside_is_taken_once_and_a_different_one_conflicts() {
        let yes = Answer::Succeeded(json!({"rnokpp": "1"}));
        let no = Answer::Failed("refused".into());
        let service = |status, outputs: Option<&Value>, answer: &Answer| {
            answer_from_outside(SubKind::Service, status, outputs, answer)
        };
        assert_eq!(service(Awaiting, None, &yes), Ok(Succeeded));
        assert_eq!(service(Running, None, &no), Ok(Failed));
        let stored = json!({"rnokpp": "1"});
        assert_eq!(
            service(Succeeded, Some(&stored), &yes),
            Err(Finish::AlreadyDone)
        );
        let other = json!({"rnokpp": "2"});
        assert_eq!(
            service(Succeeded, Some(&other), &yes),
            Err(Finish::Conflict(Succeeded))
        );
        assert_eq!(service(Failed, None, &no), Err(Finish::AlreadyDone));
        assert_eq!(service(Failed, None, &yes), Err(Finish::Conflict(Failed)));
        assert_eq!(service(Waiting, None, &yes), Err(Finish::Conflict(Waiting)));
        assert_eq!(service(Blocked, None, &no), Err(Finish::Conflict(Blocked)));
    }

    #[test]
    fn a_persons_decision_counts_only_while_their_step_awaits_it() {
        let yes = Answer::Succeeded(json!({"decision": "confirmed"}));
        let human = |status| answer_from_outside(SubKind::Human, status, None, &yes);
        assert_eq!(human(Awaiting), Ok(Succeeded));
        // At its deadline the step is claimed to expire it: too late for a decision.
        assert_eq!(human(Running), Err(Finish::Conflict(Running)));
        assert_eq!(human(Ready), Err(Finish::Conflict(Ready)));
    }
}
