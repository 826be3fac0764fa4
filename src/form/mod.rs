//! Forms: the JSON Schemas of services' inputs, merged into one combined form per bundle and
//! used to validate submissions.
//!
//! Every schema file is preloaded into one offline registry at start-up; nothing here fetches
//! anything. Validation turns raw JSON into a `ValidApplication` or a list of every error, each
//! with the services that need the field. This module does not store or send anything.

mod combined;
mod formats;
mod messages;
mod schemas;
mod shape;

pub use schemas::absolutize_refs as absolutize;
mod validate;

pub use combined::CombinedForm;
pub use formats::{
    CUSTOM_FORMATS, KYIV, is_past_date, is_rnokpp, is_unzr, rnokpp_check_digit, today_in_kyiv,
    unzr_check_digit,
};
pub use messages::Message;
pub use schemas::Schemas;
pub use shape::{Leaf, Shape};
pub use validate::{FieldError, ValidApplication};

/// Why a combined form could not be made or a submission not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("unknown service \"{0}\" in the chosen services")]
    UnknownService(String),
    #[error("the combined form does not compile: {0}")]
    Schema(String),
}
