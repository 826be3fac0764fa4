//! The statuses of sub-requests and applications, and their text form in the database.

use serde::Serialize;

/// Where one sub-request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubStatus {
    /// Its dependencies have not all succeeded yet.
    Waiting,
    /// It may be sent (now or at `next_attempt_at`).
    Ready,
    /// A dispatcher holds a lease on it and is calling the registry.
    Running,
    /// Accepted and pending elsewhere: the registry answered 202 (a callback or a poll will
    /// finish it), or a person must act (a human step); it expires at its deadline.
    Awaiting,
    Succeeded,
    /// The registry refused, or retries ran out.
    Failed,
    /// A service it depends on failed; it will not be sent.
    Blocked,
}

/// Where an application stands, summarised from its sub-requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    InProgress,
    Completed,
    CompletedWithFailures,
    Failed,
}

impl SubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Awaiting => "awaiting",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Blocked => "blocked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Waiting,
            Self::Ready,
            Self::Running,
            Self::Awaiting,
            Self::Succeeded,
            Self::Failed,
            Self::Blocked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Blocked)
    }
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::CompletedWithFailures => "completed_with_failures",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::InProgress,
            Self::Completed,
            Self::CompletedWithFailures,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The summary of a set of sub-request statuses.
    pub fn summarise(statuses: &[SubStatus]) -> Self {
        if statuses.iter().any(|s| !s.is_terminal()) {
            Self::InProgress
        } else if statuses.iter().all(|s| *s == SubStatus::Succeeded) {
            Self::Completed
        } else if statuses.contains(&SubStatus::Succeeded) {
            Self::CompletedWithFailures
        } else {
            Self::Failed
        }
    }
}

/// What a sub-request waits on: a registry call, or a person's step (a co-signature, a consent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubKind {
    Service,
    Human,
}

impl SubKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Human => "human",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Service, Self::Human]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

impl SubKind {
    /// Where a new sub-request starts: a person's step awaits them, a call without
    /// dependencies is ready, the others wait.
    pub fn first_status(self, has_dependencies: bool) -> SubStatus {
        match (self, has_dependencies) {
            (Self::Human, _) => SubStatus::Awaiting,
            (Self::Service, false) => SubStatus::Ready,
            (Self::Service, true) => SubStatus::Waiting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubStatus::*;

    #[test]
    fn every_status_reads_back_from_its_text() {
        for s in [
            Waiting, Ready, Running, Awaiting, Succeeded, Failed, Blocked,
        ] {
            assert_eq!(SubStatus::parse(s.as_str()), Some(s));
        }
        for s in [
            ApplicationStatus::InProgress,
            ApplicationStatus::Completed,
            ApplicationStatus::CompletedWithFailures,
            ApplicationStatus::Failed,
        ] {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(s));
        }
        for k in [SubKind::Service, SubKind::Human] {
            assert_eq!(SubKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SubStatus::parse("done"), None);
        assert_eq!(ApplicationStatus::parse(""), None);
        assert_eq!(SubKind::parse("robot"), None);
    }

    #[test]
    fn a_new_call_waits_for_its_dependencies_and_a_persons_step_awaits_them() {
        assert_eq!(SubKind::Service.first_status(false), Ready);
        assert_eq!(SubKind::Service.first_status(true), Waiting);
        assert_eq!(SubKind::Human.first_status(false), Awaiting);
        assert_eq!(SubKind::Human.first_status(true), Awaiting);
    }

    #[test]
    fn an_application_is_summed_up_from_its_calls() {
        use ApplicationStatus as A;
        assert_eq!(A::summarise(&[Succeeded, Running]), A::InProgress);
        assert_eq!(A::summarise(&[Succeeded, Awaiting]), A::InProgress);
        assert_eq!(A::summarise(&[Succeeded, Succeeded]), A::Completed);
        assert_eq!(A::summarise(&[]), A::Completed);
        assert_eq!(
            A::summarise(&[Succeeded, Failed, Blocked]),
            A::CompletedWithFailures
        );
        assert_eq!(A::summarise(&[Failed, Blocked]), A::Failed);
    }
}
