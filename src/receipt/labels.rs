//! The fixed wording of every receipt — column titles, field labels, status names, the foot
//! paragraph — in Ukrainian and English, kept in one template (`key.uk: text` / `key.en: text`
//! lines) so the wording can change without touching the layout. A bundle's own texts (title,
//! introduction, next steps) come with the view; these are the same for every life event.

use std::collections::HashMap;
use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

use super::{Bi, Lang, ReceiptError, StatusKind};

const PAGE: &str = "page";

/// One label per line, in each language.
const TEXTS: &str = "\
label_application.uk: Номер заяви
label_application.en: Application No.
label_submitted.uk: Дата подання
label_submitted.en: Submitted
label_state.uk: Стан на
label_state.en: Status as of
kyiv.uk: за Києвом
kyiv.en: Kyiv time
label_applicant.uk: Заявник
label_applicant.en: Applicant
label_event.uk: Життєва подія
label_event.en: Life event
services_heading.uk: Послуги у пакеті
services_heading.en: Services in the bundle
no_services.uk: Послуг у пакеті немає
no_services.en: No services in the bundle
next_heading.uk: Що далі
next_heading.en: Next steps
col_number.uk: №
col_number.en: №
col_service.uk: Послуга
col_service.en: Service
col_authority.uk: Орган
col_authority.en: Authority
col_status.uk: Статус
col_status.en: Status
code.uk: код
code.en: code
status_succeeded.uk: Виконано
status_succeeded.en: Completed
status_in_progress.uk: В обробці
status_in_progress.en: In progress
status_failed.uk: Помилка
status_failed.en: Failed
status_blocked.uk: Заблоковано
status_blocked.en: Blocked
verify_heading.uk: Перевірити квитанцію
verify_heading.en: Verify this receipt
verify_note.uk: Квитанцію сформовано автоматично. Актуальний стан кожної послуги та коди перевірки можна звірити за QR-кодом або за посиланням.
verify_note.en: This receipt was generated automatically. Scan the QR code or open the link to see the current status of each service and compare the check codes.
";

const PAGE_TEMPLATE: &str = "{{#if uk}}Сторінка {{page}} з {{pages}}{{/if}}{{#if both}} / {{/if}}{{#if en}}Page {{page}} of {{pages}}{{/if}}";

static TEXT_PAIRS: LazyLock<HashMap<String, Bi>> = LazyLock::new(|| {
    let mut pairs: HashMap<String, Bi> = HashMap::new();
    for line in TEXTS.lines() {
        let Some((key, text)) = line.split_once(':') else {
            continue;
        };
        let Some((base, lang)) = key.rsplit_once('.') else {
            continue;
        };
        let entry = pairs.entry(base.to_owned()).or_default();
        match lang {
            "uk" => entry.uk = text.trim().to_owned(),
            _ => entry.en = text.trim().to_owned(),
        }
    }
    pairs
});

static REGISTRY: LazyLock<Result<Handlebars<'static>, handlebars::TemplateError>> =
    LazyLock::new(|| {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_template_string(PAGE, PAGE_TEMPLATE)?;
        Ok(hb)
    });

/// Every label of the receipt, in its language.
#[derive(Debug)]
pub(super) struct Labels {
    lang: Lang,
    map: HashMap<&'static str, String>,
}

impl Labels {
    pub(super) fn new(lang: Lang) -> Self {
        let map = TEXT_PAIRS
            .iter()
            .map(|(key, text)| (key.as_str(), lang.pick(text)))
            .collect();
        Self { lang, map }
    }

    pub(super) fn lang(&self) -> Lang {
        self.lang
    }

    /// The label under `key`; a key the template lacks is an error, not a blank.
    pub(super) fn get(&self, key: &'static str) -> Result<&str, ReceiptError> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or(ReceiptError::MissingText(key))
    }

    /// A paragraph label (the foot note): one per language.
    pub(super) fn paragraphs(&self, key: &'static str) -> Result<Vec<String>, ReceiptError> {
        let text = TEXT_PAIRS.get(key).ok_or(ReceiptError::MissingText(key))?;
        Ok(self.lang.paragraphs(text))
    }

    pub(super) fn status(&self, status: StatusKind) -> Result<&str, ReceiptError> {
        self.get(match status {
            StatusKind::Succeeded => "status_succeeded",
            StatusKind::InProgress => "status_in_progress",
            StatusKind::Failed => "status_failed",
            StatusKind::Blocked => "status_blocked",
        })
    }

    /// "Сторінка 1 з 2", "Page 1 of 2", or both.
    pub(super) fn page_footer(&self, page: usize, pages: usize) -> Result<String, ReceiptError> {
        #[derive(Serialize)]
        struct PageData {
            page: usize,
            pages: usize,
            uk: bool,
            en: bool,
            both: bool,
        }
        let data = PageData {
            page,
            pages,
            uk: self.lang != Lang::En,
            en: self.lang != Lang::Uk,
            both: self.lang == Lang::Both,
        };
        let registry = REGISTRY
            .as_ref()
            .map_err(|e| ReceiptError::TemplateSyntax(e.to_string()))?;
        Ok(registry.render(PAGE, &data)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_exists_in_both_languages() {
        for (key, text) in TEXT_PAIRS.iter() {
            assert!(!text.uk.is_empty() && !text.en.is_empty(), "{key}");
        }
        let both = Labels::new(Lang::Both);
        assert_eq!(both.get("col_status").unwrap(), "Статус / Status");
        assert_eq!(Labels::new(Lang::En).get("col_status").unwrap(), "Status");
        assert_eq!(Labels::new(Lang::Uk).get("col_status").unwrap(), "Статус");
        assert!(matches!(
            both.get("nope"),
            Err(ReceiptError::MissingText("nope"))
        ));
    }

    #[test]
    fn the_page_footer_follows_the_language() {
        assert_eq!(
            Labels::new(Lang::Both).page_footer(1, 2).unwrap(),
            "Сторінка 1 з 2 / Page 1 of 2"
        );
        assert_eq!(
            Labels::new(Lang::Uk).page_footer(2, 3).unwrap(),
            "Сторінка 2 з 3"
        );
        assert_eq!(
            Labels::new(Lang::En).page_footer(1, 1).unwrap(),
            "Page 1 of 1"
        );
    }
}
