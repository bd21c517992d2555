//! A new commune starts from the standard commune-level procedures instead of an empty catalogue.

use super::*;

/// Activates commune 02269 and signs in its first admin.
async fn new_commune_admin(app: &TestApp) -> Client {
    let mut sys = app.login(common::ADMIN).await;
    let r = sys.post_form("/admin/communes", &[("code", "02269")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = sys
        .post_form(
            "/admin/communes/02269/admin",
            &[
                ("full_name", "Lò Văn Quản"),
                ("phone", "0912 777 001"),
                ("password", "tamthoi-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut admin = app.client();
    let r = admin
        .post_form(
            "/login",
            &[("phone", "0912777001"), ("password", "tamthoi-2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    admin
}

#[tokio::test]
async fn a_new_commune_copies_the_standard_procedures_once_and_only_its_admin_may() {
    on_each_backend!(async |app: &TestApp| {
        let mut admin = new_commune_admin(app).await;
        let page = admin.get("/c/02269/office/procedures").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Xã chưa có thủ tục nào"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Đăng ký khai sinh"), "the set is listed");
        assert!(
            page.body
                .contains("action=\"/c/02269/office/procedures/standard\"")
        );
        assert_eq!(catalogue(&mut admin).await, 0);

        // Without the form's token nothing happens.
        let procedures = app.count("procedure").await;
        let r = admin
            .post_raw_form("/c/02269/office/procedures/standard", &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("procedure").await, procedures);

        // Officials of another commune and citizens may not copy into this one.
        let audits = app.count("audit_log").await;
        let mut other = app.login(common::COMMUNE_ADMIN).await;
        let r = other
            .post_json_csrf("/api/v1/communes/02269/procedures/standard", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let mut citizen = app.login(common::CITIZEN).await;
        let r = citizen
            .post_form("/c/02269/office/procedures/standard", &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("procedure").await, procedures);
        assert_eq!(app.count("audit_log").await, audits);

        // The admin copies the set: one audited action, a message, the catalogue filled.
        let r = admin
            .post_form("/c/02269/office/procedures/standard", &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/c/02269/office/procedures");
        // The page the redirect leads to says what was done (the message is shown once).
        let page = admin.get(r.location()).await.body;
        let total = catalogue(&mut admin).await;
        assert!(total >= 5, "{total}");
        assert_eq!(app.count("audit_log").await, audits + 1);
        assert!(
            page.contains(&format!("Đã thêm {total} thủ tục chuẩn")),
            "{page}"
        );
        assert!(!page.contains("Xã chưa có thủ tục nào"));
        assert!(
            !page.contains("/office/procedures/standard\""),
            "nothing left to copy"
        );
        let log = admin.get("/c/02269/office/audit").await.body;
        assert!(log.contains("Sao chép bộ thủ tục chuẩn"), "{log}");
        let citizen_view = app.client().get("/c/02269/services").await.body;
        assert!(citizen_view.contains("Đăng ký khai sinh"));
        let office = admin.get("/c/02269/office").await.body;
        assert!(
            office.contains("1/"),
            "the procedures step is done: {office}"
        );

        // A second copy adds nothing and keeps what the commune changed.
        let id = admin.get("/api/v1/communes/02269/procedures").await.json()[0]["id"]
            .as_i64()
            .unwrap();
        let edited = admin
            .get(&format!("/api/v1/communes/02269/procedures/{id}"))
            .await
            .json();
        let r = admin
            .post_json_csrf("/api/v1/communes/02269/procedures/standard", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["copied"], 0);
        assert_eq!(r.json()["total"], total);
        assert_eq!(catalogue(&mut admin).await, total);
        assert_eq!(
            admin
                .get(&format!("/api/v1/communes/02269/procedures/{id}"))
                .await
                .json(),
            edited
        );
        assert_eq!(app.count("audit_log").await, audits + 1, "nothing to audit");

        // The demo commune already has the set: its admin is offered nothing.
        let page = other.get("/c/17071/office/procedures").await.body;
        assert!(!page.contains("/office/procedures/standard\""));
    });
}

/// How many procedures the new commune's public catalogue lists.
async fn catalogue(c: &mut Client) -> usize {
    c.get("/api/v1/communes/02269/procedures")
        .await
        .json()
        .as_array()
        .unwrap()
        .len()
}
