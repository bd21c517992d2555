//! Reading a spreadsheet people already have: CSV (comma, semicolon or tab; UTF-8 with or
//! without BOM) streamed row by row, XLSX and ODS (first sheet) through calamine. Every cell
//! arrives as trimmed text; the rules read it.

use std::io::{BufReader, Cursor, Read};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the file is: on disk (the command line) or in memory (an upload). It can be read
/// more than once: the import reads codes first, then rows.
#[derive(Clone)]
pub enum Input {
    Path(PathBuf),
    Bytes(Arc<Vec<u8>>),
}

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// Not CSV text, XLSX or ODS.
    NotSpreadsheet,
    /// No header row.
    Empty,
    /// The file could not be opened.
    Unreadable(String),
}

enum Rows {
    Csv(
        csv::StringRecordsIntoIter<Box<dyn Read + Send>>,
        LineCounter,
    ),
    Cells(std::vec::IntoIter<Vec<String>>),
}

/// The line a CSV record starts on, from its byte offset: the csv reader skips blank lines
/// without counting them, so a second reader walks the same bytes counting newlines (in step,
/// never backwards: one more sequential read of the file).
struct LineCounter {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Bytes of `buf` already counted.
    used: usize,
    /// Stream offset of `buf[0]`.
    start: u64,
    line: usize,
}

impl LineCounter {
    fn new(reader: Box<dyn Read + Send>) -> Self {
        LineCounter {
            reader,
            buf: Vec::new(),
            used: 0,
            start: 0,
            line: 1,
        }
    }

    /// The 1-based line of stream offset `byte` (offsets only grow).
    fn line_at(&mut self, byte: u64) -> usize {
        loop {
            let end = self.start + self.buf.len() as u64;
            let upto = (byte.min(end) - self.start) as usize;
            if upto > self.used {
                self.line += self.buf[self.used..upto]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                self.used = upto;
            }
            if byte < end {
                return self.line;
            }
            self.start = end;
            self.used = 0;
            self.buf.resize(1 << 16, 0);
            match self.reader.read(&mut self.buf) {
                Ok(0) | Err(_) => {
                    self.buf.clear();
                    return self.line;
                }
                Ok(n) => self.buf.truncate(n),
            }
        }
    }

    /// The line of a record said to start at `byte`: the csv reader gives the offset before
    /// the blank lines it skipped, so those are stepped over here.
    fn record_line(&mut self, mut byte: u64) -> usize {
        loop {
            let line = self.line_at(byte);
            let at = byte.checked_sub(self.start).map(|i| i as usize);
            match at.and_then(|i| self.buf.get(i)) {
                Some(b'\n') | Some(b'\r') => byte += 1,
                _ => return line,
            }
        }
    }
}

/// A table: its header and its rows, numbered as a spreadsheet numbers them (the header is
/// row 1).
pub struct Table {
    pub header: Vec<String>,
    rows: Rows,
    row: usize,
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

fn is_ole(head: &[u8]) -> bool {
    head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The CSV separator: whichever of `,` `;` and tab the header line has most of.
fn separator(first_line: &[u8]) -> u8 {
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|s| first_line.iter().filter(|b| *b == s).count())
        .unwrap_or(b',')
}

impl Input {
    fn head(&self) -> Result<Vec<u8>, SheetError> {
        match self {
            Input::Bytes(b) => Ok(b[..b.len().min(4096)].to_vec()),
            Input::Path(p) => {
                let mut f = std::fs::File::open(p)
                    .map_err(|e| SheetError::Unreadable(format!("{}: {e}", p.display())))?;
                let mut buf = vec![0; 4096];
                let mut n = 0;
                while n < buf.len() {
                    let got = f
                        .read(&mut buf[n..])
                        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
                    if got == 0 {
                        break;
                    }
                    n += got;
                }
                buf.truncate(n);
                Ok(buf)
            }
        }
    }

    fn reader(&self) -> Result<Box<dyn Read + Send>, SheetError> {
        Ok(match self {
            Input::Bytes(b) => Box::new(Cursor::new(ArcBytes(b.clone()))),
            Input::Path(p) => Box::new(BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(p).map_err(|e| SheetError::Unreadable(e.to_string()))?,
            )),
        })
    }

    fn bytes(&self) -> Result<Vec<u8>, SheetError> {
        match self {
            Input::Bytes(b) => Ok(b.as_ref().clone()),
            Input::Path(p) => std::fs::read(p).map_err(|e| SheetError::Unreadable(e.to_string())),
        }
    }

    /// Opens the table afresh.
    pub fn open(&self) -> Result<Table, SheetError> {
        let head = self.head()?;
        if head.is_empty() {
            return Err(SheetError::Empty);
        }
        if is_zip(&head) || is_ole(&head) {
            return Table::workbook(self.bytes()?);
        }
        // Text: UTF-8 (a BOM is skipped), no NUL bytes (a binary file is not a table). The
        // head may end inside a character; only its complete part has to be valid.
        let text = match std::str::from_utf8(&head) {
            Ok(t) => t,
            Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()])
                .map_err(|_| SheetError::NotSpreadsheet)?,
            Err(_) => return Err(SheetError::NotSpreadsheet),
        };
        if text.contains('\0') {
            return Err(SheetError::NotSpreadsheet);
        }
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or_default();
        let mut reader = self.reader()?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            let mut bom = [0u8; 3];
            reader
                .read_exact(&mut bom)
                .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        }
        let mut counted = self.reader()?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            let mut bom = [0u8; 3];
            counted
                .read_exact(&mut bom)
                .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        }
        let lines = LineCounter::new(counted);
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(separator(first.as_bytes()))
            .flexible(true)
            .has_headers(false)
            .from_reader(reader);
        let header = match csv.records().next() {
            Some(Ok(r)) => r.iter().map(|c| c.trim().to_owned()).collect(),
            Some(Err(_)) => return Err(SheetError::NotSpreadsheet),
            None => return Err(SheetError::Empty),
        };
        Ok(Table {
            header,
            rows: Rows::Csv(csv.into_records(), lines),
            row: 1,
        })
    }
}

/// `Arc<Vec<u8>>` as a byte slice, so an upload is read without copying it.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // Days since 1899-12-30, as spreadsheets count them.
        Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(d.as_f64() as i64)))
            .map(|day| day.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        other => other.to_string().trim().to_owned(),
    }
}

impl Table {
    fn workbook(bytes: Vec<u8>) -> Result<Table, SheetError> {
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|_| SheetError::NotSpreadsheet)?;
        let range = book
            .worksheet_range_at(0)
            .ok_or(SheetError::Empty)?
            .map_err(|_| SheetError::NotSpreadsheet)?;
        let mut rows = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect::<Vec<_>>());
        let header = rows.next().ok_or(SheetError::Empty)?;
        // A sheet's used range may start below row 1; the rows keep their own numbers.
        let first = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        Ok(Table {
            header,
            rows: Rows::Cells(rows.collect::<Vec<_>>().into_iter()),
            row: first + 1,
        })
    }

    /// The next row that is not blank, with its number; `Err` for text CSV cannot read.
    pub fn next_row(&mut self) -> Option<Result<(usize, Vec<String>), usize>> {
        loop {
            self.row += 1;
            let cells: Vec<String> = match &mut self.rows {
                // CSV skips blank lines: the record's own line keeps the numbers right.
                Rows::Csv(it, lines) => match it.next()? {
                    Ok(r) => {
                        if let Some(p) = r.position() {
                            self.row = lines.record_line(p.byte());
                        }
                        r.iter().map(|c| c.trim().to_owned()).collect()
                    }
                    Err(e) => {
                        if let Some(p) = e.position() {
                            self.row = lines.record_line(p.byte());
                        }
                        return Some(Err(self.row));
                    }
                },
                Rows::Cells(it) => it.next()?,
            };
            if cells.iter().any(|c| !c.is_empty()) {
                return Some(Ok((self.row, cells)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &mut Table) -> Vec<(usize, Vec<String>)> {
        std::iter::from_fn(|| t.next_row())
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn csv_with_any_separator_and_a_bom() {
        let bytes = "\u{feff}Mã hộ;Chủ hộ\nMH1;Nguyễn Văn A\n\n MH2 ;\"Lê, Thị B\"\n";
        let mut t = Input::Bytes(Arc::new(bytes.as_bytes().to_vec()))
            .open()
            .unwrap();
        assert_eq!(t.header, ["Mã hộ", "Chủ hộ"]);
        let r = rows(&mut t);
        assert_eq!(r[0], (2, vec!["MH1".into(), "Nguyễn Văn A".into()]));
        // The blank line keeps its number.
        assert_eq!(r[1], (4, vec!["MH2".into(), "Lê, Thị B".into()]));
    }

    #[test]
    fn workbooks_are_read_and_other_files_refused() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "household_code").unwrap();
        sheet.write_string(0, 1, "head_birth_year").unwrap();
        sheet.write_string(1, 0, "MH1").unwrap();
        sheet.write_number(1, 1, 1970).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut t = Input::Bytes(Arc::new(bytes)).open().unwrap();
        assert_eq!(t.header, ["household_code", "head_birth_year"]);
        assert_eq!(rows(&mut t), [(2, vec!["MH1".into(), "1970".into()])]);

        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(
            Input::Bytes(Arc::new(png)).open().err(),
            Some(SheetError::NotSpreadsheet)
        );
        assert_eq!(
            Input::Bytes(Arc::new(b"PK\x03\x04garbage".to_vec()))
                .open()
                .err(),
            Some(SheetError::NotSpreadsheet)
        );
        assert_eq!(
            Input::Bytes(Arc::new(vec![])).open().err(),
            Some(SheetError::Empty)
        );
    }
}
