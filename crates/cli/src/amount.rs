//! Human amounts ("1.5" SOL, "25.75" tokens) to base units and back, exactly (no floats).
use serde::Deserialize;

/// An amount as written in a scope file: a string ("1.5") or a number (1.5, 2).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Human {
    /// `"1.5"`.
    Text(String),
    /// `1.5` or `2`.
    Float(f64),
    /// `2`.
    Int(u64),
}

impl Human {
    /// Base units with `decimals` decimals.
    pub fn base_units(&self, decimals: u8) -> Result<u64, String> {
        match self {
            Human::Text(s) => parse(s, decimals),
            // Rust prints the shortest decimal that reads back as the same float: 0.1 is "0.1".
            Human::Float(f) => parse(&f.to_string(), decimals),
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
        whole.parse().map_err(|_| bad())?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse("1.5", 9), Ok(1_500_000_000));
        assert_eq!(parse("0.000000001", 9), Ok(1));
        assert_eq!(parse("25", 6), Ok(25_000_000));
        assert_eq!(parse(".5", 2), Ok(50));
        assert!(parse("0.0000001", 6).is_err(), "below the smallest unit");
        assert!(parse("1e3", 6).is_err());
        assert!(parse("-1", 6).is_err());
        assert!(parse("", 6).is_err());
        assert!(parse("99999999999999999999", 0).is_err());
        assert_eq!(Human::Float(0.1).base_units(9), Ok(100_000_000));
        assert_eq!(Human::Int(3).base_units(2), Ok(300));
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format(1_500_000, 6), "1.5");
        assert_eq!(format(1, 9), "0.000000001");
        assert_eq!(format(7, 0), "7");
        assert_eq!(format(2_000_000_000, 9), "2");
    }
}
