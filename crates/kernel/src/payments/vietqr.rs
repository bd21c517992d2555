//! VietQR payment codes: the NAPAS/EMVCo payload and its QR image.
//!
//! A VietQR code for a NAPAS 247 fast transfer to an account ("chuyển nhanh đến tài khoản")
//! is an EMVCo Merchant-Presented-Mode payload: a run of TLV fields, each a 2-digit tag, a
//! 2-digit decimal length (in characters) and the value, closed by a CRC-16/CCITT-FALSE.
//!
//! ```text
//! 00 02 01                      payload format indicator
//! 01 02 11|12                   static (no amount) | dynamic (amount given)
//! 38 .. 00 10 A000000727        merchant account information: NAPAS GUID,
//!       01 .. 00 06 <BIN>         beneficiary organisation: bank BIN,
//!             01 .. <account>                              account number,
//!       02 08 QRIBFTTA            service: transfer to an account
//! 53 03 704                     currency: VND
//! 54 .. <amount>                amount in whole đồng (dynamic codes only)
//! 58 02 VN                      country
//! 62 .. 08 .. <purpose>         additional data: purpose of the transfer
//! 63 04 <CRC>                   CRC over everything before it, `6304` included
//! ```
//!
//! The account holder's name is not part of the payload: the payer's banking app looks it up
//! from NAPAS and shows it before the transfer is confirmed. [`BankAccount::account_name`] is
//! for the commune's own page beside the code.

use std::fmt::Write as _;

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// The NAPAS GUID in field 38.00.
pub const NAPAS_GUID: &str = "A000000727";
/// The NAPAS service code for a fast transfer to an account (field 38.02).
pub const SERVICE_TO_ACCOUNT: &str = "QRIBFTTA";
/// ISO 4217 numeric code of the Vietnamese đồng (field 53).
pub const CURRENCY_VND: &str = "704";
/// The longest purpose kept in field 62.08, in characters, after cleaning.
pub const PURPOSE_MAX_CHARS: usize = 25;
/// The longest account number NAPAS accepts.
pub const ACCOUNT_MAX_CHARS: usize = 19;
/// The most digits field 54 may carry.
pub const AMOUNT_MAX_DIGITS: usize = 13;

/// A beneficiary account reachable through NAPAS 247.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// The bank's 6-digit NAPAS BIN, e.g. `970436` Vietcombank, `970415` VietinBank,
    /// `970405` Agribank.
    pub bin: String,
    /// The account number: 1–19 ASCII letters or digits.
    pub account_number: String,
    /// The account holder's name, shown beside the code; not encoded in the payload.
    pub account_name: String,
}

/// Why a VietQR payload could not be built or read.
///
/// Each variant has a stable machine code ([`VietQrError::code`]) and, for the ones caused
/// by input, the form field at fault ([`VietQrError::field`]); the `Display` text is in
/// Vietnamese for logs and for officials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VietQrError {
    /// The BIN is not exactly 6 digits.
    #[error("Mã ngân hàng (BIN) phải gồm đúng 6 chữ số: «{0}»")]
    MaNganHangKhongHopLe(String),
    /// The account number is empty, longer than 19 characters or not alphanumeric.
    #[error("Số tài khoản phải gồm 1–19 chữ cái hoặc chữ số: «{0}»")]
    SoTaiKhoanKhongHopLe(String),
    /// The amount is zero or has more than 13 digits.
    #[error("Số tiền phải từ 1 đến 9.999.999.999.999 đồng: {0}")]
    SoTienKhongHopLe(u64),
    /// A TLV field is cut short or its tag/length is not two digits.
    #[error("Mã QR sai cấu trúc tại ký tự thứ {0}")]
    SaiCauTruc(usize),
    /// The payload does not end with a `63` CRC field of 4 characters.
    #[error("Mã QR thiếu mã kiểm tra CRC (trường 63)")]
    ThieuMaKiemTra,
    /// The CRC in field 63 does not match the payload.
    #[error("Mã kiểm tra CRC không khớp: mã ghi {found}, tính được {computed}")]
    SaiMaKiemTra { found: String, computed: String },
}

impl VietQrError {
    /// A stable machine code for API clients and the i18n catalogue (`error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            VietQrError::MaNganHangKhongHopLe(_) => "vietqr_bin_invalid",
            VietQrError::SoTaiKhoanKhongHopLe(_) => "vietqr_account_invalid",
            VietQrError::SoTienKhongHopLe(_) => "vietqr_amount_invalid",
            VietQrError::SaiCauTruc(_) => "vietqr_malformed",
            VietQrError::ThieuMaKiemTra => "vietqr_crc_missing",
            VietQrError::SaiMaKiemTra { .. } => "vietqr_crc_mismatch",
        }
    }

    /// The input field at fault, for errors caused by what an official entered.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            VietQrError::MaNganHangKhongHopLe(_) => Some("bin"),
            VietQrError::SoTaiKhoanKhongHopLe(_) => Some("account_number"),
            VietQrError::SoTienKhongHopLe(_) => Some("amount"),
            _ => None,
        }
    }
}

/// Builds the VietQR payload for a transfer to `account`.
///
/// With `amount_vnd` the code is dynamic (`01`=`12`) and carries the amount in whole đồng;
/// without it the code is static (`01`=`11`) and the payer types the amount. `purpose` goes
/// to field 62.08 after [`clean_purpose`]: diacritics stripped to ASCII, at most
/// [`PURPOSE_MAX_CHARS`] characters (longer text is truncated, not refused). When nothing is
/// left of it, field 62 is left out.
pub fn payload(
    account: &BankAccount,
    amount_vnd: Option<u64>,
    purpose: &str,
) -> Result<String, VietQrError> {
    let bin = account.bin.trim();
    if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VietQrError::MaNganHangKhongHopLe(account.bin.clone()));
    }
    let number = account.account_number.trim();
    if number.is_empty()
        || number.len() > ACCOUNT_MAX_CHARS
        || !number.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(VietQrError::SoTaiKhoanKhongHopLe(
            account.account_number.clone(),
        ));
    }
    if let Some(amount) = amount_vnd
        && (amount == 0 || amount.to_string().len() > AMOUNT_MAX_DIGITS)
    {
        return Err(VietQrError::SoTienKhongHopLe(amount));
    }

    let beneficiary = tlv("00", bin) + &tlv("01", number);
    let merchant =
        tlv("00", NAPAS_GUID) + &tlv("01", &beneficiary) + &tlv("02", SERVICE_TO_ACCOUNT);

    let mut out = String::with_capacity(160);
    out.push_str(&tlv("00", "01"));
    out.push_str(&tlv("01", if amount_vnd.is_some() { "12" } else { "11" }));
    out.push_str(&tlv("38", &merchant));
    out.push_str(&tlv("53", CURRENCY_VND));
    if let Some(amount) = amount_vnd {
        out.push_str(&tlv("54", &amount.to_string()));
    }
    out.push_str(&tlv("58", "VN"));
    let purpose = clean_purpose(purpose);
    if !purpose.is_empty() {
        out.push_str(&tlv("62", &tlv("08", &purpose)));
    }
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    let _ = write!(out, "{crc:04X}");
    Ok(out)
}

/// Cleans a transfer purpose for field 62.08.
///
/// Banking apps often refuse non-ASCII text there, so Vietnamese diacritics are stripped
/// (`đ`→`d`, `Đ`→`D`); letters, digits, space and `-._` are kept, anything else becomes a
/// space, runs of spaces collapse to one, and the result is trimmed and truncated to
/// [`PURPOSE_MAX_CHARS`] characters.
pub fn clean_purpose(purpose: &str) -> String {
    let mut out = String::with_capacity(purpose.len());
    let mut pending_space = false;
    for ch in purpose.nfd() {
        if is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        };
        if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '_') {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        } else {
            pending_space = true;
        }
    }
    // Only ASCII was pushed, so byte truncation is character truncation.
    out.truncate(PURPOSE_MAX_CHARS);
    out.truncate(out.trim_end().len());
    out
}

/// One TLV field. Callers keep values under 100 characters.
fn tlv(tag: &str, value: &str) -> String {
    debug_assert!(value.chars().count() < 100, "TLV value too long: {value}");
    format!("{tag}{:02}{value}", value.chars().count())
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Splits a run of TLV fields into `(tag, value)` pairs without checking any CRC; use it on
/// the value of a template field such as `38` or `62`. Lengths count characters.
pub fn parse_fields(data: &str) -> Result<Vec<(String, String)>, VietQrError> {
    let chars: Vec<char> = data.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 4 > chars.len() {
            return Err(VietQrError::SaiCauTruc(i));
        }
        let tag: String = chars[i..i + 2].iter().collect();
        let len: String = chars[i + 2..i + 4].iter().collect();
        if !tag.bytes().all(|b| b.is_ascii_digit()) || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::SaiCauTruc(i));
        }
        let len: usize = len.parse().map_err(|_| VietQrError::SaiCauTruc(i + 2))?;
        let start = i + 4;
        let end = start + len;
        if end > chars.len() {
            return Err(VietQrError::SaiCauTruc(i));
        }
        fields.push((tag, chars[start..end].iter().collect()));
        i = end;
    }
    Ok(fields)
}

/// Parses a whole payload into its top-level `(tag, value)` fields, in order, and verifies
/// that it ends with a `63` field whose CRC matches (the `63` field is included in the list).
pub fn parse(payload: &str) -> Result<Vec<(String, String)>, VietQrError> {
    let fields = parse_fields(payload)?;
    match fields.last() {
        Some((tag, value)) if tag == "63" && value.chars().count() == 4 => {
            // The CRC covers everything up to and including "6304".
            let covered = &payload[..payload.len() - value.len()];
            let computed = format!("{:04X}", crc16_ccitt_false(covered.as_bytes()));
            if !value.eq_ignore_ascii_case(&computed) {
                return Err(VietQrError::SaiMaKiemTra {
                    found: value.clone(),
                    computed,
                });
            }
            Ok(fields)
        }
        _ => Err(VietQrError::ThieuMaKiemTra),
    }
}

/// The QR code of a payload as a standalone SVG element ([`crate::qr::svg`]).
pub fn svg(payload: &str) -> String {
    crate::qr::svg(payload)
}

/// The QR code of a payload as a grayscale PNG ([`crate::qr::png`]).
pub fn png(payload: &str, scale: u32) -> Vec<u8> {
    crate::qr::png(payload, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example payload, computed independently (and decoded by `e2e/vietqr`).
    const KNOWN_DYNAMIC: &str = "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA\
                                 53037045405500005802VN62260822HS-17071-000123 le phi63043BE3";

    fn vcb() -> BankAccount {
        BankAccount {
            bin: "970436".into(),
            account_number: "0011001234567".into(),
            account_name: "UBND XA THUONG LAM".into(),
        }
    }

    fn field<'a>(fields: &'a [(String, String)], tag: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn dynamic_payload_structure() {
        let p = payload(&vcb(), Some(50_000), "HS-17071-000123 le phi").unwrap();
        assert!(p.starts_with("000201010212"), "{p}");
        assert!(p.contains("5303704"));
        assert!(p.contains("540550000"));
        assert!(p.contains("5802VN"));

        let fields = parse(&p).unwrap();
        let tags: Vec<&str> = fields.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(tags, ["00", "01", "38", "53", "54", "58", "62", "63"]);

        let merchant = field(&fields, "38").unwrap();
        assert_eq!(
            merchant,
            "0010A000000727012700069704360113001100123456702\
             08QRIBFTTA"
        );
        let sub = parse_fields(merchant).unwrap();
        assert_eq!(field(&sub, "00"), Some(NAPAS_GUID));
        assert_eq!(field(&sub, "02"), Some(SERVICE_TO_ACCOUNT));
        let org = parse_fields(field(&sub, "01").unwrap()).unwrap();
        assert_eq!(field(&org, "00"), Some("970436"));
        assert_eq!(field(&org, "01"), Some("0011001234567"));

        assert_eq!(field(&fields, "54"), Some("50000"));
        let extra = parse_fields(field(&fields, "62").unwrap()).unwrap();
        assert_eq!(field(&extra, "08"), Some("HS-17071-000123 le phi"));

        // The full known payload, so an accidental change of encoding shows up here.
        assert_eq!(p, KNOWN_DYNAMIC);
        assert!(p.ends_with(&format!(
            "{:04X}",
            crc16_ccitt_false(&p.as_bytes()[..p.len() - 4])
        )));
        let crc = field(&fields, "63").unwrap();
        assert_eq!(crc.len(), 4);
        assert!(
            crc.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
    }

    #[test]
    fn static_payload_has_no_amount() {
        let p = payload(&vcb(), None, "").unwrap();
        assert!(p.starts_with("000201010211"), "{p}");
        let fields = parse(&p).unwrap();
        assert_eq!(field(&fields, "54"), None);
        assert_eq!(field(&fields, "62"), None);
    }

    #[test]
    fn tampered_payload_fails_crc() {
        let p = payload(&vcb(), Some(50_000), "le phi").unwrap();
        let tampered = p.replace("540550000", "540590000");
        assert!(matches!(
            parse(&tampered),
            Err(VietQrError::SaiMaKiemTra { .. })
        ));
        assert_eq!(parse(&p[..p.len() - 8]), Err(VietQrError::ThieuMaKiemTra));
        let odd = format!("{}éé1é", &p[..p.len() - 4]);
        assert!(matches!(parse(&odd), Err(VietQrError::SaiMaKiemTra { .. })));
        assert!(matches!(
            parse(&p[..p.len() - 2]),
            Err(VietQrError::SaiCauTruc(_))
        ));
    }

    #[test]
    fn diacritics_stripped() {
        assert_eq!(clean_purpose("Lệ phí hộ tịch"), "Le phi ho tich");
        assert_eq!(clean_purpose("Đăng ký đất đai"), "Dang ky dat dai");
        assert_eq!(clean_purpose("  HS/17071, lệ phí!  "), "HS 17071 le phi");
        let long = clean_purpose("Nộp lệ phí chứng thực bản sao từ bản chính");
        assert_eq!(long, "Nop le phi chung thuc ban");
        assert!(long.len() <= PURPOSE_MAX_CHARS);
        // Truncation never leaves a trailing space.
        assert_eq!(
            clean_purpose("abcdefghij abcdefghij abc def"),
            "abcdefghij abcdefghij abc"
        );

        let p = payload(&vcb(), None, "Lệ phí hộ tịch").unwrap();
        assert!(p.is_ascii());
        let extra = parse_fields(field(&parse(&p).unwrap(), "62").unwrap()).unwrap();
        assert_eq!(field(&extra, "08"), Some("Le phi ho tich"));
    }

    #[test]
    fn invalid_inputs() {
        let mut a = vcb();
        a.bin = "97043".into();
        assert_eq!(
            payload(&a, None, ""),
            Err(VietQrError::MaNganHangKhongHopLe("97043".into()))
        );
        a.bin = "97043A".into();
        let e = payload(&a, None, "").unwrap_err();
        assert_eq!(e.code(), "vietqr_bin_invalid");
        assert_eq!(e.field(), Some("bin"));

        let mut a = vcb();
        a.account_number = String::new();
        assert!(matches!(
            payload(&a, None, ""),
            Err(VietQrError::SoTaiKhoanKhongHopLe(_))
        ));
        a.account_number = "0011 0012".into();
        assert!(payload(&a, None, "").is_err());
        a.account_number = "1".repeat(20);
        assert!(payload(&a, None, "").is_err());
        a.account_number = "1".repeat(19);
        assert!(payload(&a, None, "").is_ok());

        assert_eq!(
            payload(&vcb(), Some(0), ""),
            Err(VietQrError::SoTienKhongHopLe(0))
        );
        assert!(payload(&vcb(), Some(10_000_000_000_000), "").is_err());
        assert!(payload(&vcb(), Some(9_999_999_999_999), "").is_ok());
    }

    #[test]
    fn svg_renders() {
        let p = payload(&vcb(), Some(50_000), "HS-17071-000123 le phi").unwrap();
        let s = svg(&p);
        assert!(s.starts_with("<svg"), "{}", &s[..40]);
        assert!(s.ends_with("</svg>"));
        assert!(s.contains(r##"fill="#000""##));
        assert!(s.contains("viewBox"));
    }

    #[test]
    fn png_decodes_to_expected_size() {
        let p = payload(&vcb(), Some(50_000), "HS-17071-000123 le phi").unwrap();
        let bytes = png(&p, 4);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let modules = crate::qr::modules(&p);
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .unwrap()
            .to_luma8();
        let side = (modules + 8) * 4;
        assert_eq!(img.dimensions(), (side, side));
        // Quiet zone is white, the top-left finder pattern's corner is black.
        assert_eq!(img.get_pixel(0, 0).0, [255]);
        assert_eq!(img.get_pixel(16, 16).0, [0]);
    }
}
