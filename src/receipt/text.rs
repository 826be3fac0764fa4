//! Fonts and text measurement for the receipt: the vendored DejaVu Sans faces (parsed once per
//! process) and greedy line wrapping by the glyph advances in the font itself, so no line ever
//! runs past its column. Pure functions over strings; nothing here draws or allocates PDF objects.

use std::sync::LazyLock;

use printpdf::ParsedFont;
use ttf_parser::GlyphId;

static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

static REGULAR: LazyLock<Face> = LazyLock::new(|| Face::load(REGULAR_TTF, "DejaVuSans.ttf"));
static BOLD: LazyLock<Face> = LazyLock::new(|| Face::load(BOLD_TTF, "DejaVuSans-Bold.ttf"));

/// Appended to the last kept line when text is cut to a maximum number of lines.
const ELLIPSIS: char = '…';

/// The two weights the receipt uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// One embedded face: metrics for measuring (ttf-parser) and the parsed font printpdf embeds.
pub(super) struct Face {
    metrics: ttf_parser::Face<'static>,
    units_per_em: f32,
    pdf: ParsedFont,
}

impl Face {
    fn load(bytes: &'static [u8], name: &str) -> Self {
        let metrics = ttf_parser::Face::parse(bytes, 0)
            .unwrap_or_else(|e| panic!("vendored font assets/fonts/{name} must parse: {e}"));
        let pdf = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
            .unwrap_or_else(|| panic!("printpdf must accept vendored font assets/fonts/{name}"));
        let units_per_em = f32::from(metrics.units_per_em());
        Self {
            metrics,
            units_per_em,
            pdf,
        }
    }

    /// The face of the given weight, parsed on first use.
    pub(super) fn get(weight: Weight) -> &'static Face {
        match weight {
            Weight::Regular => &REGULAR,
            Weight::Bold => &BOLD,
        }
    }

    /// The font printpdf embeds (and subsets) for this face.
    pub(super) fn pdf(&self) -> &ParsedFont {
        &self.pdf
    }

    /// Width of `text` in points at `size`: the sum of the glyph advances. A character the
    /// font lacks is measured as `.notdef` (glyph 0), which is also what printpdf draws.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = self.metrics.glyph_index(c).unwrap_or(GlyphId(0));
                u32::from(self.metrics.glyph_hor_advance(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 * size / self.units_per_em
    }
}

/// Splits `text` into lines no wider than `max_width` points: greedy by words (any run of
/// whitespace, including newlines, counts as one space), and a word wider than the column on
/// its own is broken between characters. Empty or blank text gives no lines.
pub(super) fn wrap(text: &str, face: &Face, size: f32, max_width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0.0;
    for word in text.split_whitespace() {
        let word_width = face.width(word, size);
        if !line.is_empty() && line_width + space + word_width <= max_width {
            line.push(' ');
            line.push_str(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut pieces = break_word(word, face, size, max_width);
        let last = pieces.pop().unwrap_or_default();
        lines.append(&mut pieces);
        line_width = face.width(&last, size);
        line = last;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Breaks one word into pieces that each fit `max_width` (at least one character per piece,
/// so a column narrower than a single glyph still terminates).
fn break_word(word: &str, face: &Face, size: f32, max_width: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut width = 0.0;
    for c in word.chars() {
        let mut buf = [0u8; 4];
        let char_width = face.width(c.encode_utf8(&mut buf), size);
        if !piece.is_empty() && width + char_width > max_width {
            pieces.push(std::mem::take(&mut piece));
            width = 0.0;
        }
        piece.push(c);
        width += char_width;
    }
    pieces.push(piece);
    pieces
}

/// Wraps a bilingual label such as `В обробці / In progress`: one line when it fits, otherwise
/// the break goes after the ` /` so each language keeps its words together.
pub(super) fn wrap_bilingual(text: &str, face: &Face, size: f32, max_width: f32) -> Vec<String> {
    match text.split_once(" / ") {
        Some((uk, en)) if face.width(text, size) > max_width => {
            let mut lines = wrap(&format!("{uk} /"), face, size, max_width);
            lines.extend(wrap(en, face, size, max_width));
            lines
        }
        _ => wrap(text, face, size, max_width),
    }
}

/// Wraps like [`wrap`] but keeps at most `max_lines` lines; when text is cut, the last kept
/// line ends with an ellipsis that still fits the column.
pub(super) fn wrap_at_most(
    text: &str,
    face: &Face,
    size: f32,
    max_width: f32,
    max_lines: usize,
) -> Vec<String> {
    let mut lines = wrap(text, face, size, max_width);
    if lines.len() <= max_lines || max_lines == 0 {
        lines.truncate(max_lines);
        return lines;
    }
    lines.truncate(max_lines);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && face.width(&format!("{last}{ELLIPSIS}"), size) > max_width {
            last.pop();
        }
        let kept = last.trim_end().len();
        last.truncate(kept);
        last.push(ELLIPSIS);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: f32 = 10.0;

    #[test]
    fn width_grows_with_text_and_size() {
        let face = Face::get(Weight::Regular);
        let short = face.width("Заява", SIZE);
        assert!(short > 0.0);
        assert!(face.width("Заява заява", SIZE) > short);
        assert!((face.width("Заява", 2.0 * SIZE) - 2.0 * short).abs() < 1e-3);
        assert!(Face::get(Weight::Bold).width("Заява", SIZE) > short);
    }

    #[test]
    fn wrapping_splits_by_width_and_keeps_every_line_inside_the_column() {
        let face = Face::get(Weight::Regular);
        let text = "Державна реєстрація народження дитини у відділі ДРАЦС";
        let max = face.width("Державна реєстрація", SIZE) + 1.0;
        let lines = wrap(text, face, SIZE, max);
        assert_eq!(lines[0], "Державна реєстрація");
        assert!(lines.len() >= 3);
        assert!(lines.iter().all(|l| face.width(l, SIZE) <= max));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn wrapping_breaks_a_word_wider_than_the_column() {
        let face = Face::get(Weight::Regular);
        let url = "https://example.gov.ua/verify/0190f3c2-7d1e-7b3a-9f00-123456789abc";
        let max = 80.0;
        let lines = wrap(url, face, SIZE, max);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| face.width(l, SIZE) <= max));
        assert_eq!(lines.concat(), url);
    }

    #[test]
    fn bilingual_labels_break_between_the_languages() {
        let face = Face::get(Weight::Bold);
        let label = "В обробці / In progress";
        let narrow = face.width("В обробці / In", SIZE) + 1.0;
        assert_eq!(
            wrap_bilingual(label, face, SIZE, narrow),
            vec!["В обробці /".to_string(), "In progress".to_string()]
        );
        let wide = face.width(label, SIZE) + 1.0;
        assert_eq!(
            wrap_bilingual(label, face, SIZE, wide),
            vec![label.to_string()]
        );
    }

    #[test]
    fn blank_text_has_no_lines_and_whitespace_collapses() {
        let face = Face::get(Weight::Regular);
        assert!(wrap("  \n\t ", face, SIZE, 100.0).is_empty());
        assert_eq!(wrap("a \n  b", face, SIZE, 500.0), vec!["a b".to_string()]);
    }

    #[test]
    fn cut_text_ends_with_an_ellipsis_inside_the_column() {
        let face = Face::get(Weight::Regular);
        let text = "слово ".repeat(40);
        let max = 60.0;
        let lines = wrap_at_most(&text, face, SIZE, max, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with(ELLIPSIS));
        assert!(lines.iter().all(|l| face.width(l, SIZE) <= max));
    }
}
