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
    static STANDARD: cel::Context<'static, 'static> = standard();
}

/// CEL's standard library and onestop's own functions: `age(date)`, a person's full years on
/// today's date in Kyiv (`age(person.birth_date) >= 18`).
fn standard() -> cel::Context<'static, 'static> {
    let mut context = cel::Context::default();
    // The name is new to CEL's library, so adding it cannot conflict.
    let _ = context.add_function("age", age);
    context
}

fn age(date: std::sync::Arc<String>) -> Result<i64, cel::ExecutionError> {
    let born: jiff::civil::Date = (date.parse())
        .map_err(|_| cel::ExecutionError::function_error("age", "not a date (YYYY-MM-DD)"))?;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Kyiv").unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let mut years = i64::from(today.year() - born.year());
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    Ok(years)
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
        self.evaluate_for(data, None)
    }

    /// Whether the condition reads `name` (a repeated step's item).
    pub fn reads(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f == name)
    }

    /// Evaluate with one item of a repeated step bound to its name (`person`), the rest of the
    /// fields read from the data.
    pub fn evaluate_for(&self, data: &Value, item: Option<(&str, &Value)>) -> Result<bool, String> {
        STANDARD.with(|standard| {
            let mut context = standard.new_inner_scope();
            for field in &self.fields {
                let value = match item {
                    Some((name, item)) if name == field => item.clone(),
                    _ => data.get(field).cloned().unwrap_or(Value::Null),
                };
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
    fn a_repeated_steps_condition_is_judged_for_each_item() {
        let condition =
            Condition::parse("person.liable && age(person.birth_date) >= 18").expect("parses");
        assert!(condition.reads("person"));
        let data = json!({ "people": [] });
        let adult = json!({ "liable": true, "birth_date": "1990-01-01" });
        let child = json!({ "liable": true, "birth_date": "2020-01-01" });
        assert_eq!(
            condition.evaluate_for(&data, Some(("person", &adult))),
            Ok(true)
        );
        assert_eq!(
            condition.evaluate_for(&data, Some(("person", &child))),
            Ok(false)
        );
    }

    #[test]
    fn a_non_boolean_result_is_an_error() {
        let condition = Condition::parse("mother").expect("parses");
        assert!(condition.evaluate(&json!({ "mother": {} })).is_err());
    }
}
