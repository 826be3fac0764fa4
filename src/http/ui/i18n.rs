//! The pages' own words in Ukrainian and English, the labels of known choice values, and the
//! English of the validator's Ukrainian messages. Titles and help texts of fields come from the
//! forms themselves (`title` / `x-title-en`), never from here.

use crate::bundle::Text;
use serde_json::{Map, Value};

/// The language a page is shown in; Ukrainian unless `?lang=en` (or the form's `_lang`) asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Uk,
    En,
}

impl Lang {
    /// `en` is English; anything else, or nothing, is Ukrainian.
    pub fn parse(code: Option<&str>) -> Self {
        match code {
            Some("en") => Self::En,
            _ => Self::Uk,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Uk => "uk",
            Self::En => "en",
        }
    }

    /// The text in this language, the Ukrainian one when the English is missing.
    pub fn pick(self, text: &Text) -> String {
        match self {
            Self::En if !text.en.is_empty() => text.en.clone(),
            _ => text.uk.clone(),
        }
    }

    /// One of the pages' own words (see `STRINGS`); empty when unknown.
    pub fn t(self, key: &str) -> &'static str {
        match STRINGS.iter().find(|(k, _, _)| *k == key) {
            Some((_, uk, en)) => {
                if self == Self::En {
                    en
                } else {
                    uk
                }
            }
            None => {
                tracing::warn!(key, "A page asked for a word it does not have");
                ""
            }
        }
    }

    /// Every word of the pages, for the templates (`{{t.key}}`).
    pub fn words(self) -> Value {
        let map: Map<String, Value> = STRINGS
            .iter()
            .map(|(k, uk, en)| {
                let text = if self == Self::En { *en } else { *uk };
                ((*k).to_owned(), Value::String(text.to_owned()))
            })
            .collect();
        Value::Object(map)
    }
}

/// The label of a choice value the forms use (`female` → «Жіноча»), when known.
pub fn choice_label(value: &str) -> Option<Text> {
    CHOICES
        .iter()
        .find(|(v, _, _)| *v == value)
        .map(|(_, uk, en)| Text {
            uk: (*uk).to_owned(),
            en: (*en).to_owned(),
        })
}

/// A validation message (always Ukrainian, as the API gives it) in the page's language.
pub fn message(lang: Lang, uk: &str) -> String {
    if lang == Lang::Uk {
        return uk.to_owned();
    }
    MESSAGES
        .iter()
        .find_map(|(prefix, suffix, en_prefix, en_suffix)| {
            let middle = uk.strip_prefix(prefix)?.strip_suffix(suffix)?;
            Some(format!("{en_prefix}{middle}{en_suffix}"))
        })
        .unwrap_or_else(|| uk.to_owned())
}

const STRINGS: &[(&str, &str, &str)] = &[
    (
        "tagline",
        "Одна заява — кілька реєстрів — одна квитанція",
        "One application — several registries — one receipt",
    ),
    (
        "skip",
        "Перейти до основного змісту",
        "Skip to main content",
    ),
    ("language", "Мова", "Language"),
    ("home", "Усі життєві події", "All life events"),
    (
        "start_title",
        "Оберіть життєву подію",
        "Choose a life event",
    ),
    (
        "start_intro",
        "Одна заява замість кількох: onestop надішле її до всіх потрібних реєстрів і видасть одну квитанцію.",
        "One application instead of several: onestop sends it to every registry concerned and gives one receipt.",
    ),
    ("start_action", "Почати", "Start"),
    (
        "services_title",
        "Які послуги потрібні",
        "Which services are needed",
    ),
    (
        "services_always",
        "Входять у заяву завжди",
        "Always included",
    ),
    (
        "services_optional",
        "Додаткові послуги за вибором заявника",
        "Optional services, as the applicant chooses",
    ),
    (
        "services_optional_hint",
        "Позначте потрібні. Форма міститиме лише поля обраних послуг.",
        "Tick the ones needed. The form will ask only for what they need.",
    ),
    ("needs", "Додатково потрібно", "Also needs"),
    ("add_row", "Додати ще один", "Add another"),
    (
        "each_gets",
        "Для кожного окремо:",
        "For each one separately:",
    ),
    (
        "optional_group",
        "Необов'язковий розділ: заповніть його повністю або залиште порожнім",
        "Optional section: fill it in completely or leave it empty",
    ),
    (
        "receipt_both",
        "Квитанція українською та англійською",
        "Receipt in Ukrainian and English",
    ),
    (
        "needs_nothing",
        "Додаткових даних не потрібно",
        "Needs no more data",
    ),
    ("continue", "Продовжити до форми", "Continue to the form"),
    (
        "required_note",
        "Поля, позначені зірочкою (*), обов'язкові.",
        "Fields marked with an asterisk (*) are required.",
    ),
    ("required", "обов'язкове", "required"),
    ("chosen", "Обрані послуги", "Chosen services"),
    (
        "change_choice",
        "Змінити вибір послуг (введені дані не збережуться)",
        "Change the chosen services (entered data will be lost)",
    ),
    ("submit", "Подати заяву", "Submit the application"),
    ("add", "Додати", "Add"),
    ("remove", "Видалити", "Remove"),
    ("row", "№", "No."),
    (
        "date_hint",
        "ДД.ММ.РРРР, наприклад 19.11.2026",
        "DD.MM.YYYY, for example 19.11.2026",
    ),
    ("choose", "— оберіть —", "— choose —"),
    (
        "errors_title",
        "Виправте, будь ласка, помилки",
        "Please correct the errors",
    ),
    ("error", "Помилка", "Error"),
    ("application", "Заява", "Application"),
    ("submitted", "Подано", "Submitted"),
    ("status", "Стан", "Status"),
    ("services", "Послуги", "Services"),
    ("service", "Послуга", "Service"),
    ("result", "Результат", "Result"),
    (
        "todo",
        "Що ще потрібно зробити",
        "What still needs to be done",
    ),
    (
        "todo_nothing",
        "Від заявника більше нічого не потрібно.",
        "Nothing more is needed from the applicant.",
    ),
    ("deadline", "Строк", "Deadline"),
    (
        "confirm_link",
        "Посилання для підтвердження (передайте його цій особі; воно відкриває лише цей крок)",
        "Confirmation link (give it to that person; it opens this step only)",
    ),
    (
        "receipt",
        "Завантажити квитанцію (PDF)",
        "Download the receipt (PDF)",
    ),
    (
        "receipt_hint",
        "Квитанція показує стан на момент завантаження.",
        "The receipt shows the status at the moment it is downloaded.",
    ),
    (
        "live",
        "Сторінка оновлюється сама.",
        "This page updates by itself.",
    ),
    ("refresh", "Оновити", "Refresh"),
    ("new_application", "Нова заява", "New application"),
    ("problem_title", "Не вдалося", "Something went wrong"),
    (
        "csrf",
        "Форму не прийнято: сторінка застаріла або форму надіслано з іншого сайту. Відкрийте форму ще раз.",
        "The form was not accepted: the page is out of date or the form came from another site. Open the form again.",
    ),
    ("not_found", "Сторінку не знайдено", "Page not found"),
    (
        "internal",
        "Внутрішня помилка сервера. Спробуйте пізніше.",
        "Internal server error. Please try again later.",
    ),
    (
        "busy",
        "Заяву ще зберігають. Оновіть сторінку за мить.",
        "The application is still being stored. Reload in a moment.",
    ),
    (
        "status_waiting",
        "Чекає на попередні кроки",
        "Waiting for earlier steps",
    ),
    ("status_ready", "У черзі", "Queued"),
    ("status_running", "Надсилається", "Being sent"),
    ("status_awaiting", "Очікує відповіді", "Awaiting an answer"),
    (
        "status_awaiting_person",
        "Очікує на особу",
        "Waiting for a person",
    ),
    ("status_succeeded", "Виконано", "Done"),
    ("status_failed", "Помилка", "Failed"),
    ("status_blocked", "Не надсилалася", "Not sent"),
    ("status_in_progress", "В обробці", "In progress"),
    ("status_completed", "Виконано", "Completed"),
    (
        "status_completed_with_failures",
        "Виконано частково",
        "Partly completed",
    ),
    (
        "blocked_reason",
        "Не надсилалася: попередній крок не виконано",
        "Not sent: an earlier step did not succeed",
    ),
    ("confirmed", "Підтверджено", "Confirmed"),
    ("confirm_button", "Підтверджую", "I confirm"),
    ("applicant", "Заявник", "Applicant"),
    ("decline_button", "Відмовляю", "I decline"),
    (
        "reason_label",
        "Причина відмови (необов'язково)",
        "Reason for declining (optional)",
    ),
    (
        "confirm_done",
        "Дякуємо: підтвердження отримано. Заява виконується далі.",
        "Thank you: the confirmation is recorded. The application goes on.",
    ),
    (
        "decline_done",
        "Відмову записано. Послуги, що чекали на цей крок, не виконуватимуться.",
        "The refusal is recorded. The services waiting for this step will not be performed.",
    ),
    (
        "confirm_closed",
        "Цей крок уже завершено або його строк минув.",
        "This step has already ended or its deadline has passed.",
    ),
];

const CHOICES: &[(&str, &str, &str)] = &[
    ("female", "Жіноча", "Female"),
    ("male", "Чоловіча", "Male"),
    ("mother", "Мати", "Mother"),
    ("father", "Батько", "Father"),
    ("box", "Пакунок малюка", "Baby box"),
    ("compensation", "Грошова компенсація", "Cash compensation"),
    ("marriage", "Шлюб", "Marriage"),
    (
        "joint-application",
        "Спільна заява батьків",
        "Parents' joint application",
    ),
    ("mother-statement", "Заява матері", "Mother's statement"),
    ("id-card", "ID-картка", "ID card"),
    (
        "passport",
        "Паспорт старого зразка (книжечка)",
        "Old-style passport (booklet)",
    ),
    (
        "simplified",
        "Спрощена система (єдиний податок)",
        "Simplified (single tax)",
    ),
    ("general", "Загальна система", "General regime"),
    ("pension", "Пенсія", "Pension"),
    ("child-benefit", "Допомога на дітей", "Child benefit"),
    ("housing-subsidy", "Житлова субсидія", "Housing subsidy"),
    (
        "disability",
        "Допомога з інвалідності",
        "Disability benefit",
    ),
];

/// (Ukrainian prefix, Ukrainian suffix, English prefix, English suffix) of the validator's and
/// the pages' messages; what lies between (a number, a list) is kept.
const MESSAGES: &[(&str, &str, &str, &str)] = &[
    ("Обов'язкове поле", "", "Required field", ""),
    ("Неправильний тип значення", "", "Wrong type of value", ""),
    (
        "Поле не може бути порожнім",
        "",
        "The field cannot be empty",
        "",
    ),
    ("Щонайменше ", " символ(ів)", "At least ", " character(s)"),
    ("Не більше ", " символ(ів)", "At most ", " character(s)"),
    (
        "Значення не відповідає очікуваному формату",
        "",
        "The value does not have the expected format",
        "",
    ),
    ("Допустимі значення: ", "", "Allowed values: ", ""),
    ("Очікується значення ", "", "Expected value ", ""),
    ("Невідоме поле", "", "Unknown field", ""),
    (
        "Значення має бути не менше ",
        "",
        "The value must be at least ",
        "",
    ),
    (
        "Значення має бути не більше ",
        "",
        "The value must be at most ",
        "",
    ),
    (
        "Потрібно щонайменше ",
        " елемент(ів)",
        "At least ",
        " item(s) needed",
    ),
    ("Не більше ", " елемент(ів)", "At most ", " item(s)"),
    ("Неправильне значення", "", "Invalid value", ""),
    (
        "РНОКПП має складатися з 10 цифр із правильною контрольною цифрою",
        "",
        "The RNOKPP has 10 digits with a correct check digit",
        "",
    ),
    (
        "УНЗР має бути у форматі РРРРММДД-NNNNN з правильною контрольною цифрою",
        "",
        "The UNZR is YYYYMMDD-NNNNN with a correct check digit",
        "",
    ),
    (
        "Дата має бути у форматі РРРР-ММ-ДД і не пізніше сьогоднішньої",
        "",
        "The date cannot be later than today",
        "",
    ),
    (
        "Дата має бути у форматі РРРР-ММ-ДД",
        "",
        "Enter a valid date",
        "",
    ),
    (
        "Заявник має бути повнолітнім (18 років або більше)",
        "",
        "The applicant must be an adult (18 or older)",
        "",
    ),
    (
        "IBAN має починатися з UA і містити 29 символів із правильними контрольними цифрами",
        "",
        "The IBAN starts with UA and has 29 characters with correct check digits",
        "",
    ),
    (
        "Номер ID-картки складається з 9 цифр",
        "",
        "An ID card number has 9 digits",
        "",
    ),
    (
        "Серія паспорта — дві українські літери, номер — 6 цифр (наприклад, КВ123456)",
        "",
        "Passport series: two Ukrainian letters, number: 6 digits (for example КВ123456)",
        "",
    ),
    (
        "Номер телефону має бути у форматі +380XXXXXXXXX",
        "",
        "The phone number is +380XXXXXXXXX",
        "",
    ),
    (
        "Код КВЕД має бути у форматі NN.NN (наприклад, 62.01)",
        "",
        "A KVED code is NN.NN (for example 62.01)",
        "",
    ),
    (
        "Неправильна адреса електронної пошти",
        "",
        "Invalid e-mail address",
        "",
    ),
    ("Неправильний формат значення", "", "Invalid format", ""),
    (
        "Введіть дату як ДД.ММ.РРРР, наприклад 19.11.2026",
        "",
        "Enter the date as DD.MM.YYYY, for example 19.11.2026",
        "",
    ),
    (
        "Такої дати не існує: ",
        ". Перевірте день і місяць",
        "There is no such date: ",
        ". Check the day and the month",
    ),
    (
        "Введіть число, наприклад 2500000",
        "",
        "Enter a number, for example 2500000",
        "",
    ),
    ("Введіть ціле число", "", "Enter a whole number", ""),
    (
        "Жодна послуга не застосовна до цієї заяви: ",
        "",
        "No service applies to this application: ",
        "",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parametrised_message_keeps_its_number_in_english() {
        assert_eq!(
            message(Lang::En, "Щонайменше 3 символ(ів)"),
            "At least 3 character(s)"
        );
        assert_eq!(
            message(Lang::Uk, "Щонайменше 3 символ(ів)"),
            "Щонайменше 3 символ(ів)"
        );
    }

    #[test]
    fn an_unknown_message_stays_ukrainian_in_english() {
        assert_eq!(message(Lang::En, "Відмовлено"), "Відмовлено");
    }

    #[test]
    fn every_word_the_templates_use_is_there() {
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
                    STRINGS.iter().any(|(k, _, _)| *k == key),
                    "{name} uses t.{key}"
                );
            }
        }
    }

    #[test]
    fn every_word_has_both_languages() {
        for (key, uk, en) in STRINGS {
            assert!(!uk.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
