//! The visible wording of the receipt: bilingual titles, labels, status names and the foot
//! paragraph, kept in one handlebars template (one `key: text` line per label) so the wording
//! can change without touching the layout. The template is compiled once, in strict mode, and
//! only ever sees the few view fields it names; it produces plain text, never markup.

use std::collections::HashMap;
use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

use super::{ReceiptError, StatusKind};

const TEXTS: &str = "texts";
const PAGE: &str = "page";

/// One label per line, `key: text`. Values from the view are inserted with `{{…}}` and made
/// single-line by the escape function below.
const TEXTS_TEMPLATE: &str = "\
title_uk: Квитанція про подання заяви
title_en: Receipt of application submission
label_application: Номер заяви / Application No.
label_submitted: Дата подання / Submitted
label_applicant: Заявник / Applicant
label_event: Життєва подія / Life event
event: {{event_title_uk}}{{#if event_title_en}} / {{event_title_en}}{{/if}}
services_heading: Послуги у пакеті / Services in the bundle
no_services: Послуг у пакеті немає / No services in the bundle
col_number: №
col_service: Послуга / Service
col_authority: Орган / Authority
col_status: Статус / Status
status_succeeded: Виконано / Completed
status_in_progress: В обробці / In progress
status_failed: Помилка / Failed
status_blocked: Заблоковано / Blocked
verify_heading: Перевірити квитанцію / Verify this receipt:
verify_note: Квитанцію сформовано автоматично. Актуальний статус кожної послуги можна \
перевірити за QR-кодом або за посиланням. This receipt was generated automatically; scan the \
QR code or open the link to check the current status of each service.
";

const PAGE_TEMPLATE: &str = "Сторінка {{page}} з {{pages}} / Page {{page}} of {{pages}}";

static REGISTRY: LazyLock<Result<Handlebars<'static>, handlebars::TemplateError>> =
    LazyLock::new(build_registry);

fn build_registry() -> Result<Handlebars<'static>, handlebars::TemplateError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Output is PDF text, not HTML: keep characters as they are, but never let a value
    // break the one-label-per-line format.
    hb.register_escape_fn(|value| {
        value
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    });
    hb.register_template_string(TEXTS, TEXTS_TEMPLATE)?;
    hb.register_template_string(PAGE, PAGE_TEMPLATE)?;
    Ok(hb)
}

fn registry() -> Result<&'static Handlebars<'static>, ReceiptError> {
    REGISTRY
        .as_ref()
        .map_err(|e| ReceiptError::TemplateSyntax(e.to_string()))
}

/// The view fields the texts template may use.
#[derive(Serialize)]
pub(super) struct TextsData<'a> {
    pub event_title_uk: &'a str,
    pub event_title_en: &'a str,
}

/// Every label of the receipt, rendered for one view.
#[derive(Debug)]
pub(super) struct Labels {
    map: HashMap<String, String>,
}

impl Labels {
    pub(super) fn render(data: &TextsData<'_>) -> Result<Self, ReceiptError> {
        let text = registry()?.render(TEXTS, data)?;
        let map = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                line.split_once(':')
                    .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
                    .ok_or_else(|| ReceiptError::TextLine(line.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { map })
    }

    /// The label under `key`; a key the template lacks is an error, not a blank.
    pub(super) fn get(&self, key: &'static str) -> Result<&str, ReceiptError> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or(ReceiptError::MissingText(key))
    }

    pub(super) fn status(&self, status: StatusKind) -> Result<&str, ReceiptError> {
        self.get(match status {
            StatusKind::Succeeded => "status_succeeded",
            StatusKind::InProgress => "status_in_progress",
            StatusKind::Failed => "status_failed",
            StatusKind::Blocked => "status_blocked",
        })
    }
}

/// "Сторінка 1 з 2 / Page 1 of 2".
pub(super) fn page_footer(page: usize, pages: usize) -> Result<String, ReceiptError> {
    #[derive(Serialize)]
    struct PageData {
        page: usize,
        pages: usize,
    }
    Ok(registry()?.render(PAGE, &PageData { page, pages })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data<'a>(uk: &'a str, en: &'a str) -> TextsData<'a> {
        TextsData {
            event_title_uk: uk,
            event_title_en: en,
        }
    }

    #[test]
    fn every_label_the_layout_uses_is_in_the_template() {
        let labels = Labels::render(&data("Народження дитини", "Birth of a child")).unwrap();
        assert_eq!(
            labels.get("event").unwrap(),
            "Народження дитини / Birth of a child"
        );
        assert_eq!(labels.get("col_number").unwrap(), "№");
        for status in [
            StatusKind::Succeeded,
            StatusKind::InProgress,
            StatusKind::Failed,
            StatusKind::Blocked,
        ] {
            assert!(labels.status(status).unwrap().contains(" / "));
        }
        assert!(matches!(
            labels.get("nope"),
            Err(ReceiptError::MissingText("nope"))
        ));
    }

    #[test]
    fn values_stay_on_one_line_and_are_not_html_escaped() {
        let labels = Labels::render(&data("O'Brien & <Co>\nfake_key: x", "")).unwrap();
        assert_eq!(labels.get("event").unwrap(), "O'Brien & <Co> fake_key: x");
        assert!(labels.get("fake_key").is_err());
    }

    #[test]
    fn page_footer_is_bilingual() {
        assert_eq!(page_footer(1, 2).unwrap(), "Сторінка 1 з 2 / Page 1 of 2");
    }
}
