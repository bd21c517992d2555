//! The demo commune: Xã Minh Hợp, Nghệ An (17071), a commune named in the 2023 programme
//! documents that still exists after the 2025 reform, with villages, officials and residents.

use kernel::accounts::{self, Grant, NewUser, Role};
use kernel::room::DemoCast;
use kernel::tenancy;
use sea_orm::DatabaseConnection;

pub const DEMO_COMMUNE: &str = "17071";

const VILLAGES: &[(&str, &str)] = &[
    ("Thôn Minh Tiến", "thon"),
    ("Thôn Minh Thành", "thon"),
    ("Thôn Minh Quang", "thon"),
    ("Thôn Minh Hòa", "thon"),
    ("Bản Hợp Thành", "ban"),
    ("Bản Hợp Tiến", "ban"),
];

/// (phone, name, role, department)
const PEOPLE: &[(&str, &str, Role, Option<&str>)] = &[
    ("0912000000", "Quản trị hệ thống", Role::SystemAdmin, None),
    (
        "0912000001",
        "Nguyễn Văn An",
        Role::CommuneAdmin,
        Some("Văn phòng - Thống kê"),
    ),
    (
        "0912000002",
        "Trần Thị Bình",
        Role::Leader,
        Some("Chủ tịch UBND xã"),
    ),
    (
        "0912000003",
        "Lê Văn Cường",
        Role::Official,
        Some("Tư pháp - Hộ tịch"),
    ),
    ("0912000004", "Phạm Thị Dung", Role::VillageHead, None),
    ("0912000011", "Hoàng Văn Em", Role::Citizen, None),
    ("0912000012", "Vi Thị Phương", Role::Citizen, None),
];

/// The demo commune's map area: a simple boundary inside its feedback area
/// (19.27–19.37 N, 105.12–105.24 E) and its villages as a grid of blocks within it, so maps
/// without tiles draw labelled shapes and a tap finds its village.
async fn demo_area(db: &DatabaseConnection, code: &str, villages: &[i64]) -> anyhow::Result<()> {
    use tenancy::area;
    let e = |e: kernel::error::AppError| anyhow::anyhow!("{e}");
    let (s, w, n, east) = (19.275, 105.125, 19.365, 105.235);
    let boundary = serde_json::json!({"type": "Polygon", "coordinates": [[
        [w, s], [105.18, s - 0.003], [east, s], [east + 0.003, 19.32], [east, n],
        [105.18, n + 0.003], [w, n], [w - 0.003, 19.32], [w, s]
    ]]});
    area::set_boundary(
        db,
        code,
        Some(area::check(&boundary.to_string()).map_err(e)?),
    )
    .await
    .map_err(e)?;
    let rows = if villages.len() > 1 { 2 } else { 1 };
    let cols = villages.len().div_ceil(rows).max(1);
    let (dh, dw) = ((n - s) / rows as f64, (east - w) / cols as f64);
    for (i, id) in villages.iter().enumerate() {
        let (r, c) = ((i / cols) as f64, (i % cols) as f64);
        let shape = area::rectangle(
            s + r * dh,
            w + c * dw,
            s + (r + 1.0) * dh,
            w + (c + 1.0) * dw,
        );
        area::set_village(db, code, *id, Some(area::check(&shape).map_err(e)?))
            .await
            .map_err(e)?;
    }
    Ok(())
}

/// Seeds the demo commune when the database has no commune yet. Returns the accounts created
/// with their one-time passwords, to print once on the console.
pub async fn seed(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, String, String)>> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if tenancy::commune::Entity::find().count(db).await? > 0 {
        return Ok(vec![]);
    }
    let commune = tenancy::activate_commune(db, DEMO_COMMUNE)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tenancy::update_branding(
        db,
        &commune.code,
        "#0b6e4f",
        Some("Xã nông thôn mới thông minh, gần dân, vì dân".into()),
        None,
        Some(tenancy::Contacts {
            address: Some("Trụ sở UBND xã, thôn Đông, xã Minh Hợp".into()),
            phone: Some("0238 3 868 686".into()),
            email: Some("ubnd.minhhop@nghean.gov.vn".into()),
            hours: Some(
                "Thứ Hai – Thứ Sáu: 7 giờ 30 – 11 giờ 30, 13 giờ 30 – 17 giờ; sáng Thứ Bảy tiếp nhận hồ sơ"
                    .into(),
            ),
        }),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut village_ids = vec![];
    for (name, kind) in VILLAGES {
        village_ids.push(
            tenancy::create_village(db, &commune.code, name, kind)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .id,
        );
    }
    demo_area(db, &commune.code, &village_ids).await?;
    let mut created = vec![];
    let mut user_ids = vec![];
    for (i, (phone, name, role, dept)) in PEOPLE.iter().enumerate() {
        // Hex may have no digit (p ≈ 1/18,000), and a password needs one: the trailing 7 makes
        // every draw pass the strength rule (a flaky demo seed in tests before).
        let password = format!("Demo-{}7", accounts::random_token(5));
        let unit = if *role == Role::SystemAdmin {
            "VN".to_owned()
        } else {
            commune.code.clone()
        };
        let village_id = matches!(role, Role::Citizen | Role::VillageHead)
            .then(|| village_ids[i % village_ids.len()]);
        let grant = Grant {
            role: *role,
            unit_code: unit,
            village_id,
            department: dept.map(str::to_owned),
        };
        let new = NewUser {
            phone,
            password: &password,
            full_name: name,
            email: None,
            commune_code: &commune.code,
            village_id,
        };
        let u = accounts::create_user(db, new, &[grant], None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        user_ids.push(u.id);
        created.push((phone.to_string(), name.to_string(), password));
    }
    // Each room's demo data, made by and for these people.
    let role_of = |role: Role| {
        PEOPLE
            .iter()
            .position(|p| p.2 == role)
            .map(|i| user_ids[i])
            .ok_or_else(|| anyhow::anyhow!("the demo cast has no {}", role.as_str()))
    };
    let info = tenancy::CommuneCache::default();
    info.reload(db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let cast = DemoCast {
        commune: info
            .active(&commune.code)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        village_ids,
        citizen: role_of(Role::Citizen)?,
        official: role_of(Role::Official)?,
        leader: role_of(Role::Leader)?,
        admin: role_of(Role::CommuneAdmin)?,
    };
    for room in crate::rooms().iter() {
        room.demo(db, &cast).await?;
    }
    Ok(created)
}

/// One line of the console's list of demo accounts: phone, password, name and role in
/// Vietnamese and English, e.g.
/// `  0912000001   Demo-ab3cd       Nguyễn Văn An — Quản trị xã / Commune administrator`.
pub fn account_line(phone: &str, password: &str, name: &str) -> String {
    use kernel::i18n::{Locale, t};
    let role = PEOPLE
        .iter()
        .find(|p| p.0 == phone)
        .map(|p| {
            let key = p.2.label_key();
            format!(" — {} / {}", t(Locale::Vi, &key), t(Locale::En, &key))
        })
        .unwrap_or_default();
    format!("  {phone:<12} {password:<16} {name}{role}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_lists_each_account_with_its_role_in_both_languages() {
        assert_eq!(
            account_line("0912000001", "Demo-ab3cd", "Nguyễn Văn An"),
            "  0912000001   Demo-ab3cd       Nguyễn Văn An — Quản trị xã / Commune administrator"
        );
        assert!(
            account_line("0912000004", "Demo-x", "y").ends_with(" — Trưởng thôn / Village head")
        );
        assert!(
            account_line("0912000000", "p", "n")
                .ends_with("Quản trị hệ thống / System administrator")
        );
        // Every demo person has a role with a text in both catalogues.
        for (phone, name, role, _) in PEOPLE {
            let line = account_line(phone, "p", name);
            assert!(line.contains(" — "), "{line}");
            assert!(!line.contains(&role.label_key()), "untranslated: {line}");
        }
    }
}
