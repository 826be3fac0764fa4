//! Conditions on services: when a service applies, as a CEL expression over the form data
//! (`mother.surname != father.surname`). Parsed once at load; evaluated per application.
//!
//! The expression's variables are the combined form's top-level fields; a field the applicant
//! left out is `null`. This module only decides; it stores and sends nothing.

use serde_json::Value;
use std::fmt;

thread_local! {
    /// CEL's standard functions and macros, built once per thread: a new `cel::Context` builds
    /// them afresh, which was half the time of evaluating a condition. Each evaluation binds
    /// the form's fields in a scope of its own inside it.
    static STANDARD: cel::Context<'static, 'static> = cel::Context::default();
}

/// A parsed condition and its source text.
pub struct Condition {
    pub source: String,
    program: cel::Program,
    /// The top-level fields it reads, found once at load.
    fields: Vec<String>,
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

impl Condition {
    /// Parse a CEL expression; the error is the parser's, with line and column.
    pub fn parse(source: &str) -> Result<Self, String> {
        let program = cel::Program::compile(source).map_err(|e| one_line(&e.to_string()))?;
        // A name bound by a comprehension (`children.exists(c, …)`) is not a form field.
        let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        let references = program.references();
        let mut fields: Vec<String> = references
            .variables()
            .into_iter()
            .filter(|name| !compact.contains(&format!("({name},")))
            .map(str::to_owned)
            .collect();
        fields.sort();
        Ok(Self {
            source: source.to_owned(),
            program,
            fields,
        })
    }

    /// The top-level fields the expression reads, sorted (comprehension variables left out).
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Evaluate against the application data; a field the data lacks is `null`. Anything but
    /// `true` or `false` is an error.
    pub fn evaluate(&self, data: &Value) -> Result<bool, String> {
        STANDARD.with(|standard| {
            let mut context = standard.new_inner_scope();
            for field in &self.fields {
                let value = data.get(field).cloned().unwrap_or(Value::Null);
                context
                    .add_variable(field.as_str(), value)
                    .map_err(|e| e.to_string())?;
            }
            match self.program.execute(&context) {
                Ok(cel::Value::Bool(result)) => Ok(result),
                Ok(other) => Err(format!("the condition gave {other:?}, not true or false")),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("ERROR: ")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_condition_reads_top_level_fields_and_evaluates() {
        let condition = Condition::parse("mother.surname != father.surname").expect("parses");
        assert_eq!(condition.fields(), vec!["father", "mother"]);
        let same =
            json!({ "mother": { "surname": "Коваленко" }, "father": { "surname": "Коваленко" } });
        assert_eq!(condition.evaluate(&same), Ok(false));
        let different =
            json!({ "mother": { "surname": "Коваленко" }, "father": { "surname": "Шевчук" } });
        assert_eq!(condition.evaluate(&different), Ok(true));
    }

    #[test]
    fn comprehension_variables_are_not_fields() {
        let condition = Condition::parse("children.exists(c, c.age < 3)").expect("parses");
        assert_eq!(condition.fields(), vec!["children"]);
    }

    #[test]
    fn a_broken_condition_is_a_parse_error_with_its_position() {
        let error = Condition::parse("a ==").expect_err("does not parse");
        assert!(error.contains("1:5"), "{error}");
    }

    #[test]
    fn a_non_boolean_result_is_an_error() {
        let condition = Condition::parse("mother").expect("parses");
        assert!(condition.evaluate(&json!({ "mother": {} })).is_err());
    }
}
