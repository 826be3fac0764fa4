//! Which languages a receipt is printed in, and how a bilingual text is picked for each. A
//! receipt is one of onestop's languages ([`Lang`]) or both side by side: "both" is a choice of
//! the receipt's layout, not a language, so it lives here and not in `Lang`, which the pages and
//! the API share. Nothing here holds words: the receipt's labels are in the message catalogue.

use crate::lang::Lang;

/// The languages of a receipt: one (Ukrainian by default), or Ukrainian and English together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Languages {
    One(Lang),
    Both,
}

impl Default for Languages {
    fn default() -> Self {
        Self::One(Lang::Uk)
    }
}

impl From<Lang> for Languages {
    fn from(lang: Lang) -> Self {
        Self::One(lang)
    }
}

impl Languages {
    /// `uk`, `en` or `uk+en` (as in `?lang=`).
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "uk+en" | "uk en" => Some(Self::Both),
            one => Lang::parse(one).map(Self::One),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::One(lang) => lang.code(),
            Self::Both => "uk+en",
        }
    }

    /// The language the receipt is read in first (its PDF's language): Ukrainian for both.
    pub fn first(self) -> Lang {
        match self {
            Self::One(lang) => lang,
            Self::Both => Lang::Uk,
        }
    }

    /// Whether the receipt shows text in `lang`.
    pub fn shows(self, lang: Lang) -> bool {
        self == Self::Both || self == Self::One(lang)
    }

    /// A short text in these languages: one of the two, or "uk / en" for both (one only when
    /// the other is empty or the same).
    pub fn pick(self, text: &Bi) -> String {
        let (uk, en) = (text.uk.trim(), text.en.trim());
        match self {
            Self::One(Lang::Uk) => uk.to_owned(),
            Self::One(Lang::En) if en.is_empty() => uk.to_owned(),
            Self::One(Lang::En) => en.to_owned(),
            Self::Both if en.is_empty() || en == uk => uk.to_owned(),
            Self::Both => format!("{uk} / {en}"),
        }
    }

    /// A value in these languages where a bilingual receipt shows the Ukrainian one alone
    /// (dates, authorities, registry references): repeating them in English adds length, not
    /// meaning.
    pub fn pick_value(self, text: &Bi) -> String {
        match self {
            Self::One(Lang::En) => self.pick(text),
            Self::One(Lang::Uk) | Self::Both => text.uk.trim().to_owned(),
        }
    }

    /// A paragraph in these languages: one, or the Ukrainian then the English one.
    pub fn paragraphs(self, text: &Bi) -> Vec<String> {
        let (uk, en) = (text.uk.trim(), text.en.trim());
        let both = [uk, en].into_iter().filter(|t| !t.is_empty());
        match self {
            Self::Both if en == uk => vec![uk.to_owned()],
            Self::Both => both.map(str::to_owned).collect(),
            Self::One(_) => vec![self.pick(text)],
        }
    }
}

/// A text in Ukrainian and English (the English may be empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bi {
    pub uk: String,
    pub en: String,
}

impl Bi {
    pub fn new(uk: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            uk: uk.into(),
            en: en.into(),
        }
    }

    /// The catalogue's message `id` in both languages.
    pub fn from_catalogue(id: &str) -> Self {
        Self::new(Lang::Uk.text(id), Lang::En.text(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_languages_read_as_in_the_query() {
        assert_eq!(Languages::parse("uk"), Some(Languages::One(Lang::Uk)));
        assert_eq!(Languages::parse("en"), Some(Languages::One(Lang::En)));
        assert_eq!(Languages::parse("uk+en"), Some(Languages::Both));
        assert_eq!(Languages::parse("uk en"), Some(Languages::Both));
        assert_eq!(Languages::parse("de"), None);
        assert_eq!(Languages::Both.code(), "uk+en");
        assert_eq!(Languages::default().code(), "uk");
    }

    #[test]
    fn both_languages_show_each_text_once_when_they_agree() {
        let both = Languages::Both;
        assert_eq!(both.pick(&Bi::new("Статус", "Status")), "Статус / Status");
        assert_eq!(both.pick(&Bi::new("№", "№")), "№");
        assert_eq!(
            Languages::One(Lang::En).pick(&Bi::new("Статус", "")),
            "Статус"
        );
        assert!(both.shows(Lang::En) && !Languages::One(Lang::Uk).shows(Lang::En));
    }
}
