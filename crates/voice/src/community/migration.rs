//! The community tables: officials' public profiles, the community digital technology team
//! with the villages each member helps, and the forum (topics, posts, abuse reports).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use kernel::migration::{cascade_fk as cascade, commune_fk, index as idx};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0201_voice_community"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("official_profile")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("user_id"))
                .col(string("title"))
                .col(string_null("public_phone"))
                .col(string_null("public_email"))
                .col(text("office_hours"))
                .col(boolean("visible"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut commune_fk("official_profile"))
                .foreign_key(&mut cascade("official_profile", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "official_profile",
            "ux_official_profile",
            &["commune_code", "user_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("community_member")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("name"))
                .col(string_null("phone"))
                .col(string("team_role"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut commune_fk("community_member"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "community_member",
            "ix_community_member_commune",
            &["commune_code", "name"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("community_member_village")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("member_id"))
                .col(big_integer("village_id"))
                .foreign_key(&mut commune_fk("community_member_village"))
                .foreign_key(&mut cascade(
                    "community_member_village",
                    "member_id",
                    "community_member",
                ))
                .foreign_key(&mut cascade(
                    "community_member_village",
                    "village_id",
                    "village",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "community_member_village",
            "ux_community_member_village",
            &["member_id", "village_id"],
            true,
        ))
        .await?;
        // "Who helps this village": the directory reads a commune's links by village.
        m.create_index(idx(
            "community_member_village",
            "ix_community_member_village_commune",
            &["commune_code", "village_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("forum_topic")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(string("title"))
                .col(string("title_folded"))
                .col(big_integer("author_user_id"))
                .col(string("author_name"))
                .col(string("author_role"))
                .col(boolean("pinned"))
                .col(boolean("locked"))
                .col(boolean("hidden"))
                .col(integer("reply_count"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_post_at"))
                .foreign_key(&mut commune_fk("forum_topic"))
                .to_owned(),
        )
        .await?;
        // The topic list: pinned first, then the latest activity.
        m.create_index(idx(
            "forum_topic",
            "ix_forum_topic_list",
            &["commune_code", "pinned", "last_post_at", "id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("forum_post")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("topic_id"))
                .col(big_integer("author_user_id"))
                .col(string("author_name"))
                .col(string("author_role"))
                .col(text("body"))
                .col(boolean("opening"))
                .col(boolean("hidden"))
                .col(text_null("hidden_reason"))
                .col(big_integer_null("hidden_by"))
                .col(timestamp_with_time_zone_null("hidden_at"))
                .col(integer("report_count"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("forum_post"))
                .foreign_key(&mut cascade("forum_post", "topic_id", "forum_topic"))
                .to_owned(),
        )
        .await?;
        m.create_index(idx(
            "forum_post",
            "ix_forum_post_topic",
            &["topic_id", "id"],
            false,
        ))
        .await?;
        // The moderators' queue: a commune's reported posts, most reported first.
        m.create_index(idx(
            "forum_post",
            "ix_forum_post_reported",
            &["commune_code", "report_count"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("forum_report")
                .col(big_pk_auto("id"))
                .col(string_len("commune_code", 5))
                .col(big_integer("post_id"))
                .col(big_integer("user_id"))
                .col(text("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut commune_fk("forum_report"))
                .foreign_key(&mut cascade("forum_report", "post_id", "forum_post"))
                .to_owned(),
        )
        .await?;
        // One report per person and post, enforced by the database as well.
        m.create_index(idx(
            "forum_report",
            "ux_forum_report",
            &["post_id", "user_id"],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "forum_report",
            "forum_post",
            "forum_topic",
            "community_member_village",
            "community_member",
            "official_profile",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
