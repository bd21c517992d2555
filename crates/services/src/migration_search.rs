//! The procedure catalogue's full-text index (`kernel::search`) over `folded_name`.

use kernel::search::{Index, IndexMigration};

/// Name, field and code of a procedure, folded; the catalogue search reads it.
pub const SEARCH: Index = Index::new("procedure", "folded_name");

/// Creates [`SEARCH`].
pub const MIGRATION: IndexMigration = SEARCH.migration("m0102_services_search");
