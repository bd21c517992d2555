//! Use case: exporting the register to CSV or XLSX. Personal data leaves the platform only
//! with a reason, written to the audit log with who, when and how many households; the file
//! has the import template's columns (so it can be edited and imported back), national IDs
//! as their last four digits only.

use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;

use super::access::{Scope, reader};
use super::{ActionResult, Refusal};
use crate::columns::FIELDS;
use crate::entity::household;
use crate::store;

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "có",
        Some(false) => "không",
        None => "",
    }
}

/// A household's cells in the template's column order.
fn cells(h: &household::Model, villages: &std::collections::HashMap<i64, String>) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    FIELDS
        .iter()
        .map(|f| match *f {
            "household_code" => h.code.clone(),
            "village" => h
                .village_id
                .and_then(|v| villages.get(&v).cloned())
                .unwrap_or_default(),
            "head_name" => h.head_name.clone(),
            "head_birth_year" => opt(h.head_birth_year.map(|y| y.to_string())),
            "head_sex" => match h.head_sex.as_deref() {
                Some("m") => "nam".into(),
                Some("f") => "nữ".into(),
                _ => String::new(),
            },
            "head_national_id" => opt(h.head_id_last4.as_ref().map(|l| format!("********{l}"))),
            "members" => h.members.to_string(),
            "address" => h.address.clone(),
            "phone" => opt(h.phone.clone()),
            "ethnicity" => opt(h.ethnicity.clone()),
            "poverty" => match h.poverty.as_str() {
                "poor" => "hộ nghèo".into(),
                "near_poor" => "cận nghèo".into(),
                _ => String::new(),
            },
            "lat" => opt(h.lat.map(|v| v.to_string())),
            "lon" => opt(h.lon.map(|v| v.to_string())),
            "internet" => opt(h.internet.clone()),
            "smartphones" => opt(h.smartphones.map(|v| v.to_string())),
            "computer" => yes_no(h.computer).into(),
            "online_payment" => yes_no(h.online_payment).into(),
            "ecommerce" => yes_no(h.ecommerce).into(),
            "health_app" => yes_no(h.health_app).into(),
            "clean_energy" => yes_no(h.clean_energy).into(),
            "waste_sorting" => yes_no(h.waste_sorting).into(),
            _ => yes_no(h.wastewater_treated).into(),
        })
        .collect()
}

/// Use case: the register (a village head's: their village) as a file, with the reason the
/// reader gave. Audited. Answers the bytes and how many households they hold.
pub async fn export(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    format: Format,
    reason: &str,
) -> ActionResult<(Vec<u8>, usize)> {
    let (u, scope) = reader(actor, c)?;
    let reason = reason.trim();
    if reason.chars().count() < 5 || reason.chars().count() > 300 {
        return Err(Refusal::ExportReasonRequired.at("reason"));
    }
    let village = match scope {
        Scope::Commune => None,
        Scope::Village(v) => Some(v),
    };
    let villages: std::collections::HashMap<i64, String> = kernel::tenancy::villages(k.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let rows: Vec<Vec<String>> = store::all(k.db, &c.code, village)
        .await?
        .iter()
        .map(|h| cells(h, &villages))
        .collect();
    let bytes = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(FIELDS)
                .map_err(kernel::error::AppError::internal)?;
            for r in &rows {
                w.write_record(r)
                    .map_err(kernel::error::AppError::internal)?;
            }
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend(w.into_inner().map_err(kernel::error::AppError::internal)?);
            out
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let set = |e: rust_xlsxwriter::XlsxError| kernel::error::AppError::internal(e);
            sheet.set_name("Ho gia dinh").map_err(set)?;
            for (i, f) in FIELDS.iter().enumerate() {
                sheet
                    .write_string_with_format(0, i as u16, *f, &bold)
                    .map_err(set)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    sheet.write_string(r as u32 + 1, i as u16, v).map_err(set)?;
                }
            }
            book.save_to_buffer().map_err(set)?
        }
    };
    audit::record(
        k.db,
        audit::Entry::in_commune(
            u,
            c,
            "household.export",
            "household",
            "",
            format!("{} households; reason: {reason}", rows.len()),
        ),
    )
    .await?;
    Ok((bytes, rows.len()))
}
