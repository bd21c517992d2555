//! Use case of a person signing up as a citizen of a commune the deployment serves, welcomed
//! in their inbox. Throttling sign-ups per address is the web's part (it knows the address).

use super::{ActionResult, Kernel, Refusal};
use crate::accounts::entity::user;
use crate::accounts::{self, Grant, NewUser, Role};
use crate::notify;
use crate::tenancy::CommuneInfo;

/// What the sign-up form and the API give.
pub struct Registration<'a> {
    pub commune_code: &'a str,
    pub full_name: &'a str,
    pub phone: &'a str,
    pub password: &'a str,
    /// As typed: blank for none, else a village id.
    pub village_id: &'a str,
}

/// Use case: registers a citizen of an active commune and welcomes them in their inbox.
pub async fn register(k: Kernel<'_>, r: Registration<'_>) -> ActionResult<user::Model> {
    let commune = k
        .communes
        .active(r.commune_code)
        .map_err(|_| Refusal::CommuneUnknown.at("commune_code"))?;
    let village_id = match r.village_id.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| Refusal::VillageUnknown.at("village_id"))?,
        ),
    };
    let grant = Grant {
        role: Role::Citizen,
        unit_code: commune.code.clone(),
        village_id: None,
        department: None,
    };
    let user = accounts::create_user(
        k.db,
        NewUser {
            phone: r.phone,
            password: r.password,
            full_name: r.full_name,
            email: None,
            commune_code: &commune.code,
            village_id,
        },
        &[grant],
        None,
    )
    .await?;
    welcome(k, &commune, user.id).await?;
    Ok(user)
}

async fn welcome(k: Kernel<'_>, commune: &CommuneInfo, user_id: i64) -> ActionResult<()> {
    let link = format!("/c/{}", commune.code);
    notify::notify(
        k.db,
        notify::Message {
            commune_code: &commune.code,
            user_id,
            text: notify::Text::key("note.welcome").arg("commune", &commune.name),
            link: Some(&link),
            ..Default::default()
        },
        &[],
    )
    .await?;
    k.dispatcher.wake();
    Ok(())
}
