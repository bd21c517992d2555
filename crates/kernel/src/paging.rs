//! Page numbers of every list: one cap and one offset computation, so no `?page=` a visitor
//! types can overflow the offset arithmetic (a panic and a 500 in debug builds, a wrapped and
//! wrong offset in release builds) or ask the database to skip billions of rows.

/// The highest page any list serves: far beyond any real list at 10–50 rows a page, and small
/// enough that `page * per_page` and the pager's `page + 1` can never overflow.
pub const MAX_PAGE: u64 = 10_000;

/// The page asked for (`?page=`), as a number from 1 to [`MAX_PAGE`]; absent or 0 is page 1.
pub fn page(asked: Option<u64>) -> u64 {
    asked.unwrap_or(1).clamp(1, MAX_PAGE)
}

/// Rows to skip before `page` when each page holds `per_page` rows; `page` is capped first.
pub fn offset(page: u64, per_page: u64) -> u64 {
    (page.clamp(1, MAX_PAGE) - 1).saturating_mul(per_page)
}

/// Whether rows remain after `page` when `total` rows match.
pub fn more_after(page: u64, per_page: u64, total: u64) -> bool {
    page.clamp(1, MAX_PAGE).saturating_mul(per_page) < total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_capped_and_offsets_never_overflow() {
        assert_eq!(page(None), 1);
        assert_eq!(page(Some(0)), 1);
        assert_eq!(page(Some(3)), 3);
        assert_eq!(page(Some(u64::MAX)), MAX_PAGE);
        assert_eq!(offset(1, 50), 0);
        assert_eq!(offset(3, 50), 100);
        assert_eq!(offset(0, 50), 0);
        assert_eq!(
            offset(u64::MAX, u64::MAX),
            (MAX_PAGE - 1).saturating_mul(u64::MAX)
        );
        assert_eq!(offset(9_223_372_036_854_775_807, 50), (MAX_PAGE - 1) * 50);
        assert!(more_after(1, 20, 21));
        assert!(!more_after(2, 20, 40));
        assert!(!more_after(u64::MAX, 20, 40));
    }
}
