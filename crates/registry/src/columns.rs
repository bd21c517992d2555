//! A spreadsheet's columns and rows read as household records: headers matched to the
//! register's fields (the template's names, the Vietnamese headers offices use, or a mapping
//! the commune saved), and each row checked into a [`Household`] or the faults of its cells.

use std::collections::HashMap;

use kernel::tenancy::area::{Area, Shape};
use kernel::text::fold_vi;

use crate::model::{
    self, Facts, Household, Internet, MEMBERS, NationalId, Poverty, SMARTPHONES, YES_NO,
};

/// The register's fields, in the template's order. `household_code` and `head_name` are
/// required; the rest may be left out.
pub const FIELDS: &[&str] = &[
    "household_code",
    "village",
    "head_name",
    "head_birth_year",
    "head_sex",
    "head_national_id",
    "members",
    "address",
    "phone",
    "ethnicity",
    "poverty",
    "lat",
    "lon",
    "internet",
    "smartphones",
    "computer",
    "online_payment",
    "ecommerce",
    "health_app",
    "clean_energy",
    "waste_sorting",
    "wastewater_treated",
];

pub const REQUIRED: &[&str] = &["household_code", "head_name"];

/// The CSV header of the import template.
pub fn template() -> String {
    FIELDS.join(",")
}

/// Headers offices write, folded, and the field each means.
const ALIASES: &[(&str, &str)] = &[
    ("ma ho", "household_code"),
    ("ma ho gia dinh", "household_code"),
    ("so ho", "household_code"),
    ("thon", "village"),
    ("thon ban", "village"),
    ("thon xom", "village"),
    ("ban", "village"),
    ("ap", "village"),
    ("chu ho", "head_name"),
    ("ho ten chu ho", "head_name"),
    ("ho va ten chu ho", "head_name"),
    ("nam sinh", "head_birth_year"),
    ("nam sinh chu ho", "head_birth_year"),
    ("gioi tinh", "head_sex"),
    ("cccd", "head_national_id"),
    ("so cccd", "head_national_id"),
    ("cccd chu ho", "head_national_id"),
    ("so nhan khau", "members"),
    ("nhan khau", "members"),
    ("so thanh vien", "members"),
    ("dia chi", "address"),
    ("dien thoai", "phone"),
    ("so dien thoai", "phone"),
    ("sdt", "phone"),
    ("dan toc", "ethnicity"),
    ("ho ngheo", "poverty"),
    ("phan loai ho", "poverty"),
    ("ngheo can ngheo", "poverty"),
    ("vi do", "lat"),
    ("kinh do", "lon"),
    ("internet", "internet"),
    ("ket noi internet", "internet"),
    ("dien thoai thong minh", "smartphones"),
    ("so dien thoai thong minh", "smartphones"),
    ("smartphone", "smartphones"),
    ("may tinh", "computer"),
    ("thanh toan truc tuyen", "online_payment"),
    ("thanh toan khong dung tien mat", "online_payment"),
    ("thuong mai dien tu", "ecommerce"),
    ("tai khoan thuong mai dien tu", "ecommerce"),
    ("ung dung y te", "health_app"),
    ("so suc khoe dien tu", "health_app"),
    ("nang luong sach", "clean_energy"),
    ("nang luong tai tao", "clean_energy"),
    ("phan loai rac", "waste_sorting"),
    ("xu ly nuoc thai", "wastewater_treated"),
];

/// What is wrong with a file's header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderFault {
    /// Headers that name no field (as written).
    Unknown(Vec<String>),
    /// Required fields with no column.
    Missing(Vec<&'static str>),
    /// Two columns for one field.
    Twice(&'static str),
}

/// What a saved mapping says of a column the register has no use for: leave it out.
pub const IGNORE: &str = "ignore";

/// The field of one header: the commune's saved mapping first, then the template's name,
/// then the offices' Vietnamese headers. `saved` maps folded headers to field names.
pub fn field_of(header: &str, saved: &HashMap<String, String>) -> Option<&'static str> {
    let folded = fold_vi(header);
    let as_field = folded.replace(' ', "_");
    if let Some(f) = saved.get(&folded) {
        if f == IGNORE {
            return Some("");
        }
        return FIELDS.iter().copied().find(|x| x == f);
    }
    FIELDS
        .iter()
        .copied()
        .find(|f| *f == as_field)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == folded).map(|(_, f)| *f))
}

/// Each column's field, or why the header cannot be used.
pub fn map_header(
    header: &[String],
    saved: &HashMap<String, String>,
) -> Result<Vec<&'static str>, HeaderFault> {
    let mut out = Vec::with_capacity(header.len());
    let mut unknown = vec![];
    for h in header {
        match field_of(h, saved) {
            Some(f) if !f.is_empty() && out.contains(&f) => return Err(HeaderFault::Twice(f)),
            Some(f) => out.push(f),
            None if h.trim().is_empty() => out.push(""),
            None => unknown.push(h.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(HeaderFault::Unknown(unknown));
    }
    let missing: Vec<&'static str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| !out.contains(f))
        .collect();
    if !missing.is_empty() {
        return Err(HeaderFault::Missing(missing));
    }
    Ok(out)
}

/// One cell's fault: the column (field name) and the refusal code.
pub type Fault = (&'static str, &'static str);

/// What a row is checked against: the commune's villages and map area, the year, and the
/// server secret the national IDs are hashed under.
pub struct RowRules {
    /// Folded village name → id (with and without its "thôn"/"bản" word).
    pub villages: HashMap<String, i64>,
    /// The commune's boundary and village shapes, read once for every row.
    boundary: Option<Shape>,
    shapes: Vec<(i64, Shape)>,
    pub this_year: i32,
    pub secret: Vec<u8>,
}

/// Vietnam's extent, for a commune that has drawn no boundary yet.
const VIETNAM: (f64, f64, f64, f64) = (8.1, 102.1, 23.4, 109.5);

impl RowRules {
    pub fn new(villages: &[(i64, String)], area: Area, this_year: i32, secret: &[u8]) -> Self {
        let mut map = HashMap::new();
        for (id, name) in villages {
            let f = fold_vi(name);
            for prefix in ["thon ", "ban ", "xom ", "ap ", "to dan pho ", "lang "] {
                if let Some(short) = f.strip_prefix(prefix) {
                    map.entry(short.to_owned()).or_insert(*id);
                }
            }
            map.insert(f, *id);
        }
        RowRules {
            villages: map,
            boundary: area.boundary.as_deref().and_then(Shape::parse),
            shapes: area
                .villages
                .iter()
                .filter_map(|(id, g)| Some((*id, Shape::parse(g)?)))
                .collect(),
            this_year,
            secret: secret.to_vec(),
        }
    }

    /// Whether a pin lies in the commune: inside its boundary when drawn, else inside one of
    /// its village shapes, else at least in Vietnam.
    pub fn inside(&self, lat: f64, lon: f64) -> bool {
        if let Some(b) = &self.boundary {
            return b.contains(lat, lon);
        }
        if !self.shapes.is_empty() {
            return self.village_at(lat, lon).is_some();
        }
        let (s, w, n, e) = VIETNAM;
        (s..=n).contains(&lat) && (w..=e).contains(&lon)
    }

    /// The village whose shape holds the point, if any.
    fn village_at(&self, lat: f64, lon: f64) -> Option<i64> {
        self.shapes
            .iter()
            .find(|(_, s)| s.contains(lat, lon))
            .map(|(id, _)| *id)
    }

    /// Checks one row (cells in the columns' order) into a household, or lists every fault.
    pub fn check(&self, cols: &[&'static str], cells: &[String]) -> Result<Household, Vec<Fault>> {
        let mut get: HashMap<&str, &str> = HashMap::with_capacity(cols.len());
        for (i, f) in cols.iter().enumerate() {
            if !f.is_empty() {
                get.insert(f, cells.get(i).map(String::as_str).unwrap_or_default());
            }
        }
        let cell = |f: &str| get.get(f).copied().unwrap_or_default();
        let mut faults: Vec<Fault> = vec![];
        let mut int = |f: &'static str, range: std::ops::RangeInclusive<i32>, code| {
            let s = cell(f);
            if s.is_empty() {
                return None;
            }
            match s.parse::<i32>() {
                Ok(v) if range.contains(&v) => Some(v),
                _ => {
                    faults.push((f, code));
                    None
                }
            }
        };
        let birth_year = int(
            "head_birth_year",
            1900..=self.this_year,
            "household_birth_year_invalid",
        );
        let members = int("members", MEMBERS, "household_members_invalid");
        let smartphones = int("smartphones", SMARTPHONES, "household_count_invalid");

        let code = cell("household_code");
        if !model::code_ok(code) {
            faults.push(("household_code", "household_code_invalid"));
        }
        let head = cell("head_name");
        if head.is_empty() || head.chars().count() > 120 {
            faults.push(("head_name", "household_head_invalid"));
        }
        let text = |f: &'static str, max: usize, faults: &mut Vec<Fault>| {
            let s = cell(f);
            if s.chars().count() > max {
                faults.push((f, "household_text_too_long"));
            }
            s.to_owned()
        };
        let address = text("address", 300, &mut faults);
        let ethnicity = text("ethnicity", 60, &mut faults);
        let sex = match cell("head_sex") {
            "" => None,
            s => {
                let v = model::parse_sex(s);
                if v.is_none() {
                    faults.push(("head_sex", "household_sex_invalid"));
                }
                v
            }
        };
        let head_id = match cell("head_national_id") {
            "" => None,
            s => {
                let v = NationalId::keep(&self.secret, s);
                if v.is_none() {
                    faults.push(("head_national_id", "household_national_id_invalid"));
                }
                v
            }
        };
        let phone = match cell("phone") {
            "" => None,
            s => {
                let v = model::phone(s);
                if v.is_none() {
                    faults.push(("phone", "household_phone_invalid"));
                }
                v
            }
        };
        let poverty = Poverty::parse(cell("poverty")).unwrap_or_else(|| {
            faults.push(("poverty", "household_poverty_invalid"));
            Poverty::None
        });
        let location = match (cell("lat"), cell("lon")) {
            ("", "") => None,
            (la, lo) => match (la.replace(',', ".").parse(), lo.replace(',', ".").parse()) {
                (Ok(lat), Ok(lon)) if self.inside(lat, lon) => Some((lat, lon)),
                (Ok::<f64, _>(_), Ok::<f64, _>(_)) => {
                    faults.push(("lat", "household_location_outside"));
                    None
                }
                _ => {
                    faults.push(("lat", "household_location_invalid"));
                    None
                }
            },
        };
        let village_id = match cell("village") {
            "" => location.and_then(|(lat, lon)| self.village_at(lat, lon)),
            v => {
                let id = self.villages.get(&fold_vi(v)).copied();
                if id.is_none() {
                    faults.push(("village", "household_village_unknown"));
                }
                id
            }
        };
        let mut facts = Facts {
            smartphones,
            ..Facts::default()
        };
        match cell("internet") {
            "" => {}
            s => match Internet::parse(s) {
                Some(v) => facts.internet = Some(v),
                None => faults.push(("internet", "household_internet_invalid")),
            },
        }
        for f in YES_NO {
            let s = cell(f);
            if s.is_empty() {
                continue;
            }
            match model::parse_yes_no(s) {
                Some(v) => facts.set_yes_no(f, v),
                None => faults.push((f, "household_yes_no_invalid")),
            }
        }
        if !faults.is_empty() {
            return Err(faults);
        }
        Ok(Household {
            code: code.to_owned(),
            village_id,
            head_name: head.to_owned(),
            head_birth_year: birth_year,
            head_sex: sex,
            head_id,
            members: members.unwrap_or(1),
            address,
            phone,
            ethnicity: (!ethnicity.is_empty()).then_some(ethnicity),
            poverty,
            location,
            facts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::tenancy::area::rectangle;

    fn rules() -> RowRules {
        let area = Area {
            boundary: Some(rectangle(19.0, 105.0, 19.5, 105.5)),
            villages: vec![(7, rectangle(19.0, 105.0, 19.5, 105.5))],
        };
        RowRules::new(&[(7, "Thôn Minh Tiến".into())], area, 2026, b"k")
    }

    fn row(pairs: &[(&'static str, &str)]) -> (Vec<&'static str>, Vec<String>) {
        (
            pairs.iter().map(|(f, _)| *f).collect(),
            pairs.iter().map(|(_, v)| v.to_string()).collect(),
        )
    }

    #[test]
    fn a_saved_mapping_names_or_leaves_out_columns() {
        let saved = HashMap::from([
            ("ten chu ho gia dinh".to_owned(), "head_name".to_owned()),
            ("ghi chu".to_owned(), IGNORE.to_owned()),
            ("ghi chu 2".to_owned(), IGNORE.to_owned()),
        ]);
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cols = map_header(
            &h(&["Mã hộ", "Tên chủ hộ gia đình", "Ghi chú", "Ghi chú 2"]),
            &saved,
        )
        .ok()
        .unwrap();
        assert_eq!(cols, ["household_code", "head_name", "", ""]);
        assert!(matches!(
            map_header(&h(&["Mã hộ", "Tên chủ hộ gia đình", "Ghi chú khác"]), &saved),
            Err(HeaderFault::Unknown(v)) if v == ["Ghi chú khác"]
        ));
    }

    #[test]
    fn headers_are_matched_in_vietnamese_or_refused() {
        let saved = HashMap::from([("so ho khau".to_owned(), "household_code".to_owned())]);
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            map_header(
                &h(&["Số hộ khẩu", "Họ tên chủ hộ", "Thôn", "Vĩ độ"]),
                &saved
            ),
            Ok(vec!["household_code", "head_name", "village", "lat"])
        );
        assert_eq!(
            map_header(&h(&["household_code", "head_name", "màu mắt"]), &saved),
            Err(HeaderFault::Unknown(vec!["màu mắt".into()]))
        );
        assert_eq!(
            map_header(&h(&["household_code"]), &saved),
            Err(HeaderFault::Missing(vec!["head_name"]))
        );
        assert_eq!(
            map_header(&h(&["Mã hộ", "household_code", "head_name"]), &saved),
            Err(HeaderFault::Twice("household_code"))
        );
        assert!(template().starts_with("household_code,village,head_name,head_birth_year"));
    }

    #[test]
    fn a_good_row_becomes_a_household() {
        let (cols, cells) = row(&[
            ("household_code", "MH-1"),
            ("village", "minh tien"),
            ("head_name", "Nguyễn Văn A"),
            ("head_birth_year", "1970"),
            ("members", "4"),
            ("lat", "19,3"),
            ("lon", "105.2"),
            ("internet", "Cáp quang"),
            ("smartphones", "2"),
            ("computer", "không"),
            ("head_national_id", "040123456789"),
        ]);
        let h = rules().check(&cols, &cells).unwrap();
        assert_eq!(h.village_id, Some(7));
        assert_eq!(h.location, Some((19.3, 105.2)));
        assert_eq!(h.facts.internet, Some(Internet::Fibre));
        assert_eq!(h.facts.smartphones, Some(2));
        assert_eq!(h.facts.computer, Some(false));
        assert_eq!(h.head_id.as_ref().unwrap().last4, "6789");
        assert!(h.search_folded().contains("nguyen van a"));
    }

    #[test]
    fn impossible_values_are_refused_cell_by_cell() {
        let (cols, cells) = row(&[
            ("household_code", "MH 1"),
            ("village", "Thôn Không Có"),
            ("head_name", ""),
            ("head_birth_year", "2090"),
            ("members", "-2"),
            ("lat", "21.0"),
            ("lon", "105.8"),
            ("internet", "adsl"),
            ("computer", "có lẽ"),
        ]);
        let faults = rules().check(&cols, &cells).unwrap_err();
        for f in [
            ("household_code", "household_code_invalid"),
            ("village", "household_village_unknown"),
            ("head_name", "household_head_invalid"),
            ("head_birth_year", "household_birth_year_invalid"),
            ("members", "household_members_invalid"),
            ("lat", "household_location_outside"),
            ("internet", "household_internet_invalid"),
            ("computer", "household_yes_no_invalid"),
        ] {
            assert!(faults.contains(&f), "{f:?} in {faults:?}");
        }
    }
}
