//! The demo commune's register: a few hundred households spread over its villages, with
//! pins inside each village's shape, members, attributes observed today and a year ago, so
//! every page and map layer shows something real. Written through the import engine, as an
//! office's spreadsheet would be.

use std::sync::Arc;

use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use crate::actions::import::{self, Job};
use crate::model::{Facts, Internet, Member, NationalId};
use crate::sheet::Input;
use crate::store::{self, Observation};

/// Households in the demo commune.
pub const HOUSEHOLDS: usize = 300;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vi", "Lô", "Lương", "Đặng", "Hồ",
];
const MIDDLE_M: &[&str] = &["Văn", "Đức", "Hữu", "Xuân", "Đình"];
const MIDDLE_F: &[&str] = &["Thị", "Thị", "Ngọc", "Thu"];
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phúc", "Sơn", "Tuấn",
];
const GIVEN_F: &[&str] = &[
    "Hà", "Hoa", "Lan", "Mai", "Nga", "Oanh", "Phương", "Thảo", "Trang", "Vân",
];

/// A small deterministic generator: the same demo every time.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 10_000) as f64 / 10_000.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

fn name(d: &mut Draw, female: bool, family: &str) -> String {
    if female {
        format!("{family} {} {}", d.pick(MIDDLE_F), d.pick(GIVEN_F))
    } else {
        format!("{family} {} {}", d.pick(MIDDLE_M), d.pick(GIVEN_M))
    }
}

/// South, west, north, east of a village shape's outer ring.
fn extent(geometry: &str) -> Option<(f64, f64, f64, f64)> {
    let b = kernel::tenancy::area::bounds(geometry)?;
    let v: Vec<f64> = b.split(',').filter_map(|x| x.parse().ok()).collect();
    (v.len() == 4).then(|| (v[0], v[1], v[2], v[3]))
}

/// Seeds the register of `commune` (the demo's), once.
pub async fn seed(db: &DatabaseConnection, commune: &CommuneInfo) -> anyhow::Result<()> {
    let e = |e: kernel::error::AppError| anyhow::anyhow!("{e}");
    if store::count(db, &commune.code).await? > 0 {
        return Ok(());
    }
    let secret = kernel::web::load_or_create_secret(db).await?;
    let villages = kernel::tenancy::villages(db, &commune.code)
        .await
        .map_err(e)?;
    let area = kernel::tenancy::area::area(db, &commune.code)
        .await
        .map_err(e)?;
    if villages.is_empty() {
        return Ok(());
    }
    let mut d = Draw(17071);
    let mut csv = String::from(
        "household_code,village,head_name,head_birth_year,head_sex,head_national_id,members,address,phone,ethnicity,poverty,lat,lon,internet,smartphones,computer,online_payment,ecommerce,health_app,clean_energy,waste_sorting,wastewater_treated\n",
    );
    let yes = |d: &mut Draw, p| if d.chance(p) { "có" } else { "không" };
    for i in 0..HOUSEHOLDS {
        let v = &villages[i % villages.len()];
        let shape = area
            .villages
            .iter()
            .find(|(id, _)| *id == v.id)
            .and_then(|(_, g)| extent(g));
        let (lat, lon) = match shape {
            // Inside the village's block, off its edges.
            Some((s, w, n, east)) => (
                s + (n - s) * (0.1 + 0.8 * d.unit()),
                w + (east - w) * (0.1 + 0.8 * d.unit()),
            ),
            None => (19.32, 105.18),
        };
        let family = d.pick(FAMILY);
        let female = d.chance(25);
        let head = name(&mut d, female, family);
        let born = 1945 + d.below(55);
        let members = 1 + d.below(6);
        let ethnicity = if v.name.starts_with("Bản") {
            "Thái"
        } else {
            "Kinh"
        };
        let poverty = match d.below(100) {
            0..=5 => "poor",
            6..=12 => "near_poor",
            _ => "none",
        };
        let internet = match d.below(100) {
            0..=54 => "fibre",
            55..=84 => "mobile",
            _ => "none",
        };
        let id = format!("0400{:02}{:06}", born % 100, 100_000 + i);
        let phone = format!("09{:08}", 12_300_000 + i * 7);
        csv.push_str(&format!(
            "MH-{:04},{},{},{},{},{},{},\"Xóm {}, {}\",{},{},{},{:.6},{:.6},{},{},{},{},{},{},{},{},{}\n",
            i + 1,
            v.name,
            head,
            born,
            if female { "nữ" } else { "nam" },
            id,
            members,
            1 + d.below(9),
            v.name,
            phone,
            ethnicity,
            poverty,
            lat,
            lon,
            internet,
            d.below(4),
            yes(&mut d, 30),
            yes(&mut d, 62),
            yes(&mut d, 25),
            yes(&mut d, 48),
            yes(&mut d, 20),
            yes(&mut d, 55),
            yes(&mut d, 35),
        ));
    }
    let mut quiet = |_: u64, _: u64| {};
    let report = import::run(
        db,
        &secret,
        &commune.code,
        Job {
            input: Input::Bytes(Arc::new(csv.into_bytes())),
            apply: true,
            locale: kernel::i18n::Locale::Vi,
            mapping: Default::default(),
            progress: &mut quiet,
            recorded_by: None,
        },
    )
    .await
    .map_err(|f| anyhow::anyhow!("{:?}", kernel::error::AppError::from(f)))?;
    anyhow::ensure!(
        report.refused == 0 && report.file.is_none(),
        "demo households refused: {:?}",
        report.faults.first()
    );
    // Members, and last year's survey for the first households: a history to show.
    let codes: Vec<String> = (1..=60).map(|i| format!("MH-{i:04}")).collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let rows = store::by_codes(db, &commune.code, &refs).await?;
    let last_year = kernel::time::vn_today() - chrono::Duration::days(365);
    let then = Facts {
        internet: Some(Internet::Mobile),
        smartphones: Some(1),
        online_payment: Some(false),
        ..Facts::default()
    };
    let mut history = vec![];
    for code in &codes {
        let Some(h) = rows.get(code) else { continue };
        let family = h.head_name.split(' ').next().unwrap_or("Nguyễn").to_owned();
        let spouse_female = h.head_sex.as_deref() != Some("f");
        let born = h.head_birth_year.unwrap_or(1970);
        let spouse_family = d.pick(FAMILY);
        let spouse = Member {
            name: name(&mut d, spouse_female, spouse_family),
            birth_year: Some(born + 2),
            sex: Some(if spouse_female { "f" } else { "m" }),
            relation: "spouse",
            id: NationalId::keep(&secret, &format!("0401{:08}", h.id)),
        };
        store::add_member(db, &commune.code, h.id, &spouse).await?;
        for k in 1..h.members.saturating_sub(1).min(3) {
            let female = d.chance(50);
            let child = Member {
                name: name(&mut d, female, &family),
                birth_year: Some(born + 22 + k),
                sex: Some(if female { "f" } else { "m" }),
                relation: "child",
                id: None,
            };
            store::add_member(db, &commune.code, h.id, &child).await?;
        }
        history.push(h.id);
    }
    let obs: Vec<Observation> = history
        .iter()
        .map(|id| Observation {
            household_id: *id,
            facts: &then,
            observed_on: last_year,
        })
        .collect();
    store::observe(db, &commune.code, &obs, "survey", None).await?;
    Ok(())
}
