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

/// Use case: one layer of the commune map as a GeoJSON FeatureCollection (JSON text).
/// Villages are public (their shapes already are); households only for those who read the
/// register, a village head their village's, and the read is audited.
pub async fn layer(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    name: &str,
) -> ActionResult<String> {
    if name == "households" {
        let (u, scope) = reader(actor, c)?;
        let whole = commune_layer(k, c).await?;
        let (rows, json) = match scope {
            Scope::Commune => (whole.0.len(), whole.1.clone()),
            Scope::Village(_) => {
                let pins: Vec<store::Pin> = whole
                    .0
                    .iter()
                    .filter(|p| scope.allows(p.2))
                    .cloned()
                    .collect();
                (pins.len(), crate::layers::households(&c.code, &pins))
            }
        };
        audit::record(
            k.db,
            audit::Entry::in_commune(
                u,
                c,
                "household.map",
                "household",
                "",
                format!("rows={rows}"),
            ),
        )
        .await?;
        return Ok(json);
    }
    Ok(crate::layers::collection(
        &layer_features(k, actor, c, name).await?,
    ))
}

/// What the households' writes change, for the caches that show them: call
/// `kernel::cache::changed(HOUSEHOLDS, commune)` after every committed write to `household`.
pub const HOUSEHOLDS: &str = "households";

/// The commune's pinned households and their GeoJSON, kept until the register changes (an
/// office map is opened and panned far more often than the register is written).
type Layer = std::sync::Arc<(Vec<store::Pin>, String)>;
static LAYERS: std::sync::LazyLock<kernel::cache::GenerationCache<Layer>> =
    std::sync::LazyLock::new(Default::default);

async fn commune_layer(k: Kernel<'_>, c: &CommuneInfo) -> ActionResult<Layer> {
    let generation = kernel::cache::generation(HOUSEHOLDS, &c.code);
    if let Some(v) = LAYERS.get(&c.code, generation) {
        return Ok(v);
    }
    let _flight = LAYERS.flight(&c.code).await;
    if let Some(v) = LAYERS.get(&c.code, generation) {
        return Ok(v);
    }
    let pins = store::pins(k.db, &c.code).await?;
    let json = crate::layers::households(&c.code, &pins);
    let v: Layer = std::sync::Arc::new((pins, json));
    LAYERS.put(c.code.clone(), generation, v.clone());
    Ok(v)
}

/// The features of a layer other than households.
async fn layer_features(
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
        "wifi" | "cameras" | "wastewater" => {
            let kind = match name {
                "wifi" => "wifi",
                "cameras" => "camera",
                _ => "wastewater",
            };
            let rows = super::infra::points(k, actor, c, kind).await?;
            Ok(crate::layers::points(&rows))
        }
        "coverage" => {
            let area = kernel::tenancy::area::area(k.db, &c.code).await?;
            let names: Vec<(i64, String)> = kernel::tenancy::villages(k.db, &c.code)
                .await?
                .into_iter()
                .map(|v| (v.id, v.name))
                .collect();
            let rows = super::infra::coverage(k, c).await?;
            Ok(crate::layers::coverage(&area.villages, &names, &rows))
        }
        "sensors" => {
            let rows = super::sensors::list(k, c).await?;
            Ok(crate::layers::sensors(&rows))
        }
        _ => Err(Refusal::LayerUnknown.into()),
    }
}

/// What the map page shows beside the map: households, how many have a pin (and so a
/// digital address code), and households per village by name (those not filed last).
pub struct MapSummary {
    pub total: i64,
    pub pinned: i64,
    pub villages: Vec<(String, i64)>,
}

/// Use case: the map page's figures (counts only, for anyone who reads the register).
pub async fn map_summary(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<MapSummary> {
    reader(actor, c)?;
    let counts = store::per_village(k.db, &c.code).await?;
    let villages = kernel::tenancy::villages(k.db, &c.code).await?;
    let mut rows: Vec<(String, i64)> = villages
        .into_iter()
        .map(|v| (v.name, counts.get(&Some(v.id)).copied().unwrap_or(0)))
        .collect();
    if let Some(n) = counts.get(&None) {
        rows.push((String::new(), *n));
    }
    Ok(MapSummary {
        total: counts.values().sum(),
        pinned: store::pinned(k.db, &c.code).await?,
        villages: rows,
    })
}
