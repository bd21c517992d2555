//! What the register measures for the indicators (Appendix I 4.1, 5.1, 5.2, 6.1, 8.1, 8.2, 9.1,
//! 15.1, 16.1, 16.2): shares of the commune's households as the register stands now (the period
//! does not narrow a register: it is the latest observation of each household). The whole is
//! every household in the register, so a household never surveyed counts as "not yet": a
//! commune cannot reach 100 % by surveying ten households.

use kernel::error::AppResult;
use kernel::figures::{FigureSource, Measure, Period, Unit, aggregate, int};
use sea_orm::DatabaseConnection;

/// The households counted as having what an indicator asks, as a SQL condition.
fn condition(key: &str) -> &'static str {
    match key {
        "registry.internet" => r#""internet" IN ('fibre', 'mobile')"#,
        "registry.fibre" => r#""internet" = 'fibre'"#,
        "registry.smart_device" => r#"("smartphones" > 0 OR "computer" = TRUE)"#,
        "registry.online_payment" => r#""online_payment" = TRUE"#,
        "registry.ecommerce" => r#""ecommerce" = TRUE"#,
        "registry.health_app" => r#""health_app" = TRUE"#,
        "registry.clean_energy" => r#""clean_energy" = TRUE"#,
        "registry.waste_sorting" => r#""waste_sorting" = TRUE"#,
        "registry.wastewater_treated" => r#""wastewater_treated" = TRUE"#,
        _ => "FALSE",
    }
}

async fn share(db: &DatabaseConnection, commune: &str, key: &str) -> AppResult<Measure> {
    let sql = format!(
        r#"SELECT COUNT(*) AS whole, SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS part
           FROM "household" WHERE "commune_code" = $1"#,
        condition(key)
    );
    let row = aggregate(db, &sql, vec![commune.into()]).await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

async fn households(db: &DatabaseConnection, commune: &str, _: Period) -> AppResult<Measure> {
    let row = aggregate(
        db,
        r#"SELECT COUNT(*) AS n FROM "household" WHERE "commune_code" = $1"#,
        vec![commune.into()],
    )
    .await?;
    Ok(Measure::count(int(&row, "n")?))
}

/// Indicator 5.2: the commune's staff (officials, leaders, administrators, village heads)
/// whose latest survey sheet says they use a smartphone with internet; the whole is the staff,
/// so an official never surveyed counts as "not yet".
async fn officials_smartphone(
    db: &DatabaseConnection,
    commune: &str,
    _: Period,
) -> AppResult<Measure> {
    use crate::entity::readiness;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    // Staff are a commune's tens of people, and their grants live on the coordinator (a
    // join with the commune's shard is not one Citus plans): two small reads.
    let staff: std::collections::BTreeSet<i64> = kernel::accounts::staff_of(db, commune)
        .await?
        .into_iter()
        .map(|(_, u)| u.id)
        .collect();
    let with: Vec<i64> = readiness::Entity::find()
        .select_only()
        .column(readiness::Column::UserId)
        .filter(readiness::Column::CommuneCode.eq(commune))
        .filter(readiness::Column::Smartphone.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let part = with.iter().filter(|u| staff.contains(u)).count();
    Ok(Measure::share(part as u64, staff.len() as u64))
}

/// Indicator 8.2: of the registered businesses in the newest business campaign with sheets,
/// those that accept online payment. Sheets are stored as the compact JSON `survey_model`
/// writes (`"registered":true`), so one aggregate reads them on both backends.
async fn business_online_payment(
    db: &DatabaseConnection,
    commune: &str,
    _: Period,
) -> AppResult<Measure> {
    let row = aggregate(
        db,
        r#"SELECT SUM(CASE WHEN s."answers" LIKE '%"registered":true%' THEN 1 ELSE 0 END) AS whole,
                  SUM(CASE WHEN s."answers" LIKE '%"registered":true%'
                            AND s."answers" LIKE '%"online_payment":true%' THEN 1 ELSE 0 END) AS part
           FROM "survey_response" s
           WHERE s."commune_code" = $1 AND s."campaign_id" = (
             SELECT c."id" FROM "survey_campaign" c
             WHERE c."commune_code" = $1 AND c."kind" = 'business'
               AND EXISTS (SELECT 1 FROM "survey_response" x
                           WHERE x."commune_code" = $1 AND x."campaign_id" = c."id")
             ORDER BY c."opens_on" DESC, c."id" DESC LIMIT 1)"#,
        vec![commune.into()],
    )
    .await?;
    Ok(Measure::share(int(&row, "part")?, int(&row, "whole")?))
}

macro_rules! shares {
    ($($key:literal => [$($ind:literal),+]),* $(,)?) => {
        vec![$(FigureSource {
            key: $key,
            indicators: &[$($ind),+],
            unit: Unit::Percent,
            label: concat!("fig.", $key),
            measure: |db, c, _| Box::pin(share(db, c, $key)),
        }),*]
    };
}

/// The room's figure sources, registered through `Room::figures`.
pub fn sources() -> Vec<FigureSource> {
    let mut out = vec![FigureSource {
        key: "registry.households",
        indicators: &["6.1"],
        unit: Unit::Count,
        label: "fig.registry.households",
        measure: |db, c, p| Box::pin(households(db, c, p)),
    }];
    out.extend(shares![
        "registry.internet" => ["4.1"],
        "registry.fibre" => ["4.1"],
        "registry.smart_device" => ["5.1"],
        "registry.online_payment" => ["8.1"],
        "registry.ecommerce" => ["7.2"],
        "registry.health_app" => ["9.1"],
        "registry.clean_energy" => ["15.1"],
        "registry.waste_sorting" => ["16.1"],
        "registry.wastewater_treated" => ["16.2"],
    ]);
    out.push(FigureSource {
        key: "registry.officials_smartphone",
        indicators: &["5.2"],
        unit: Unit::Percent,
        label: "fig.registry.officials_smartphone",
        measure: |db, c, p| Box::pin(officials_smartphone(db, c, p)),
    });
    out.push(FigureSource {
        key: "registry.business_online_payment",
        indicators: &["8.2"],
        unit: Unit::Percent,
        label: "fig.registry.business_online_payment",
        measure: |db, c, p| Box::pin(business_online_payment(db, c, p)),
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sources_are_well_formed() {
        let texts = [
            kernel::room::Texts {
                vi: super::super::I18N_VI,
                en: super::super::I18N_EN,
            },
            kernel::room::Texts {
                vi: super::super::I18N_SURVEY_VI,
                en: super::super::I18N_SURVEY_EN,
            },
        ];
        let faults = kernel::figures::problems("registry", &super::sources(), &texts);
        assert!(faults.is_empty(), "{faults:?}");
    }
}
