//! The standard commune-level set: the common procedures every commune handles, described from
//! public facts (the national public-service portal's commune-level civil-status, certification
//! and residence procedures). A new commune copies it instead of typing its catalogue; the demo
//! commune is seeded with it. Fees and times are the usual legal ones; communes adjust them to
//! their province's resolution.

use crate::model::{FieldKind, FormField, RequiredDocument};
use crate::store::ProcedureInput;

fn doc(name: &str, required: bool) -> RequiredDocument {
    RequiredDocument {
        name: name.into(),
        required,
        form_attachment_id: None,
    }
}

fn field(key: &str, label: &str, required: bool, kind: FieldKind) -> FormField {
    FormField {
        key: key.into(),
        label: label.into(),
        required,
        kind,
        options: vec![],
    }
}

fn choice(key: &str, label: &str, required: bool, options: &[&str]) -> FormField {
    FormField {
        options: options.iter().map(|o| o.to_string()).collect(),
        ..field(key, label, required, FieldKind::Choice)
    }
}

pub fn catalogue() -> Vec<ProcedureInput> {
    let p = |code: &str,
             name: &str,
             field_name: &str,
             legal: &str,
             docs: Vec<RequiredDocument>,
             fields: Vec<FormField>,
             fee: i64,
             days: i32,
             level: &str,
             steps: &str| ProcedureInput {
        code: code.into(),
        name: name.into(),
        field: field_name.into(),
        legal_basis: legal.into(),
        documents: docs,
        form_fields: fields,
        fee_vnd: fee,
        processing_days: days,
        online_level: level.into(),
        steps: steps.into(),
        active: true,
    };
    let steps = "Nộp hồ sơ trực tuyến hoặc tại Bộ phận một cửa\nCông chức tiếp nhận, kiểm tra hồ sơ\nCông chức tư pháp - hộ tịch xử lý\nLãnh đạo UBND xã ký duyệt\nTrả kết quả";
    vec![
        p(
            "HT-01",
            "Đăng ký khai sinh",
            "Hộ tịch",
            "Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP",
            vec![
                doc("Tờ khai đăng ký khai sinh", true),
                doc("Giấy chứng sinh", true),
            ],
            vec![
                field("child_name", "Họ tên trẻ", true, FieldKind::Name),
                field("birth_date", "Ngày sinh", true, FieldKind::PastDate),
                choice("sex", "Giới tính", false, &["Nam", "Nữ"]),
                field("birth_place", "Nơi sinh", true, FieldKind::Text),
                field(
                    "requester_id",
                    "Số CCCD của người đi đăng ký",
                    false,
                    FieldKind::IdNumber,
                ),
            ],
            0,
            1,
            "full",
            steps,
        ),
        p(
            "HT-02",
            "Đăng ký khai tử",
            "Hộ tịch",
            "Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP",
            vec![
                doc("Tờ khai đăng ký khai tử", true),
                doc("Giấy báo tử hoặc giấy tờ thay thế", true),
            ],
            vec![
                field("deceased_name", "Họ tên người mất", true, FieldKind::Name),
                field("death_date", "Ngày mất", true, FieldKind::PastDate),
            ],
            0,
            1,
            "full",
            steps,
        ),
        p(
            "HT-03",
            "Đăng ký kết hôn",
            "Hộ tịch",
            "Luật Hộ tịch 2014; Luật Hôn nhân và gia đình 2014",
            vec![
                doc("Tờ khai đăng ký kết hôn", true),
                doc(
                    "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký ở nơi khác)",
                    false,
                ),
            ],
            vec![field(
                "partner_name",
                "Họ tên bên kia",
                true,
                FieldKind::Name,
            )],
            0,
            3,
            "partial",
            steps,
        ),
        p(
            "HT-04",
            "Cấp giấy xác nhận tình trạng hôn nhân",
            "Hộ tịch",
            "Nghị định 123/2015/NĐ-CP",
            vec![doc("Tờ khai cấp giấy xác nhận tình trạng hôn nhân", true)],
            vec![field("purpose", "Mục đích sử dụng", true, FieldKind::Text)],
            15_000,
            3,
            "full",
            steps,
        ),
        p(
            "HT-05",
            "Cấp bản sao trích lục hộ tịch",
            "Hộ tịch",
            "Nghị định 123/2015/NĐ-CP; Thông tư 281/2016/TT-BTC",
            vec![doc("Tờ khai cấp bản sao trích lục", true)],
            vec![field("copies", "Số bản", true, FieldKind::Number)],
            8_000,
            1,
            "full",
            steps,
        ),
        p(
            "CT-01",
            "Chứng thực bản sao từ bản chính",
            "Chứng thực",
            "Nghị định 23/2015/NĐ-CP",
            vec![doc("Bản chính giấy tờ cần chứng thực", true)],
            vec![
                field("document", "Tên giấy tờ", true, FieldKind::Text),
                field("pages", "Số trang", true, FieldKind::Number),
            ],
            2_000,
            1,
            "offline",
            "Mang bản chính đến Bộ phận một cửa\nCông chức đối chiếu và chứng thực\nNhận bản sao chứng thực",
        ),
        p(
            "CT-02",
            "Chứng thực chữ ký",
            "Chứng thực",
            "Nghị định 23/2015/NĐ-CP",
            vec![doc("Giấy tờ cần chứng thực chữ ký", true)],
            vec![],
            10_000,
            1,
            "offline",
            "Ký trước mặt công chức tại Bộ phận một cửa\nNhận giấy tờ đã chứng thực",
        ),
        p(
            "CT-03",
            "Xác nhận thông tin cư trú",
            "Cư trú",
            "Luật Cư trú 2020; Thông tư 55/2021/TT-BCA",
            vec![doc("Tờ khai thay đổi thông tin cư trú (CT01)", true)],
            vec![field(
                "address",
                "Địa chỉ cư trú",
                true,
                FieldKind::LongText,
            )],
            0,
            3,
            "full",
            steps,
        ),
    ]
}
