//! The baseline survey's tables: campaigns, one answer sheet per subject and campaign (a
//! household, an official, a business; answered again, the sheet is replaced), and each
//! official's latest readiness (5.2).

use kernel::migration::{child_fk, commune_table, index as idx};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m1009_survey"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut t = commune_table(b, "survey_campaign");
        // household, official, business
        t.col(string_len("kind", 10))
            .col(string_len("title", 200))
            .col(date("opens_on"))
            .col(date_null("closes_on"))
            // open, closed
            .col(string_len("status", 8))
            .col(big_integer("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("closed_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "survey_campaign",
            "ix_survey_campaign_created",
            &["commune_code", "created_at"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "survey_response");
        t.col(big_integer("campaign_id"))
            // h:<household id>, u:<user id>, b:<folded business name>
            .col(string_len("subject", 170))
            .col(big_integer_null("household_id"))
            .col(big_integer_null("user_id"))
            .col(string_len_null("business_name", 160))
            .col(big_integer_null("village_id"))
            .col(text("answers"))
            .col(date("answered_on"))
            .col(big_integer("answered_by"))
            .col(timestamp_with_time_zone("answered_at"))
            .foreign_key(&mut child_fk(
                b,
                "survey_response",
                "campaign_id",
                "survey_campaign",
            ));
        m.create_table(t).await?;
        m.create_index(idx(
            "survey_response",
            "ux_survey_response_subject",
            &["commune_code", "campaign_id", "subject"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "survey_response",
            "ix_survey_response_household",
            &["commune_code", "household_id"],
            false,
        ))
        .await?;

        let mut t = commune_table(b, "official_readiness");
        t.col(big_integer("user_id"))
            .col(boolean("smartphone"))
            .col(boolean("official_email"))
            .col(boolean("e_office"))
            .col(date("observed_on"))
            .col(big_integer("recorded_by"))
            .col(timestamp_with_time_zone("updated_at"));
        m.create_table(t).await?;
        m.create_index(idx(
            "official_readiness",
            "ux_official_readiness",
            &["commune_code", "user_id"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["official_readiness", "survey_response", "survey_campaign"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
