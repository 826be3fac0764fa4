//! What people and registries do to an application, one entry each: submit it, take a
//! registry's late answer (callback), take a person's decision on their step, and retry a
//! failed service. The HTTP handlers and the pages call these and only map their errors; the
//! rules they apply live in `form` (validation), `bundle` (what applies), `lifecycle` (what a
//! change does) and `store` (keeping it).
//!
//! It must not know about HTTP: errors are kinds with their parameters; their words are chosen
//! at the edge.

mod confirm;
mod finding;
mod identify;
mod outside;
pub mod purge;
mod reads;
mod retry;
mod submit;
mod versions;
mod waiting;
pub mod worklist;

pub use confirm::{CodeRefusal, Confirming};
pub use finding::findable;
pub use finding::{Duplicate, normalise};
pub use identify::BY_OIDC;
pub use outside::Callback;
pub use retry::Correction;
pub use submit::{Capture, Intake, Submission, SubmissionKey, intake};
pub use versions::pin_versions;
pub use waiting::Waiting;

use crate::bundle::{Bundle, Catalog, ServiceId};
use crate::fanout::{Dispatcher, Registries, SubmitError, Submitter};
use crate::form::{CombinedForm, FieldError, FormError};
use crate::lifecycle::{ApplicationId, ApplicationStatus, SubStatus};
use crate::registry::CallbackError;
use crate::registry::signature::{Secrets, SignatureError};
use crate::store::{ApplicationRecord, Store, StoreError, SubRequestRecord};
use std::sync::Arc;
use tokio::sync::Notify;

/// The entry points, shared by every request.
#[derive(Clone)]
pub struct Applications {
    catalog: Arc<Catalog>,
    store: Store,
    submitter: Submitter,
    wake: Arc<Notify>,
    /// Which registries are unavailable, as the dispatcher knows.
    registries: Registries,
    /// The secrets registries sign their callbacks with.
    secrets: Arc<Secrets>,
    /// How far a callback's timestamp may be from this server's clock.
    callback_window_seconds: i64,
    /// Invitations and one-time codes for the people who confirm steps.
    confirming: Arc<Confirming>,
    /// Recent reads, counted into their audit entries.
    reads: Arc<reads::Reads>,
    /// Keyed digests of corrected values, for the audit trail.
    digests: crate::audit::Digests,
}

/// Why a use of an application did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("unknown bundle {0:?}")]
    UnknownBundle(String),
    #[error("the chosen services: {0}")]
    Selection(FormError),
    #[error("the submitted data is invalid")]
    Invalid(Vec<FieldError>),
    /// It repeats earlier applications, and no reason to go on was given.
    #[error("it repeats {} earlier application(s)", .0.len())]
    Duplicate(Vec<Duplicate>),
    /// No service applies to the data; each skipped one with the reason, in Ukrainian.
    #[error("no service applies")]
    NothingApplies(Vec<(ServiceId, String)>),
    #[error("no application {0:?}")]
    NotFound(String),
    /// A callback's sub-request names a service the definitions no longer have.
    #[error("unknown service {0:?}")]
    UnknownService(String),
    /// The link (callback or confirmation token) opens nothing.
    #[error("the link is not valid")]
    UnknownLink,
    #[error("the callback is not signed right: {0}")]
    Signature(SignatureError),
    #[error("the callback is not an answer: {0}")]
    Callback(CallbackError),
    #[error("the application has no service {0:?}")]
    NoSuchService(String),
    #[error("service {service:?} has not failed (it is {status:?})")]
    NotFailed { service: String, status: SubStatus },
    #[error("the application's form cannot be built")]
    Form(#[source] FormError),
    #[error(transparent)]
    Code(#[from] CodeRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

impl Applications {
    pub fn new(
        catalog: Arc<Catalog>,
        store: Store,
        dispatcher: &Dispatcher,
        secrets: Secrets,
        callback_window_seconds: i64,
        confirming: Confirming,
    ) -> Self {
        Self {
            catalog,
            store,
            submitter: dispatcher.submitter(),
            wake: dispatcher.waker(),
            registries: dispatcher.registries(),
            secrets: Arc::new(secrets),
            callback_window_seconds,
            digests: crate::audit::Digests::new(&confirming.code_key),
            confirming: Arc::new(confirming),
            reads: Arc::default(),
        }
    }

    /// The bundle and the combined form of the chosen services (all when `None`).
    pub fn bundle_form(
        &self,
        bundle_id: &str,
        chosen: Option<&[String]>,
    ) -> Result<(&Bundle, Arc<CombinedForm>), ApplicationError> {
        bundle_form(&self.catalog, bundle_id, chosen)
    }

    /// The bundle version an application was submitted with, the catalog of that version, and
    /// the combined form of the services it chose: what its corrections are judged by.
    pub fn pinned_form(
        &self,
        application: &ApplicationRecord,
        chosen: &[String],
    ) -> Result<(&crate::bundle::Catalog, &Bundle, Arc<CombinedForm>), ApplicationError> {
        let (catalog, bundle) = (self.catalog)
            .pinned(&application.bundle_id, application.bundle_version)
            .ok_or_else(|| ApplicationError::UnknownBundle(application.bundle_id.clone()))?;
        let selection = bundle
            .select(Some(chosen))
            .map_err(ApplicationError::Selection)?;
        let form = (bundle.form(catalog, &selection)).map_err(ApplicationError::Form)?;
        Ok((catalog, bundle, form))
    }

    /// An application and its sub-requests, by the id as written in a URL.
    ///
    /// They are two reads, and a call's outcome may be stored between them: the application
    /// would then say "in progress" beside services that are all done. The stored status is
    /// always the summary of the sub-requests' (`store::advance`), so a read whose two halves
    /// disagree is read again; the window is a writer's commit, so a second read agrees.
    pub async fn load(
        &self,
        id: &str,
    ) -> Result<(ApplicationRecord, Vec<SubRequestRecord>), ApplicationError> {
        let not_found = || ApplicationError::NotFound(id.to_owned());
        let id = ApplicationId::parse(id).ok_or_else(not_found)?;
        let mut tries = 0;
        loop {
            let application = (self.store.application(&id).await?).ok_or_else(not_found)?;
            let subs = self.store.sub_requests(&id).await?;
            let statuses: Vec<SubStatus> = subs.iter().map(|s| s.status).collect();
            tries += 1;
            if ApplicationStatus::summarise(&statuses) == application.status || tries == 3 {
                return Ok((application, subs));
            }
        }
    }
}

/// The bundle `bundle_id` of `catalog` and the combined form of the chosen services (all when
/// `None`).
pub fn bundle_form<'c>(
    catalog: &'c Catalog,
    bundle_id: &str,
    chosen: Option<&[String]>,
) -> Result<(&'c Bundle, Arc<CombinedForm>), ApplicationError> {
    let bundle = (catalog.bundle(bundle_id))
        .ok_or_else(|| ApplicationError::UnknownBundle(bundle_id.to_owned()))?;
    let selection = bundle.select(chosen).map_err(ApplicationError::Selection)?;
    let form = (bundle.form(catalog, &selection)).map_err(ApplicationError::Form)?;
    Ok((bundle, form))
}

/// When a human step that starts at `now` expires (in ms), calendar-aware (`P1M` is a month).
fn deadline(now: &jiff::Zoned, expires_after: jiff::Span) -> i64 {
    now.checked_add(expires_after)
        .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
}
