//! SeaORM entities of the register's tables (see `migration`).

pub mod household {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub code: String,
        pub village_id: Option<i64>,
        pub head_name: String,
        pub head_folded: String,
        pub head_birth_year: Option<i32>,
        pub head_sex: Option<String>,
        pub head_id_hash: Option<String>,
        pub head_id_last4: Option<String>,
        pub members: i32,
        pub address: String,
        pub phone: Option<String>,
        pub ethnicity: Option<String>,
        pub poverty: String,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub plus_code: Option<String>,
        pub search_folded: String,
        pub observed_on: Option<Date>,
        pub internet: Option<String>,
        pub smartphones: Option<i32>,
        pub computer: Option<bool>,
        pub online_payment: Option<bool>,
        pub ecommerce: Option<bool>,
        pub health_app: Option<bool>,
        pub clean_energy: Option<bool>,
        pub waste_sorting: Option<bool>,
        pub wastewater_treated: Option<bool>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_member")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub household_id: i64,
        pub name: String,
        pub birth_year: Option<i32>,
        pub sex: Option<String>,
        pub relation: String,
        pub id_hash: Option<String>,
        pub id_last4: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod observation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_observation")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub household_id: i64,
        pub observed_on: Date,
        pub source: String,
        pub recorded_by: Option<i64>,
        pub recorded_at: DateTimeUtc,
        pub internet: Option<String>,
        pub smartphones: Option<i32>,
        pub computer: Option<bool>,
        pub online_payment: Option<bool>,
        pub ecommerce: Option<bool>,
        pub health_app: Option<bool>,
        pub clean_energy: Option<bool>,
        pub waste_sorting: Option<bool>,
        pub wastewater_treated: Option<bool>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod import {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_import")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub file_name: String,
        pub file: Vec<u8>,
        pub locale: String,
        pub status: String,
        pub rows_total: i64,
        pub rows_done: i64,
        pub report: Option<String>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sensor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sensor")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub device: String,
        pub name: String,
        pub kind: String,
        pub village_id: Option<i64>,
        pub lat: f64,
        pub lon: f64,
        pub alert_above: Option<f64>,
        pub alert_below: Option<f64>,
        pub token_hash: String,
        pub silent_after_min: i32,
        pub last_value: Option<f64>,
        pub last_at: Option<DateTimeUtc>,
        pub state: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod alert {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sensor_alert")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub sensor_id: i64,
        pub kind: String,
        pub value: Option<f64>,
        pub opened_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod point {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "infra_point")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub kind: String,
        pub name: String,
        pub village_id: Option<i64>,
        pub lat: f64,
        pub lon: f64,
        pub status: String,
        pub note: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod coverage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "village_coverage")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub village_id: i64,
        pub mobile: String,
        pub fibre: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_change")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub household_id: i64,
        pub requested_by: i64,
        pub proposal: String,
        pub note: String,
        pub status: String,
        pub decided_by: Option<i64>,
        pub decided_at: Option<DateTimeUtc>,
        pub answer: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod campaign {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_campaign")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub kind: String,
        pub title: String,
        pub opens_on: Date,
        pub closes_on: Option<Date>,
        pub status: String,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod response {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_response")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub campaign_id: i64,
        pub subject: String,
        pub household_id: Option<i64>,
        pub user_id: Option<i64>,
        pub business_name: Option<String>,
        pub village_id: Option<i64>,
        pub answers: String,
        pub answered_on: Date,
        pub answered_by: i64,
        pub answered_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod readiness {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "official_readiness")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub user_id: i64,
        pub smartphone: bool,
        pub official_email: bool,
        pub e_office: bool,
        pub observed_on: Date,
        pub recorded_by: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod column_map {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_column")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub commune_code: String,
        pub header: String,
        pub written: String,
        pub field: String,
        pub updated_by: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
