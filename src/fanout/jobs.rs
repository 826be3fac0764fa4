//! What reaches a writer: the outcome of a call, a new application, audit entries of reads and
//! counts of further reads — and the inboxes that route each to its application's writer.

use crate::store::{Claim, Completion, Earlier, Message, NewApplication, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A claim's outcome on its way to the writer.
pub(super) struct Done {
    pub claim: Claim,
    pub completion: Completion,
    /// The calls it released that were started before it was stored (see `Flight`).
    pub early: Vec<String>,
    /// The exchange with the registry it came from (none: no call was made).
    pub message: Option<Message>,
}

impl Done {
    /// What the store records of it: the claim, its completion, its exchange.
    pub fn recorded(&self) -> (&Claim, &Completion, Option<&Message>) {
        (&self.claim, &self.completion, self.message.as_ref())
    }

    pub fn new(claim: Claim, completion: Completion, message: Option<Message>) -> Self {
        Self {
            claim,
            completion,
            early: Vec::new(),
            message,
        }
    }
}

/// A new application on its way to the writer, and where its answer goes: stored (`None`), or
/// not, for it repeats these earlier applications and its clerk gave no reason.
pub(super) struct Insert {
    pub new: NewApplication,
    pub reply: oneshot::Sender<Result<Option<Vec<Earlier>>, StoreError>>,
}

/// Audit entries of reads on their way to the writer (see `Submitter::audit`).
pub(super) struct Audit {
    pub entries: Vec<crate::audit::Entry>,
    pub reply: oneshot::Sender<Result<Vec<i64>, StoreError>>,
}

pub(super) enum Job {
    Done(Done),
    Insert(Insert),
    Audit(Audit),
    /// Further reads counted into earlier entries: stored with the next batch, answered to no one.
    Repeats(Vec<(i64, i64, i64)>),
    /// Answered once everything sent before it is stored (at a stop).
    Flush(oneshot::Sender<()>),
}

/// Why a new application was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the dispatcher is not running")]
    Stopped,
}

/// The writers' inboxes. All jobs of one application go to the same writer, so writers never
/// wait for each other's locks (with several, on PostgreSQL).
#[derive(Clone)]
pub(super) struct Inboxes(Arc<[mpsc::UnboundedSender<Job>]>);

impl Inboxes {
    pub fn new(writers: usize) -> (Self, Vec<mpsc::UnboundedReceiver<Job>>) {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..writers.max(1))
            .map(|_| mpsc::unbounded_channel())
            .unzip();
        (Self(senders.into()), receivers)
    }

    /// Hand the job to its application's writer; `Err` if that writer has stopped.
    pub fn send(&self, job: Job) -> Result<(), SubmitError> {
        let writer = match &job {
            Job::Done(done) => hash(&done.claim.application_id),
            Job::Insert(insert) => hash(&insert.new.id),
            Job::Audit(audit) => hash(&audit.entries.first().and_then(|e| e.application.as_ref())),
            Job::Repeats(_) | Job::Flush(_) => 0,
        };
        self.0[writer % self.0.len()]
            .send(job)
            .map_err(|_| SubmitError::Stopped)
    }
}

impl Inboxes {
    /// Whether every writer still takes jobs.
    pub fn open(&self) -> bool {
        self.0.iter().all(|inbox| !inbox.is_closed())
    }

    /// Until every writer has stored all it was given before (or has stopped).
    pub async fn flush(&self) {
        let mut answers = Vec::new();
        for inbox in self.0.iter() {
            let (reply, answer) = oneshot::channel();
            if inbox.send(Job::Flush(reply)).is_ok() {
                answers.push(answer);
            }
        }
        for answer in answers {
            let _ = answer.await;
        }
    }
}

fn hash(value: &impl std::hash::Hash) -> usize {
    std::hash::BuildHasher::hash_one(&FixedState, value) as usize
}

/// The same hash in every process and run.
struct FixedState;

impl std::hash::BuildHasher for FixedState {
    type Hasher = std::hash::DefaultHasher;

    fn build_hasher(&self) -> Self::Hasher {
        std::hash::DefaultHasher::new()
    }
}

/// Stores new applications through the dispatcher's writers (see `Dispatcher::submitter`).
#[derive(Clone)]
pub struct Submitter {
    jobs: Inboxes,
}

impl Submitter {
    pub(super) fn new(jobs: Inboxes) -> Self {
        Self { jobs }
    }

    /// Store the application; when this returns `Ok(None)` it is committed, and its first
    /// calls are on their way. `Ok(Some(earlier))`: not stored, for it repeats those.
    pub async fn insert(&self, new: NewApplication) -> Result<Option<Vec<Earlier>>, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Insert(Insert { new, reply }))?;
        Ok(answer.await.map_err(|_| SubmitError::Stopped)??)
    }

    /// Store audit entries of reads in the writer's next batch (with the application's other
    /// jobs, so they cost no commit of their own); their numbers, once committed.
    pub async fn audit(&self, entries: Vec<crate::audit::Entry>) -> Result<Vec<i64>, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Audit(Audit { entries, reply }))?;
        Ok(answer.await.map_err(|_| SubmitError::Stopped)??)
    }

    /// Count further reads into their entries with the writer's next batch (no commit of their
    /// own, no lock taken beside the writer's).
    pub fn audit_repeats(&self, repeats: Vec<(i64, i64, i64)>) -> Result<(), SubmitError> {
        self.jobs.send(Job::Repeats(repeats))
    }
}
