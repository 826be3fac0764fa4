//! Life-event definitions: load `bundles/`, `services/` and `forms/` once, check them, and
//! compile them into types the rest of onestop can trust (ids exist, graph acyclic, schemas
//! compiled once).
//!
//! Compilation is pure: it reads the definition files and nothing else (no network, no database).
//! Nothing outside this module sees a `Raw*` type.

mod applicable;
mod compile;
mod condition;
mod diag;
mod graph;
mod ids;
mod lint;
mod raw;
mod receipt_texts;
mod snapshot;
mod template_helpers;
pub mod trembita;

pub use applicable::{Applicable, Call, Planned, PlannedHuman};
pub use compile::{compile, compile_sources};
pub use condition::Condition;
pub use diag::{Diagnostic, Diagnostics};
pub use graph::{Notation, graph};
pub use ids::{BundleId, IdError, ServiceId};
pub use receipt_texts::{ReceiptTexts, Texts};
pub use snapshot::{LOCK_FILE, Lock, Snapshot, against_lock};
pub use template_helpers::register as register_template_helpers;

use crate::form::{CombinedForm, FormError, Schemas};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A text in Ukrainian and English.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Text {
    pub uk: String,
    pub en: String,
}

/// One underlying state service, checked.
#[derive(Debug)]
pub struct Service {
    pub id: ServiceId,
    /// Its definition file, relative to the definitions' root.
    pub file: String,
    pub title: Text,
    /// The registry that performs it; calls go to `{registries_url}/{registry}/{service}`.
    pub registry: String,
    pub authority: Text,
    /// The input form file, relative to `forms/`.
    pub form: String,
    /// The input form: top-level properties (with absolute `$ref`s) and required ones.
    pub input: ServiceInput,
    /// Validates the full request a registry receives (form data plus bound inputs).
    pub input_validator: jsonschema::Validator,
    /// The declared answer schema, and its compiled validator.
    pub outputs: serde_json::Value,
    pub output_validator: jsonschema::Validator,
    /// Handlebars templates over the outputs, for the receipt.
    pub reference: Text,
    /// The service's overrides of its registry's call policy.
    pub policy: PolicyOverride,
    /// Where it lives on Trembita (none: it cannot be called through Trembita).
    pub trembita: Option<trembita::TrembitaService>,
    /// What of the answer the outputs schema declares, nested (how an XML answer is read).
    pub output_shape: crate::form::Shape,
}

/// The top-level shape of a service's input form.
#[derive(Debug, Clone)]
pub struct ServiceInput {
    /// In the order the form file declares them (what the combined form and pages follow).
    pub properties: serde_json::Map<String, serde_json::Value>,
    pub required: Vec<String>,
    /// The form's rules across its fields (a top-level `if`/`then`/`else`, `allOf`,
    /// `dependentRequired`: "the father is required for a joint application"), `$ref`s
    /// absolute; the combined form keeps them.
    pub rules: Vec<serde_json::Value>,
    /// What of each property the registry receives (the fields the form declares, nested).
    pub shapes: BTreeMap<String, crate::form::Shape>,
}

/// One line of the receipt's summary: a label and a handlebars template over the data.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub label: Text,
    pub value: String,
}

/// One service inside a bundle.
#[derive(Debug, Clone)]
pub struct Step {
    pub service: ServiceId,
    pub optional: bool,
    /// When the service applies (always when `None`).
    pub condition: Option<Arc<Condition>>,
    /// Every service that must succeed first (explicit `after` plus binding sources).
    pub depends_on: Vec<ServiceId>,
    pub bindings: Vec<Binding>,
    /// Run once per item of an array field (each family member), or once when `None`.
    pub repeat: Option<Repeat>,
    /// This step's overrides of the call policy (retries, timeout).
    pub policy: PolicyOverride,
}

/// Repetition of a service: one sub-request per item of the form's array field `items`, the item
/// given to the service as its input `as_input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    pub items: String,
    pub as_input: String,
}

/// Overrides of the call policy (retries and timeout) by a registry's settings, a service's
/// definition or a bundle step; `None` keeps what the level below says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyOverride {
    pub max_attempts: Option<i64>,
    /// How long retriable failures are retried, from the first of a run.
    pub retry_for: Option<std::time::Duration>,
    pub backoff_base: Option<std::time::Duration>,
    pub backoff_cap: Option<std::time::Duration>,
    pub timeout: Option<std::time::Duration>,
}

/// An input of a later service taken from an output of an earlier one.
#[derive(Debug, Clone)]
pub struct Binding {
    pub input: String,
    pub from: ServiceId,
    pub output: String,
}

/// A step a person must take before some services go; the application waits for it and the
/// step expires after `expires_after`.
#[derive(Debug, Clone)]
pub struct HumanStep {
    pub id: String,
    pub title: Text,
    pub instructions: Text,
    pub condition: Option<Arc<Condition>>,
    pub before: Vec<ServiceId>,
    pub expires_after: jiff::Span,
    /// Who must confirm, where the data names them (none: the link alone is enough).
    pub person: Option<Person>,
}

/// Where an application names the person who must confirm a step: their name (a handlebars
/// template over the data), RNOKPP and mobile number (JSON pointers into the data).
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub rnokpp: String,
    pub phone: Option<String>,
}

impl Person {
    /// The mobile number `data` gives for the person, if any.
    pub fn phone_in<'a>(&self, data: &'a serde_json::Value) -> Option<&'a str> {
        let pointer = self.phone.as_deref()?;
        (data.pointer(pointer))
            .and_then(serde_json::Value::as_str)
            .filter(|p| !p.is_empty())
    }
}

/// A life event, checked: its services exist, its graph is acyclic, its form merges.
#[derive(Debug)]
pub struct Bundle {
    pub id: BundleId,
    /// Its own definition files, relative to the definitions' root: the bundle file and the
    /// receipt texts it names (the services' and forms' files are theirs).
    pub files: Vec<String>,
    pub version: u32,
    pub title: Text,
    pub description: Text,
    /// Whether citizens may submit it online without an account.
    pub public: bool,
    /// How long its personal data is kept after the application ends (none: the default).
    pub retention: Option<jiff::Span>,
    pub applicant: String,
    /// Further lines of the receipt's summary.
    pub summary: Vec<SummaryRow>,
    /// Steps in a dependency-respecting order.
    pub steps: Vec<Step>,
    /// What people must do before some services go.
    pub human_steps: Vec<HumanStep>,
    /// The receipt's texts (`receipts/<file>` named by `receipt:`, or the built-in ones).
    pub receipt: ReceiptTexts,
    /// How the work list names an application and finds it.
    pub work_list: WorkList,
    /// Rules that flag a second application of one event.
    pub duplicates: Vec<DuplicateRule>,
    /// What the law refuses across fields: each checked with the combined form.
    pub refusals: Vec<Refusal>,
    /// Why the data is processed (`Uxp-Purpose-Ids`).
    pub purposes: Vec<String>,
    forms: Mutex<BTreeMap<Vec<ServiceId>, Arc<CombinedForm>>>,
}

/// How the staff's work list names an application (a handlebars template over the data) and
/// the JSON pointers (`*` for every item of an array) its search finds it by.
#[derive(Debug, Clone)]
pub struct WorkList {
    pub name: String,
    pub search: Vec<String>,
}

/// Data for which `condition` holds is refused, with `message` at `pointer` (the first person of
/// a relocation younger than 14).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub condition: Arc<Condition>,
    pub pointer: String,
    pub message: Text,
}

/// Two applications of a bundle with equal values at every pointer of `fields` are one event
/// submitted twice.
#[derive(Debug, Clone)]
pub struct DuplicateRule {
    pub title: Text,
    pub fields: Vec<String>,
}

impl Bundle {
    /// The step of a service, given as a `ServiceId` or as text.
    pub fn step(&self, service: &(impl AsRef<str> + ?Sized)) -> Option<&Step> {
        let service = service.as_ref();
        self.steps.iter().find(|s| s.service.as_str() == service)
    }

    /// The services an application runs: every mandatory one, the chosen optional ones, and what
    /// they depend on. `None` chooses every service.
    pub fn select(&self, chosen: Option<&[String]>) -> Result<Vec<ServiceId>, FormError> {
        let Some(chosen) = chosen else {
            return Ok(self.steps.iter().map(|s| s.service.clone()).collect());
        };
        if let Some(unknown) = chosen
            .iter()
            .find(|c| !self.steps.iter().any(|s| s.service.as_str() == c.as_str()))
        {
            return Err(FormError::UnknownService(unknown.clone()));
        }
        let mut wanted: Vec<ServiceId> = self
            .steps
            .iter()
            .filter(|s| !s.optional || chosen.iter().any(|c| c == s.service.as_str()))
            .map(|s| s.service.clone())
            .collect();
        let mut i = 0;
        while i < wanted.len() {
            if let Some(step) = self.step(&wanted[i]) {
                for dep in &step.depends_on {
                    if !wanted.contains(dep) {
                        wanted.push(dep.clone());
                    }
                }
            }
            i += 1;
        }
        Ok(self
            .steps
            .iter()
            .map(|s| s.service.clone())
            .filter(|s| wanted.contains(s))
            .collect())
    }

    /// The combined form for a selection of services, built once and then cached.
    pub fn form(
        &self,
        catalog: &Catalog,
        selection: &[ServiceId],
    ) -> Result<Arc<CombinedForm>, FormError> {
        let mut cache = self.forms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(form) = cache.get(selection) {
            return Ok(form.clone());
        }
        let form = Arc::new(CombinedForm::build(self, catalog, selection)?);
        cache.insert(selection.to_vec(), form.clone());
        Ok(form)
    }
}

/// Every definition, compiled: what the server, the sandbox and the CLI work from.
pub struct Catalog {
    pub bundles: BTreeMap<BundleId, Bundle>,
    pub services: BTreeMap<ServiceId, Service>,
    pub schemas: Schemas,
    /// Problems that do not stop the server (`onestop check --deny-warnings` makes them fatal).
    pub warnings: Vec<Diagnostic>,
    /// Earlier versions of the bundles, each compiled from its stored snapshot: what their
    /// applications still run under.
    pub earlier: BTreeMap<(BundleId, u32), Arc<Catalog>>,
}

impl Catalog {
    /// The current version of a bundle: what new applications are submitted under.
    pub fn bundle(&self, id: &str) -> Option<&Bundle> {
        self.bundles.get(id)
    }

    /// The catalog an application of `id` at `version` runs under, and its bundle; this
    /// catalog and no bundle when neither is known (the bundle was removed).
    pub fn of(&self, id: &str, version: i64) -> (&Catalog, Option<&Bundle>) {
        match self.pinned(id, version) {
            Some((catalog, bundle)) => (catalog, Some(bundle)),
            None => (self, None),
        }
    }

    /// The version of a bundle an application was submitted with, and the catalog of that
    /// version (its services and forms as they were): what the application runs under to its
    /// end. `None` when this server knows no such version.
    pub fn pinned(&self, id: &str, version: i64) -> Option<(&Catalog, &Bundle)> {
        let version = u32::try_from(version).ok()?;
        if let Some(bundle) = self.bundles.get(id).filter(|b| b.version == version) {
            return Some((self, bundle));
        }
        let id = BundleId::parse(id).ok()?;
        match self.earlier.get(&(id.clone(), version)) {
            Some(earlier) => Some((earlier, earlier.bundles.get(&id)?)),
            // An application stored before versions were kept (or of a version this build
            // could not compile) runs under the current files, as it did before.
            None => Some((self, self.bundles.get(&id)?)),
        }
    }

    /// Every definition of a service: the current one first, then those of earlier versions,
    /// newest first (a registry keeps answering what earlier versions send).
    pub fn versions_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Service> + 'a {
        let earlier = self
            .earlier
            .values()
            .rev()
            .filter_map(move |c| c.service(service));
        self.services.get(service).into_iter().chain(earlier)
    }

    /// A service by id, in the current definitions or, for one since removed, the latest earlier
    /// version that has it (its calls still run, wait and answer).
    pub fn service_any(&self, service: &str) -> Option<&Service> {
        match self.services.get(service) {
            Some(found) => Some(found),
            None => (self.earlier.values().rev()).find_map(|c| c.services.get(service)),
        }
    }

    /// Every service of every version, the current definition first for each id.
    pub fn all_services(&self) -> Vec<&Service> {
        let mut all: Vec<&Service> = self.services.values().collect();
        for earlier in self.earlier.values().rev() {
            for service in earlier.services.values() {
                if !all.iter().any(|s| s.id == service.id) {
                    all.push(service);
                }
            }
        }
        all
    }

    /// The registry of a service, in the current definitions or, for a service since removed,
    /// the latest earlier version that has it.
    pub fn registry_of(&self, service: &str) -> Option<&str> {
        self.service_any(service).map(|s| s.registry.as_str())
    }

    /// The service of an id, given as a `ServiceId` or as text.
    pub fn service(&self, id: &(impl AsRef<str> + ?Sized)) -> Option<&Service> {
        self.services.get(id.as_ref())
    }
}
