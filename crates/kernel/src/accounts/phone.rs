//! Vietnamese mobile numbers: every way people write them, one canonical form (E.164).

/// Canonicalises a Vietnamese mobile number to `+84XXXXXXXXX`.
///
/// Accepts `0912345678`, `+84912345678`, `84 912 345 678`, `091.234.5678`, `(+84) 912-345-678`.
/// Mobile numbers since the 2018 renumbering have 9 digits after the country code, starting
/// with 3, 5, 7, 8 or 9.
pub fn normalise_phone(input: &str) -> Option<String> {
    let mut digits = String::with_capacity(12);
    let mut plus = false;
    for (i, ch) in input.trim().chars().enumerate() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if i == 0 || (i == 1 && input.trim().starts_with('(')) => plus = true,
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return None,
        }
    }
    let national = if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() == 9) {
        rest
    } else if plus {
        return None;
    } else {
        digits.strip_prefix('0').filter(|r| r.len() == 9)?
    };
    matches!(national.as_bytes()[0], b'3' | b'5' | b'7' | b'8' | b'9')
        .then(|| format!("+84{national}"))
}

/// `+84912345678` → `0912 345 678`, the way people read it on screen.
pub fn display_phone(canonical: &str) -> String {
    match canonical.strip_prefix("+84") {
        Some(n) if n.len() == 9 => format!("0{} {} {}", &n[..3], &n[3..6], &n[6..]),
        _ => canonical.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        for s in [
            "0912345678",
            "+84912345678",
            "84 912 345 678",
            "091.234.5678",
            "(+84) 912-345-678",
            " 0912 345 678 ",
        ] {
            assert_eq!(normalise_phone(s).as_deref(), Some("+84912345678"), "{s}");
        }
        assert_eq!(
            normalise_phone("0387654321").as_deref(),
            Some("+84387654321")
        );
    }

    #[test]
    fn rejects_non_mobiles_and_garbage() {
        for s in [
            "",
            "12345",
            "0212345678",
            "091234567",
            "09123456789",
            "+1 912345678",
            "09123x5678",
            "+0912345678",
            "0012345678",
            "8491234567",
        ] {
            assert_eq!(normalise_phone(s), None, "{s}");
        }
    }

    #[test]
    fn display() {
        assert_eq!(display_phone("+84912345678"), "0912 345 678");
    }
}
