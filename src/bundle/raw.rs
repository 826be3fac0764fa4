//! `Raw*` types mirror the definition files exactly (serde, unknown fields refused).
//!
//! They carry references as plain strings; `bundle::compile` checks them. Nothing outside
//! `bundle/` sees these types.

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// A text in Ukrainian and English, as written in a definition file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    pub uk: String,
    pub en: String,
}

/// `services/<id>.yaml`: one underlying state service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: String,
    pub title: RawText,
    pub registry: String,
    pub authority: RawText,
    /// Input form, relative to `forms/`.
    pub form: String,
    /// JSON Schema of the registry's answer.
    pub outputs: serde_json::Value,
    /// How the receipt names the registry's reference (handlebars over the outputs).
    pub reference: RawText,
    /// Overrides of the registry's retry policy for this service.
    #[serde(default)]
    pub retry: Option<RawRetry>,
    /// Per-call timeout for this service, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Where the service lives on Trembita, and how to read a wrapped answer.
    #[serde(default)]
    pub trembita: Option<super::trembita::TrembitaService>,
}

/// `bundles/<id>.yaml`: one life event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBundle {
    pub id: String,
    pub version: u32,
    pub title: RawText,
    pub description: RawText,
    /// Whether citizens may submit it online without an account (birth is not: ward staff
    /// submit it).
    #[serde(default)]
    pub public: bool,
    /// Who the receipt names as the applicant (handlebars over the application data).
    pub applicant: String,
    /// Further lines of the receipt's summary (the child, the business …).
    #[serde(default)]
    pub summary: Vec<RawSummaryRow>,
    pub services: Vec<RawStep>,
    /// Steps a person must take (a co-signature, a homeowner's consent) before services go.
    #[serde(default)]
    pub human_steps: Vec<RawHumanStep>,
    /// The receipt's texts: a handlebars file under `receipts/` (built-in texts when absent).
    #[serde(default)]
    pub receipt: Option<String>,
    /// How long personal data is kept after the application ends (`P90D`); the setting
    /// `retention.default` when absent.
    #[serde(default)]
    pub retention: Option<String>,
    /// How the staff's work list names an application and what its search finds it by.
    #[serde(default)]
    pub work_list: Option<RawWorkList>,
    /// Rules that flag a second application of the same event before it is stored.
    #[serde(default)]
    pub duplicates: Vec<RawDuplicateRule>,
    /// What the law refuses that no single form can tell (the first person of a relocation
    /// is at least 14): a condition, where to say it, and what.
    #[serde(default)]
    pub refuse: Vec<RawRefusal>,
    /// Why the data is processed, as the personal-data access monitoring knows the purposes
    /// (sent as `Uxp-Purpose-Ids` through Trembita).
    #[serde(default)]
    pub purposes: Vec<String>,
}

/// `refuse:` of a bundle: data for which `when` holds is refused with `message` at `pointer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefusal {
    pub when: serde_saphyr::Spanned<String>,
    pub pointer: String,
    pub message: RawText,
}

/// `work_list:` of a bundle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkList {
    /// The name the list shows (handlebars over the data); the applicant's when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// JSON pointers to the values the search finds it by (`*` for each item of an array).
    #[serde(default)]
    pub search: Vec<String>,
}

/// One rule of `duplicates:`: two applications with equal values at all these pointers are
/// one event submitted twice.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDuplicateRule {
    /// What the two share, as the clerk is told.
    pub title: RawText,
    pub fields: Vec<String>,
}

/// A person's asynchronous step: waited for, with an expiry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHumanStep {
    pub id: String,
    pub title: RawText,
    /// What the person is asked to do, shown on the application page and the receipt.
    pub instructions: RawText,
    /// When the step applies (always when absent): CEL over the form fields, like `when:`.
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// The services that wait for it.
    pub before: Vec<Spanned<String>>,
    /// How long the person has, as an ISO 8601 duration (`P14D`) or a friendly one (`14 days`).
    pub expires_after: Spanned<String>,
    /// Who the person is, in the application's data: they prove it before their decision counts.
    #[serde(default)]
    pub person: Option<RawPerson>,
}

/// Where the application names the person who must confirm.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    /// Their name as the invitation says it (handlebars over the data).
    pub name: String,
    /// JSON pointers to their RNOKPP and their mobile number (without one, no code can be
    /// sent: a registrar confirms in person).
    pub rnokpp: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// One line of the receipt's summary: a label and a handlebars template over the data.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSummaryRow {
    pub label: RawText,
    pub value: String,
}

/// One service inside a bundle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub service: Spanned<String>,
    /// Services that must succeed first (bindings add their sources implicitly).
    #[serde(default)]
    pub after: Vec<Spanned<String>>,
    /// When the service applies: a CEL expression over the form's top-level fields.
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// Chosen by the applicant rather than always run.
    #[serde(default)]
    pub optional: bool,
    /// Run the service once for each item of an array field of the form.
    #[serde(default)]
    pub for_each: Option<RawForEach>,
    /// Overrides of the retry policy for this service.
    #[serde(default)]
    pub retry: Option<RawRetry>,
    /// Per-call timeout for this service, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Input property of this service ← `service.output` of an earlier one.
    #[serde(default)]
    pub inputs: BTreeMap<String, Spanned<String>>,
}

/// `retry:` of a service or a step: each field overrides the server's default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub max_attempts: Option<u32>,
    pub retry_for_seconds: Option<u64>,
    pub backoff_base_ms: Option<u64>,
    pub backoff_cap_ms: Option<u64>,
}

/// `for_each:` of a step: the array field of the form, and the service input each item fills.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForEach {
    pub items: Spanned<String>,
    #[serde(rename = "as")]
    pub as_input: Spanned<String>,
}
