//! The demo commune's notices: a pinned guide to the app, a village meeting on the events
//! calendar, and a tax notice, published by the commune's official.

use chrono::{Duration, Timelike, Utc};
use kernel::accounts::{self, CurrentUser};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use crate::model::{self, Audience, Category, Input};
use crate::store;

pub async fn seed(db: &DatabaseConnection, c: &CommuneInfo, official: i64) -> AppResult<()> {
    let u: CurrentUser = accounts::load_user(db, official)
        .await?
        .ok_or_else(|| AppError::internal("demo official missing"))?;
    let whole = Audience {
        whole_commune: true,
        ..Default::default()
    };
    // Next week's Saturday-ish meeting at 19:30 Viet Nam time, on the hour for a tidy calendar.
    let start = (Utc::now() + Duration::days(6))
        .with_hour(12)
        .and_then(|t| t.with_minute(30))
        .and_then(|t| t.with_second(0))
        .unwrap_or_else(Utc::now);
    let notices = [
        (
            Category::Notice,
            "Lịch thu thuế sử dụng đất phi nông nghiệp năm 2026",
            "Bà con nộp thuế tại **bộ phận một cửa** của xã từ ngày 1 đến 20 hằng tháng, hoặc chuyển khoản theo mã VietQR in trên thông báo thuế.",
            None,
            false,
        ),
        (
            Category::Event,
            "Họp dân thôn Minh Hòa bàn kế hoạch làm đường bê tông",
            "Mời đại diện mỗi hộ dự họp tại nhà văn hóa thôn. Nội dung:\n\n- Phương án làm 1,2 km đường bê tông\n- Mức đóng góp ngày công\n- Bầu ban giám sát cộng đồng",
            Some(start),
            false,
        ),
        (
            Category::Guidance,
            "Hướng dẫn cài ứng dụng Xã Số trên điện thoại",
            "Mở trang của xã bằng Chrome, bấm **Thêm vào màn hình chính**. Bật **Nhận thông báo trên điện thoại này** trong hộp thư để nhận cảnh báo thiên tai kịp thời.",
            None,
            true,
        ),
    ];
    for (category, title, body, event_start, pinned) in notices {
        let checked = model::check(
            Input {
                category,
                title: title.into(),
                body: body.into(),
                audience: whole.clone(),
                publish_at: None,
                expires_at: None,
                event_start,
                event_end: event_start.map(|s| s + Duration::hours(2)),
                location: event_start.map(|_| "Nhà văn hóa thôn Minh Hòa".to_owned()),
                pinned,
            },
            Utc::now(),
        )?;
        store::create(db, c, &u, checked, Vec::new()).await?;
    }
    Ok(())
}
