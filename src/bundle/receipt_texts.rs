//! A bundle's receipt texts: a handlebars template under `receipts/` that renders, over one
//! application, `key.lang: text` lines — the receipt's title, its introduction, the next steps for
//! each application status, and optional labels of services (`service.<id>.uk: …`).
//!
//! The template is compiled when the definitions load, and checked there for the keys every
//! receipt needs; it renders in strict mode, so a field it names that the application lacks is an
//! error, not a blank. This module reads no database: it is given the model to render.

use super::Diagnostic;
use handlebars::Handlebars;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The keys every receipt template must give, in Ukrainian and English.
pub const REQUIRED: [&str; 6] = [
    "title",
    "intro",
    "next.in_progress",
    "next.completed",
    "next.completed_with_failures",
    "next.failed",
];

/// The texts of a bundle without its own template.
const DEFAULT_TEMPLATE: &str = include_str!("default-receipt.hbs");

const NAME: &str = "receipt";

/// A compiled receipt template.
pub struct ReceiptTexts {
    registry: Handlebars<'static>,
}

impl std::fmt::Debug for ReceiptTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptTexts")
    }
}

/// Rendered texts: `key` → (Ukrainian, English).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    pairs: BTreeMap<String, (String, String)>,
}

impl Texts {
    /// The pair under `key` (e.g. `next.completed`), if the template gave it.
    pub fn get(&self, key: &str) -> Option<&(String, String)> {
        self.pairs.get(key)
    }
}

impl ReceiptTexts {
    /// The built-in texts, for bundles that name no template.
    pub fn default_texts() -> Self {
        match Self::compile(DEFAULT_TEMPLATE) {
            Ok(texts) => texts,
            Err(e) => unreachable!("the built-in receipt template is valid: {e}"),
        }
    }

    /// Load (with `read`, from a path relative to the definitions' root) and check
    /// `receipts/{name}`; problems go to `diags` as of `file`.
    pub fn load(
        read: impl FnOnce(&Path) -> std::io::Result<String>,
        file: &Path,
        name: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let path = Path::new("receipts").join(name);
        let source = match read(&path) {
            Ok(source) => source,
            Err(e) => {
                let message = format!("receipt template {} cannot be read: {e}", path.display());
                diags.push(Diagnostic::new(file, "receipt", message));
                return None;
            }
        };
        Self::compile(&source)
            .map_err(|e| diags.push(Diagnostic::new(&path, "", e)))
            .ok()
    }

    fn compile(source: &str) -> Result<Self, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(one_line);
        super::template_helpers::register(&mut registry, crate::lang::Lang::Uk);
        registry
            .register_template_string(NAME, source)
            .map_err(|e| match e.pos() {
                Some((line, column)) => {
                    format!("invalid template at {line}:{column}: {}", e.reason())
                }
                None => format!("invalid template: {}", e.reason()),
            })?;
        let texts = Self { registry };
        texts.check_keys()?;
        Ok(texts)
    }

    /// Render leniently over nothing to see which keys the template gives.
    fn check_keys(&self) -> Result<(), String> {
        let mut lenient = self.registry.clone();
        lenient.set_strict_mode(false);
        let text = lenient
            .render(NAME, &serde_json::json!({}))
            .map_err(|e| format!("the template does not render: {e}"))?;
        parse(&text)?;
        let present: BTreeSet<&str> = text
            .lines()
            .filter_map(|line| line.split_once(':').map(|(key, _)| key.trim()))
            .collect();
        let missing: Vec<String> = REQUIRED
            .iter()
            .flat_map(|key| [format!("{key}.uk"), format!("{key}.en")])
            .filter(|key| !present.contains(key.as_str()))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing texts: {}", missing.join(", ")))
        }
    }

    /// Render over `model` (strict: every field named must exist).
    pub fn render(&self, model: &Value) -> Result<Texts, String> {
        let text = self
            .registry
            .render(NAME, model)
            .map_err(|e| e.to_string())?;
        parse(&text)
    }
}

/// `key.uk: text` / `key.en: text` lines into pairs; blank lines are skipped.
fn parse(text: &str) -> Result<Texts, String> {
    let mut pairs: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let problem = || format!("a line is not `key.uk: text` or `key.en: text`: {line:?}");
        let (key, value) = line.split_once(':').ok_or_else(problem)?;
        let (base, lang) = key.trim().rsplit_once('.').ok_or_else(problem)?;
        let entry = pairs.entry(base.to_owned()).or_default();
        match lang {
            "uk" => entry.0 = value.trim().to_owned(),
            "en" => entry.1 = value.trim().to_owned(),
            _ => return Err(problem()),
        }
    }
    Ok(Texts { pairs })
}

/// A value never breaks the one-text-per-line format, and is not HTML-escaped (this is a PDF).
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_default_texts_have_every_required_key_in_both_languages() {
        let texts = ReceiptTexts::default_texts()
            .render(&json!({ "applicant": "Олена", "event": { "uk": "Подія", "en": "Event" } }))
            .expect("renders");
        for key in REQUIRED {
            let (uk, en) = texts.get(key).expect(key);
            assert!(!uk.is_empty() && !en.is_empty(), "{key}");
        }
    }

    #[test]
    fn a_template_without_a_required_key_is_refused() {
        let e = ReceiptTexts::compile("title.uk: Т\ntitle.en: T\n").expect_err("incomplete");
        assert!(
            e.contains("intro.uk") && e.contains("next.failed.en"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_field_is_an_error_not_a_blank() {
        let mut source = DEFAULT_TEMPLATE.to_owned();
        source.push_str("extra.uk: {{data.nobody}}\nextra.en: x\n");
        let texts = ReceiptTexts::compile(&source).expect("compiles");
        let model = json!({ "applicant": "Олена", "event": { "uk": "П", "en": "E" }, "data": {} });
        assert!(texts.render(&model).is_err());
    }
}
