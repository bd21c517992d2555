//! Use cases of reading the register: a page of households (searched without accents) and
//! one household with its members and history. Both show personal details, so both are
//! written to the audit log with what was asked.

use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::search::Query;
use kernel::tenancy::CommuneInfo;

use super::access::{Scope, reader};
use super::{ActionResult, Refusal};
use crate::entity::{household, member, observation};
use crate::store;

/// A page of the register as one reader may see it.
pub struct Page {
    pub items: Vec<household::Model>,
    pub more: bool,
    pub scope: Scope,
}

/// Use case: a page of the commune's households by code; `q` searches code, head's name,
/// address and phone without accents; a village head sees their village only. Audited.
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    village: Option<i64>,
    q: &str,
    page: u64,
) -> ActionResult<Page> {
    let (u, scope) = reader(actor, c)?;
    let query = Query::parse(q)?;
    let village = match scope {
        Scope::Commune => village,
        Scope::Village(v) => Some(v),
    };
    let (items, more) = store::list(k.db, &c.code, village, &query, page).await?;
    let summary = format!(
        "q={}; village={}; page={page}; rows={}",
        q.trim(),
        village.map(|v| v.to_string()).unwrap_or_default(),
        items.len()
    );
    audit::record(
        k.db,
        audit::Entry::in_commune(u, c, "household.list", "household", "", summary),
    )
    .await?;
    Ok(Page { items, more, scope })
}

/// One household as its page shows it.
pub struct Detail {
    pub household: household::Model,
    pub members: Vec<member::Model>,
    pub history: Vec<observation::Model>,
}

/// Use case: one household with its members and its observations, newest first. Audited.
pub async fn read(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<Detail> {
    let (u, scope) = reader(actor, c)?;
    let household = store::one(k.db, &c.code, id)
        .await?
        .ok_or(Refusal::HouseholdUnknown)?;
    if !scope.allows(household.village_id) {
        return Err(Refusal::HouseholdOtherVillage.into());
    }
    let members = store::members(k.db, &c.code, id).await?;
    let history = store::observations(k.db, &c.code, id).await?;
    audit::record(
        k.db,
        audit::Entry::in_commune(
            u,
            c,
            "household.read",
            "household",
            id,
            household.code.clone(),
        ),
    )
    .await?;
    Ok(Detail {
        household,
        members,
        history,
    })
}

/// Use case: one layer of the commune map as GeoJSON features. Villages are public (their
/// shapes already are); households only for those who read the register, a village head
/// their village's, and the read is audited.
pub async fn layer(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    name: &str,
) -> ActionResult<Vec<serde_json::Value>> {
    match name {
        "villages" => {
            let area = kernel::tenancy::area::area(k.db, &c.code).await?;
            let names: Vec<(i64, String)> = kernel::tenancy::villages(k.db, &c.code)
                .await?
                .into_iter()
                .map(|v| (v.id, v.name))
                .collect();
            let counts = store::per_village(k.db, &c.code).await?;
            Ok(crate::layers::villages(&area.villages, &names, |id| {
                counts.get(&Some(id)).copied().unwrap_or(0)
            }))
        }
        "households" => {
            let (u, scope) = reader(actor, c)?;
            let mut pins = store::pins(k.db, &c.code).await?;
            pins.retain(|p| scope.allows(p.2));
            audit::record(
                k.db,
                audit::Entry::in_commune(
                    u,
                    c,
                    "household.map",
                    "household",
                    "",
                    format!("rows={}", pins.len()),
                ),
            )
            .await?;
            Ok(crate::layers::households(&pins))
        }
        _ => Err(Refusal::LayerUnknown.into()),
    }
}
