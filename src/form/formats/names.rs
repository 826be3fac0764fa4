//! Names of people as civil registration writes them: letters of the Ukrainian alphabet (or,
//! for a foreign citizen, of the Latin one, as in their passport), joined by an apostrophe, a
//! hyphen or a space between letters. Digits, punctuation, control characters and Russian
//! letters (`ё ъ ы э`) are refused; one name does not mix the two alphabets (a Latin `e` typed
//! inside a Cyrillic name is a typing error that would also hide the person from searches).
//!
//! The apostrophe is taken in any of its three forms (`'` U+0027, `ʼ` U+02BC, `’` U+2019) and
//! written as `ʼ` U+02BC for the registries ([`normalised_name`]), the Unicode letter
//! apostrophe, so that one name is one string wherever it is compared.

/// The letters of the Ukrainian alphabet, capital and small.
const UKRAINIAN: &str = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя";

/// The three forms of the apostrophe a name may be typed with.
pub const APOSTROPHES: [char; 3] = ['\'', '\u{02BC}', '\u{2019}'];

/// The apostrophe the registries get.
pub const APOSTROPHE: char = '\u{02BC}';

/// A name in Ukrainian letters (an empty value is left to `minLength`).
pub fn is_name_ua(value: &str) -> bool {
    well_formed(value, is_ukrainian_letter)
}

/// A name in Ukrainian letters, or one in Latin letters (with their diacritics: `Müller`,
/// `Łukasz`, `Nguyễn`), as a foreign citizen's passport writes it.
pub fn is_name_latin_or_ua(value: &str) -> bool {
    is_name_ua(value) || well_formed(value, is_latin_letter)
}

/// The name as the registries get it: every apostrophe written as `ʼ` (U+02BC).
pub fn normalised_name(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if APOSTROPHES.contains(&c) {
                APOSTROPHE
            } else {
                c
            }
        })
        .collect()
}

/// Letters of one alphabet (`letter`), each apostrophe, hyphen or space between two letters.
fn well_formed(value: &str, letter: fn(char) -> bool) -> bool {
    let mut previous_was_letter = false;
    for c in value.chars() {
        if letter(c) {
            previous_was_letter = true;
        } else if is_joiner(c) && previous_was_letter {
            previous_was_letter = false;
        } else {
            return false;
        }
    }
    previous_was_letter || value.is_empty()
}

fn is_joiner(c: char) -> bool {
    c == '-' || c == ' ' || APOSTROPHES.contains(&c)
}

fn is_ukrainian_letter(c: char) -> bool {
    UKRAINIAN.contains(c)
}

/// A letter of the Latin script: ASCII, Latin-1 Supplement, Latin Extended-A and -B, Latin
/// Extended Additional (Vietnamese).
fn is_latin_letter(c: char) -> bool {
    let latin = c.is_ascii_alphabetic()
        || ('\u{00C0}'..='\u{024F}').contains(&c)
        || ('\u{1E00}'..='\u{1EFF}').contains(&c);
    latin && c.is_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_ukrainian_letters_is_accepted() {
        for name in [
            "Олена",
            "Ґудзь",
            "Їжакевич",
            "Євген",
            "Квітка-Основʼяненко",
            "Ван дер Берг",
        ] {
            assert!(is_name_ua(name), "{name}");
        }
        assert!(is_name_ua(""), "emptiness is minLength's to judge");
    }

    #[test]
    fn a_name_with_any_of_the_three_apostrophes_is_accepted() {
        for name in ["Мар'яна", "Марʼяна", "Мар’яна"] {
            assert!(is_name_ua(name), "{name}");
            assert_eq!(normalised_name(name), "Марʼяна");
        }
    }

    #[test]
    fn a_name_with_a_digit_is_refused() {
        assert!(!is_name_ua("Олена2"));
        assert!(!is_name_latin_or_ua("John3"));
    }

    #[test]
    fn a_name_with_punctuation_or_control_characters_is_refused() {
        for name in [
            "Олена');",
            "Олена.",
            "Олена\n",
            "Оле\u{0000}на",
            "<script>",
            "Олена_",
        ] {
            assert!(!is_name_ua(name), "{name:?}");
            assert!(!is_name_latin_or_ua(name), "{name:?}");
        }
    }

    #[test]
    fn an_apostrophe_hyphen_or_space_stands_between_letters() {
        for name in [
            "-Олена",
            "Олена-",
            " Олена",
            "Олена ",
            "'Олена",
            "Анна--Марія",
            "Анна -Марія",
        ] {
            assert!(!is_name_ua(name), "{name:?}");
        }
    }

    #[test]
    fn russian_letters_are_not_ukrainian_ones() {
        for name in ["Семён", "Объедков", "Лысенко", "Эмма"] {
            assert!(!is_name_ua(name), "{name}");
        }
    }

    #[test]
    fn a_foreign_parent_may_have_a_latin_name() {
        for name in [
            "O'Brien",
            "Müller",
            "Łukasz",
            "Nguyễn",
            "Jean-Luc",
            "María José",
        ] {
            assert!(is_name_latin_or_ua(name), "{name}");
            assert!(!is_name_ua(name), "{name}");
        }
        assert!(
            is_name_latin_or_ua("Олена"),
            "Ukrainian letters stay allowed"
        );
    }

    #[test]
    fn one_name_does_not_mix_the_two_alphabets() {
        // "Олена" with a Latin "e".
        assert!(!is_name_latin_or_ua("Олeна"));
        assert!(!is_name_latin_or_ua("Anna-Марія"));
    }
}
