//! Demo feedback for Xã Minh Hợp: the commune's map area and a few reports at every stage,
//! so the board, the map and the triage inbox show something real on first start.

use kernel::accounts::{self, CurrentUser};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use crate::model::{Action, Bounds};
use crate::store::{self, NewFeedback, Step};

/// Around Minh Hợp (Quỳ Hợp, Nghệ An), roughly 19.32° N, 105.18° E.
pub const AREA: Bounds = Bounds {
    south: 19.27,
    west: 105.12,
    north: 19.37,
    east: 105.24,
};

/// A demo report: category, text, pin, the commune's reply.
type Report = (
    &'static str,
    &'static str,
    Option<(f64, f64)>,
    Option<&'static str>,
);

const REPORTS: &[Report] = &[
    (
        "infrastructure",
        "Đèn đường ở ngã ba thôn Minh Tiến bị hỏng hai tuần nay, buổi tối học sinh đi học về rất tối.",
        Some((19.3241, 105.1762)),
        Some("UBND xã đã cử cán bộ thay bóng đèn ngày 20/11. Cảm ơn bà con đã phản ánh."),
    ),
    (
        "environment",
        "Cánh đồng phía bắc bản Hợp Thành có người đốt rơm rạ, khói bay vào khu dân cư.",
        Some((19.329, 105.1905)),
        Some("Xã đã nhắc nhở các hộ và hướng dẫn ủ rơm làm phân hữu cơ thay vì đốt."),
    ),
    (
        "security",
        "Có nhóm thanh niên tụ tập đua xe trên đường liên thôn sau 23 giờ.",
        Some((19.3102, 105.1650)),
        None,
    ),
    (
        "new_rural",
        "Đề nghị bê tông hóa đoạn đường nội đồng từ thôn Minh Hòa ra khu sản xuất cam.",
        None,
        None,
    ),
];

/// Seeds the reports as `citizen`, answered by `official`.
pub async fn seed(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    citizen: i64,
    official: i64,
) -> AppResult<()> {
    store::set_area(db, &c.code, Some(AREA)).await?;
    let load = |id| async move {
        accounts::load_user(db, id)
            .await?
            .ok_or_else(|| AppError::internal("demo user missing"))
    };
    let reporter: CurrentUser = load(citizen).await?;
    let handler: CurrentUser = load(official).await?;
    for (category, text, pin, reply) in REPORTS {
        let nf = NewFeedback {
            category_code: (*category).into(),
            text: (*text).into(),
            anonymous: false,
            reporter: Some(reporter.id),
            reporter_name: Some(reporter.full_name.clone()),
            reporter_phone: reporter.phone.clone(),
            reporter_email: None,
            lat: pin.map(|p| p.0),
            lon: pin.map(|p| p.1),
            village_id: reporter.village_id,
            address: String::new(),
            source: "web",
        };
        let checked = store::check_new(db, &c.code, &nf).await?;
        let f = store::submit(db, c, nf, checked, &[]).await?;
        let Some(reply) = reply else { continue };
        let f = store::act(
            db,
            c,
            f.id,
            &handler,
            step(Action::Assign, f.version, None, Some(handler.id)),
        )
        .await?;
        store::act(
            db,
            c,
            f.id,
            &handler,
            step(Action::Answer, f.version, Some(reply), None),
        )
        .await?;
    }
    Ok(())
}

fn step(action: Action, version: i32, note: Option<&str>, assignee: Option<i64>) -> Step<'_> {
    Step {
        action,
        version,
        note,
        assignee_id: assignee,
        department: None,
        merge_into: None,
    }
}
