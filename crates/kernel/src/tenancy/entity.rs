//! Tenant tables: the communes a deployment serves, districts where configured, villages.

pub mod commune {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commune")]
    pub struct Model {
        /// GSO code, five digits: the tenant key carried by every commune-owned row.
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub unit_type: String,
        pub province_code: String,
        pub district_code: Option<String>,
        /// `#RRGGBB`, used for the header and buttons.
        pub brand_color: String,
        pub tagline: Option<String>,
        pub logo_attachment_id: Option<i64>,
        pub active: bool,
        /// How to reach the office, shown on the home page.
        pub contact_address: Option<String>,
        pub contact_phone: Option<String>,
        pub contact_email: Option<String>,
        pub office_hours: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod district {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "district")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub province_code: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod village {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "village")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub name: String,
        /// `thon`, `ban`, `to_dan_pho`, `ap` or `khu_pho`.
        pub kind: String,
        pub folded_name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Deployment-wide settings and secrets (key → value).
pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "system_setting")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
