//! Use case of the statistics: the commune's figures for a period, for its officials,
//! leaders, admins and reviewers (the page, the XLSX file and the API alike).

use kernel::accounts::{CurrentUser, access};
use kernel::tenancy::CommuneInfo;

use super::{ActionResult, Kernel, Refusal};
use crate::stats::{self, Figures, Period, READERS};

/// Use case: the figures of dossiers received in `period` (default: this year so far).
pub async fn read(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    period: &Period,
) -> ActionResult<Figures> {
    access::with_role(actor, c, READERS)?;
    let (from, to) = period
        .resolve()
        .map_err(|field| Refusal::PeriodInvalid.at(field))?;
    Ok(stats::figures(k.db, &k.calendar.get(), &c.code, from, to).await?)
}
