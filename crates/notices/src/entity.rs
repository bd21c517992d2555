//! The notices tables: notices, who each one is for (and whether they read and acknowledged
//! it), attachments, topics people subscribe to, and the day's loudspeaker bulletins.

pub mod notice {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// [`crate::model::Category`] as stored.
        pub category: String,
        pub title: String,
        /// As written (markdown); shown only through `body_html`.
        pub body_md: String,
        /// `body_md` rendered and sanitised once, when saved.
        pub body_html: String,
        /// `fold_vi` of the title and the plain text, for diacritic-insensitive search.
        pub search_folded: String,
        /// [`crate::model::Audience`] as JSON.
        pub audience: String,
        /// `scheduled` until published, then `published`; `withdrawn` takes it off the board.
        pub status: String,
        pub publish_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        pub expires_at: Option<DateTimeUtc>,
        pub event_start: Option<DateTimeUtc>,
        pub event_end: Option<DateTimeUtc>,
        pub location: Option<String>,
        pub pinned: bool,
        pub author_user_id: i64,
        pub author_name: String,
        /// People the fan-out reached (set when published).
        pub recipient_count: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod recipient {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_recipient")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub notice_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        /// The person's village when the notice went out, for reach by village.
        pub village_id: Option<i64>,
        pub read_at: Option<DateTimeUtc>,
        /// Emergencies: when the person confirmed they got it.
        pub ack_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_attachment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub notice_id: i64,
        /// The kernel's stored file.
        pub attachment_id: i64,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod topic {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_topic")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_subscription")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub topic_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod bulletin {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notice_bulletin")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// The day it is read out, `YYYY-MM-DD` (Viet Nam time).
        pub day: String,
        /// The announcer's script.
        pub script: String,
        /// The notices it was composed from, as a JSON list of ids.
        pub notice_ids: String,
        /// Audio: `pending`, `ready`, `failed` or `unavailable` (no `espeak-ng` installed).
        pub audio_status: String,
        pub audio_error: Option<String>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
