//! The chain: each entry's hash covers its content and the hash before it; a walk in number
//! order checks both and names the first place where the chain breaks.

use super::{Entry, Stored};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry with its number, time and hashes, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub seq: i64,
    pub at: i64,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Seal `entry` as number `seq` at `at`, after the entry whose hash is `prev_hash`.
pub fn link(prev_hash: &str, seq: i64, at: i64, entry: &Entry) -> Sealed {
    let detail = entry.detail.to_string();
    let hash = hash_of(
        prev_hash,
        &Content {
            seq,
            at,
            actor: &entry.actor.name,
            role: entry.actor.role.as_deref(),
            institution: entry.institution.as_deref(),
            action: entry.action,
            application: entry.application.as_deref(),
            detail: &detail,
            request_id: entry.request_id.as_deref(),
        },
    );
    Sealed {
        seq,
        at,
        detail,
        prev_hash: prev_hash.to_owned(),
        hash,
    }
}

/// What an entry's hash covers, in this order.
struct Content<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    role: Option<&'a str>,
    institution: Option<&'a str>,
    action: &'a str,
    application: Option<&'a str>,
    detail: &'a str,
    request_id: Option<&'a str>,
}

/// SHA-256 over the previous hash and the content as a JSON array (unambiguous: every field
/// is quoted and escaped), hex.
fn hash_of(prev_hash: &str, c: &Content<'_>) -> String {
    let content = serde_json::json!([
        c.seq,
        c.at,
        c.actor,
        c.role,
        c.institution,
        c.action,
        c.application,
        c.detail,
        c.request_id
    ]);
    let mut sha = Sha256::new();
    sha.update(prev_hash.as_bytes());
    sha.update(b"\n");
    sha.update(content.to_string().as_bytes());
    crate::access::secret::hex(&sha.finalize())
}

fn recomputed(stored: &Stored) -> String {
    hash_of(
        &stored.prev_hash,
        &Content {
            seq: stored.seq,
            at: stored.at,
            actor: &stored.actor,
            role: stored.role.as_deref(),
            institution: stored.institution.as_deref(),
            action: &stored.action,
            application: stored.application.as_deref(),
            detail: &stored.detail,
            request_id: stored.request_id.as_deref(),
        },
    )
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The entry's content is not what its hash was made over.
    #[error("entry {0} was changed: its content does not match its hash")]
    Changed(i64),
    /// Numbers are missing before this one.
    #[error("entry {missing} is missing (removed): the next entry is {found}")]
    Missing { missing: i64, found: i64 },
    /// The entry does not follow the one before it (inserted, moved, or the one before was
    /// changed and hashed again).
    #[error("entry {0} is out of place: it does not follow entry {prev}", prev = .0 - 1)]
    OutOfPlace(i64),
    /// Entries after this one were removed (the chain's head says there were more).
    #[error("entries after {last} are missing (removed): the trail's head is entry {head}")]
    Truncated { last: i64, head: i64 },
}

impl Broken {
    /// The number of the entry where the chain breaks.
    pub fn entry(&self) -> i64 {
        match *self {
            Broken::Changed(seq) | Broken::OutOfPlace(seq) => seq,
            Broken::Missing { missing, .. } => missing,
            Broken::Truncated { last, .. } => last + 1,
        }
    }
}

/// What a walk found when nothing was broken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    pub entries: i64,
    pub head: String,
}

/// Walks the entries in number order.
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }
}

impl Verifier {
    /// Check the next entry.
    pub fn check(&mut self, stored: &Stored) -> Result<(), Broken> {
        if stored.seq > self.next_seq {
            return Err(Broken::Missing {
                missing: self.next_seq,
                found: stored.seq,
            });
        }
        if stored.seq < self.next_seq || stored.prev_hash != self.prev_hash {
            return Err(Broken::OutOfPlace(stored.seq));
        }
        if recomputed(stored) != stored.hash {
            return Err(Broken::Changed(stored.seq));
        }
        self.next_seq = stored.seq + 1;
        self.prev_hash.clone_from(&stored.hash);
        Ok(())
    }

    /// The end of the walk, against the head the store keeps (its last number and hash).
    pub fn finish(self, head: Option<(i64, String)>) -> Result<Checked, Broken> {
        let last = self.next_seq - 1;
        if let Some((seq, hash)) = head {
            if seq > last {
                return Err(Broken::Truncated { last, head: seq });
            }
            if seq < last {
                return Err(Broken::OutOfPlace(seq + 1));
            }
            if seq == last && hash != self.prev_hash {
                return Err(Broken::Changed(last));
            }
        }
        Ok(Checked {
            entries: last,
            head: self.prev_hash,
        })
    }
}
