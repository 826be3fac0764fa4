//! Where an application stands for the staff who work on it: the stage a clerk reads at a
//! glance in the work list, and when it needs their attention anyway if nothing ends first (a
//! person's step past half its time, a call retrying for an hour). One rule, asked by the store
//! whenever an application's calls change and by the list when it filters.

use super::{SubKind, SubStatus};
use serde::Serialize;

/// How long a call may keep retrying before it needs a person's attention (ms).
pub const RETRYING_TOO_LONG_MS: i64 = 60 * 60 * 1000;

/// A stage of the work list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A service failed or is blocked, or a person's step was declined or expired.
    Attention,
    /// A person's step (a co-signature, a consent) is open.
    Person,
    /// Registries are at work.
    Progress,
    /// Every service succeeded.
    Done,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Attention,
        Stage::Person,
        Stage::Progress,
        Stage::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attention => "attention",
            Self::Person => "person",
            Self::Progress => "progress",
            Self::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One call as the work list's rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct CallWork {
    pub kind: SubKind,
    pub status: SubStatus,
    /// When the call needs attention if it has not ended by then.
    pub attention_at: Option<i64>,
}

/// An application's stage, and when it needs attention anyway (the earliest of its unfinished
/// calls'; none once it needs attention or is done).
pub fn work(calls: &[CallWork]) -> (Stage, Option<i64>) {
    let stage = if (calls.iter())
        .any(|c| matches!(c.status, SubStatus::Failed | SubStatus::Blocked))
    {
        Stage::Attention
    } else if calls.iter().all(|c| c.status.is_terminal()) {
        Stage::Done
    } else if (calls.iter()).any(|c| c.kind == SubKind::Human && c.status == SubStatus::Awaiting) {
        Stage::Person
    } else {
        Stage::Progress
    };
    let attention_at = match stage {
        Stage::Attention | Stage::Done => None,
        Stage::Person | Stage::Progress => (calls.iter())
            .filter(|c| !c.status.is_terminal())
            .filter_map(|c| c.attention_at)
            .min(),
    };
    (stage, attention_at)
}

/// When a person's step open from `opened` until `deadline` needs attention: past half its time.
pub fn step_attention_at(opened: i64, deadline: i64) -> i64 {
    opened + (deadline - opened).max(0) / 2
}

/// When a call failing since `since` needs attention: after an hour of retries.
pub fn retrying_attention_at(since: i64) -> i64 {
    since.saturating_add(RETRYING_TOO_LONG_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubStatus::*;

    fn call(kind: SubKind, status: SubStatus, attention_at: Option<i64>) -> CallWork {
        CallWork {
            kind,
            status,
            attention_at,
        }
    }

    #[test]
    fn a_failed_or_blocked_call_needs_attention_whatever_else_runs() {
        for bad in [Failed, Blocked] {
            let calls = [
                call(SubKind::Service, Running, Some(5)),
                call(SubKind::Service, bad, None),
            ];
            assert_eq!(work(&calls), (Stage::Attention, None));
        }
    }

    #[test]
    fn an_open_step_waits_for_a_person_until_half_its_time() {
        let calls = [
            call(SubKind::Human, Awaiting, Some(step_attention_at(0, 100))),
            call(SubKind::Service, Waiting, None),
        ];
        assert_eq!(work(&calls), (Stage::Person, Some(50)));
    }

    #[test]
    fn registries_at_work_are_in_progress_and_a_long_retry_is_timed() {
        let calls = [
            call(SubKind::Human, Succeeded, Some(50)),
            call(SubKind::Service, Ready, Some(retrying_attention_at(10))),
            call(SubKind::Service, Awaiting, None),
        ];
        assert_eq!(
            work(&calls),
            (Stage::Progress, Some(10 + RETRYING_TOO_LONG_MS))
        );
    }

    #[test]
    fn every_call_succeeded_is_done() {
        let calls = [call(SubKind::Service, Succeeded, Some(1))];
        assert_eq!(work(&calls), (Stage::Done, None));
        assert_eq!(work(&[]), (Stage::Done, None));
    }

    #[test]
    fn every_stage_reads_back_from_its_text() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
    }
}
