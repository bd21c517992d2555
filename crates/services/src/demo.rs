//! The demo commune's services: the standard catalogue and a bank account for fees.

use kernel::error::AppResult;
use sea_orm::ConnectionTrait;

use crate::store;

/// Seeds the standard catalogue and a demo bank account into a commune that has no procedures yet.
pub async fn seed(db: &impl ConnectionTrait, commune: &str) -> AppResult<usize> {
    if !store::procedures(db, commune, "", "", true)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let all = crate::standard::catalogue();
    for p in &all {
        store::create_procedure(db, commune, p).await?;
    }
    // Agribank's NAPAS BIN; the account is a demo value the commune replaces with its own.
    kernel::payments::set_account(
        db,
        commune,
        kernel::payments::Owner::Commune,
        "970405",
        "3600205012345",
        "UBND XA MINH HOP",
        "",
    )
    .await?;
    Ok(all.len())
}
