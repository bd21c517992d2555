//! Bank statements: reading the CSV a bank exports and matching its credit lines to the
//! commune's `due` payments by reference and amount. Pure functions, no database.
//!
//! Banks differ: `,` or `;` between fields, a BOM or none, a few lines of preamble before the
//! header, column names in Vietnamese or English, amounts written `50.000`, `50,000`,
//! `50.000,00` or `+50,000 VND`, credits and debits in one signed column or in two.

use crate::text::fold_vi;

/// The largest statement read, in bytes (a month of a commune's account is far smaller).
pub const MAX_BYTES: usize = 1024 * 1024;
/// How many lines may precede the header row.
const HEADER_SEARCH_ROWS: usize = 20;

/// Why a statement could not be read; each is answered with its code and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementError {
    /// No bytes, or no line after the header.
    Empty,
    /// Larger than [`MAX_BYTES`].
    TooLarge,
    /// Not UTF-8.
    Encoding,
    /// No header row naming an amount and a description column.
    NoColumns,
    /// A credit amount that is not a number of đồng (1-based line of the file).
    BadAmount(usize),
}

impl StatementError {
    /// The stable error code (`error.<code>` in the catalogues).
    pub fn code(&self) -> &'static str {
        match self {
            StatementError::Empty => "statement_empty",
            StatementError::TooLarge => "statement_too_large",
            StatementError::Encoding => "statement_encoding",
            StatementError::NoColumns => "statement_columns",
            StatementError::BadAmount(_) => "statement_amount",
        }
    }
}

/// One credit line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line of the file, for the official to find it.
    pub row: usize,
    pub date: String,
    pub amount_vnd: i64,
    pub description: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Credit,
    Debit,
    Amount,
    Description,
}

/// Recognises a header cell, folded (no accents, lowercase, letters and digits only).
fn column(name: &str) -> Option<Col> {
    let n: String = fold_vi(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some(match n.as_str() {
        "ngay" | "ngaygiaodich" | "ngayhachtoan" | "ngayhieuluc" | "thoigian"
        | "thoigiangiaodich" | "date" | "transactiondate" | "postingdate" | "valuedate"
        | "bookingdate" => Col::Date,
        "ghico" | "sotienghico" | "phatsinhco" | "co" | "tienvao" | "sotienvao" | "credit"
        | "creditamount" | "deposit" | "deposits" | "moneyin" => Col::Credit,
        "ghino" | "sotienghino" | "phatsinhno" | "no" | "tienra" | "sotienra" | "debit"
        | "debitamount" | "withdrawal" | "withdrawals" | "moneyout" => Col::Debit,
        "sotien" | "sotiengiaodich" | "amount" | "transactionamount" | "value" => Col::Amount,
        "noidung" | "noidunggiaodich" | "noidungchuyenkhoan" | "mota" | "diengiai" | "chitiet"
        | "description" | "content" | "details" | "narrative" | "remarks" | "memo"
        | "transactiondetails" => Col::Description,
        _ => return None,
    })
}

/// Splits CSV text into records of fields: `"` quotes (with `""` inside) may hold the
/// separator and line breaks. Each record keeps its 1-based starting line.
fn records(text: &str, sep: char) -> Vec<(usize, Vec<String>)> {
    let mut out = vec![];
    let mut record: Vec<String> = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match ch {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            c if c == sep => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start, record));
    }
    out.retain(|(_, r)| r.iter().any(|f| !f.trim().is_empty()));
    out
}

/// Reads an amount in whole đồng: `50.000`, `50,000`, `50 000`, `50.000,00`, `50,000.00`,
/// `+50000 VND`, `50.000đ`. A minus sign or parentheses make it negative (a debit). `None`
/// when it is not a number, or has a fraction of a đồng.
pub fn parse_amount(s: &str) -> Option<i64> {
    let mut t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    for suffix in ["VND", "vnd", "VNĐ", "vnđ", "đ", "₫", "d"] {
        if let Some(x) = t.strip_suffix(suffix) {
            t = x.to_owned();
            break;
        }
    }
    let mut negative = false;
    if let Some(x) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        t = x.to_owned();
    }
    if let Some(x) = t.strip_prefix('-') {
        negative = true;
        t = x.to_owned();
    } else if let Some(x) = t.strip_prefix('+') {
        t = x.to_owned();
    }
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // A last separator followed by one or two digits starts a fraction (đồng have none, so it
    // must be zero); followed by three it groups thousands, as every other separator does.
    let mut whole = t.as_str();
    if let Some(pos) = t.rfind(['.', ',']) {
        let tail = &t[pos + 1..];
        match tail.len() {
            1 | 2 => {
                if tail.chars().any(|c| c != '0') {
                    return None;
                }
                whole = &t[..pos];
            }
            3 => {}
            _ => return None,
        }
    }
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(if negative { -v } else { v })
}

/// Reads a statement: its credit lines (money in), in file order. Debit lines and lines without
/// an amount are left out.
pub fn parse(bytes: &[u8]) -> Result<Vec<Line>, StatementError> {
    if bytes.len() > MAX_BYTES {
        return Err(StatementError::TooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| StatementError::Encoding)?;
    if text.trim().is_empty() {
        return Err(StatementError::Empty);
    }
    // The separator is the one that yields a header naming an amount and a description;
    // amounts like `50,000` make counting separators in the data unreliable.
    let mut found = None;
    'seps: for sep in [';', ',', '\t'] {
        let recs = records(text, sep);
        for (i, (_, rec)) in recs.iter().enumerate().take(HEADER_SEARCH_ROWS) {
            let cols: Vec<Option<Col>> = rec.iter().map(|f| column(f)).collect();
            let has = |c: Col| cols.contains(&Some(c));
            if (has(Col::Credit) || has(Col::Amount)) && has(Col::Description) {
                found = Some((recs.clone(), i, cols));
                break 'seps;
            }
        }
    }
    let (recs, header, cols) = found.ok_or(StatementError::NoColumns)?;
    let at = |c: Col| cols.iter().position(|x| *x == Some(c));
    // A credit column wins over a signed amount column.
    let amount_col = match at(Col::Credit) {
        Some(i) => i,
        None => at(Col::Amount).ok_or(StatementError::NoColumns)?,
    };
    let desc_col = at(Col::Description).ok_or(StatementError::NoColumns)?;
    let date_col = at(Col::Date);
    let body = &recs[header + 1..];
    if body.is_empty() {
        return Err(StatementError::Empty);
    }
    let mut out = vec![];
    for (row, rec) in body {
        let cell = |i: usize| rec.get(i).map(|s| s.trim()).unwrap_or("");
        let raw = cell(amount_col);
        if raw.is_empty() || raw == "-" {
            continue;
        }
        let amount = parse_amount(raw).ok_or(StatementError::BadAmount(*row))?;
        // Money out (a negative signed amount) is not a payment received.
        if amount <= 0 {
            continue;
        }
        out.push(Line {
            row: *row,
            date: date_col.map(|i| cell(i).to_owned()).unwrap_or_default(),
            amount_vnd: amount,
            description: cell(desc_col).to_owned(),
        });
    }
    Ok(out)
}

/// A reference or description reduced to what survives a bank's reformatting: no accents, no
/// case, no spaces, dashes or punctuation.
pub fn squeeze(s: &str) -> String {
    fold_vi(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// A payment a statement can settle, as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub id: i64,
    pub reference: String,
    pub amount_vnd: i64,
}

/// What became of one statement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exactly one due payment has its reference in the description and the same amount.
    Matched(i64),
    /// No due payment's reference is in the description.
    UnknownReference,
    /// References found, but none with this amount (the ids of those found).
    AmountDiffers(Vec<i64>),
    /// Several payments fit, or another line claims the same payment (the ids in question).
    Ambiguous(Vec<i64>),
}

/// Matches every line to the due payments: reference contained in the description (both
/// [`squeeze`]d) and the same amount. A payment two lines claim is matched by neither.
pub fn match_lines(lines: &[Line], due: &[Due]) -> Vec<Outcome> {
    let refs: Vec<(String, &Due)> = due
        .iter()
        .map(|d| (squeeze(&d.reference), d))
        .filter(|(r, _)| r.len() >= 4)
        .collect();
    let mut out: Vec<Outcome> = lines
        .iter()
        .map(|l| {
            let desc = squeeze(&l.description);
            let found: Vec<&Due> = refs
                .iter()
                .filter(|(r, _)| desc.contains(r.as_str()))
                .map(|(_, d)| *d)
                .collect();
            let fitting: Vec<i64> = found
                .iter()
                .filter(|d| d.amount_vnd == l.amount_vnd)
                .map(|d| d.id)
                .collect();
            match (found.is_empty(), fitting.as_slice()) {
                (true, _) => Outcome::UnknownReference,
                (false, []) => Outcome::AmountDiffers(found.iter().map(|d| d.id).collect()),
                (false, [one]) => Outcome::Matched(*one),
                (false, many) => Outcome::Ambiguous(many.to_vec()),
            }
        })
        .collect();
    let claimed = |id: i64, out: &[Outcome]| {
        out.iter()
            .filter(|o| matches!(o, Outcome::Matched(x) if *x == id))
            .count()
    };
    let twice: Vec<i64> = out
        .iter()
        .filter_map(|o| match o {
            Outcome::Matched(id) if claimed(*id, &out) > 1 => Some(*id),
            _ => None,
        })
        .collect();
    for o in &mut out {
        if let Outcome::Matched(id) = o
            && twice.contains(id)
        {
            *o = Outcome::Ambiguous(vec![*id]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_every_format() {
        for (s, v) in [
            ("50.000", 50_000),
            ("50,000", 50_000),
            ("50000", 50_000),
            ("50 000", 50_000),
            ("1.250.000", 1_250_000),
            ("1,250,000", 1_250_000),
            ("50.000,00", 50_000),
            ("50,000.00", 50_000),
            ("+50.000 VND", 50_000),
            ("50.000đ", 50_000),
            ("15.000 ₫", 15_000),
            ("-20.000", -20_000),
            ("(20,000)", -20_000),
        ] {
            assert_eq!(parse_amount(s), Some(v), "{s}");
        }
        for s in ["", "abc", "50.0000", "50.000,50", "1.2.", ",500", "12-3"] {
            assert_eq!(parse_amount(s), None, "{s}");
        }
    }

    #[test]
    fn semicolons_bom_and_vietnamese_header() {
        let csv = "\u{feff}Ngày giao dịch;Số tiền;Nội dung\r\n\
                   01/07/2025;50.000;HS 17071-250701-ABCDE le phi\r\n\
                   02/07/2025;-20.000;Phi SMS\r\n";
        let lines = parse(csv.as_bytes()).unwrap();
        assert_eq!(
            lines,
            vec![Line {
                row: 2,
                date: "01/07/2025".into(),
                amount_vnd: 50_000,
                description: "HS 17071-250701-ABCDE le phi".into(),
            }]
        );
    }

    #[test]
    fn commas_quotes_preamble_and_credit_column() {
        let csv = "Sao ke tai khoan 3600205012345\n\
                   \n\
                   Date,Description,Debit,Credit\n\
                   2025-07-01,\"Nop phi, ho so 17071-250701-ABCDE\",,\"50,000\"\n\
                   2025-07-02,Rut tien,\"100,000\",\n\
                   2025-07-03,\"Ghi chu \"\"dai\"\"\nhai dong\",,\"1,000.00\"\n";
        let lines = parse(csv.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].row, 4);
        assert_eq!(lines[0].amount_vnd, 50_000);
        assert_eq!(lines[0].description, "Nop phi, ho so 17071-250701-ABCDE");
        assert_eq!(lines[1].amount_vnd, 1_000);
        assert_eq!(lines[1].description, "Ghi chu \"dai\"\nhai dong");
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(parse(b""), Err(StatementError::Empty));
        assert_eq!(parse(b" \n\n"), Err(StatementError::Empty));
        assert_eq!(parse(b"\xEF\xBB\xBF"), Err(StatementError::Empty));
        assert_eq!(parse(b"a,b,c\n1,2,3\n"), Err(StatementError::NoColumns));
        assert_eq!(
            parse("Số tiền;Nội dung\n".as_bytes()),
            Err(StatementError::Empty)
        );
        assert_eq!(
            parse("Số tiền;Nội dung\nabc;x\n".as_bytes()),
            Err(StatementError::BadAmount(2))
        );
        assert_eq!(parse(b"\xff\xfe;"), Err(StatementError::Encoding));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(parse(&big), Err(StatementError::TooLarge));
        assert_eq!(StatementError::NoColumns.code(), "statement_columns");
    }

    #[test]
    fn matching_by_reference_and_amount() {
        let due = vec![
            Due {
                id: 1,
                reference: "17071-250701-ABCDE".into(),
                amount_vnd: 15_000,
            },
            Due {
                id: 2,
                reference: "17071-250701-FGHJK".into(),
                amount_vnd: 20_000,
            },
            Due {
                id: 3,
                reference: "17071-250701-MNPQR".into(),
                amount_vnd: 10_000,
            },
        ];
        let line = |amount_vnd: i64, description: &str| Line {
            row: 1,
            date: String::new(),
            amount_vnd,
            description: description.into(),
        };
        let lines = vec![
            // Banks drop dashes and change case.
            line(15_000, "CT tu 0123 HOANG VAN EM 17071250701abcde le phi"),
            line(25_000, "Nop phi 17071 250701 FGHJK"),
            line(10_000, "Chuyen tien 17071-999999-XXXXX"),
            line(10_000, "mnpqr 17071-250701-MNPQR"),
            line(10_000, "lan 2: 17071-250701-MNPQR"),
        ];
        assert_eq!(
            match_lines(&lines, &due),
            vec![
                Outcome::Matched(1),
                Outcome::AmountDiffers(vec![2]),
                Outcome::UnknownReference,
                Outcome::Ambiguous(vec![3]),
                Outcome::Ambiguous(vec![3]),
            ]
        );
    }
}
