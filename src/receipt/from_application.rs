//! From a stored application to the receipt's view model. Rendering never touches the
//! database: this is where the data is gathered, once, and made ready to print in both
//! languages — the bundle's receipt texts rendered over the application, each service's
//! reference in Ukrainian and English, dates in Kyiv time, and a check code per service.

use super::{Bi, Languages, ReceiptError, ReceiptView, ServiceLine, Services, StatusKind, items};
use crate::bundle::{Bundle, Catalog, Texts};
use crate::form::KYIV;
use crate::lang::Lang;
use crate::store::{ApplicationRecord, SubKind, SubRequestRecord, SubStatus};
use handlebars::Handlebars;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The receipt view of an application as it stands, in `languages`; `secret` keys the check codes.
pub fn view(
    catalog: &Catalog,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    public_url: &str,
    languages: Languages,
    secret: &str,
) -> Result<ReceiptView, ReceiptError> {
    let (catalog, bundle) = catalog
        .pinned(&application.bundle_id, application.bundle_version)
        .ok_or_else(|| ReceiptError::Texts(format!("unknown bundle {}", application.bundle_id)))?;
    let applicant = DATA_TEMPLATES
        .render_template(&bundle.applicant, &application.data)
        .unwrap_or_default();
    let details = bundle
        .summary
        .iter()
        .map(|row| {
            let value = DATA_TEMPLATES
                .render_template(&row.value, &application.data)
                .unwrap_or_default();
            (Bi::new(&row.label.uk, &row.label.en), value)
        })
        .collect();
    let event = Bi::new(&bundle.title.uk, &bundle.title.en);
    let texts = bundle
        .receipt
        .render(&texts_model(application, subs, &applicant, &event))
        .map_err(ReceiptError::Texts)?;
    let text = |key: &str| {
        texts
            .get(key)
            .map(|(uk, en)| Bi::new(uk, en))
            .unwrap_or_default()
    };
    let services = service_lines(catalog, bundle, application, subs, &texts, secret);
    Ok(ReceiptView {
        languages,
        application_id: application.id.to_string(),
        submitted_at: kyiv_time_bi(application.created_at),
        state_as_of: kyiv_time_bi(application.updated_at),
        issued_unix: application.updated_at.div_euclid(1000),
        title: text("title"),
        intro: text("intro"),
        event,
        applicant,
        details,
        services,
        next_steps: next_steps(bundle, application, subs, &text),
        verify_url: format!("{public_url}/verify/{}", application.verify_code),
    })
}

/// What the bundle's receipt template sees: the applicant, the event, the application's number
/// and status, the form data, and each service's outputs (its first item's).
fn texts_model(
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    applicant: &str,
    event: &Bi,
) -> Value {
    let mut outputs = serde_json::Map::new();
    for sub in subs.iter().filter(|s| s.item == 0) {
        if let Some(o) = &sub.outputs {
            outputs.insert(sub.service_id.clone(), o.clone());
        }
    }
    json!({
        "applicant": applicant,
        "event": { "uk": event.uk, "en": event.en },
        "application": { "number": application.id, "status": application.status.as_str() },
        "data": application.data,
        "outputs": outputs,
    })
}

/// The bundle's next steps for the application's status, then every step a person must
/// still take (with its deadline).
fn next_steps(
    bundle: &Bundle,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    text: &dyn Fn(&str) -> Bi,
) -> Vec<Bi> {
    let mut steps = vec![text(&format!("next.{}", application.status.as_str()))];
    for sub in subs
        .iter()
        .filter(|s| s.kind == SubKind::Human && s.status == SubStatus::Awaiting)
    {
        let Some(step) = bundle.human_steps.iter().find(|h| h.id == sub.service_id) else {
            continue;
        };
        let by = sub.deadline.map(kyiv_time_bi).unwrap_or_default();
        steps.push(Bi::new(
            format!("{}: {} (до {})", step.title.uk, step.instructions.uk, by.uk),
            format!("{}: {} (by {})", step.title.en, step.instructions.en, by.en),
        ));
    }
    steps.retain(|s| !s.uk.is_empty() || !s.en.is_empty());
    steps
}

/// Each call's line (the bundle's receipt texts may rename a service), with its check code,
/// arranged for the table (see `items`).
fn service_lines(
    catalog: &Catalog,
    bundle: &Bundle,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    texts: &Texts,
    secret: &str,
) -> Services {
    let lines = subs
        .iter()
        .map(|s| {
            let mut line = match s.kind {
                SubKind::Human => human_line(bundle, s),
                SubKind::Service => line(catalog, s),
            };
            if let Some((uk, en)) = texts.get(&format!("service.{}", s.service_id)) {
                line.title = Bi::new(uk, en);
            }
            let call = s.key().to_string();
            let status = s.status.as_str();
            line.digest = reference_digest(
                secret,
                application.id.as_str(),
                &call,
                status,
                &line.reference.uk,
            );
            line
        })
        .collect();
    items::arrange(bundle, application, subs, lines)
}

/// A check code for one row of a receipt: HMAC-SHA256 (keyed with the server's secret) over the
/// application, the call, its status and its reference, as `XXXX-XXXX`. The public verify page
/// shows the same codes, so a receipt whose number was altered no longer matches — and without
/// the secret no one can make a matching code.
pub fn reference_digest(
    secret: &str,
    application_id: &str,
    call: &str,
    status: &str,
    reference: &str,
) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    for part in [application_id, call, status, reference] {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    let tag = mac.finalize().into_bytes();
    let hex: String = tag[..4].iter().map(|b| format!("{b:02X}")).collect();
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// `template` (a bundle's `applicant`, a person's `name`) rendered over an application's data;
/// empty when it does not render.
pub fn render_data(template: &str, data: &serde_json::Value) -> String {
    DATA_TEMPLATES
        .render_template(template, data)
        .unwrap_or_default()
}

/// Handlebars over the form data (summary rows, the applicant): not strict, since optional
/// fields may be absent; no HTML escaping (this is a PDF).
static DATA_TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| templates(false, Lang::Uk));
/// Handlebars over registry outputs (references), declared by the output schema: strict, so a
/// template naming a missing output is caught; one per language for dates and amounts.
static OUTPUTS_UK: LazyLock<Handlebars<'static>> = LazyLock::new(|| templates(true, Lang::Uk));
static OUTPUTS_EN: LazyLock<Handlebars<'static>> = LazyLock::new(|| templates(true, Lang::En));

fn templates(strict: bool, lang: Lang) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(strict);
    hb.register_escape_fn(handlebars::no_escape);
    crate::bundle::register_template_helpers(&mut hb, lang);
    hb
}

/// A person's step: its title, and what to do while it is open.
fn human_line(bundle: &Bundle, sub: &SubRequestRecord) -> ServiceLine {
    let step = bundle.human_steps.iter().find(|h| h.id == sub.service_id);
    let status = status_kind(sub.status);
    let reference = match status {
        StatusKind::Failed => {
            let reason = sub.error.clone().unwrap_or_default();
            Bi::new(reason.clone(), reason)
        }
        StatusKind::InProgress => {
            let by = sub.deadline.map(kyiv_time_bi).unwrap_or_default();
            Bi::new(
                format!("Очікує до {}", by.uk),
                format!("Awaited until {}", by.en),
            )
        }
        _ => Bi::new("Підтверджено", "Confirmed"),
    };
    ServiceLine {
        title: step.map_or_else(
            || Bi::new(&sub.service_id, ""),
            |h| Bi::new(&h.title.uk, &h.title.en),
        ),
        authority: Bi::new("Заявник", "Applicant"),
        status,
        reference,
        digest: String::new(),
    }
}

fn status_kind(status: SubStatus) -> StatusKind {
    match status {
        SubStatus::Succeeded => StatusKind::Succeeded,
        SubStatus::Failed => StatusKind::Failed,
        SubStatus::Blocked => StatusKind::Blocked,
        SubStatus::Waiting | SubStatus::Ready | SubStatus::Running | SubStatus::Awaiting => {
            StatusKind::InProgress
        }
    }
}

fn line(catalog: &Catalog, sub: &SubRequestRecord) -> ServiceLine {
    let service = catalog.service(&sub.service_id);
    let status = status_kind(sub.status);
    let reference = match (status, service, &sub.outputs) {
        (StatusKind::Succeeded, Some(service), Some(outputs)) => Bi::new(
            reference(&OUTPUTS_UK, &service.reference.uk, outputs),
            reference(&OUTPUTS_EN, &service.reference.en, outputs),
        ),
        (StatusKind::Failed, _, _) => {
            let reason = sub.error.clone().unwrap_or_default();
            Bi::new(reason.clone(), reason)
        }
        (StatusKind::Blocked, _, _) => Bi::new(
            "Не надсилалася: попередню послугу не виконано",
            "Not sent: a service it depends on was not performed",
        ),
        _ => progress(sub),
    };
    ServiceLine {
        title: service.map_or_else(
            || Bi::new(&sub.service_id, ""),
            |s| Bi::new(&s.title.uk, &s.title.en),
        ),
        authority: service
            .map(|s| Bi::new(&s.authority.uk, &s.authority.en))
            .unwrap_or_default(),
        status,
        reference,
        digest: String::new(),
    }
}

/// Where a service in progress stands, in words.
fn progress(sub: &SubRequestRecord) -> Bi {
    match sub.status {
        SubStatus::Waiting => Bi::new("Очікує на попередні послуги", "Waits for earlier services"),
        SubStatus::Ready if sub.attempts > 0 => Bi::new(
            "Реєстр тимчасово недоступний; повторну спробу буде зроблено автоматично",
            "The registry was unavailable; it will be retried automatically",
        ),
        SubStatus::Ready => Bi::new("У черзі до реєстру", "Queued for the registry"),
        SubStatus::Running => Bi::new("Передається до реєстру", "Being sent to the registry"),
        SubStatus::Awaiting => Bi::new(
            "Реєстр прийняв заяву; очікується відповідь",
            "Accepted by the registry; its answer is awaited",
        ),
        _ => Bi::default(),
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

/// A moment in Kyiv time for each language: `21.11.2026 10:42` and `21 Nov 2026, 10:42`.
fn kyiv_time_bi(ms: i64) -> Bi {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return Bi::default();
    };
    let zoned = t.to_zoned(KYIV.clone());
    Bi::new(
        zoned.strftime("%d.%m.%Y %H:%M").to_string(),
        zoned.strftime("%-d %b %Y, %H:%M").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_code_changes_with_the_reference_and_the_secret() {
        let code = reference_digest("s", "app", "tax#0", "succeeded", "РНОКПП 4634407986");
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert_ne!(
            code,
            reference_digest("s", "app", "tax#0", "succeeded", "РНОКПП 4634407987")
        );
        assert_ne!(
            code,
            reference_digest("t", "app", "tax#0", "succeeded", "РНОКПП 4634407986")
        );
    }
}
