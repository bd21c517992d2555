//! The demo commune's baseline survey: a household campaign under way (each village at its
//! own pace, sheets agreeing with the register), the officials' campaign (the village head not
//! yet surveyed) and a few businesses, so the board, the readiness page and figures 5.2 and
//! 8.2 show something real.

use chrono::{Days, Utc};
use kernel::room::DemoCast;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::entity::{campaign, readiness, response};
use crate::store;

async fn open(
    db: &DatabaseConnection,
    code: &str,
    kind: &str,
    title: &str,
    by: i64,
    days_ago: u64,
) -> anyhow::Result<campaign::Model> {
    let today = kernel::time::vn_today();
    Ok(campaign::ActiveModel {
        commune_code: Set(code.into()),
        kind: Set(kind.into()),
        title: Set(title.into()),
        opens_on: Set(today - Days::new(days_ago)),
        closes_on: Set(Some(today + Days::new(30))),
        status: Set("open".into()),
        created_by: Set(by),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

struct SheetRow<'a> {
    subject: String,
    household_id: Option<i64>,
    user_id: Option<i64>,
    business_name: Option<&'a str>,
    village_id: Option<i64>,
    answers: Value,
    days_ago: u64,
}

async fn file(
    db: &DatabaseConnection,
    c: &campaign::Model,
    by: i64,
    s: SheetRow<'_>,
) -> anyhow::Result<()> {
    response::ActiveModel {
        commune_code: Set(c.commune_code.clone()),
        campaign_id: Set(c.id),
        subject: Set(s.subject),
        household_id: Set(s.household_id),
        user_id: Set(s.user_id),
        business_name: Set(s.business_name.map(str::to_owned)),
        village_id: Set(s.village_id),
        answers: Set(s.answers.to_string()),
        answered_on: Set(kernel::time::vn_today() - Days::new(s.days_ago)),
        answered_by: Set(by),
        answered_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn seed(db: &DatabaseConnection, cast: &DemoCast) -> anyhow::Result<()> {
    let code = cast.commune.code.as_str();
    let any = campaign::Entity::find()
        .filter(campaign::Column::CommuneCode.eq(code))
        .one(db)
        .await?;
    if any.is_some() {
        return Ok(());
    }
    let by = cast.official;
    // Households: the first villages further along than the last.
    let hh = open(
        db,
        code,
        "household",
        "Khảo sát thực trạng chuyển đổi số hộ gia đình năm 2026",
        by,
        20,
    )
    .await?;
    let villages: Vec<i64> = kernel::tenancy::villages(db, code)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .map(|v| v.id)
        .collect();
    for (n, h) in store::all(db, code, None).await?.into_iter().enumerate() {
        let rank = villages
            .iter()
            .position(|v| Some(*v) == h.village_id)
            .unwrap_or(0);
        let pace = 90usize.saturating_sub(rank * 15).max(10);
        if n * 37 % 100 >= pace {
            continue;
        }
        let f = store::facts_of(&h);
        let working = (h.members - 1).clamp(1, 6) as i64;
        let phones = f.smartphones.unwrap_or(0) as i64;
        let mut a = json!({
            "internet": f.internet.map(|i| i.as_str()).unwrap_or("none"),
            "smartphones": phones,
            "working_age": working,
            "working_age_smartphone": phones.min(working),
            "needs": if n % 3 == 0 { json!(["skills", "sell_online"]) } else { json!(["pay_online"]) },
        });
        for k in crate::model::YES_NO {
            if let Some(v) = f.yes_no(k) {
                a[k] = Value::Bool(v);
            }
        }
        let row = SheetRow {
            subject: format!("h:{}", h.id),
            household_id: Some(h.id),
            user_id: None,
            business_name: None,
            village_id: h.village_id,
            answers: a,
            days_ago: (n % 18) as u64,
        };
        file(db, &hh, by, row).await?;
    }
    // Officials: all but the village head surveyed; the administrator not yet on the e-office.
    let staff = open(
        db,
        code,
        "official",
        "Khảo sát mức sẵn sàng của cán bộ xã, thôn",
        by,
        10,
    )
    .await?;
    for (uid, e_office) in [
        (cast.official, true),
        (cast.leader, true),
        (cast.admin, false),
    ] {
        let row = SheetRow {
            subject: format!("u:{uid}"),
            household_id: None,
            user_id: Some(uid),
            business_name: None,
            village_id: None,
            answers: json!({"smartphone": true, "official_email": true, "e_office": e_office, "trained": true}),
            days_ago: 3,
        };
        file(db, &staff, by, row).await?;
        readiness::ActiveModel {
            commune_code: Set(code.into()),
            user_id: Set(uid),
            smartphone: Set(true),
            official_email: Set(true),
            e_office: Set(e_office),
            observed_on: Set(kernel::time::vn_today() - Days::new(3)),
            recorded_by: Set(by),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    // Businesses and producers.
    let biz = open(
        db,
        code,
        "business",
        "Khảo sát cơ sở sản xuất, kinh doanh",
        by,
        15,
    )
    .await?;
    let businesses: [(&str, &str, bool, bool, bool); 6] = [
        (
            "Hợp tác xã Nông nghiệp Minh Hợp",
            "agriculture",
            true,
            true,
            true,
        ),
        ("Cơ sở chè búp Bản Muống", "agriculture", true, true, false),
        ("Tạp hóa Lan Hương", "trade", true, false, false),
        ("Homestay Suối Mát", "tourism", true, true, true),
        ("Cơ sở mây tre đan Xóm Chùa", "craft", false, false, true),
        ("Quán sửa xe Hùng", "services", false, false, false),
    ];
    for (i, (name, sector, registered, pays, social)) in businesses.iter().enumerate() {
        let village = villages.get(i % villages.len().max(1)).copied();
        let row = SheetRow {
            subject: crate::actions::surveys::business_key(name, village),
            household_id: None,
            user_id: None,
            business_name: Some(name),
            village_id: village,
            answers: json!({"registered": registered, "sector": sector, "online_payment": pays,
                "social_selling": social, "ocop": i == 0}),
            days_ago: (i * 2) as u64,
        };
        file(db, &biz, by, row).await?;
    }
    Ok(())
}
