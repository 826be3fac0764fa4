//! The one language type of the pages, the API and the receipts, and the one catalogue of words
//! in each language: the Fluent files under `locales/<lang>/`, embedded at build time. Code says
//! *what* to say (a message id and its parameters); this module says it in Ukrainian or English,
//! with the plural forms each language needs ("1 символ", "2 символи", "5 символів").
//!
//! It holds no texts of its own and never chooses a language for anyone: callers pass the one
//! they were asked for. It does no I/O at run time.

use crate::bundle::Text;
use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "uk",
        // No Unicode isolation marks around parameters: the texts go into JSON and plain pages.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static UK: LanguageIdentifier = langid!("uk");
static EN: LanguageIdentifier = langid!("en");

/// A language people read onestop in. Ukrainian is the default everywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Uk,
    En,
}

/// The parameters of a message: name and value (a number selects a plural form).
pub type Args = [(&'static str, FluentValue<'static>)];

impl Lang {
    /// `uk` or `en`; anything else is not a language onestop speaks.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "uk" => Some(Self::Uk),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language a page was asked for: `en` is English; anything else, or nothing, Ukrainian.
    pub fn or_ukrainian(code: Option<&str>) -> Self {
        code.and_then(Self::parse).unwrap_or_default()
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Uk => "uk",
            Self::En => "en",
        }
    }

    /// The other one (where a language switch leads).
    pub fn other(self) -> Self {
        match self {
            Self::Uk => Self::En,
            Self::En => Self::Uk,
        }
    }

    /// A definition's text in this language, the Ukrainian one when the English is missing.
    pub fn pick(self, text: &Text) -> String {
        match self {
            Self::En if !text.en.is_empty() => text.en.clone(),
            _ => text.uk.clone(),
        }
    }

    /// The catalogue's message `id` in this language (the Ukrainian one when the English is
    /// missing); empty, with a warning, when the catalogue has no such message.
    pub fn text(self, id: &str) -> String {
        self.text_with(id, &[])
    }

    /// The catalogue's message `id` with its parameters, as [`Lang::text`].
    pub fn text_with(self, id: &str, args: &Args) -> String {
        match self.find(id, args) {
            Some(text) => text,
            None => {
                tracing::warn!(id, "The message catalogue has no such message");
                String::new()
            }
        }
    }

    /// The message `id` in this language or (when the English is missing) in Ukrainian, if the
    /// catalogue has it.
    pub fn find(self, id: &str, args: &Args) -> Option<String> {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        let args = (!args.is_empty()).then_some(&args);
        LOCALES.try_lookup_complete(self.id(), id, args)
    }

    /// The message `id` in exactly this language, with no parameters, if the catalogue has it.
    pub fn exact(self, id: &str) -> Option<String> {
        LOCALES
            .lookup_single_language::<&str>(self.id(), id, None)
            .ok()
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::Uk => &UK,
            Self::En => &EN,
        }
    }
}

/// The ids of the messages in one catalogue file's text (for code that hands a whole file to a
/// template); a file that does not parse gives what it could read.
pub fn message_ids(ftl: &str) -> Vec<String> {
    let resource = match fluent_syntax::parser::parse(ftl) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            tracing::error!(?errors, "A message catalogue file does not parse");
            resource
        }
    };
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_short(lang: Lang, min: u64) -> String {
        lang.text_with("too-short", &[("min", min.into())])
    }

    #[test]
    fn ukrainian_counts_take_their_three_plural_forms() {
        assert_eq!(too_short(Lang::Uk, 1), "Щонайменше 1 символ");
        assert_eq!(too_short(Lang::Uk, 2), "Щонайменше 2 символи");
        assert_eq!(too_short(Lang::Uk, 5), "Щонайменше 5 символів");
        assert_eq!(too_short(Lang::Uk, 11), "Щонайменше 11 символів");
        assert_eq!(too_short(Lang::Uk, 22), "Щонайменше 22 символи");
    }

    #[test]
    fn english_counts_take_one_or_other() {
        assert_eq!(too_short(Lang::En, 1), "At least 1 character");
        assert_eq!(too_short(Lang::En, 3), "At least 3 characters");
    }

    #[test]
    fn english_falls_back_to_ukrainian_and_unknown_ids_are_empty() {
        assert_eq!(Lang::En.text("no-such-message"), "");
        assert_eq!(Lang::En.exact("no-such-message"), None);
        assert_eq!(Lang::Uk.text("required-field"), "Обов'язкове поле");
        assert_eq!(Lang::En.text("required-field"), "Required field");
    }

    #[test]
    fn only_uk_and_en_are_languages_and_pages_default_to_ukrainian() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("uk+en"), None);
        assert_eq!(Lang::or_ukrainian(Some("de")), Lang::Uk);
        assert_eq!(Lang::or_ukrainian(None), Lang::Uk);
        assert_eq!(Lang::Uk.other(), Lang::En);
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let files = [
            (
                include_str!("../locales/uk/validation.ftl"),
                include_str!("../locales/en/validation.ftl"),
            ),
            (
                include_str!("../locales/uk/pages.ftl"),
                include_str!("../locales/en/pages.ftl"),
            ),
            (
                include_str!("../locales/uk/choices.ftl"),
                include_str!("../locales/en/choices.ftl"),
            ),
        ];
        for (uk, en) in files {
            let (uk, en) = (message_ids(uk), message_ids(en));
            assert!(!uk.is_empty());
            assert_eq!(uk, en);
        }
    }
}
