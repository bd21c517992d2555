//! Results as an XLSX workbook: totals per question, counts by village, and free-text
//! answers, for officials who report upwards in Excel.

use rust_xlsxwriter::{Format, Workbook};

use super::store::{Poll, Results};

pub fn workbook(p: &Poll, r: &Results) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0");

    let ws = wb.add_worksheet().set_name("Kết quả")?;
    ws.write_with_format(0, 0, p.poll.title.as_str(), &bold)?;
    ws.write(1, 0, format!("Số người trả lời: {}", r.respondents))?;
    for (c, h) in [
        "Câu hỏi",
        "Lựa chọn",
        "Số người",
        "Tỷ lệ (%)",
        "Điểm trung bình",
    ]
    .iter()
    .enumerate()
    {
        ws.write_with_format(3, c as u16, *h, &bold)?;
    }
    let mut row = 4;
    for q in &r.questions {
        ws.write(row, 0, q.text.as_str())?;
        if let Some(a) = q.average {
            ws.write(row, 4, a)?;
        }
        if q.options.is_empty() {
            ws.write(row, 1, format!("{} ý kiến", q.texts.len()))?;
            row += 1;
        }
        for o in &q.options {
            ws.write(row, 1, o.label.as_str())?;
            ws.write(row, 2, o.count as f64)?;
            ws.write_with_format(row, 3, o.percent, &pct)?;
            row += 1;
        }
    }
    ws.set_column_width(0, 60)?;
    ws.set_column_width(1, 28)?;

    let ws = wb.add_worksheet().set_name("Theo thôn")?;
    ws.write(
        0,
        0,
        "Để giữ kín ý kiến từng người: ô có ít hơn 5 ý kiến không ghi số, các thôn ít người trả lời được gộp lại.",
    )?;
    let mut row = 2;
    for q in r.questions.iter().filter(|q| !q.options.is_empty()) {
        ws.write_with_format(row, 0, q.text.as_str(), &bold)?;
        row += 1;
        ws.write_with_format(row, 0, "Thôn, bản", &bold)?;
        for (c, o) in q.options.iter().enumerate() {
            ws.write_with_format(row, c as u16 + 1, o.label.as_str(), &bold)?;
        }
        row += 1;
        for (village, counts) in &q.by_village {
            ws.write(row, 0, village.as_str())?;
            for (c, n) in counts.iter().enumerate() {
                match n {
                    Some(n) => ws.write(row, c as u16 + 1, *n as f64)?,
                    None => ws.write(row, c as u16 + 1, "ít hơn 5")?,
                };
            }
            row += 1;
        }
        row += 1;
    }
    ws.set_column_width(0, 30)?;

    let ws = wb.add_worksheet().set_name("Ý kiến")?;
    ws.write_with_format(0, 0, "Câu hỏi", &bold)?;
    ws.write_with_format(0, 1, "Ý kiến", &bold)?;
    let mut row = 1;
    for q in &r.questions {
        for t in &q.texts {
            ws.write(row, 0, q.text.as_str())?;
            ws.write(row, 1, t.as_str())?;
            row += 1;
        }
    }
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 80)?;
    wb.save_to_buffer()
}
