//! The helpers a definition's templates may use — `{{date d}}` and `{{money amount}}` — each
//! written the way its language writes it (`21.11.2026`, `41 280,00 грн` / `21 Nov 2026`,
//! `UAH 41,280.00`, negative amounts `−1 234,50 грн` / `-UAH 1,234.50`). Registered on every handlebars registry that renders a service's reference
//! or a bundle's receipt texts; they only format, they read nothing else.

use crate::lang::Lang;
use handlebars::{Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext};
use serde_json::Value;

/// Register `date` and `money` on `hb`, written as `lang` writes them.
pub fn register(hb: &mut Handlebars<'_>, lang: Lang) {
    hb.register_helper("date", Box::new(Format(lang, date)));
    hb.register_helper("money", Box::new(Format(lang, money)));
}

/// A helper that formats its first parameter.
struct Format(Lang, fn(Lang, &Value) -> String);

impl HelperDef for Format {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let value = h.param(0).map_or(&Value::Null, |p| p.value());
        out.write(&(self.1)(self.0, value))?;
        Ok(())
    }
}

/// An ISO date (`2026-11-21`) as the language writes it; anything else as it is.
fn date(lang: Lang, value: &Value) -> String {
    let text = value.as_str().unwrap_or_default();
    let format = match lang {
        Lang::Uk => "%d.%m.%Y",
        Lang::En => "%-d %b %Y",
    };
    text.parse::<jiff::civil::Date>()
        .map(|d| d.strftime(format).to_string())
        .unwrap_or_else(|_| text.to_owned())
}

/// An amount in hryvnias with kopiykas, grouped by thousands; a negative one with the minus
/// each language writes: `−1 234,50 грн` (the minus sign, U+2212) and `-UAH 1,234.50` (before
/// the currency, as English writes `-$1,234.50`). An amount that rounds to zero has no sign.
fn money(lang: Lang, value: &Value) -> String {
    let amount = value.as_f64().unwrap_or(0.0);
    let kopiykas = (amount.abs() * 100.0).round() as u64;
    let (units, cents) = (kopiykas / 100, kopiykas % 100);
    let negative = amount < 0.0 && kopiykas > 0;
    match lang {
        Lang::Uk => {
            let sign = if negative { "\u{2212}" } else { "" };
            format!("{sign}{},{cents:02} грн", group(units, ' '))
        }
        Lang::En => {
            let sign = if negative { "-" } else { "" };
            format!("{sign}UAH {}.{cents:02}", group(units, ','))
        }
    }
}

/// Digits in groups of three: `41280` → `41 280`.
fn group(units: u64, separator: char) -> String {
    let digits = units.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(lang: Lang, template: &str, data: &Value) -> String {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        register(&mut hb, lang);
        hb.render_template(template, data).expect("renders")
    }

    #[test]
    fn amounts_and_dates_are_written_the_way_each_language_writes_them() {
        let data = json!({ "amount": 41280, "half": 1234567.5, "on": "2026-11-21" });
        assert_eq!(render(Lang::Uk, "{{money amount}}", &data), "41 280,00 грн");
        assert_eq!(
            render(Lang::En, "{{money half}}", &data),
            "UAH 1,234,567.50"
        );
        assert_eq!(render(Lang::Uk, "{{date on}}", &data), "21.11.2026");
        assert_eq!(render(Lang::En, "{{date on}}", &data), "21 Nov 2026");
        assert_eq!(group(999, ' '), "999");
    }

    fn money_in(lang: Lang, amount: Value) -> String {
        render(lang, "{{money amount}}", &json!({ "amount": amount }))
    }

    #[test]
    fn a_negative_amount_keeps_its_minus_in_each_language() {
        assert_eq!(money_in(Lang::Uk, json!(-1234.5)), "\u{2212}1 234,50 грн");
        assert_eq!(money_in(Lang::En, json!(-1234.5)), "-UAH 1,234.50");
        assert_eq!(money_in(Lang::Uk, json!(-0.07)), "\u{2212}0,07 грн");
        assert_eq!(money_in(Lang::En, json!(-41280)), "-UAH 41,280.00");
    }

    #[test]
    fn zero_has_no_sign_even_when_a_negative_amount_rounds_to_it() {
        for amount in [json!(0), json!(0.0), json!(-0.0), json!(-0.004)] {
            assert_eq!(money_in(Lang::Uk, amount.clone()), "0,00 грн");
            assert_eq!(money_in(Lang::En, amount), "UAH 0.00");
        }
    }

    #[test]
    fn fractions_round_to_the_nearest_kopiyka() {
        assert_eq!(money_in(Lang::Uk, json!(0.1 + 0.2)), "0,30 грн");
        assert_eq!(money_in(Lang::Uk, json!(12.346)), "12,35 грн");
        assert_eq!(money_in(Lang::En, json!(999.999)), "UAH 1,000.00");
        assert_eq!(money_in(Lang::En, json!(7.5)), "UAH 7.50");
    }

    #[test]
    fn large_amounts_are_grouped_by_thousands() {
        assert_eq!(money_in(Lang::Uk, json!(1_000_000)), "1 000 000,00 грн");
        assert_eq!(
            money_in(Lang::En, json!(-9_876_543_210.25)),
            "-UAH 9,876,543,210.25"
        );
        assert_eq!(
            money_in(Lang::Uk, json!(123_456_789_012_u64)),
            "123 456 789 012,00 грн"
        );
    }
}
