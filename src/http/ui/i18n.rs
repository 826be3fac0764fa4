//! The pages' own words and the labels of known choice values, from the message catalogue
//! (`locales/<lang>/pages.ftl` and `choices.ftl`). Titles and help texts of fields come from the
//! forms themselves (`title` / `x-title-en`), never from here; what is wrong with the data is the
//! form's (`form::Message`), said in the page's language where it is drawn. Nothing here holds a
//! word of its own.

use crate::bundle::Text;
use crate::lang::{Lang, message_ids};
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Every word of the pages in each language, for the templates (`{{t.key}}`), made once: the
/// ids are those of the pages' catalogue file. A message with parameters (the waiting notes) is
/// not a word: the code that says it gives its parameters (`Lang::text_with`).
static WORDS: LazyLock<(Value, Value)> = LazyLock::new(|| {
    let ids = message_ids(include_str!("../../../locales/uk/pages.ftl"));
    let words = |lang: Lang| {
        let map: Map<String, Value> = ids
            .iter()
            .filter_map(|id| Some((id.clone(), Value::String(lang.find(id, &[])?))))
            .collect();
        Value::Object(map)
    };
    (words(Lang::Uk), words(Lang::En))
});

/// Every word of the pages in `lang`, for the templates.
pub fn words(lang: Lang) -> Value {
    match lang {
        Lang::Uk => WORDS.0.clone(),
        Lang::En => WORDS.1.clone(),
    }
}

/// The label of a choice value the forms use (`female` → «Жіноча»), when the catalogue has one.
pub fn choice_label(value: &str) -> Option<Text> {
    let id = format!("choice-{value}");
    Some(Text {
        uk: Lang::Uk.exact(&id)?,
        en: Lang::En.exact(&id).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_the_templates_use_is_there() {
        let words = words(Lang::En);
        for (name, template) in crate::http::ui::render::TEMPLATES {
            for piece in template.split("t.").skip(1) {
                let key: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if key.is_empty() {
                    continue;
                }
                assert!(
                    words[&key].as_str().is_some_and(|w| !w.is_empty()),
                    "{name} uses t.{key}"
                );
            }
        }
    }

    #[test]
    fn words_and_choices_come_in_the_page_language() {
        assert_eq!(words(Lang::Uk)["submit"], "Подати заяву");
        assert_eq!(words(Lang::En)["submit"], "Submit the application");
        let female = choice_label("female");
        assert_eq!(female.as_ref().map(|t| t.en.as_str()), Some("Female"));
        assert!(choice_label("no-such-choice").is_none());
    }
}
