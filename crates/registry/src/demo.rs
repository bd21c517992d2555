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
    infrastructure(db, commune, &area, &villages).await
}

/// Wifi points at the villages' cultural houses, cameras (one broken), waste-water sources,
/// coverage per village, and two sensors with a week of hourly readings (no alert: the
/// river rose after rain and is falling again).
async fn infrastructure(
    db: &DatabaseConnection,
    commune: &CommuneInfo,
    area: &kernel::tenancy::area::Area,
    villages: &[kernel::tenancy::village::Model],
) -> anyhow::Result<()> {
    use crate::entity::{coverage, point, sensor};
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    let centre = |id: i64| {
        area.villages
            .iter()
            .find(|(v, _)| *v == id)
            .and_then(|(_, g)| extent(g))
            .map(|(s, w, n, e)| ((s + n) / 2.0, (w + e) / 2.0))
            .unwrap_or((19.32, 105.18))
    };
    let add = |kind: &str,
               name: String,
               (lat, lon): (f64, f64),
               status: &str,
               note: &str,
               village: i64| point::ActiveModel {
        commune_code: Set(commune.code.clone()),
        kind: Set(kind.into()),
        name: Set(name),
        village_id: Set(Some(village)),
        lat: Set(lat),
        lon: Set(lon),
        status: Set(status.into()),
        note: Set(note.into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    for (i, v) in villages.iter().enumerate() {
        let (lat, lon) = centre(v.id);
        add(
            "wifi",
            format!("Wifi nhà văn hóa {}", v.name),
            (lat + 0.002, lon),
            "working",
            "Miễn phí, 7 giờ – 22 giờ",
            v.id,
        )
        .insert(db)
        .await?;
        if i < 5 {
            let status = if i == 3 { "broken" } else { "working" };
            add(
                "camera",
                format!("Camera ngã ba {}", v.name),
                (lat - 0.003, lon + 0.004),
                status,
                "An ninh trật tự, giám sát giao thông",
                v.id,
            )
            .insert(db)
            .await?;
        }
        if i < 3 {
            add(
                "wastewater",
                format!("Cống xả trại chăn nuôi {}", v.name),
                (lat - 0.006, lon - 0.005),
                "working",
                "Đổ vào kênh tưới tiêu; chưa qua xử lý",
                v.id,
            )
            .insert(db)
            .await?;
        }
        coverage::ActiveModel {
            commune_code: Set(commune.code.clone()),
            village_id: Set(v.id),
            mobile: Set(if i < 4 { "full" } else { "partial" }.into()),
            fibre: Set(i != 5),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let spot = centre(villages[0].id);
    let mut sensors = vec![];
    for (device, name, kind, above) in [
        (
            "song-lam-01",
            "Mực nước sông Lam, bến đò Minh Tiến",
            "water_level",
            Some(4.5),
        ),
        (
            "mua-01",
            "Lượng mưa, trụ sở UBND xã",
            "rainfall",
            Some(80.0),
        ),
    ] {
        let s = sensor::ActiveModel {
            commune_code: Set(commune.code.clone()),
            device: Set(device.into()),
            name: Set(name.into()),
            kind: Set(kind.into()),
            village_id: Set(Some(villages[0].id)),
            lat: Set(spot.0 + 0.004 * sensors.len() as f64),
            lon: Set(spot.1 - 0.006),
            alert_above: Set(above),
            alert_below: Set(None),
            token_hash: Set(hex_token()),
            silent_after_min: Set(120),
            last_value: Set(None),
            last_at: Set(None),
            state: Set("new".into()),
            created_at: Set(now - chrono::Duration::days(8)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        sensors.push(s);
    }
    // A week of hourly readings: rain on days 3 and 4, the river a day behind it.
    let mut level = vec![];
    let mut rain = vec![];
    for h in (0..7 * 24).rev() {
        let at = now - chrono::Duration::hours(h);
        let t = (7 * 24 - h) as f64;
        let storm = (-((t - 80.0) / 14.0).powi(2)).exp();
        let flood = (-((t - 100.0) / 20.0).powi(2)).exp();
        rain.push(crate::sensors::Reading {
            at,
            value: (storm * 12.0 * 10.0).round() / 10.0,
        });
        level.push(crate::sensors::Reading {
            at,
            value: ((1.8 + 2.2 * flood + 0.05 * (t / 6.0).sin()) * 100.0).round() / 100.0,
        });
    }
    use crate::actions::sensors::{Arrival, ingest};
    ingest(
        db,
        vec![
            Arrival {
                commune: commune.code.clone(),
                device: "song-lam-01".into(),
                readings: level,
            },
            Arrival {
                commune: commune.code.clone(),
                device: "mua-01".into(),
                readings: rain,
            },
        ],
    )
    .await
    .map_err(|f| anyhow::anyhow!("{:?}", kernel::error::AppError::from(f)))?;
    Ok(())
}

/// A token nobody knows: the demo's sensors take readings only from the demo itself.
fn hex_token() -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        kernel::accounts::random_token(24).as_bytes(),
    ))
}
