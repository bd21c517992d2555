//! What the register measures for the indicators (Appendix I 4.1, 5.1, 6.1, 8.1, 9.1, 15.1,
//! 16.1, 16.2): shares of the commune's households as the register stands now (the period
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
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sources_are_well_formed() {
        let texts = kernel::room::Texts {
            vi: super::super::I18N_VI,
            en: super::super::I18N_EN,
        };
        let faults = kernel::figures::problems("registry", &super::sources(), &[texts]);
        assert!(faults.is_empty(), "{faults:?}");
    }
}
