//! Human amounts ("1.5" SOL, "25.75" tokens) to base units and back, exactly (no floats).
//!
//! An amount is text (an argument, or a string in a scope file), an integer, or a number with a
//! fraction in a scope file. Text is parsed digit by digit; integers are read as `u64`; numbers
//! with a fraction are read from the file's own text ([`json_fractions_as_text`],
//! [`toml_fractions_as_text`] quote them before the file is deserialized), never through an
//! `f64`, which keeps about 16 significant digits: 2^53 + 1 would become 2^53, and
//! 1.00000000000000001 would become 1 instead of being refused for its 17 decimals.
use serde::{de, Deserialize, Deserializer};
use std::ops::Range;

/// An amount as written in a scope file: a string ("1.5", or a number with a fraction quoted
/// from the file's text) or an integer (2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Human {
    /// `"1.5"`.
    Text(String),
    /// `2`.
    Int(u64),
}

impl<'de> Deserialize<'de> for Human {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HumanVisitor)
    }
}

struct HumanVisitor;

impl de::Visitor<'_> for HumanVisitor {
    type Value = Human;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an amount: an integer, or a decimal such as 1.5 or \"1.5\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Human, E> {
        Ok(Human::Text(v.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Human, E> {
        Ok(Human::Int(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Human, E> {
        u64::try_from(v)
            .map(Human::Int)
            .map_err(|_| E::custom(format!("not an amount: {v} is negative")))
    }

    // Only a number the quoting could not reach (an integer beyond u64, which JSON parsers
    // turn into a float) gets here.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Human, E> {
        Err(E::custom(format!(
            "the amount {v} cannot be read exactly (beyond 18446744073709551615 base units?)"
        )))
    }
}

impl Human {
    /// Base units with `decimals` decimals.
    pub fn base_units(&self, decimals: u8) -> Result<u64, String> {
        match self {
            Human::Text(s) => parse(s, decimals),
            Human::Int(i) => parse(&i.to_string(), decimals),
        }
    }
}

/// Parses `"12.345"` into base units of a token with `decimals` decimals.
pub fn parse(s: &str, decimals: u8) -> Result<u64, String> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let bad = || format!("not an amount: {s:?}");
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > usize::from(decimals) {
        return Err(format!(
            "{s}: more than {decimals} decimals (the smallest unit is 10^-{decimals})"
        ));
    }
    let scale = 10u64
        .checked_pow(u32::from(decimals))
        .ok_or_else(|| format!("{decimals} decimals is too many"))?;
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| format!("{s}: too large"))?
    };
    let frac_units: u64 = if frac.is_empty() {
        0
    } else {
        let padded = format!("{frac:0<width$}", width = usize::from(decimals));
        padded.parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_units))
        .ok_or_else(|| format!("{s}: too large"))
}

/// Formats base units with `decimals` decimals, without trailing zeros: 1_500_000 (6) → "1.5".
pub fn format(units: u64, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals));
    let (whole, frac) = (u128::from(units) / scale, u128::from(units) % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0>width$}", width = usize::from(decimals));
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// Replaces each byte range of `text` (ascending, disjoint) by its quoted replacement.
fn quote(text: &str, numbers: Vec<(Range<usize>, String)>) -> String {
    let mut out = String::with_capacity(text.len() + 2 * numbers.len());
    let mut at = 0;
    for (range, number) in numbers {
        out.push_str(&text[at..range.start]);
        out.push('"');
        out.push_str(&number);
        out.push('"');
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A JSON document with every number that has a fraction or an exponent turned into the string
/// of its text (`0.5` → `"0.5"`), so that an amount is read from what was written. Integers
/// and everything inside strings are left alone; the result is valid JSON when `text` is.
pub fn json_fractions_as_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let number = &text[start..i];
                if number.contains(['.', 'e', 'E']) {
                    numbers.push((start..i, number.to_owned()));
                }
            }
            _ => i += 1,
        }
    }
    quote(text, numbers)
}

/// A TOML document with every float turned into the string of its text (`lifetime = 25.5` →
/// `lifetime = "25.5"`, underscores dropped), so that an amount is read from what was written.
/// A document that does not parse is returned as it is, for the deserializer to report.
pub fn toml_fractions_as_text(text: &str) -> String {
    fn floats(value: &toml::Spanned<toml::de::DeValue<'_>>, out: &mut Vec<(Range<usize>, String)>) {
        match value.get_ref() {
            toml::de::DeValue::Float(f) => out.push((value.span(), f.as_str().to_owned())),
            toml::de::DeValue::Array(items) => items.iter().for_each(|v| floats(v, out)),
            toml::de::DeValue::Table(table) => table.values().for_each(|v| floats(v, out)),
            _ => {}
        }
    }
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return text.to_owned();
    };
    let mut numbers = Vec::new();
    doc.get_ref().values().for_each(|v| floats(v, &mut numbers));
    numbers.sort_by_key(|(range, _)| range.start);
    quote(text, numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse("1.5", 9), Ok(1_500_000_000));
        assert_eq!(parse("0.000000001", 9), Ok(1));
        assert_eq!(parse("25", 6), Ok(25_000_000));
        assert_eq!(parse(".5", 2), Ok(50));
        assert_eq!(parse("9007199254740993", 0), Ok(9_007_199_254_740_993));
        assert_eq!(parse("18446744073709551615", 0), Ok(u64::MAX));
        assert!(parse("0.0000001", 6).is_err(), "below the smallest unit");
        assert!(parse("1.0000000001", 9)
            .unwrap_err()
            .contains("more than 9 decimals"));
        assert!(parse("1e3", 6).is_err());
        assert!(parse("-1", 6).is_err());
        assert!(parse("", 6).is_err());
        assert!(parse("99999999999999999999", 0).is_err());
        assert_eq!(Human::Int(3).base_units(2), Ok(300));
    }

    #[derive(Debug, Deserialize)]
    struct Doc {
        a: Human,
        b: Vec<Human>,
    }

    fn from_json(text: &str) -> Result<Doc, String> {
        serde_json::from_str(&json_fractions_as_text(text)).map_err(|e| e.to_string())
    }

    fn from_toml(text: &str) -> Result<Doc, String> {
        toml::from_str(&toml_fractions_as_text(text)).map_err(|e| e.to_string())
    }

    #[test]
    fn file_numbers_are_read_from_their_text() {
        let text = |s: &str| Human::Text(s.into());
        let json = from_json(
            r#"{"a": 9007199254740993, "b": [0.1, 12345678.123456789, 1.00000000000000001, "2.5", 1e3, -0.5]}"#,
        )
        .unwrap();
        assert_eq!(json.a, Human::Int(9_007_199_254_740_993));
        assert_eq!(
            json.b,
            [
                text("0.1"),
                text("12345678.123456789"),
                text("1.00000000000000001"),
                text("2.5"),
                text("1e3"),
                text("-0.5")
            ]
        );
        assert_eq!(json.b[1].base_units(9), Ok(12_345_678_123_456_789));
        assert!(json.b[2]
            .base_units(9)
            .unwrap_err()
            .contains("more than 9 decimals"));
        assert!(json.b[4].base_units(9).is_err(), "no exponents");
        assert!(json.b[5].base_units(9).is_err(), "no negative amounts");

        let toml = from_toml("a = 9007199254740993\nb = [0.1, 1_000.000_1, \"2.5\"]\n").unwrap();
        assert_eq!(toml.a, Human::Int(9_007_199_254_740_993));
        assert_eq!(toml.b, [text("0.1"), text("1000.0001"), text("2.5")]);

        // Quoting leaves strings, keys and integers alone.
        assert_eq!(
            json_fractions_as_text(r#"{"k.1": "a\"0.5", "n": [1, -2, 3.0]}"#),
            r#"{"k.1": "a\"0.5", "n": [1, -2, "3.0"]}"#
        );
        assert_eq!(
            toml_fractions_as_text("x = \"0.5\"\n[t]\ny = 0.5 # 1.5\nz = [{ w = 2.0 }]\n"),
            "x = \"0.5\"\n[t]\ny = \"0.5\" # 1.5\nz = [{ w = \"2.0\" }]\n"
        );
        assert!(from_json(r#"{"a": -5, "b": []}"#)
            .unwrap_err()
            .contains("-5 is negative"));
        assert!(from_json(r#"{"a": 18446744073709551616, "b": []}"#)
            .unwrap_err()
            .contains("cannot be read exactly"));
        assert!(from_toml("a = true\nb = []\n")
            .unwrap_err()
            .contains("an amount"));
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format(1_500_000, 6), "1.5");
        assert_eq!(format(1, 9), "0.000000001");
        assert_eq!(format(7, 0), "7");
        assert_eq!(format(2_000_000_000, 9), "2");
    }
}
