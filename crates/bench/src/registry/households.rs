//! Synthetic households of the demo commune as the import template's CSV: Vietnamese names with
//! their accents (Kinh surnames at their national frequencies, Thái ones in the "Bản" villages),
//! the demo's villages with pins inside each one's block of its map, 12-digit national IDs and
//! 10-digit phones; the same rows every run.

use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::load::SplitMix64;

/// The template's columns (`xaso import households --template`), in the order rows are written.
pub const FIELDS: &str = "household_code,village,head_name,head_birth_year,head_sex,head_national_id,members,address,phone,ethnicity,poverty,lat,lon,internet,smartphones,computer,online_payment,ecommerce,health_app,clean_energy,waste_sorting,wastewater_treated";

/// The demo commune's villages in the order the demo makes them: village `i` is block
/// `(i / 3, i % 3)` of the 2 × 3 grid its map area is cut into (crates/xaso/src/demo.rs).
pub const VILLAGES: [&str; 6] = [
    "Thôn Minh Tiến",
    "Thôn Minh Thành",
    "Thôn Minh Quang",
    "Thôn Minh Hòa",
    "Bản Hợp Thành",
    "Bản Hợp Tiến",
];
/// South, west, north, east of the demo's map area.
const AREA: (f64, f64, f64, f64) = (19.275, 105.125, 19.365, 105.235);
/// Pins keep this fraction of a block's side off its edges: 19.28–19.36 N, 105.13–105.23 E.
const MARGIN: f64 = 0.15;

/// Kinh surnames and their share in thousandths (the national census' order).
const KINH: &[(&str, u64)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Phan", 45),
    ("Vũ", 40),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Đinh", 10),
    ("Cao", 8),
    ("Lý", 5),
    ("Thái", 5),
];
/// Surnames of the Thái of western Nghệ An, with some Kinh neighbours.
const THAI: &[(&str, u64)] = &[
    ("Lô", 20),
    ("Vi", 18),
    ("Lương", 15),
    ("Sầm", 8),
    ("Quang", 8),
    ("Lang", 7),
    ("Hà", 7),
    ("Cầm", 5),
    ("Kha", 4),
    ("Nguyễn", 8),
];
const MIDDLE_M: &[&str] = &[
    "Văn", "Văn", "Văn", "Đức", "Hữu", "Xuân", "Đình", "Minh", "Quang", "Công", "Thanh",
];
const MIDDLE_F: &[&str] = &["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Hồng"];
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Hưng", "Khánh", "Kiên", "Lâm",
    "Long", "Lực", "Minh", "Nam", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Thông",
    "Tiến", "Toàn", "Trung", "Tuấn", "Việt", "Vinh",
];
const GIVEN_F: &[&str] = &[
    "Dung", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai",
    "Nga", "Nhung", "Oanh", "Phương", "Tâm", "Thảo", "Thủy", "Trang", "Vân", "Yến",
];

/// The code of household `i` (0-based): `MH-0000001` …, beside the demo's `MH-0001` ….
pub fn code(i: u64) -> String {
    format!("MH-{:07}", i + 1)
}

fn pick<'a>(r: &mut SplitMix64, v: &[&'a str]) -> &'a str {
    v[(r.next() % v.len() as u64) as usize]
}

fn weighted<'a>(r: &mut SplitMix64, v: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = v.iter().map(|(_, w)| w).sum();
    let mut k = r.next() % total;
    for (s, w) in v {
        if k < *w {
            return s;
        }
        k -= w;
    }
    v[0].0
}

fn chance(r: &mut SplitMix64, percent: u64) -> bool {
    r.next() % 100 < percent
}

fn unit(r: &mut SplitMix64) -> f64 {
    (r.next() % 1_000_000) as f64 / 1_000_000.0
}

fn yes(r: &mut SplitMix64, percent: u64) -> &'static str {
    if chance(r, percent) { "có" } else { "không" }
}

/// Household `i` as one CSV line of [`FIELDS`], newline included, appended to `out`.
pub fn row(i: u64, out: &mut String) {
    use std::fmt::Write as _;
    let mut r = SplitMix64(i ^ 0x1707_1000);
    let v = (r.next() % VILLAGES.len() as u64) as usize;
    let village = VILLAGES[v];
    let thai = village.starts_with("Bản");
    let family = weighted(&mut r, if thai { THAI } else { KINH });
    let female = chance(&mut r, 25);
    let head = if female {
        format!(
            "{family} {} {}",
            pick(&mut r, MIDDLE_F),
            pick(&mut r, GIVEN_F)
        )
    } else {
        format!(
            "{family} {} {}",
            pick(&mut r, MIDDLE_M),
            pick(&mut r, GIVEN_M)
        )
    };
    let born = 1940 + r.next() % 65;
    // CCCD: province (040, Nghệ An), century and sex, year of birth, six digits.
    let century_sex = u64::from(female) + if born >= 2000 { 2 } else { 0 };
    let national_id = format!(
        "040{century_sex}{:02}{:06}",
        born % 100,
        (i * 7919 + 104_729) % 1_000_000
    );
    let (s, w, n, e) = AREA;
    let (dh, dw) = ((n - s) / 2.0, (e - w) / 3.0);
    let (row_of, col_of) = ((v / 3) as f64, (v % 3) as f64);
    let lat = s + dh * (row_of + MARGIN + (1.0 - 2.0 * MARGIN) * unit(&mut r));
    let lon = w + dw * (col_of + MARGIN + (1.0 - 2.0 * MARGIN) * unit(&mut r));
    let poverty = match r.next() % 100 {
        0..=5 => "poor",
        6..=12 => "near_poor",
        _ => "none",
    };
    let internet = match r.next() % 100 {
        0..=54 => "fibre",
        55..=84 => "mobile",
        _ => "none",
    };
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{},{village},{head},{born},{},{national_id},{},\"Xóm {}, {village}\",09{:08},{},{poverty},{lat:.6},{lon:.6},{internet},{}",
        code(i),
        if female { "nữ" } else { "nam" },
        1 + r.next() % 8,
        1 + r.next() % 9,
        r.next() % 100_000_000,
        if thai { "Thái" } else { "Kinh" },
        r.next() % 5,
    );
    for percent in [30, 62, 25, 48, 20, 55, 35] {
        out.push(',');
        out.push_str(yes(&mut r, percent));
    }
    out.push('\n');
}

/// Writes households `0..n` under the template's `header` (which must be [`FIELDS`]: a
/// column the template gained or lost would make every row wrong).
pub fn write(path: &Path, header: &str, n: u64) -> Result<u64> {
    ensure!(
        header.trim() == FIELDS,
        "`xaso import households --template` printed {header:?}; the bench writes {FIELDS:?}"
    );
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{FIELDS}")?;
    let mut line = String::with_capacity(256);
    for i in 0..n {
        line.clear();
        row(i, &mut line);
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fill_every_column_the_way_the_import_reads_them() {
        let mut line = String::new();
        for i in 0..2000 {
            line.clear();
            row(i, &mut line);
            // The address is the only quoted cell, with one comma inside.
            let (before, rest) = line.split_once(",\"").unwrap();
            let (address, after) = rest.split_once("\",").unwrap();
            let cells: Vec<&str> = before
                .split(',')
                .chain([address])
                .chain(after.trim_end().split(','))
                .collect();
            assert_eq!(cells.len(), FIELDS.split(',').count(), "{line}");
            assert_eq!(cells[0], code(i));
            assert!(VILLAGES.contains(&cells[1]));
            assert!(cells[2].split(' ').count() == 3);
            let id = cells[5];
            assert!(
                id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
            let phone = cells[8];
            assert!(phone.len() == 10 && phone.starts_with("09"), "{phone}");
            let lat: f64 = cells[11].parse().unwrap();
            let lon: f64 = cells[12].parse().unwrap();
            assert!((19.28..=19.36).contains(&lat), "{lat}");
            assert!((105.13..=105.23).contains(&lon), "{lon}");
            assert!(["fibre", "mobile", "none"].contains(&cells[13]));
            assert!(cells[15..].iter().all(|c| ["có", "không"].contains(c)));
        }
    }

    #[test]
    fn surnames_follow_their_weights_and_rows_repeat() {
        let mut line = String::new();
        let nguyen = (0..10_000)
            .filter(|&i| {
                line.clear();
                row(i, &mut line);
                line.split(',').nth(2).unwrap().starts_with("Nguyễn ")
            })
            .count();
        // 38% of the four Kinh villages, 8/100 of the two Thái ones: about 27%.
        assert!((2300..3100).contains(&nguyen), "{nguyen}");
        let (mut a, mut b) = (String::new(), String::new());
        row(42, &mut a);
        row(42, &mut b);
        assert_eq!(a, b);
        assert_eq!(code(0), "MH-0000001");
    }
}
