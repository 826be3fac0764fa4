//! The audit trail: who read or changed whose data, when, and through which request, kept so that
//! a quiet edit shows. Each entry carries the SHA-256 of its own content and of the entry before
//! it (one chain for the whole database, numbered without gaps), so changing an entry, removing
//! one or slipping one in breaks the chain at that place, and `verify` names it.
//!
//! This module is pure: what an entry is, its action names (stable: outside tools read them),
//! the hash, and the walk that checks a chain. Storing entries — in the same transaction as the
//! change they record, or in the writer's next commit for a read — is `store`'s; deciding who
//! may read the trail is `access`'s.

mod chain;
pub mod digest;

pub use chain::{Broken, Checked, Sealed, Verifier, link};
pub use digest::Digests;

use serde_json::Value;

/// Who did it: a staff login, `token:NAME` for a machine client, `citizen`, `person` (someone
/// confirming a step through its link), `registry` or `system`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    pub name: String,
    /// The role they acted in (staff and machine clients).
    pub role: Option<String>,
    pub institution: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: None,
            institution: None,
        }
    }

    pub fn system() -> Self {
        Self::new("system")
    }
}

/// Actions, named `noun.verb`. Kept stable: `docs/audit.md` lists them.
pub mod action {
    pub const APPLICATION_SUBMIT: &str = "application.submit";
    pub const APPLICATION_READ: &str = "application.read";
    pub const APPLICATION_OPEN: &str = "application.open";
    pub const APPLICATION_CORRECT: &str = "application.correct";
    pub const APPLICATION_PURGE: &str = "application.purge";
    /// A page of the work list (names of the institution's applications).
    pub const APPLICATION_LIST: &str = "application.list";
    pub const RECEIPT_READ: &str = "receipt.read";
    pub const SERVICE_RETRY: &str = "service.retry";
    pub const SERVICE_CALLBACK: &str = "service.callback";
    pub const STEP_DECIDE: &str = "step.decide";
    pub const STEP_INVITE: &str = "step.invite";
    pub const STEP_REOPEN: &str = "step.reopen";
    pub const SESSION_SIGN_IN: &str = "session.sign_in";
    pub const SESSION_SIGN_IN_FAILED: &str = "session.sign_in_failed";
    pub const SESSION_SIGN_OUT: &str = "session.sign_out";
    pub const SESSION_PASSWORD: &str = "session.password";
    pub const STAFF_CHANGE: &str = "staff.change";
    pub const INSTITUTION_CHANGE: &str = "institution.change";
    pub const TOKEN_CHANGE: &str = "token.change";
    pub const AUDIT_READ: &str = "audit.read";
}

/// An entry before it is stored (the store gives it its number, time and hashes).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub actor: Actor,
    pub action: &'static str,
    pub application: Option<String>,
    /// Whose data it is: the application's institution (none for a citizen's own online
    /// application), else the actor's. Supervisors and bound auditors search by it.
    pub institution: Option<String>,
    /// What was touched, as JSON: services, JSON pointers, decisions — never a personal value
    /// itself (a changed value appears as its keyed digest, see `Digests`).
    pub detail: Value,
    pub request_id: Option<String>,
}

tokio::task_local! {
    /// The id of the HTTP request being answered (set around each request's handling), which
    /// every entry made while answering it carries.
    pub static REQUEST_ID: String;
}

impl Entry {
    /// An entry of `action` by `actor`, in the request being answered, if any.
    pub fn new(actor: Actor, action: &'static str) -> Self {
        Self {
            institution: actor.institution.clone(),
            actor,
            action,
            application: None,
            detail: Value::Object(Default::default()),
            request_id: REQUEST_ID.try_with(String::clone).ok(),
        }
    }

    /// The entry concerns `application`, of `institution`.
    pub fn on(mut self, application: impl Into<String>, institution: Option<&str>) -> Self {
        self.application = Some(application.into());
        self.institution = institution.map(str::to_owned);
        self
    }

    pub fn with(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stored {
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub actor: String,
    pub role: Option<String>,
    pub institution: Option<String>,
    pub action: String,
    pub application: Option<String>,
    /// The detail's JSON text, as hashed.
    pub detail: String,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// Further reads of the same application by the same actor within the window, counted into
    /// this entry (outside the hash: the first read is what the chain vouches for).
    pub repeats: i64,
    pub last_at: Option<i64>,
}

/// How long repeated reads of one application by one actor count into one entry.
pub const READ_WINDOW_MS: i64 = 5 * 60_000;

#[cfg(test)]
mod tests;
