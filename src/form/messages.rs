//! Ukrainian messages for validation errors (the validator's own texts are English).

use jsonschema::error::ValidationErrorKind;

/// The Ukrainian message for one validation error of the given kind.
pub fn message(kind: &ValidationErrorKind) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::Required { .. } => "Обов'язкове поле".into(),
        K::Type { .. } => "Неправильний тип значення".into(),
        K::Format { format } => format_message(format).into(),
        K::MinLength { limit: 1 } => "Поле не може бути порожнім".into(),
        K::MinLength { limit } => format!("Щонайменше {limit} символ(ів)"),
        K::MaxLength { limit } => format!("Не більше {limit} символ(ів)"),
        K::Pattern { .. } => "Значення не відповідає очікуваному формату".into(),
        K::Enum { options } => format!("Допустимі значення: {}", list(options)),
        K::Constant { expected_value } => format!("Очікується значення {expected_value}"),
        K::AdditionalProperties { .. } => "Невідоме поле".into(),
        K::Minimum { limit } => format!("Значення має бути не менше {limit}"),
        K::Maximum { limit } => format!("Значення має бути не більше {limit}"),
        K::MinItems { limit } => format!("Потрібно щонайменше {limit} елемент(ів)"),
        K::MaxItems { limit } => format!("Не більше {limit} елемент(ів)"),
        _ => "Неправильне значення".into(),
    }
}

fn format_message(format: &str) -> &'static str {
    match format {
        "rnokpp" => "РНОКПП має складатися з 10 цифр із правильною контрольною цифрою",
        "unzr" => "УНЗР має бути у форматі РРРРММДД-NNNNN з правильною контрольною цифрою",
        "past-date" => "Дата має бути у форматі РРРР-ММ-ДД і не пізніше сьогоднішньої",
        "date" => "Дата має бути у форматі РРРР-ММ-ДД",
        "adult-birth-date" => "Заявник має бути повнолітнім (18 років або більше)",
        "iban-ua" => {
            "IBAN має починатися з UA і містити 29 символів із правильними контрольними цифрами"
        }
        "id-card" => "Номер ID-картки складається з 9 цифр",
        "passport-ua-old" => {
            "Серія паспорта — дві українські літери, номер — 6 цифр (наприклад, КВ123456)"
        }
        "phone-ua" => "Номер телефону має бути у форматі +380XXXXXXXXX",
        "kved" => "Код КВЕД має бути у форматі NN.NN (наприклад, 62.01)",
        "email" => "Неправильна адреса електронної пошти",
        _ => "Неправильний формат значення",
    }
}

fn list(options: &serde_json::Value) -> String {
    match options.as_array() {
        Some(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        None => options.to_string(),
    }
}
