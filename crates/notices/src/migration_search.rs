//! The notices' full-text index (`kernel::search`) over `search_folded`.

use kernel::search::{Index, IndexMigration};

/// Title and plain text of a notice, folded; the board search reads it.
pub const SEARCH: Index = Index::new("notice", "search_folded");

/// Creates [`SEARCH`].
pub const MIGRATION: IndexMigration = SEARCH.migration("m0301_notices_search");
