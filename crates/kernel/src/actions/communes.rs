//! Use cases of the communes a deployment serves: activating and deactivating them, districts
//! (three-level provinces) for the system admin, and a commune's branding for its admins.

use super::{ActionResult, Kernel, Refusal};
use crate::accounts::access::{self, ADMINS};
use crate::accounts::{CurrentUser, Role};
use crate::audit::{self, Entry};
use crate::files;
use crate::tenancy::{self, CommuneInfo, commune};

/// A national action, recorded in the commune's own audit log under the system admin's role.
fn national<'a>(
    u: &'a CurrentUser,
    m: &'a commune::Model,
    action: &'a str,
    summary: String,
) -> Entry<'a> {
    Entry {
        actor: u,
        role: Role::SystemAdmin,
        unit_code: &m.code,
        action,
        object_type: "commune",
        object_id: m.code.clone(),
        summary,
    }
}

/// Use case: the deployment starts serving a commune of the catalogue.
pub async fn activate(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    code: &str,
) -> ActionResult<commune::Model> {
    switch(k, actor, code, true).await
}

/// Use case: the deployment stops serving a commune (its data stays).
pub async fn deactivate(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    code: &str,
) -> ActionResult<commune::Model> {
    switch(k, actor, code, false).await
}

/// Serving a commune or not: the one rule (system admins), the audit entry and the reload of
/// the active communes that both use cases share.
async fn switch(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    code: &str,
    on: bool,
) -> ActionResult<commune::Model> {
    let u = access::system_admin(actor)?;
    let txn = crate::db::begin_write(k.db).await?;
    let (m, action) = if on {
        (
            tenancy::activate_commune(&txn, code).await?,
            "commune.activate",
        )
    } else {
        (
            tenancy::deactivate_commune(&txn, code).await?,
            "commune.deactivate",
        )
    };
    audit::record(&txn, national(u, &m, action, m.name.clone())).await?;
    txn.commit().await?;
    k.communes.changed(k.db).await?;
    Ok(m)
}

/// Use case: a district of a three-level province.
pub async fn add_district(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    code: &str,
    province_code: &str,
    name: &str,
) -> ActionResult<tenancy::district::Model> {
    access::system_admin(actor)?;
    Ok(tenancy::create_district(k.db, code, province_code, name).await?)
}

/// Use case: put a commune under a district, or under none (`district_code` blank).
pub async fn set_district(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    code: &str,
    district_code: &str,
) -> ActionResult<commune::Model> {
    let u = access::system_admin(actor)?;
    let dc = Some(district_code.trim()).filter(|d| !d.is_empty());
    let txn = crate::db::begin_write(k.db).await?;
    let m = tenancy::assign_district(&txn, code, dc).await?;
    let summary = dc.unwrap_or("—").to_owned();
    audit::record(&txn, national(u, &m, "commune.district", summary)).await?;
    txn.commit().await?;
    k.communes.changed(k.db).await?;
    Ok(m)
}

/// A commune's look: its colour, tagline, and a new logo (file name and bytes) if one came;
/// and how to reach its office (`None`: leave them as they are).
pub struct Branding {
    pub color: String,
    pub tagline: Option<String>,
    pub logo: Option<(String, Vec<u8>)>,
    pub contacts: Option<tenancy::Contacts>,
}

/// Each contact trimmed (empty: none) and checked, with the field at fault.
fn checked_contacts(c: tenancy::Contacts) -> ActionResult<tenancy::Contacts> {
    let tidy = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let c = tenancy::Contacts {
        address: tidy(c.address),
        phone: tidy(c.phone),
        email: tidy(c.email),
        hours: tidy(c.hours),
    };
    for (value, field) in [(&c.address, "contact_address"), (&c.hours, "office_hours")] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
            return Err(Refusal::TextTooLong.at(field));
        }
    }
    if c.phone
        .as_deref()
        .is_some_and(|p| !tenancy::valid_office_phone(p))
    {
        return Err(Refusal::OfficePhoneInvalid.at("contact_phone"));
    }
    if c.email.as_deref().is_some_and(|e| !tenancy::valid_email(e)) {
        return Err(Refusal::EmailInvalid.at("contact_email"));
    }
    Ok(c)
}

/// Use case: the commune's admins change how to reach its office, alone (the API's way).
pub async fn set_contacts(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    contacts: tenancy::Contacts,
) -> ActionResult<tenancy::Contacts> {
    let u = access::with_role(actor, c, ADMINS)?;
    let contacts = checked_contacts(contacts)?;
    let txn = crate::db::begin_write(k.db).await?;
    let m = tenancy::update_branding(
        &txn,
        &c.code,
        &c.brand_color,
        c.tagline.clone(),
        None,
        Some(contacts.clone()),
    )
    .await?;
    let summary = [
        &contacts.address,
        &contacts.phone,
        &contacts.email,
        &contacts.hours,
    ]
    .iter()
    .filter_map(|v| v.as_deref())
    .collect::<Vec<_>>()
    .join(" · ");
    audit::record(
        &txn,
        Entry::in_commune(u, c, "commune.contacts", "commune", &m.code, summary),
    )
    .await?;
    txn.commit().await?;
    k.communes.changed(k.db).await?;
    Ok(contacts)
}

/// Use case: the commune's admins change its branding.
pub async fn set_branding(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    b: Branding,
) -> ActionResult<commune::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    if !tenancy::valid_color(&b.color) {
        return Err(Refusal::ColorInvalid.at("brand_color"));
    }
    let contacts = b.contacts.map(checked_contacts).transpose()?;
    // The photo is checked and downscaled before the write lock is taken.
    let logo = match b.logo {
        Some((name, bytes)) => Some(k.files.put(&name, bytes, files::IMAGES).await?),
        None => None,
    };
    let txn = crate::db::begin_write(k.db).await?;
    let logo_id = match logo {
        Some(stored) => Some(Some(stored.record(&txn, &c.code, Some(u.id)).await?.id)),
        None => None,
    };
    let m = tenancy::update_branding(&txn, &c.code, &b.color, b.tagline, logo_id, contacts).await?;
    let summary = format!(
        "{} {}",
        m.brand_color,
        m.tagline.clone().unwrap_or_default()
    );
    audit::record(
        &txn,
        Entry::in_commune(u, c, "commune.branding", "commune", &c.code, summary),
    )
    .await?;
    txn.commit().await?;
    k.communes.changed(k.db).await?;
    Ok(m)
}
