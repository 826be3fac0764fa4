//! Reads of personal data, recorded before they are answered: an application's status and
//! data, its pages, its receipt. The entry goes into the writer's next batch (a read costs no
//! commit of its own) and the read waits for that commit. A person or a page polling one
//! application makes one entry per five minutes (`audit::READ_WINDOW_MS`): later reads within
//! the window are counted into it (`repeats`) from memory, a few seconds later. A crash may
//! lose those counts, never an entry: the first read of every window was stored before it was
//! answered.

use super::{ApplicationError, Applications};
use crate::audit::{Entry, READ_WINDOW_MS};
use crate::store::now_ms;
use std::collections::HashMap;
use std::sync::Mutex;

/// The reads whose entries were stored within the window, by who, what and which application.
#[derive(Default)]
pub struct Reads {
    recent: Mutex<HashMap<(String, &'static str, String), Recent>>,
}

struct Recent {
    seq: i64,
    first_at: i64,
    /// Reads since counted into the entry, not yet stored.
    pending: i64,
    last_at: i64,
}

impl Applications {
    /// Record a read (its entry names the application) before it is answered.
    pub async fn record_read(&self, entry: Entry) -> Result<(), ApplicationError> {
        let key = (
            entry.actor.name.clone(),
            entry.action,
            entry.application.clone().unwrap_or_default(),
        );
        let now = now_ms();
        if let Some(recent) = self
            .reads
            .recent
            .lock()
            .expect("not poisoned")
            .get_mut(&key)
            && now - recent.first_at < READ_WINDOW_MS
        {
            recent.pending += 1;
            recent.last_at = now;
            return Ok(());
        }
        let numbers = self.submitter.audit(vec![entry]).await?;
        if let Some(&seq) = numbers.first() {
            let recent = Recent {
                seq,
                first_at: now,
                pending: 0,
                last_at: now,
            };
            let mut reads = self.reads.recent.lock().expect("not poisoned");
            reads.insert(key, recent);
        }
        Ok(())
    }

    /// Hand the counts of repeated reads to the writer (stored with its next batch), and forget
    /// the windows that have closed.
    pub async fn flush_reads(&self) -> Result<(), ApplicationError> {
        let now = now_ms();
        let due: Vec<(i64, i64, i64)> = {
            let mut reads = self.reads.recent.lock().expect("not poisoned");
            let due = (reads.values_mut())
                .filter(|r| r.pending > 0)
                .map(|r| (r.seq, std::mem::take(&mut r.pending), r.last_at))
                .collect();
            reads.retain(|_, r| now - r.first_at < READ_WINDOW_MS);
            due
        };
        if !due.is_empty() {
            self.submitter.audit_repeats(due)?;
        }
        Ok(())
    }
}
