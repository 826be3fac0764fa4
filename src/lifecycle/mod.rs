//! The lifecycle of an application and its sub-requests: their statuses, every transition
//! between them, and the rules that release, block or skip dependents and sum up an
//! application. The one home of those rules: the store persists what they decide, and the
//! dispatcher's early start (`fanout::Flight`) asks the same functions, so the two can never
//! disagree.
//!
//! Pure: no I/O, no database, no clock, no async runtime, no HTTP (a test keeps it so). Times
//! come in as arguments.

mod key;
mod outcome;
mod settle;
mod status;
mod transition;
mod work;

pub use key::{ApplicationId, CallKey, CallKeyError};
pub use outcome::{Answer, Completion, Finish, answer_from_outside};
pub use settle::{Call, CallView, settle, startable};
pub use status::{ApplicationStatus, SubKind, SubStatus};
pub use transition::{Event, IllegalTransition, next};
pub use work::{
    CallWork, RETRYING_TOO_LONG_MS, Stage, retrying_attention_at, step_attention_at, work,
};

#[cfg(test)]
mod properties;
