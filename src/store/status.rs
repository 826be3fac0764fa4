//! The statuses of sub-requests and applications, and their text form in the database.

use serde::Serialize;

/// Where one sub-request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
