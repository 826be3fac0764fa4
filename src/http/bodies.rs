//! The API's answers as types: what the handlers serialise is what the OpenAPI document
//! describes (`ToSchema`), so the two cannot drift apart. Plain data, no behaviour beyond
//! building a value; the handlers fill them in.

use crate::bundle::Text;
use crate::lifecycle::{ApplicationStatus, Stage, SubStatus};
use crate::store::Counts;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Every error of the API: one or more problems, each at a JSON pointer into the request (`""`
/// for the request as a whole). A 5xx says nothing of its cause (the log has it).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"errors": [{"pointer": "/mother/rnokpp", "message": "Невірне контрольне число РНОКПП", "services": ["tax.rnokpp-assignment"]}]}))]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
}

/// One problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// JSON Pointer into the submitted body (`/data` is left out for the form's fields).
    pub pointer: String,
    /// What is wrong, in Ukrainian.
    pub message: String,
    /// The services that need the field.
    pub services: Vec<String>,
    /// For a 409 duplicate: the earlier application it repeats, when it is the caller's
    /// institution's (`null` for another's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub duplicate_of: Option<Option<String>>,
}

/// A staff member, as a session shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub login: String,
    pub institution: Option<String>,
    /// `clerk`, `registrar`, `supervisor`, `auditor` or `admin`.
    pub role: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAnswer {
    /// The bearer token (shown once): `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub user: UserView,
    /// The password is one-time: until it is changed (`POST /api/v1/session/password`) the
    /// session is refused (403) on every other route.
    pub password_change_required: bool,
}

/// Who a token stands for: a staff member, or a citizen's application.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum WhoAmI {
    Staff {
        user: UserView,
        password_change_required: bool,
    },
    Citizen {
        /// The application the citizen's secret opens.
        application: String,
    },
}

/// The life events.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleList {
    pub bundles: Vec<BundleView>,
}

/// One life event.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    pub id: String,
    pub version: u32,
    pub title: Text,
    pub description: Text,
    pub services: Vec<BundleService>,
    /// Where its combined form (JSON Schema 2020-12) is.
    pub form: String,
}

/// One service of a life event.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleService {
    pub id: String,
    pub title: Option<Text>,
    pub authority: Option<Text>,
    /// The applicant chooses whether to order it.
    pub optional: bool,
    pub depends_on: Vec<String>,
}

/// Where an application is read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    #[serde(rename = "self")]
    pub self_: String,
    pub receipt: String,
}

impl Links {
    pub fn of(id: &str) -> Self {
        Self {
            self_: format!("/api/v1/applications/{id}"),
            receipt: format!("/api/v1/applications/{id}/receipt.pdf"),
        }
    }
}

/// An accepted submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub id: String,
    pub status: ApplicationStatus,
    pub links: Links,
    /// A citizen's access secret (`osc_…`), shown once, for a submission without credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

/// An application: its calls and steps, its history and links.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub bundle: String,
    pub bundle_version: i64,
    pub status: ApplicationStatus,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When its personal data was removed after its retention.
    #[schema(format = DateTime)]
    pub purged_at: Option<String>,
    pub services: Vec<SubRequestView>,
    pub history: Vec<HistoryItem>,
    pub links: Links,
    /// The public page that checks the receipt.
    pub verify_url: String,
}

/// One sub-request: a registry call, or a person's step.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubRequestView {
    Service(RegistryCall),
    Human(PersonStep),
}

/// A registry call.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryCall {
    pub service: String,
    pub item: i64,
    pub title: Option<Text>,
    pub status: SubStatus,
    pub attempts: i64,
    /// The calls it waits for, `service#item`.
    pub depends_on: Vec<String>,
    /// What the registry answered (record numbers, the taxpayer number …).
    pub outputs: Option<Value>,
    pub error: Option<String>,
    /// While it waits for its registry.
    pub waiting: Option<WaitingView>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Why a call waits for its registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingView {
    pub registry: String,
    /// Held while the registry is unavailable (`false`: being retried after failures).
    pub unavailable: bool,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
}

/// A person's step (a co-signature, a homeowner's consent).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonStep {
    pub service: String,
    pub item: i64,
    pub title: Option<Text>,
    pub instructions: Option<Text>,
    pub status: SubStatus,
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    /// How the person was identified when they decided.
    pub identified_by: Option<Value>,
    /// While open: where a machine (such as Diia) records the decision.
    pub confirm_url: Option<String>,
    /// While open: the page the person opens.
    pub confirm_page: Option<String>,
    pub error: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// One transition.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    /// `service#item`, or `null` for the application itself.
    pub call: Option<String>,
    pub status: String,
    pub detail: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// What a registry's callback or a person's decision did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Finished {
    pub result: FinishResult,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishResult {
    Applied,
    AlreadyApplied,
}

/// A one-time code sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// The phone, masked: `+380•••••2233`.
    pub sent_to: String,
    pub valid_minutes: u32,
}

/// Services run again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    pub retried: u64,
    pub links: Links,
}

/// A step reopened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reopened {
    pub reopened: String,
    pub links: Links,
}

/// An invitation sent again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub invited: String,
}

/// A page of the work list.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkListPage {
    pub applications: Vec<WorkRow>,
    pub counts: Counts,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// One application of the work list.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkRow {
    pub id: String,
    pub bundle: String,
    pub event: Text,
    /// The child's or the applicant's name; empty once the personal data is purged.
    pub name: String,
    pub status: String,
    pub stage: Stage,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    pub submitted_by: Option<String>,
    pub links: Links,
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next page.
    pub next: Option<i64>,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub institution: Option<String>,
    pub action: String,
    pub application: Option<String>,
    pub detail: Value,
    pub request_id: Option<String>,
    pub hash: String,
    pub prev_hash: String,
    pub repeats: i64,
    #[schema(format = DateTime)]
    pub last_at: Option<String>,
}

/// The audit chain walked: intact, or where it breaks.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ChainCheck {
    Intact {
        /// `true`.
        ok: bool,
        entries: i64,
        head: String,
    },
    Broken {
        /// `false`.
        ok: bool,
        broken: BrokenAt,
    },
}

/// The first entry changed, removed or out of place.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenAt {
    pub entry: i64,
    pub problem: String,
}

impl ErrorItem {
    /// A problem with the request as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Self {
            pointer: String::new(),
            message: message.into(),
            services: Vec::new(),
            duplicate_of: None,
        }
    }
}

impl From<&crate::form::FieldError> for ErrorItem {
    fn from(e: &crate::form::FieldError) -> Self {
        Self {
            pointer: e.pointer.clone(),
            message: e.message.to_string(),
            services: e.services.clone(),
            duplicate_of: None,
        }
    }
}
