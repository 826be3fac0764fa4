//! KVED-2010 (ДК 009:2010) activity codes, and the activities the Tax Code keeps out of the
//! single tax's groups 1 and 2 (art. 291.4), as far as a class code can tell them.
//!
//! Group 2 excludes intermediary services in buying, selling, renting and valuing real estate
//! (the Code names class 70.31 of the old KVED ДК 009:2005, today 68.31) and making and selling
//! jewellery and household articles of precious metals and stones (32.12, 46.48, 47.77). Its
//! third exclusion, internet access, has no class of its own (it shares division 61 with other
//! telecommunications), so the tax service judges it, not the form.
//!
//! Group 1 is narrower: only retail sale from market places (47.81, 47.82, 47.89) and household
//! services to the population (art. 291.7). Refused here: what group 2 refuses, wholesale
//! (division 46), retail that is not from stalls and markets (the rest of division 47) and food
//! and beverage service (division 56, which the Code names for group 2 apart from household
//! services). Whether another activity is a household service of art. 291.7 is left to the tax
//! service: the list has no KVED counterpart.

/// A KVED-2010 class code: `NN.NN`, e.g. `62.01`.
pub fn is_kved(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 5
        && b[2] == b'.'
        && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
        && &value[..2] != "00"
}

/// Classes single-tax group 2 may not carry on (Tax Code art. 291.4, 2) in fine).
const NOT_IN_GROUP_2: [&str; 4] = ["68.31", "32.12", "46.48", "47.77"];

/// Retail sale from stalls and markets: the trade group 1 may carry on.
const MARKET_RETAIL: [&str; 3] = ["47.81", "47.82", "47.89"];

/// Divisions wholly outside group 1: wholesale, and food and beverage service.
const NOT_IN_GROUP_1: [&str; 2] = ["46", "56"];

/// An activity a single-tax payer of group 2 may carry on (a code of another shape is left to
/// the `kved` format).
pub fn is_allowed_in_group_2(value: &str) -> bool {
    !is_kved(value) || !NOT_IN_GROUP_2.contains(&value)
}

/// An activity a single-tax payer of group 1 may carry on, as far as the code tells.
pub fn is_allowed_in_group_1(value: &str) -> bool {
    if !is_kved(value) {
        return true;
    }
    let division = &value[..2];
    let other_retail = division == "47" && !MARKET_RETAIL.contains(&value);
    is_allowed_in_group_2(value) && !other_retail && !NOT_IN_GROUP_1.contains(&division)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kved_code_is_a_class_nn_dot_nn() {
        assert!(is_kved("62.01"));
        assert!(!is_kved("6201"));
        assert!(!is_kved("00.01"));
        assert!(!is_kved("62.1"));
    }

    #[test]
    fn group_2_refuses_real_estate_agencies_and_jewellery() {
        for code in ["68.31", "32.12", "46.48", "47.77"] {
            assert!(!is_allowed_in_group_2(code), "{code}");
        }
        for code in ["62.01", "96.02", "56.10", "47.11", "68.20"] {
            assert!(is_allowed_in_group_2(code), "{code}");
        }
    }

    #[test]
    fn group_1_is_market_retail_and_household_services_only() {
        for code in ["47.81", "47.82", "47.89", "96.02", "95.23"] {
            assert!(is_allowed_in_group_1(code), "{code}");
        }
        for code in ["47.11", "47.91", "46.90", "56.10", "68.31", "32.12"] {
            assert!(!is_allowed_in_group_1(code), "{code}");
        }
    }

    #[test]
    fn a_malformed_code_gets_only_the_kved_message() {
        assert!(is_allowed_in_group_1("4711"));
        assert!(is_allowed_in_group_2("6831"));
    }
}
