//! The community tables as SeaORM entities.

pub mod profile {
    use sea_orm::entity::prelude::*;

    /// What an official publishes about themselves in the commune's directory (indicator 3.1).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "official_profile")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub user_id: i64,
        /// Public title, e.g. "Công chức Tư pháp - Hộ tịch".
        pub title: String,
        pub public_phone: Option<String>,
        pub public_email: Option<String>,
        /// Free text: "Sáng thứ Hai và thứ Năm, 7:30–11:30, tại Bộ phận một cửa".
        pub office_hours: String,
        /// Only the commune admin turns an official off the public directory.
        pub visible: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod member {
    use sea_orm::entity::prelude::*;

    /// A member of the community digital technology team (local action group, indicator 3.2).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "community_member")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub name: String,
        pub phone: Option<String>,
        /// Their role in the team: "Tổ trưởng", "Thành viên"…
        pub team_role: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod member_village {
    use sea_orm::entity::prelude::*;

    /// A village a team member helps.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "community_member_village")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub member_id: i64,
        pub village_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod topic {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "forum_topic")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// Set when the topic is shared with every commune of this province (a province
        /// deployment's forum); its own commune's officials still moderate it.
        pub province_code: Option<String>,
        /// As written; escaped on output.
        pub title: String,
        /// `fold_vi(title)`, for diacritic-insensitive search.
        pub title_folded: String,
        pub author_user_id: i64,
        pub author_name: String,
        /// The author's strongest role in the commune when they wrote it.
        pub author_role: String,
        pub pinned: bool,
        /// Refuses replies.
        pub locked: bool,
        /// The opening post is hidden: the title is hidden with it.
        pub hidden: bool,
        pub reply_count: i32,
        pub created_at: DateTimeUtc,
        pub last_post_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "forum_post")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub topic_id: i64,
        pub author_user_id: i64,
        pub author_name: String,
        pub author_role: String,
        /// As written; escaped on output.
        pub body: String,
        /// The topic's first post.
        pub opening: bool,
        pub hidden: bool,
        pub hidden_reason: Option<String>,
        pub hidden_by: Option<i64>,
        pub hidden_at: Option<DateTimeUtc>,
        pub report_count: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report {
    use sea_orm::entity::prelude::*;

    /// One person's abuse report on a post; at most one per person and post.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "forum_report")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub post_id: i64,
        pub user_id: i64,
        pub reason: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
