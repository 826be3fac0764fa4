//! Stopping cleanly (SIGTERM on a deploy, Ctrl-C): take no more work, let the calls in flight
//! finish within a grace period, store every outcome the writers were given, and give back
//! the leases of the claims still held, so that another instance takes them at once instead
//! of after the lease expires. A call cut off at the end of the grace period is given back
//! too; the instance that takes it sends it again under the same idempotency key, which the
//! registry answers without doing it twice.

use super::Dispatcher;
use crate::fanout::jobs::Inboxes;
use crate::store::StoreError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How long the writers may take to store what they were given once the calls have ended.
const FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// Whether the dispatcher runs or is stopping, and how many calls are in flight.
#[derive(Default)]
pub(in crate::fanout) struct Stopping {
    running: AtomicBool,
    stopping: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Stopping {
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Marks the dispatcher running while the guard lives.
    pub fn running(&self) -> impl Drop + '_ {
        self.running.store(true, Ordering::Release);
        Flag(&self.running)
    }

    /// Counts a call in flight while the guard lives: from its start until its outcome is
    /// with the writer (so that a flush after the calls have ended stores every outcome).
    pub fn in_flight(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// Until no call is in flight.
    async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct Flag<'a>(&'a AtomicBool);

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A call in flight (see `Stopping::in_flight`).
pub(in crate::fanout) struct InFlight(Arc<Stopping>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// What `/readyz` asks of the dispatcher and its writers.
#[derive(Clone)]
pub struct Liveness(Arc<Stopping>, Inboxes);

impl Liveness {
    /// The dispatcher runs and is not stopping.
    pub fn dispatcher(&self) -> bool {
        self.0.running.load(Ordering::Acquire) && !self.0.is_stopping()
    }

    /// Every writer takes jobs.
    pub fn writers(&self) -> bool {
        self.0.running.load(Ordering::Acquire) && self.1.open()
    }
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Calls still in flight when the grace period ended (given back with the rest).
    pub cut_off: usize,
    /// Claims given back for another instance.
    pub released: u64,
}

impl Dispatcher {
    /// What `/readyz` reads: whether the dispatcher runs.
    pub fn liveness(&self) -> Liveness {
        Liveness(self.stopping.clone(), self.jobs.clone())
    }

    /// Stop: claim nothing more and start no call; wait up to `grace` for the calls in flight,
    /// and meanwhile for `alongside` (the HTTP server's own stop, whose last requests may still
    /// store applications); have the writers store every outcome given them; give back every
    /// claim still held. The dispatcher's task may be dropped afterwards.
    pub async fn stop(
        &self,
        grace: Duration,
        alongside: impl Future<Output = ()>,
    ) -> Result<Stopped, StoreError> {
        self.stopping.stopping.store(true, Ordering::Release);
        self.wake.notify_waiters();
        let calls = tokio::time::timeout(grace, self.stopping.idle());
        let (ended, ()) = tokio::join!(calls, alongside);
        let cut_off = match ended {
            Ok(()) => 0,
            Err(_) => self.stopping.in_flight.load(Ordering::Acquire),
        };
        if tokio::time::timeout(FLUSH_LIMIT, self.jobs.flush())
            .await
            .is_err()
        {
            tracing::warn!(
                "The writers did not store every outcome in time; their calls are given back"
            );
        }
        let released = self.store.release(&self.settings.instance).await?;
        Ok(Stopped { cut_off, released })
    }
}
