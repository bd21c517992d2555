//! The payments tables: bank accounts per owner and payment records.

pub mod bank_account {
    use sea_orm::entity::prelude::*;

    /// A bank account money is paid into: the commune's, a seller's, a school's.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bank_account")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// `commune`, `seller`, `school`… ([`crate::payments::Owner`]).
        pub owner_kind: String,
        /// The owner's id or code within its kind (the commune code for `commune`).
        pub owner_id: String,
        pub bank_bin: String,
        pub account_number: String,
        pub account_name: String,
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod payment {
    use sea_orm::entity::prelude::*;

    /// One sum owed for one thing (a dossier's fee, an order, a month's waste fee).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// What it pays for: `dossier`, `order`…, and that thing's id.
        pub ref_kind: String,
        pub ref_id: i64,
        /// The payee's account (none when only cash is taken).
        pub account_id: Option<i64>,
        pub amount_vnd: i64,
        /// The transfer purpose the payer writes (a receipt code), matched on bank statements.
        pub reference: String,
        /// `cash`, `transfer`, `vietqr`; set when paid.
        pub method: Option<String>,
        /// `due`, `paid`, `cancelled`.
        pub status: String,
        pub confirmed_by: Option<i64>,
        pub confirmed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
