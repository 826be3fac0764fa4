//! From a stored application to the receipt's view model. Rendering never touches the
//! database: this is where the data is gathered, once, and made ready to print.

use crate::bundle::{Catalog, ServiceId};
use crate::form::KYIV;
use crate::receipt::{ReceiptView, ServiceLine, StatusKind};
use crate::store::{ApplicationRecord, SubKind, SubRequestRecord, SubStatus};
use handlebars::Handlebars;
use serde_json::Value;
use std::sync::LazyLock;

/// The receipt view of an application as it stands.
pub fn view(
    catalog: &Catalog,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    public_url: &str,
) -> ReceiptView {
    let bundle = catalog.bundle(&application.bundle_id);
    // Over the form data, optional fields may be absent: not strict. Over registry outputs,
    // declared by the output schema: strict, so a template naming a missing output is caught.
    let hb = &*DATA_TEMPLATES;
    let applicant = bundle
        .and_then(|b| hb.render_template(&b.applicant, &application.data).ok())
        .unwrap_or_default();
    let details = bundle
        .map(|b| {
            b.summary
                .iter()
                .map(|row| {
                    let label = format!("{} / {}", row.label.uk, row.label.en);
                    let value = hb
                        .render_template(&row.value, &application.data)
                        .unwrap_or_default();
                    (label, value)
                })
                .collect()
        })
        .unwrap_or_default();
    let strict = &*OUTPUT_TEMPLATES;
    let repeated =
        |s: &SubRequestRecord| subs.iter().filter(|x| x.service_id == s.service_id).count() > 1;
    let services = subs
        .iter()
        .map(|s| {
            if s.kind == SubKind::Human {
                return human_line(bundle, s);
            }
            let mut line = line(strict, catalog, s);
            if repeated(s) {
                // One row per family member: name them (or number them).
                let (uk, en) = match item_name(bundle, application, s) {
                    Some(name) => (name.clone(), name),
                    None => (format!("№ {}", s.item + 1), format!("No. {}", s.item + 1)),
                };
                line.title_uk = format!("{} ({uk})", line.title_uk);
                line.title_en = format!("{} ({en})", line.title_en);
            }
            line
        })
        .collect();
    ReceiptView {
        application_id: application.id.clone(),
        submitted_at: kyiv_time(application.created_at),
        event_title_uk: bundle
            .map(|b| b.title.uk.clone())
            .unwrap_or_else(|| application.bundle_id.clone()),
        event_title_en: bundle
            .map(|b| b.title.en.clone())
            .unwrap_or_else(|| application.bundle_id.clone()),
        applicant,
        details,
        services,
        verify_url: format!("{public_url}/verify/{}", application.verify_code),
    }
}

/// The given name and surname of the item a repeated sub-request is for, when it has them.
fn item_name(
    bundle: Option<&crate::bundle::Bundle>,
    application: &ApplicationRecord,
    sub: &SubRequestRecord,
) -> Option<String> {
    let repeat = bundle?
        .step(&ServiceId(sub.service_id.clone()))?
        .repeat
        .as_ref()?;
    let item = application
        .data
        .get(&repeat.items)?
        .get(usize::try_from(sub.item).ok()?)?;
    let given = item.get("given_name")?.as_str()?;
    let surname = item.get("surname")?.as_str()?;
    Some(format!("{given} {surname}"))
}

/// Handlebars for bundle and service texts: no HTML escaping (this is a PDF), and a `date`
/// helper that prints an ISO date the Ukrainian way (`2026-11-21` → `21.11.2026`).
static DATA_TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| templates(false));
static OUTPUT_TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| templates(true));

fn templates(strict: bool) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(strict);
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper("date", Box::new(date_helper));
    hb
}

fn date_helper(
    h: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let value = h
        .param(0)
        .and_then(|p| p.value().as_str())
        .unwrap_or_default();
    let shown = value
        .parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| value.to_owned());
    out.write(&shown)?;
    Ok(())
}

/// A person's step: its title, and what to do while it is open.
fn human_line(bundle: Option<&crate::bundle::Bundle>, sub: &SubRequestRecord) -> ServiceLine {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
    let status = match sub.status {
        SubStatus::Succeeded => StatusKind::Succeeded,
        SubStatus::Failed => StatusKind::Failed,
        _ => StatusKind::InProgress,
    };
    let reference = match status {
        StatusKind::Failed => sub.error.clone().unwrap_or_default(),
        StatusKind::InProgress => {
            let todo = step.map(|h| h.instructions.uk.clone()).unwrap_or_default();
            match sub.deadline {
                Some(deadline) => format!("{todo} до {}", kyiv_time(deadline)),
                None => todo,
            }
        }
        _ => "Підтверджено".to_owned(),
    };
    ServiceLine {
        title_uk: step.map_or_else(|| sub.service_id.clone(), |h| h.title.uk.clone()),
        title_en: step.map(|h| h.title.en.clone()).unwrap_or_default(),
        authority_uk: "Заявник / applicant".to_owned(),
        status,
        reference,
    }
}

fn line(hb: &Handlebars<'_>, catalog: &Catalog, sub: &SubRequestRecord) -> ServiceLine {
    let service = catalog.service(&ServiceId(sub.service_id.clone()));
    let status = match sub.status {
        SubStatus::Succeeded => StatusKind::Succeeded,
        SubStatus::Failed => StatusKind::Failed,
        SubStatus::Blocked => StatusKind::Blocked,
        SubStatus::Waiting | SubStatus::Ready | SubStatus::Running | SubStatus::Awaiting => {
            StatusKind::InProgress
        }
    };
    let reference = match (status, service, &sub.outputs) {
        (StatusKind::Succeeded, Some(service), Some(outputs)) => {
            reference(hb, &service.reference.uk, outputs)
        }
        (StatusKind::Failed, _, _) => sub.error.clone().unwrap_or_default(),
        (StatusKind::Blocked, _, _) => "Не надсилалася: попередня послуга не виконана".to_owned(),
        _ => String::new(),
    };
    ServiceLine {
        title_uk: service
            .map(|s| s.title.uk.clone())
            .unwrap_or_else(|| sub.service_id.clone()),
        title_en: service.map(|s| s.title.en.clone()).unwrap_or_default(),
        authority_uk: service.map(|s| s.authority.uk.clone()).unwrap_or_default(),
        status,
        reference,
    }
}

fn reference(hb: &Handlebars<'_>, template: &str, outputs: &Value) -> String {
    hb.render_template(template, outputs).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Receipt reference template did not render; showing raw outputs");
        outputs.to_string()
    })
}

/// `dd.mm.yyyy HH:MM` in Kyiv time.
pub fn kyiv_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(KYIV.clone())
                .strftime("%d.%m.%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
