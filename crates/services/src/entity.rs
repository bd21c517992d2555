//! The services room's tables as SeaORM entities.

pub mod procedure {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "procedure")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// The commune's own short code, e.g. `HT-01`.
        pub code: String,
        pub name: String,
        pub folded_name: String,
        /// Field (lĩnh vực), e.g. "Hộ tịch".
        pub field: String,
        pub legal_basis: String,
        /// JSON list of [`crate::model::RequiredDocument`].
        pub documents: String,
        /// JSON list of [`crate::model::FormField`].
        pub form_fields: String,
        pub fee_vnd: i64,
        /// Legal processing time in working days.
        pub processing_days: i32,
        pub online_level: String,
        /// One step per line.
        pub steps: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dossier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "dossier")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub receipt_code: String,
        pub procedure_id: i64,
        pub applicant_user_id: Option<i64>,
        pub applicant_name: String,
        /// Canonical `+84…`, the second factor for tracking without an account.
        pub applicant_phone: String,
        /// `online` or `offline` (taken at the desk).
        pub channel: String,
        pub status: String,
        /// JSON object of the form's answers.
        pub data: String,
        pub received_at: DateTimeUtc,
        pub due_date: Date,
        pub assignee_id: Option<i64>,
        pub fee_vnd: i64,
        pub paid_at: Option<DateTimeUtc>,
        pub payment_method: Option<String>,
        pub result_attachment_id: Option<i64>,
        pub result_note: Option<String>,
        /// The latest reason given to the applicant (supplement, refusal).
        pub last_note: Option<String>,
        pub rating: Option<i32>,
        pub rating_comment: Option<String>,
        /// When the result was ready (approved) or the dossier refused: the on-time measure.
        pub done_at: Option<DateTimeUtc>,
        /// Bumped by every change; a change must name the version it saw.
        pub version: i32,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dossier_document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "dossier_document")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub dossier_id: i64,
        pub attachment_id: i64,
        pub document_name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dossier_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "dossier_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub dossier_id: i64,
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub from_status: Option<String>,
        pub to_status: String,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
