//! What a Trembita (X-Road) fault code means for a call: the security servers' own codes
//! (`Server.ClientProxy.*` at onestop's security server, `Server.ServerProxy.*` at the
//! registry's, `Client.*` for a message they refuse) are read by their last part; a fault the
//! registry's system raised itself (`Server`, `Client`, or a prefixed `soap:Server`) by its
//! first. See `docs/registry-protocols.md` for the table.

use super::{Outcome, retry};
use crate::telemetry::CallOutcome;

/// X-Road error codes that a repeat of the same message cannot fix: access, identity, an unknown
/// service or member, and a message the security server refuses as malformed.
const FINAL: [(&str, &str); 24] = [
    ("AccessDenied", "доступ до послуги не надано"),
    ("UnknownService", "послуга невідома"),
    ("UnknownMember", "учасник невідомий"),
    ("ServiceDisabled", "послугу вимкнено"),
    ("ServiceType", "тип послуги не відповідає протоколу"),
    ("InvalidSoap", "повідомлення не відповідає протоколу SOAP"),
    ("MalformedSoap", "повідомлення не відповідає протоколу SOAP"),
    ("InvalidXml", "повідомлення не є коректним XML"),
    ("InvalidMessage", "повідомлення не відповідає протоколу"),
    ("InvalidRest", "запит не відповідає протоколу REST"),
    ("MissingRest", "запит не відповідає протоколу REST"),
    (
        "InvalidProtocolVersion",
        "версія протоколу не підтримується",
    ),
    (
        "InvalidClientIdentifier",
        "ідентифікатор клієнта неправильний",
    ),
    ("MissingHeader", "бракує заголовка"),
    ("MissingHeaderField", "бракує поля заголовка"),
    ("DuplicateHeaderField", "поле заголовка повторюється"),
    ("InconsistentHeaders", "заголовки суперечать одне одному"),
    ("MissingBody", "бракує тіла повідомлення"),
    ("InvalidBody", "тіло повідомлення неправильне"),
    ("InvalidContentType", "тип вмісту неправильний"),
    ("InvalidHttpMethod", "метод HTTP неправильний"),
    ("SslAuthenticationFailed", "не пройдено автентифікацію TLS"),
    ("IncorrectCertificate", "сертифікат неправильний"),
    ("BadRequest", "запит неправильний"),
];

/// Whether a fault code is the security servers' own (`Server.ClientProxy.…`,
/// `Server.ServerProxy.…`, `Client.…`).
pub fn is_xroad(code: &str) -> bool {
    code.starts_with("Server.ClientProxy.")
        || code.starts_with("Server.ServerProxy.")
        || code.starts_with("Client.")
}

/// The outcome of a fault with `code` and the registry's or security server's words.
pub fn classify(code: &str, message: &str) -> Outcome {
    let code = code.trim();
    // `soap:Server` and `SOAP-ENV:Client` are the registry's own faults, prefixed.
    let bare = code.rsplit_once(':').map_or(code, |(_, c)| c);
    let message = message.trim().chars().take(500).collect::<String>();
    if is_xroad(bare) {
        // `….ServiceFailed.<what>` is what the registry's own system did (an HTML page from
        // its proxy, a refused TLS handshake to it): passing trouble, and perhaps an effect
        // already made, so never a refusal.
        let failed = bare.split('.').any(|part| part == "ServiceFailed");
        let last = bare.rsplit('.').next().unwrap_or(bare);
        if let Some(meaning) = final_meaning(last).filter(|_| !failed) {
            return Outcome::Refused(format!("Трембіта відмовила ({bare}: {meaning}): {message}"));
        }
        if bare.starts_with("Client.") {
            return Outcome::Refused(format!("Трембіта відмовила ({bare}): {message}"));
        }
        return retry(
            CallOutcome::ServerError,
            &format!("Трембіта: {bare}: {message}"),
            None,
        );
    }
    // SOAP's own: the message is not one the other side can take; a repeat cannot help.
    if matches!(bare, "VersionMismatch" | "MustUnderstand") {
        return Outcome::Refused(format!("реєстр відмовив ({bare}): {message}"));
    }
    if bare.starts_with("Client") {
        return Outcome::Refused(format!("реєстр відмовив ({bare}): {message}"));
    }
    retry(
        CallOutcome::ServerError,
        &format!("реєстр повідомив про помилку ({bare}): {message}"),
        None,
    )
}

fn final_meaning(part: &str) -> Option<&'static str> {
    FINAL.iter().find(|(c, _)| *c == part).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Refused(_))
    }

    #[test]
    fn security_server_faults_are_retried_unless_a_repeat_cannot_help() {
        for code in [
            "Server.ClientProxy.NetworkError",
            "Server.ClientProxy.IOError",
            "Server.ServerProxy.ServiceFailed",
            "Server.ServerProxy.ServiceFailed.HttpError",
            "Server.ServerProxy.ServiceFailed.InvalidContentType",
            "Server.ServerProxy.ServiceFailed.SslAuthenticationFailed",
            "Server.ServerProxy.DatabaseError",
            "Server.ClientProxy.OutdatedGlobalConf",
            "Server.ServerProxy.InternalError",
        ] {
            assert!(!refused(&classify(code, "x")), "{code}");
        }
        for code in [
            "Server.ServerProxy.AccessDenied",
            "Server.ClientProxy.UnknownService",
            "Server.ServerProxy.UnknownMember",
            "Server.ClientProxy.InvalidProtocolVersion",
            "Server.ClientProxy.MissingHeaderField",
            "Client.InvalidSoap",
            "Client.Whatever",
        ] {
            assert!(refused(&classify(code, "x")), "{code}");
        }
    }

    #[test]
    fn a_registrys_own_fault_is_read_by_its_first_part() {
        assert!(!refused(&classify("soap:Server", "down")));
        assert!(!refused(&classify("Server", "down")));
        assert!(refused(&classify("SOAP-ENV:Client", "bad field")));
        assert!(refused(&classify("soapenv:VersionMismatch", "1.2")));
    }

    #[test]
    fn a_refusal_names_the_code_and_says_what_it_means_in_ukrainian() {
        let Outcome::Refused(reason) =
            classify("Server.ServerProxy.AccessDenied", "Request is not allowed")
        else {
            panic!("refused");
        };
        assert_eq!(
            reason,
            "Трембіта відмовила (Server.ServerProxy.AccessDenied: доступ до послуги не надано): Request is not allowed"
        );
    }
}
