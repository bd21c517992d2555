//! The in-app inbox across communes. Inbox items live with their commune (on Citus, on its
//! worker), so a person's reads name their communes: the home commune, and the others
//! `inbox_commune` remembers. Items from both are listed, counted and marked read; another
//! person cannot touch them; a notice to a commune's own residents remembers nothing.

use super::*;
use kernel::notify::Text;
use kernel::notify::fanout::{FanOut, fan_out};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Statement};

const ELSEWHERE: &str = "02269";

async fn remembered(app: &TestApp, user_id: i64) -> Vec<String> {
    let db = &app.platform.state.db;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT commune_code FROM inbox_commune WHERE user_id = {user_id} ORDER BY 1"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String>("", "commune_code").unwrap())
    .collect()
}

fn titled<'a>(inbox: &'a Value, title: &str) -> &'a Value {
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("«{title}» not in {inbox}"))
}

/// A notice-like message from `commune` to the people `recipients` selects.
async fn fan(app: &TestApp, commune: &str, recipients: sea_orm::sea_query::SelectStatement) {
    let db = &app.platform.state.db;
    fan_out(
        db,
        FanOut {
            commune_code: commune,
            recipients,
            text: Text::written("Lịch tiêm phòng cho trẻ em", "Sáng thứ Hai tại trạm y tế."),
            link: None,
            priority: Priority::Normal,
            reference: ("notice", 1),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_person_reads_their_items_from_every_commune_and_nobody_elses() {
    on_each_backend!(async |app: &TestApp| {
        let b = app.backend;
        let db = &app.platform.state.db;
        let mut citizen = app.login(common::CITIZEN).await;
        let me = my_id(&mut citizen).await;
        // What the demo left there is delivered and read first.
        app.deliver().await;
        let r = citizen.post_form("/inbox/read-all", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{b}] {}", r.body);
        // One message from the commune they live in, one from a commune where they filed a dossier.
        send(app, me, "Họp dân thôn Đông", Priority::Normal, &[]).await;
        notify::notify(
            db,
            Message {
                commune_code: ELSEWHERE,
                user_id: me,
                text: Text::written("Hồ sơ đã được tiếp nhận", "Xã sẽ trả kết quả trước 12/12."),
                link: Some("/track"),
                ..Default::default()
            },
            &[],
        )
        .await
        .unwrap();
        app.deliver().await;
        assert_eq!(remembered(app, me).await, [ELSEWHERE], "[{b}]");

        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert_eq!(inbox["unread"], 2, "[{b}] {inbox}");
        assert_eq!(titled(&inbox, "Họp dân thôn Đông")["commune_code"], "17071");
        let theirs = titled(&inbox, "Hồ sơ đã được tiếp nhận");
        assert_eq!(theirs["commune_code"], ELSEWHERE);
        let id = theirs["id"].as_i64().unwrap();
        assert!(
            citizen
                .get("/inbox")
                .await
                .body
                .contains("Hồ sơ đã được tiếp nhận")
        );

        // Somebody else cannot mark it read, and it stays unread.
        let mut official = app.login(common::OFFICIAL).await;
        let r = official
            .post_json_csrf(&format!("/api/v1/me/inbox/{id}/read"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{b}] {}", r.body);
        // Its owner can; the other item is still unread.
        let r = citizen
            .post_json_csrf(&format!("/api/v1/me/inbox/{id}/read"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{b}] {}", r.body);
        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert_eq!(inbox["unread"], 1, "[{b}] {inbox}");
        assert_ne!(
            titled(&inbox, "Hồ sơ đã được tiếp nhận")["read_at"],
            Value::Null
        );
        assert_eq!(titled(&inbox, "Họp dân thôn Đông")["read_at"], Value::Null);
        let r = citizen.post_form("/inbox/read-all", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{b}] {}", r.body);
        assert_eq!(citizen.get("/api/v1/me/inbox").await.json()["unread"], 0);

        // A notice to the commune's own residents remembers nothing more; one from another
        // commune to this person remembers that commune, and its item is read like the rest.
        let home = kernel::accounts::entity::user::Column::CommuneCode;
        let residents = Query::select()
            .column(kernel::accounts::entity::user::Column::Id)
            .from(kernel::accounts::entity::user::Entity)
            .and_where(Expr::col(home).eq("17071"))
            .to_owned();
        let before = app.count("inbox_commune").await;
        fan(app, "17071", residents).await;
        assert_eq!(app.count("inbox_commune").await, before, "[{b}]");
        let just_me = Query::select()
            .column(kernel::accounts::entity::user::Column::Id)
            .from(kernel::accounts::entity::user::Entity)
            .and_where(Expr::col(kernel::accounts::entity::user::Column::Id).eq(me))
            .to_owned();
        fan(app, "10051", just_me).await;
        assert_eq!(remembered(app, me).await, [ELSEWHERE, "10051"], "[{b}]");
        let inbox = citizen.get("/api/v1/me/inbox").await.json();
        assert_eq!(inbox["unread"], 2, "[{b}] {inbox}");
        let names: Vec<&str> = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["title"] == "Lịch tiêm phòng cho trẻ em")
            .map(|i| i["commune_code"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["10051", "17071"], "[{b}] newest first");
    });
}
