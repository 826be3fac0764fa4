//! A submission's `capture`: where and when the mobile kit took the application down, as the
//! device says. It goes into the audit trail beside who sent it and when (`docs/mobile-kit.md`).
//! Read by hand, like the rest of the envelope, so that each problem is answered at its pointer.

use super::ApiError;
use crate::applications::Capture;
use crate::form::Message;
use serde_json::{Map, Value};

/// The longest device key and login a capture may name.
const LONGEST: usize = 64;

/// The capture of a submission's body (`capture`), if it has one.
pub fn read(value: Option<Value>) -> Result<Option<Capture>, ApiError> {
    let mut map = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(ApiError::because("/capture", Message::WrongType)),
    };
    let device = text(&mut map, "device")?;
    if !device
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ApiError::because("/capture/device", Message::Pattern));
    }
    let at = text(&mut map, "captured_at")?;
    let captured_at = (at.parse::<jiff::Timestamp>()).map_err(|_| {
        ApiError::because("/capture/captured_at", Message::Format("date-time".into()))
    })?;
    let captured_by = text(&mut map, "captured_by")?;
    // Neither control characters nor those that turn text around (U+202E would show a login
    // backwards in the trail).
    let turning = |c: char| matches!(c, '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if captured_by.chars().any(|c| c.is_control() || turning(c)) {
        return Err(ApiError::because("/capture/captured_by", Message::Invalid));
    }
    if let Some(extra) = map.keys().next() {
        let escaped = extra.replace('~', "~0").replace('/', "~1");
        return Err(ApiError::because(
            &format!("/capture/{escaped}"),
            Message::UnknownField,
        ));
    }
    Ok(Some(Capture {
        device,
        captured_at,
        captured_by,
    }))
}

/// The text member `name` of the capture: 1 to 64 characters.
fn text(map: &mut Map<String, Value>, name: &str) -> Result<String, ApiError> {
    let pointer = format!("/capture/{name}");
    match map.remove(name) {
        None | Some(Value::Null) => Err(ApiError::because(&pointer, Message::Required)),
        Some(Value::String(text)) if text.is_empty() => {
            Err(ApiError::because(&pointer, Message::Empty))
        }
        Some(Value::String(text)) if text.chars().count() > LONGEST => Err(ApiError::because(
            &pointer,
            Message::TooLong {
                max: LONGEST as u64,
            },
        )),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(ApiError::because(&pointer, Message::WrongType)),
    }
}

/// Where and when a mobile kit took an application down, as the device says.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "it describes the body for the OpenAPI document")]
pub struct CaptureBody {
    /// The device's key: letters, digits and hyphens, up to 64.
    #[schema(max_length = 64, pattern = "^[A-Za-z0-9-]+$")]
    device: String,
    /// When the registrar took it down, by the device's clock (RFC 3339).
    #[schema(format = DateTime)]
    captured_at: String,
    /// Who took it down (their login on the device).
    #[schema(max_length = 64)]
    captured_by: String,
}
