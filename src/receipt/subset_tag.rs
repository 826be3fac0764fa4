//! The subset tag of each embedded font (ISO 32000-1 §9.6.4): six capital letters and `+`
//! before the font's name, the same on the Type0 font's `/BaseFont`, its CIDFont's and the
//! font descriptor's `/FontName`. printpdf marks a subset font with the first characters of
//! its resource name (`F1+DejaVuSans`), which readers do not take for a tag; this puts a proper
//! one in its place. The tag is derived from the embedded program (a SHA-256 of its bytes), so
//! a different glyph set gets a different tag and the same receipt the same bytes. It only
//! renames: fonts embedded whole (no `+` in their name) stay as they are.

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

/// Replaces the subset tag of every subset Type0 font in `pdf`.
pub(super) fn tag_subset_fonts(pdf: &mut Document) {
    let fonts: Vec<ObjectId> = pdf
        .objects
        .iter()
        .filter(|(_, object)| is_type0(object))
        .map(|(id, _)| *id)
        .collect();
    for font in fonts {
        let Some((name, descriptor)) = subset_font(pdf, font) else {
            continue;
        };
        let Some(tag) = descriptor.and_then(|d| program_tag(pdf, d)) else {
            continue;
        };
        let tagged = format!("{tag}+{name}").into_bytes();
        rename(pdf, font, descriptor, &tagged);
    }
}

fn is_type0(object: &Object) -> bool {
    let Ok(dict) = object.as_dict() else {
        return false;
    };
    let is = |key: &[u8], value: &[u8]| dict.get(key).and_then(Object::as_name).ok() == Some(value);
    is(b"Type", b"Font") && is(b"Subtype", b"Type0")
}

/// The font's name without printpdf's tag, and its descriptor, when the font is a subset.
fn subset_font(pdf: &Document, font: ObjectId) -> Option<(String, Option<ObjectId>)> {
    let dict = pdf.get_dictionary(font).ok()?;
    let base = dict.get(b"BaseFont").and_then(Object::as_name).ok()?;
    let (_, name) = std::str::from_utf8(base).ok()?.split_once('+')?;
    let descriptor = descendant(pdf, dict)
        .and_then(|cid| cid.get(b"FontDescriptor").ok())
        .and_then(|d| d.as_reference().ok());
    Some((name.to_owned(), descriptor))
}

/// The Type0 font's one CIDFont, inline or referenced.
fn descendant<'a>(pdf: &'a Document, font: &'a Dictionary) -> Option<&'a Dictionary> {
    let first = font
        .get(b"DescendantFonts")
        .ok()?
        .as_array()
        .ok()?
        .first()?;
    match first {
        Object::Reference(id) => pdf.get_dictionary(*id).ok(),
        other => other.as_dict().ok(),
    }
}

/// Six capital letters from the hash of the embedded font program.
fn program_tag(pdf: &Document, descriptor: ObjectId) -> Option<String> {
    let dict = pdf.get_dictionary(descriptor).ok()?;
    let program = [&b"FontFile2"[..], b"FontFile3", b"FontFile"]
        .into_iter()
        .find_map(|key| dict.get(key).and_then(Object::as_reference).ok())?;
    let stream = pdf.get_object(program).and_then(Object::as_stream).ok()?;
    Some(tag(&stream.content))
}

/// Six capital letters from the first six bytes of the bytes' SHA-256.
fn tag(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    hash[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// Sets `name` on the Type0 font, its CIDFont and the descriptor.
fn rename(pdf: &mut Document, font: ObjectId, descriptor: Option<ObjectId>, name: &[u8]) {
    let set = |dict: &mut Dictionary, key: &str| dict.set(key, Object::Name(name.to_vec()));
    let descendant = match pdf.get_dictionary_mut(font) {
        Ok(dict) => {
            set(dict, "BaseFont");
            first_descendant(dict)
        }
        Err(_) => return,
    };
    if let Some(id) = descendant
        && let Ok(cid) = pdf.get_dictionary_mut(id)
    {
        set(cid, "BaseFont");
    }
    if let Some(id) = descriptor
        && let Ok(dict) = pdf.get_dictionary_mut(id)
    {
        set(dict, "FontName");
    }
}

/// Renames an inline CIDFont in place; the id of a referenced one, to rename it next.
fn first_descendant(font: &mut Dictionary) -> Option<ObjectId> {
    let name = font.get(b"BaseFont").ok()?.clone();
    let fonts = font.get_mut(b"DescendantFonts").ok()?.as_array_mut().ok()?;
    match fonts.first_mut()? {
        Object::Reference(id) => Some(*id),
        Object::Dictionary(cid) => {
            cid.set("BaseFont", name);
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_six_capitals_that_follow_the_bytes() {
        let one = tag(b"glyphs a b c");
        assert_eq!(one.len(), 6);
        assert!(one.bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(one, tag(b"glyphs a b c"));
        assert_ne!(one, tag(b"glyphs a b d"));
    }
}
