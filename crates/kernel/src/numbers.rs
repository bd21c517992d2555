//! Numbers as Vietnamese readers write them: a dot between thousands (12.345), a comma before
//! decimals (4,5), no trailing zeros (100%, not 100.0%).

/// A whole number with dots between thousands: `12345` → `12.345`.
pub fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// A decimal number with at most `places` decimals, a decimal comma and no trailing zeros:
/// `4.0` → `4`, `4.25` (1 place) → `4,3`, `1234.5` → `1.234,5`.
pub fn decimal(x: f64, places: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let scale = 10f64.powi(places as i32);
    let rounded = (x * scale).round() / scale;
    let text = format!("{:.*}", places, rounded.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if rounded < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", int(whole))
    } else {
        format!("{sign}{},{frac}", int(whole))
    }
}

/// A share already in percent (0–100), one decimal at most: `87.54` → `87,5%`, `100.0` → `100%`.
pub fn percent(x: f64) -> String {
    format!("{}%", decimal(x, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_take_dots() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1.000");
        assert_eq!(int(15000), "15.000");
        assert_eq!(int(-1234567), "-1.234.567");
    }

    #[test]
    fn decimals_take_a_comma_and_lose_trailing_zeros() {
        assert_eq!(decimal(4.0, 1), "4");
        assert_eq!(decimal(4.25, 1), "4,3");
        assert_eq!(decimal(1234.5, 2), "1.234,5");
        assert_eq!(decimal(-0.04, 1), "0");
        assert_eq!(decimal(f64::NAN, 1), "—");
        assert_eq!(percent(100.0), "100%");
        assert_eq!(percent(87.54), "87,5%");
    }
}
