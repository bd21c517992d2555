//! The voice room's tables as SeaORM entities.

pub mod category {
    use sea_orm::entity::prelude::*;

    /// A kind of feedback a commune takes, with its deadline and default department. Its
    /// `code` is the Open311 `service_code`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback_category")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub code: String,
        pub name: String,
        pub description: String,
        /// Days the commune gives itself to answer.
        pub deadline_days: i32,
        pub department: String,
        /// Never public and seen only by the leaders, the department and the assignee.
        pub restricted: bool,
        pub active: bool,
        pub sort: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod feedback {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// Also the Open311 `service_request_id`.
        pub receipt_code: String,
        pub category_id: i64,
        pub text: String,
        pub status: String,
        /// `web`, `api` or `open311`.
        pub source: String,
        /// Hidden from officials' lists and never shown in public.
        pub anonymous: bool,
        pub reporter_user_id: Option<i64>,
        pub reporter_name: Option<String>,
        pub reporter_phone: Option<String>,
        pub reporter_email: Option<String>,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub village_id: Option<i64>,
        pub address: Option<String>,
        pub department: Option<String>,
        pub assignee_id: Option<i64>,
        /// The public answer, or the reason of a rejection.
        pub answer: Option<String>,
        pub answered_at: Option<DateTimeUtc>,
        pub merged_into_id: Option<i64>,
        pub due_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub rating: Option<i32>,
        pub rating_comment: Option<String>,
        /// Optimistic concurrency: every step bumps it.
        pub version: i32,
        /// `migration_search::folded` of the text and address, for the search.
        pub search_folded: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod photo {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback_photo")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub feedback_id: i64,
        pub attachment_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    /// One line of a report's history.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub feedback_id: i64,
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub status: String,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    /// An Open311 `api_key` issued by a commune admin to a client application.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "open311_key")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub name: String,
        /// SHA-256 of the key; the key itself is shown once.
        pub key_hash: String,
        pub key_prefix: String,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
