//! The fixed wording of every receipt — column titles, field labels, status names, the foot
//! paragraph, the page footer — taken from the message catalogue (`locales/<lang>/receipt.ftl`,
//! ids `receipt-<key>`), so the wording can change without touching the layout. A bundle's own
//! texts (title, introduction, next steps) come with the view; these are the same for every life
//! event. Nothing here lays anything out.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Bi, Languages, ReceiptError, StatusKind};
use crate::lang::{Lang, message_ids};

/// The prefix of the receipt's ids in the catalogue (its words share one namespace with the
/// pages', which say some of the same things differently).
const PREFIX: &str = "receipt-";

/// The page footer, the one receipt text with parameters (not a label).
const PAGE: &str = "receipt-page";

/// Every label, by key without the prefix, in both languages (read once from the catalogue).
static TEXT_PAIRS: LazyLock<HashMap<String, Bi>> = LazyLock::new(|| {
    message_ids(include_str!("../../locales/uk/receipt.ftl"))
        .into_iter()
        .filter(|id| id != PAGE)
        .filter_map(|id| {
            let key = id.strip_prefix(PREFIX)?.to_owned();
            Some((key, Bi::from_catalogue(&id)))
        })
        .collect()
});

/// Every label of the receipt, in its languages.
#[derive(Debug)]
pub(super) struct Labels {
    languages: Languages,
    map: HashMap<&'static str, String>,
}

impl Labels {
    pub(super) fn new(languages: Languages) -> Self {
        let map = TEXT_PAIRS
            .iter()
            .map(|(key, text)| (key.as_str(), languages.pick(text)))
            .collect();
        Self { languages, map }
    }

    pub(super) fn languages(&self) -> Languages {
        self.languages
    }

    /// The label under `key`; a key the catalogue lacks is an error, not a blank.
    pub(super) fn get(&self, key: &'static str) -> Result<&str, ReceiptError> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or(ReceiptError::MissingText(key))
    }

    /// A paragraph label (the foot note): one per language.
    pub(super) fn paragraphs(&self, key: &'static str) -> Result<Vec<String>, ReceiptError> {
        let text = TEXT_PAIRS.get(key).ok_or(ReceiptError::MissingText(key))?;
        Ok(self.languages.paragraphs(text))
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
        let args = [("page", page.into()), ("pages", pages.into())];
        let in_lang = |lang: Lang| {
            lang.find(PAGE, &args)
                .ok_or(ReceiptError::MissingText("page"))
        };
        let shown: Vec<String> = [Lang::Uk, Lang::En]
            .into_iter()
            .filter(|lang| self.languages.shows(*lang))
            .map(in_lang)
            .collect::<Result<_, _>>()?;
        Ok(shown.join(" / "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_exists_in_both_languages() {
        assert!(TEXT_PAIRS.len() > 10);
        for (key, text) in TEXT_PAIRS.iter() {
            assert!(!text.uk.is_empty() && !text.en.is_empty(), "{key}");
        }
        let both = Labels::new(Languages::Both);
        assert_eq!(both.get("col_status").unwrap(), "Статус / Status");
        let en = Labels::new(Languages::One(Lang::En));
        assert_eq!(en.get("col_status").unwrap(), "Status");
        let uk = Labels::new(Languages::One(Lang::Uk));
        assert_eq!(uk.get("col_status").unwrap(), "Статус");
        assert!(matches!(
            both.get("nope"),
            Err(ReceiptError::MissingText("nope"))
        ));
    }

    #[test]
    fn the_page_footer_follows_the_language() {
        assert_eq!(
            Labels::new(Languages::Both).page_footer(1, 2).unwrap(),
            "Сторінка 1 з 2 / Page 1 of 2"
        );
        assert_eq!(
            Labels::new(Languages::One(Lang::Uk))
                .page_footer(2, 3)
                .unwrap(),
            "Сторінка 2 з 3"
        );
        assert_eq!(
            Labels::new(Languages::One(Lang::En))
                .page_footer(1, 1)
                .unwrap(),
            "Page 1 of 1"
        );
    }
}
