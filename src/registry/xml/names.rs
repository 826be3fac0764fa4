//! Property names as element names and back: a name that is not an XML name is written with
//! each character that may not stand where it is as `_xHHHH_` (`_xHHHHHHHH_` beyond the BMP), as
//! .NET's `XmlConvert.EncodeName` does, and a `_` that would read as such an escape as `_x005F_`,
//! so that reading decodes exactly what was written.

use super::{is_name, name_char, name_start};
use std::borrow::Cow;
use std::fmt::Write;

/// `name` as an element name: itself when it is one, else each character that may not stand
/// where it is (and a `_` that would read as an escape) as `_xHHHH_`. None for an empty name.
pub(super) fn encode_name(name: &str) -> Option<Cow<'_, str>> {
    if name.is_empty() {
        return None;
    }
    if is_name(name) && !name.contains("_x") {
        return Some(Cow::Borrowed(name));
    }
    let mut out = String::new();
    for (at, c) in name.char_indices() {
        let allowed = if at == 0 { name_start(c) } else { name_char(c) };
        let looks_escaped = c == '_' && escape_at(&name[at..]).is_some();
        if allowed && !looks_escaped {
            out.push(c);
        } else if u32::from(c) <= 0xFFFF {
            let _ = write!(out, "_x{:04X}_", u32::from(c));
        } else {
            let _ = write!(out, "_x{:08X}_", u32::from(c));
        }
    }
    Some(Cow::Owned(out))
}

/// The character an `_xHHHH_` (or `_xHHHHHHHH_`) escape at the start of `text` stands for, and
/// the escape's length.
fn escape_at(text: &str) -> Option<(char, usize)> {
    let rest = text.strip_prefix("_x")?;
    [4, 8].into_iter().find_map(|digits| {
        let hex = rest.get(..digits)?;
        if rest.get(digits..=digits)? != "_" || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
        Some((c, digits + 3))
    })
}

/// An element's name as the property it was written from (`_xHHHH_` escapes decoded).
pub(super) fn decode_name(name: &str) -> Cow<'_, str> {
    if !name.contains("_x") {
        return Cow::Borrowed(name);
    }
    let mut out = String::new();
    let mut at = 0;
    while let Some(c) = name[at..].chars().next() {
        match escape_at(&name[at..]) {
            Some((decoded, length)) => {
                out.push(decoded);
                at += length;
            }
            None => {
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    Cow::Owned(out)
}
