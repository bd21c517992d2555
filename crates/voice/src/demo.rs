//! Demo feedback for Xã Minh Hợp: the commune's map area and a few reports at every stage,
//! so the board, the map and the triage inbox show something real on first start.

use kernel::accounts::{self, CurrentUser};

use crate::polls;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use crate::actions::{self, feedback::Step};
use crate::model::{Action, Bounds};
use crate::store::{self, NewFeedback};

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

/// The people the demo acts as.
pub struct Cast {
    pub citizen: i64,
    pub official: i64,
    pub admin: i64,
}

/// Seeds the reports as the citizen, answered by the official; then the directory entry,
/// the digital team, a forum thread and the open satisfaction survey.
pub async fn seed(db: &DatabaseConnection, c: &CommuneInfo, cast: Cast) -> AppResult<()> {
    let Cast {
        citizen,
        official,
        admin,
    } = cast;
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
        let checked = actions::feedback::check_new(db, &c.code, &nf).await?;
        let f = actions::feedback::record(db, c, nf, checked, &[]).await?;
        let Some(reply) = reply else { continue };
        let f = actions::feedback::take_step(
            db,
            c,
            f.id,
            &handler,
            step(Action::Assign, f.version, None, Some(handler.id)),
        )
        .await?;
        actions::feedback::take_step(
            db,
            c,
            f.id,
            &handler,
            step(Action::Answer, f.version, Some(reply), None),
        )
        .await?;
    }
    community(db, c, &reporter, &handler, &load(admin).await?).await?;
    let (title, description, questions) = polls::model::satisfaction_template();
    let now = chrono::Utc::now();
    let input = polls::store::PollInput {
        title,
        description,
        audience: vec![],
        opens_at: now - chrono::Duration::days(1),
        closes_at: now + chrono::Duration::days(30),
        questions,
    };
    polls::actions::save(db, c, &handler, &input).await?;
    Ok(())
}

/// The official's directory entry, the community digital team, and a forum thread.
async fn community(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    citizen: &CurrentUser,
    official: &CurrentUser,
    admin: &CurrentUser,
) -> AppResult<()> {
    use crate::community::actions::{self, NewTopic};
    use crate::community::{directory, team};
    actions::save_profile_as(
        db,
        c,
        official,
        official.id,
        &directory::ProfileInput {
            title: "Công chức Tư pháp - Hộ tịch".into(),
            public_phone: "0238 3883 123".into(),
            public_email: String::new(),
            office_hours: "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:30–17:00; sáng Thứ Bảy tiếp dân"
                .into(),
            visible: None,
        },
    )
    .await?;
    let villages = kernel::tenancy::villages(db, &c.code).await?;
    actions::add_member_as(
        db,
        c,
        admin,
        &team::MemberInput {
            name: "Lương Thị Hạnh".into(),
            phone: "0987 654 001".into(),
            team_role: "Tổ trưởng tổ công nghệ số cộng đồng".into(),
            village_ids: villages.iter().take(3).map(|v| v.id).collect(),
        },
    )
    .await?;
    actions::add_member_as(
        db,
        c,
        admin,
        &team::MemberInput {
            name: "Vi Văn Khánh".into(),
            phone: "0987 654 002".into(),
            team_role: "Đoàn viên thanh niên, hướng dẫn dịch vụ công trực tuyến".into(),
            village_ids: villages.iter().skip(3).map(|v| v.id).collect(),
        },
    )
    .await?;
    let topic = NewTopic {
        title: "Lịch thu gom rác ở các thôn từ tháng 12",
        body: "Bà con cho hỏi từ tháng 12 xe thu gom rác có đi vào các bản Hợp Thành, Hợp Tiến không ạ?",
        share: false,
    };
    let t = actions::create_topic_as(db, c, citizen, topic, false).await?;
    actions::reply_as(
        db,
        c,
        official,
        t.id,
        "Từ ngày 1/12 xe thu gom đi các bản vào sáng thứ Ba và thứ Sáu hằng tuần. Bà con để rác đã phân loại ở điểm tập kết đầu bản.",
        None,
    )
    .await?;
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
