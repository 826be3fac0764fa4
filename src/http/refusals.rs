//! The words and status codes for what `applications` refuses: each kind of
//! `ApplicationError` as the API answers it.

use super::ApiError;
use crate::applications::ApplicationError as E;
use crate::applications::CodeRefusal;
use crate::form::Message;
use crate::registry::CallbackError;

impl From<E> for ApiError {
    fn from(e: E) -> Self {
        match e {
            E::UnknownBundle(bundle) => {
                Self::NotFound(format!("Невідома життєва подія \"{bundle}\""))
            }
            E::Selection(e) => Self::invalid("/services", &e.to_string()),
            E::Invalid(errors) => Self::Invalid(errors),
            E::Duplicate(duplicates) => Self::Duplicate(duplicates),
            E::NothingApplies(skipped) => {
                let reasons: Vec<String> = (skipped.iter())
                    .map(|(s, why)| format!("{s}: {why}"))
                    .collect();
                let reasons = reasons.join("; ");
                Self::because("", Message::NothingApplies { reasons })
            }
            E::NotFound(id) => Self::NotFound(format!("Заяву {id} не знайдено")),
            E::UnknownService(_) => Self::NotFound("Послугу не знайдено".into()),
            E::UnknownLink => Self::NotFound("Посилання недійсне або застаріле".into()),
            E::Signature(e) => Self::Unauthorized(e.to_string()),
            E::Callback(CallbackError::Malformed(e)) => Self::invalid(
                "",
                &format!(
                    "Очікується {{\"status\": \"succeeded\", \"outputs\": {{…}}}} або {{\"status\": \"refused\", \"reason\": \"…\"}}: {e}"
                ),
            ),
            E::Callback(CallbackError::Outputs) => Self::invalid(
                "/outputs",
                "Результат не відповідає схемі результату послуги",
            ),
            E::NoSuchService(service) => {
                Self::NotFound(format!("Заява не містить послуги \"{service}\""))
            }
            E::NotFailed { service, status } => Self::Conflict(format!(
                "Послуга \"{service}\" не завершилася помилкою (status: {}); повторювати нічого",
                status.as_str()
            )),
            E::Code(refusal) => code_refusal(refusal),
            E::Form(e) => Self::Internal(e.into()),
            E::Store(e) => e.into(),
            E::Submit(e) => e.into(),
        }
    }
}

/// A one-time code not sent or not taken.
fn code_refusal(refusal: CodeRefusal) -> ApiError {
    use ApiError as A;
    match refusal {
        CodeRefusal::NoPhone => A::invalid(
            "",
            "Заява не містить номера мобільного телефону цієї особи: код надіслати нікуди",
        ),
        CodeRefusal::TooSoon => {
            A::TooManyRequests("Код уже надіслано менш ніж хвилину тому; зачекайте".into())
        }
        CodeRefusal::TooMany => A::TooManyRequests(
            "Надіслано забагато кодів; попросіть заявника надіслати нове запрошення".into(),
        ),
        CodeRefusal::Locked => A::Locked(
            "Забагато неправильних кодів: крок заблоковано, доки заявник не надішле нове запрошення"
                .into(),
        ),
        CodeRefusal::Wrong => A::invalid(
            "/code",
            "Код відсутній, неправильний або його строк минув (10 хвилин)",
        ),
        CodeRefusal::Closed => A::Conflict("Цей крок уже завершено або його строк минув".into()),
        CodeRefusal::NotThePerson => A::Forbidden(
            "Ви увійшли як інша особа: РНОКПП не збігається з тим, що вказано в заяві".into(),
        ),
        CodeRefusal::OwnApplication => A::Forbidden(
            "Хто подав заяву, не підтверджує її замість іншої особи".into(),
        ),
        CodeRefusal::NotSent => A::Unavailable(
            "Повідомлення не вдалося надіслати; спробуйте за хвилину".into(),
        ),
    }
}
