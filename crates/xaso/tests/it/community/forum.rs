//! The forum through HTTP: escaping and text rules, moderation (locks, pins, hidden posts, abuse
//! reports), who may moderate, and search.

use super::*;

#[tokio::test]
async fn forum_topics_and_replies_are_escaped_and_bad_text_is_refused() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let mut official = app.login(common::OFFICIAL).await;
        let mut anon = app.client();
        let topics = anon.get("/api/v1/communes/17071/forum/topics").await.json()["total"]
            .as_i64()
            .unwrap();
        let id = open_topic(
            &mut citizen,
            "<script>alert(1)</script> Đường liên thôn Minh Tiến",
            "Đoạn đường qua <b>cầu</b> bị sạt <script>alert('x')</script>",
        )
        .await;
        let r = official
            .post_form(
                &format!("/c/17071/forum/{id}/reply"),
                &[("body", "Xã đã giao Địa chính kiểm tra trong tuần.")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for path in ["/c/17071/forum".to_owned(), format!("/c/17071/forum/{id}")] {
            let page = anon.get(&path).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains("<script>alert"), "{path} escapes");
            assert!(
                page.body
                    .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
                "{path} shows the text as written"
            );
        }
        let page = anon.get(&format!("/c/17071/forum/{id}")).await;
        assert!(page.body.contains("&#60;b&#62;cầu&#60;/b&#62;"));
        assert!(
            page.body
                .contains("Xã đã giao Địa chính kiểm tra trong tuần.")
        );
        assert!(
            page.body.contains("Công chức xã"),
            "the official's reply is marked"
        );
        // Stored as written.
        let t = topic_json(&mut anon, id).await;
        assert_eq!(
            t["topic"]["title"],
            "<script>alert(1)</script> Đường liên thôn Minh Tiến"
        );
        assert_eq!(t["topic"]["reply_count"], 1);
        assert_eq!(t["posts"][0]["opening"], true);
        assert_eq!(t["total_posts"], 2);

        // Empty, short or oversized text is refused and nothing is written.
        let before = (
            app.count("forum_topic").await,
            app.count("forum_post").await,
        );
        let long = "ư".repeat(10_001);
        for (title, body, msg) in [
            ("Đường hỏng", "   ", "Vui lòng nhập nội dung bài viết"),
            ("ab", "Nội dung", "Tiêu đề chủ đề cần từ 3 đến 200 ký tự"),
            (
                &*"đ".repeat(201),
                "Nội dung",
                "Tiêu đề chủ đề cần từ 3 đến 200 ký tự",
            ),
            ("Đường hỏng", &*long, "tối đa 10.000 ký tự"),
        ] {
            let r = citizen
                .post_form("/c/17071/forum", &[("title", title), ("body", body)])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{msg}");
            assert!(r.body.contains(msg), "{msg}");
        }
        for body in ["", &*long] {
            let r = citizen
                .post_form(&format!("/c/17071/forum/{id}/reply"), &[("body", body)])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            let r = citizen
                .post_json_csrf(
                    &format!("/api/v1/communes/17071/forum/topics/{id}/posts"),
                    json!({"body": body}),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.error_code().starts_with("forum_body_"));
        }
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "  ", "body": "x"}),
            )
            .await;
        assert_eq!(
            (
                r.status,
                r.error_code().as_str(),
                r.json()["error"]["field"].as_str()
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "forum_title_invalid",
                Some("title")
            )
        );
        // Not signed in: sent to log in, nothing written.
        let r = anon
            .post_form(
                &format!("/c/17071/forum/{id}/reply"),
                &[("body", "Ẩn danh")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
        let r = anon
            .post_json(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "Ẩn danh", "body": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            (
                app.count("forum_topic").await,
                app.count("forum_post").await
            ),
            before,
            "nothing written"
        );

        // The longest allowed post is taken; through the API too.
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "Kinh nghiệm trồng cam Vinh", "body": "ư".repeat(10_000)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let api_topic = r.json()["id"].as_i64().unwrap();
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/topics/{api_topic}/posts"),
                json!({"body": "Cảm ơn bà con đã chia sẻ."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // Search ignores accents and case.
        let page = anon.get("/c/17071/forum?q=duong+LIEN+thon").await;
        assert!(page.body.contains("Đường liên thôn Minh Tiến"));
        assert!(!page.body.contains("Kinh nghiệm trồng cam"));
        let found = anon
            .get("/api/v1/communes/17071/forum/topics?q=cam%20vinh")
            .await
            .json();
        assert_eq!(found["total"], 1);
        assert_eq!(found["items"][0]["id"], api_topic);
        let all = anon.get("/api/v1/communes/17071/forum/topics").await.json();
        assert_eq!(all["total"], topics + 2);
        assert_eq!(
            anon.get("/c/17071/forum/999999").await.status,
            StatusCode::NOT_FOUND
        );
    });
}

#[tokio::test]
async fn moderators_lock_pin_and_hide_and_reports_are_once_per_person() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let mut neighbour = app.login("0912000012").await;
        let mut official = app.login(common::OFFICIAL).await;
        let mut leader = app.login(common::LEADER).await;
        let mut anon = app.client();
        let forum_audit = leader
            .get("/api/v1/communes/17071/audit?action=forum")
            .await
            .json()["total"]
            .as_i64()
            .unwrap();
        let (reports, queued) = (
            app.count("forum_report").await,
            official
                .get("/api/v1/communes/17071/forum/reports")
                .await
                .json()["total"]
                .as_i64()
                .unwrap(),
        );
        let older = open_topic(
            &mut citizen,
            "Lịch thu gom rác thôn Minh Thành",
            "Thu gom vào thứ mấy?",
        )
        .await;
        let newer = open_topic(
            &mut neighbour,
            "Học dùng VNeID ở đâu?",
            "Ai hướng dẫn giúp tôi?",
        )
        .await;

        // Pinning puts an older topic first. The demo thread is there too: only the relative
        // order of this test's topics is checked, and that the pinned one leads the list.
        let ids = |v: &Value| -> Vec<i64> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect()
        };
        let ours = |v: &Value| -> Vec<i64> {
            ids(v)
                .into_iter()
                .filter(|id| [older, newer].contains(id))
                .collect()
        };
        let list = anon.get("/api/v1/communes/17071/forum/topics").await.json();
        assert_eq!(ours(&list), vec![newer, older], "newest first");
        assert_eq!(ids(&list)[0], newer, "newest first overall");
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["pinned"] == false)
        );
        let audit = app.count("audit_log").await;
        let r = leader
            .post_form(
                &format!("/c/17071/forum/{older}/moderate"),
                &[("action", "pin")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(app.count("audit_log").await, audit + 1, "audited");
        let list = anon.get("/api/v1/communes/17071/forum/topics").await.json();
        assert_eq!(ours(&list), vec![older, newer]);
        assert_eq!(ids(&list)[0], older, "the pinned topic is first overall");
        assert_eq!(list["items"][0]["pinned"], true);
        assert_eq!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["pinned"] == true)
                .count(),
            1
        );
        let page = anon.get("/c/17071/forum").await;
        let first_title = |body: &str| -> usize {
            [
                "Lịch thu gom rác thôn Minh Thành",
                "Học dùng VNeID",
                "Lịch thu gom rác ở các thôn từ tháng 12",
            ]
            .iter()
            .map(|t| body.find(t).unwrap())
            .min()
            .unwrap()
        };
        assert_eq!(
            page.body.find("Lịch thu gom rác thôn Minh Thành").unwrap(),
            first_title(&page.body),
            "the pinned topic comes first on the page"
        );

        // A locked topic refuses replies with a clear message.
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/topics/{older}/moderation"),
                json!({"action": "lock"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["locked"], true);
        let posts = app.count("forum_post").await;
        let r = citizen
            .post_form(
                &format!("/c/17071/forum/{older}/reply"),
                &[("body", "Thứ Ba ạ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.body
                .contains("Chủ đề đã bị khóa, không nhận thêm trả lời.")
        );
        let r = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/topics/{older}/posts"),
                json!({"body": "Thứ Ba ạ"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "forum_topic_locked")
        );
        assert_eq!(app.count("forum_post").await, posts, "nothing written");
        let r = official
            .post_form(
                &format!("/c/17071/forum/{older}/moderate"),
                &[("action", "unlock")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = citizen
            .post_form(
                &format!("/c/17071/forum/{older}/reply"),
                &[("body", "Thứ Ba ạ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        // A hidden post: its text is shown to moderators only.
        let r = neighbour
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/topics/{newer}/posts"),
                json!({"body": "Quảng cáo cho vay nặng lãi XYZ-777"}),
            )
            .await;
        let spam = r.json()["id"].as_i64().unwrap();
        let before = (
            app.count("audit_log").await,
            topic_json(&mut anon, newer).await,
        );
        let r = official
            .post_form(
                &format!("/c/17071/forum/{newer}/posts/{spam}/moderate"),
                &[("action", "hide"), ("reason", " ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Vui lòng ghi lý do ẩn bài viết"));
        assert_eq!(
            (
                app.count("audit_log").await,
                topic_json(&mut anon, newer).await
            ),
            before,
            "nothing changed"
        );
        let r = official
            .post_form(
                &format!("/c/17071/forum/{newer}/posts/{spam}/moderate"),
                &[("action", "hide"), ("reason", "Quảng cáo tín dụng đen")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for (who, c) in [
            ("public", &mut anon),
            ("author", &mut neighbour),
            ("citizen", &mut citizen),
        ] {
            let page = c.get(&format!("/c/17071/forum/{newer}")).await;
            assert!(!page.body.contains("XYZ-777"), "{who} does not see it");
            assert!(page.body.contains("Bài viết đã bị ẩn"), "{who}");
            assert!(!page.body.contains("tín dụng đen"), "{who}");
        }
        let t = topic_json(&mut anon, newer).await;
        let hidden = t["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == spam)
            .unwrap()
            .clone();
        assert_eq!(
            (hidden["hidden"].clone(), hidden["body"].clone()),
            (json!(true), Value::Null)
        );
        let page = leader.get(&format!("/c/17071/forum/{newer}")).await;
        assert!(page.body.contains("XYZ-777") && page.body.contains("Quảng cáo tín dụng đen"));
        let r = official
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{spam}/moderation"),
                json!({"action": "unhide"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            anon.get(&format!("/c/17071/forum/{newer}"))
                .await
                .body
                .contains("XYZ-777")
        );

        // Hiding the opening post hides the topic's title from the public list and searches.
        let opening = topic_json(&mut anon, older).await["posts"][0]["id"]
            .as_i64()
            .unwrap();
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{opening}/moderation"),
                json!({"action": "hide", "reason": "Sai chuyên mục"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // The demo's "Lịch thu gom rác ở các thôn…" stays: the full title is what must go.
        let page = anon.get("/c/17071/forum").await;
        assert!(
            !page.body.contains("Lịch thu gom rác thôn Minh Thành")
                && page.body.contains("Bài viết đã bị ẩn")
        );
        let found = anon.get("/c/17071/forum?q=thu+gom").await;
        assert!(!found.body.contains("Lịch thu gom rác thôn Minh Thành"));
        assert!(
            found
                .body
                .contains("Lịch thu gom rác ở các thôn từ tháng 12"),
            "the search still finds the topic that is not hidden"
        );
        assert!(
            official
                .get("/c/17071/forum")
                .await
                .body
                .contains("Lịch thu gom rác thôn Minh Thành")
        );

        // Abuse reports: once per person; moderators see the counts.
        let path = format!("/c/17071/forum/{newer}/posts/{spam}/report");
        let r = citizen.post_form(&path, &[("reason", "Lừa đảo")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().contains("reported=1"));
        let r = citizen.post_form(&path, &[("reason", "Lừa đảo")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("Bạn đã báo cáo bài viết này rồi"));
        let r = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{spam}/reports"),
                json!({}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::CONFLICT, "forum_report_exists")
        );
        assert_eq!(app.count("forum_report").await, reports + 1);
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{spam}/reports"),
                json!({"reason": "Tín dụng đen"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = neighbour
            .post_form(&format!("/c/17071/forum/{older}/posts/{spam}/report"), &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the post is not in that topic"
        );
        assert_eq!(app.count("forum_report").await, reports + 2);
        let queue = official.get("/c/17071/office/forum-moderation").await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains("XYZ-777") && queue.body.contains("<strong>2</strong>"));
        let q = official
            .get("/api/v1/communes/17071/forum/reports")
            .await
            .json();
        assert_eq!(q["total"], queued + 1);
        assert_eq!(q["items"][0]["post"]["id"], spam);
        assert_eq!(q["items"][0]["post"]["report_count"], 2);

        // A citizen cannot moderate, nor see the queue.
        let before = (
            app.count("audit_log").await,
            topic_json(&mut anon, newer).await,
        );
        let r = citizen
            .post_form(
                &format!("/c/17071/forum/{newer}/moderate"),
                &[("action", "lock")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = citizen
            .post_form(
                &format!("/c/17071/forum/{newer}/posts/{spam}/moderate"),
                &[("action", "hide"), ("reason", "Tôi không thích")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = citizen
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{spam}/moderation"),
                json!({"action": "hide", "reason": "Tôi không thích"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        assert_eq!(
            citizen.get("/c/17071/office/forum-moderation").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            citizen
                .get("/api/v1/communes/17071/forum/reports")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            (
                app.count("audit_log").await,
                topic_json(&mut anon, newer).await
            ),
            before,
            "nothing changed"
        );
        let audit = leader
            .get("/api/v1/communes/17071/audit?action=forum")
            .await
            .json();
        assert_eq!(
            audit["total"],
            forum_audit + 6,
            "pin, lock, unlock, hide, unhide, hide"
        );
    });
}

#[tokio::test]
async fn an_official_of_another_commune_cannot_moderate_or_edit_here() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let mut admin = app.login(common::COMMUNE_ADMIN).await;
        let id = open_topic(
            &mut citizen,
            "Nước sinh hoạt bị đục",
            "Nước máy thôn Minh Hòa đục mấy hôm nay.",
        )
        .await;
        let opening = topic_json(&mut citizen, id).await["posts"][0]["id"]
            .as_i64()
            .unwrap();
        let mut other = other_commune_admin(app).await;
        let other_id = my_id(&mut other).await;
        let admin_id = my_id(&mut admin).await;

        let before = (
            app.count("audit_log").await,
            app.count("forum_topic").await,
            app.count("forum_post").await,
            app.count("official_profile").await,
            app.count("community_member").await,
        );
        let snapshot = topic_json(&mut citizen, id).await;
        let r = other
            .post_form(
                &format!("/c/17071/forum/{id}/moderate"),
                &[("action", "lock")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.body
                .contains("Bạn chỉ được thao tác trong xã nơi bạn công tác")
        );
        let r = other
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{opening}/moderation"),
                json!({"action": "hide", "reason": "x"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "other_commune")
        );
        assert_eq!(
            other.get("/c/17071/office/forum-moderation").await.status,
            StatusCode::FORBIDDEN
        );
        // Nor write in this commune's forum, edit its directory or its team.
        let r = other
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "Quảng cáo", "body": "x"}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::FORBIDDEN, "forum_not_member")
        );
        let r = other
            .post_form(&format!("/c/17071/forum/{id}/reply"), &[("body", "x")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send_json_csrf(
            &mut other,
            "PUT",
            &format!("/api/v1/communes/17071/directory/{admin_id}"),
            Some(json!({"office_hours": "x"})),
        )
        .await;
        assert_eq!(r.error_code(), "other_commune");
        let r = other
            .post_json_csrf(
                "/api/v1/communes/17071/community-team",
                json!({"name": "X", "team_role": "Y"}),
            )
            .await;
        assert_eq!(r.error_code(), "other_commune");
        assert_eq!(
            (
                app.count("audit_log").await,
                app.count("forum_topic").await,
                app.count("forum_post").await,
                app.count("official_profile").await,
                app.count("community_member").await,
            ),
            before,
            "nothing written"
        );
        assert_eq!(topic_json(&mut citizen, id).await, snapshot);

        // Each commune has its own directory, and its own villages for the team.
        let theirs = other.get("/api/v1/communes/02269/directory").await.json();
        assert_eq!(
            theirs["departments"][0]["officials"][0]["name"],
            "Ma Văn Tám"
        );
        let ours = app.client().get("/c/17071/directory").await;
        assert!(!ours.body.contains("Ma Văn Tám"));
        let r = send_json_csrf(
            &mut other,
            "PUT",
            &format!("/api/v1/communes/02269/directory/{other_id}"),
            Some(json!({"office_hours": "Sáng thứ Hai"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = other
            .post_json_csrf(
                "/api/v1/communes/02269/villages",
                json!({"name": "Thôn Nà Héc", "kind": "thon"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let their_village = r.json()["id"].as_i64().unwrap();
        let r = admin
            .post_json_csrf(
                "/api/v1/communes/17071/community-team",
                json!({"name": "Hà Văn Nam", "team_role": "Thành viên", "village_ids": [their_village]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "village_unknown")
        );
        assert_eq!(
            other
                .get("/api/v1/communes/02269/forum/topics")
                .await
                .json()["total"],
            0,
            "forums are per commune"
        );
    });
}

/// The forum's title search reads `kernel::search`'s index (FTS5 on SQLite, a stored tsvector
/// on PostgreSQL): words match from their start, whatever the accents and case, all of them
/// must appear, a topic written after the migration is found at once, and an overlong query
/// is a clear 400.
#[tokio::test]
async fn forum_search_reads_the_index_from_word_starts() {
    on_each_backend!(async |app: &TestApp| {
        let mut citizen = app.login(common::CITIZEN).await;
        let mut anon = app.client();
        let r = citizen
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                json!({"title": "Khơi thông cống thoát nước xóm Bãi Sậy", "body": "Cống bị tắc sau mưa lớn."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();

        // Starts of words, without accents, any case: the API and the page.
        let found = anon
            .get("/api/v1/communes/17071/forum/topics?q=cong%20THOAT%20bai%20say")
            .await
            .json();
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["items"][0]["id"], id);
        let found = anon
            .get("/api/v1/communes/17071/forum/topics?q=kho%20thon")
            .await
            .json();
        assert_eq!(found["total"], 1, "prefixes: {found}");
        let page = anon.get("/c/17071/forum?q=xom+bai+s").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Khơi thông cống thoát nước xóm Bãi Sậy"));

        // Every word must match, and only from a word's start.
        for q in ["cong%20thoat%20khongco", "hoat%20nuoc"] {
            let found = anon
                .get(&format!("/api/v1/communes/17071/forum/topics?q={q}"))
                .await
                .json();
            assert_eq!(found["total"], 0, "{q}: {found}");
        }

        // Overlong queries are refused on the page and in the API alike.
        let long = "a".repeat(201);
        let r = anon
            .get(&format!("/api/v1/communes/17071/forum/topics?q={long}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.error_code(), "search_too_long");
        let r = anon.get(&format!("/c/17071/forum?q={long}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    });
}

/// The topic list is kept in memory: a new topic, a reply and a hidden opening post show on
/// the next reading, never a stale list.
#[tokio::test]
async fn the_topic_list_shows_every_change_at_once() {
    on_each_backend!(async |app: &TestApp| {
        let mut anon = app.client();
        let mut citizen = app.login(common::CITIZEN).await;
        let mut leader = app.login(common::LEADER).await;
        let title = "Đèn đường thôn Đông không sáng";
        for _ in 0..2 {
            let page = anon.get("/c/17071/forum").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains(title));
        }
        let id = open_topic(&mut citizen, title, "Ba cột đèn tắt từ tuần trước.").await;
        let page = anon.get("/c/17071/forum").await;
        assert!(page.body.contains(title), "a new topic shows at once");
        assert!(page.body.contains("0 trả lời"), "{}", page.body);

        let r = leader
            .post_form(
                &format!("/c/17071/forum/{id}/reply"),
                &[("body", "Xã đã báo điện lực, thứ Hai sẽ sửa.")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = anon.get("/c/17071/forum").await;
        assert!(
            page.body.contains("1 trả lời"),
            "a reply is counted at once"
        );

        let opening = topic_json(&mut anon, id).await["posts"][0]["id"]
            .as_i64()
            .unwrap();
        let r = leader
            .post_json_csrf(
                &format!("/api/v1/communes/17071/forum/posts/{opening}/moderation"),
                json!({"action": "hide", "reason": "Trùng chủ đề"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = anon.get("/c/17071/forum").await;
        assert!(!page.body.contains(title), "a hidden title goes at once");
        let page = leader.get("/c/17071/forum").await;
        assert!(page.body.contains(title), "moderators still see it");
    });
}
