//! The security review's findings, each driven through HTTP: redirects stay on the platform,
//! pages and cookies and caches keep apart, and every list survives any page number.

use axum::http::{StatusCode, header};

use crate::common::{self, CITIZEN, COMMUNE_ADMIN};

/// Redirect targets a browser would follow to another host: each must come back as a local path.
const EVIL_TARGETS: [&str; 8] = [
    "/%09/evil.example/",
    "/%0D/evil.example/",
    "/%0A/evil.example/",
    "%09//evil.example/",
    "/%5C%09evil.example/",
    "%20//evil.example/",
    "/.//evil.example/",
    "https://evil.example/",
];

fn assert_local(loc: &str, what: &str) {
    assert!(loc.starts_with('/'), "{what}: {loc:?}");
    assert!(!loc.starts_with("//"), "{what}: {loc:?}");
    assert!(
        !loc.chars().any(|c| c.is_control() || c == '\\'),
        "{what}: {loc:?}"
    );
    assert!(!loc.contains("evil"), "{what}: {loc:?}");
}

#[tokio::test]
async fn prefs_back_never_leaves_the_platform() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.client();
        for evil in EVIL_TARGETS {
            let r = c.get(&format!("/prefs?lang=vi&back={evil}")).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}] {evil}", app.backend);
            assert_local(r.location(), evil);
        }
        // A same-origin target still works, with its query.
        let r = c.get("/prefs?lang=en&back=/c/17071/notices%3Fq%3Dx").await;
        assert_eq!(r.location(), "/c/17071/notices?q=x");
    });
}

#[tokio::test]
async fn login_next_never_leaves_the_platform() {
    on_each_backend!(async |app: &common::TestApp| {
        let pw = app.passwords[CITIZEN].clone();
        for evil in EVIL_TARGETS {
            let decoded = percent_decode(evil);
            // The form carries the target on to the POST; it must already be local there.
            let mut c = app.client();
            let form = c.get(&format!("/login?next={evil}")).await;
            assert_eq!(form.status, StatusCode::OK);
            let i = form.body.find("name=\"next\" value=\"").unwrap() + 19;
            let carried = form.body[i..].split('"').next().unwrap();
            assert_local(carried, evil);
            let r = c
                .post_form(
                    "/login",
                    &[("phone", CITIZEN), ("password", &pw), ("next", &decoded)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}] {evil}", app.backend);
            assert_local(r.location(), evil);
            // Refused targets fall back to the person's commune, as if none was given.
            assert_eq!(r.location(), "/c/17071", "{evil}");
        }
        let mut c = app.client();
        let r = c
            .post_form(
                "/login",
                &[("phone", CITIZEN), ("password", &pw), ("next", "/inbox")],
            )
            .await;
        assert_eq!(r.location(), "/inbox");
    });
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every paged list, in each room, answers any page number: no overflow, no 500.
#[tokio::test]
async fn every_list_survives_any_page_number() {
    on_each_backend!(async |app: &common::TestApp| {
        let mut c = app.login(COMMUNE_ADMIN).await;
        let topic = c
            .post_json_csrf(
                "/api/v1/communes/17071/forum/topics",
                serde_json::json!({"title": "Đường thôn Đông", "body": "Khi nào sửa đường?"}),
            )
            .await;
        let topic = topic.json()["id"].as_i64().unwrap_or(1);
        let topic_page = format!("/c/17071/forum/{topic}");
        for huge in ["9223372036854775807", "18446744073709551615", "0"] {
            for list in [
                "/api/v1/communes/17071/audit",
                "/c/17071/office/audit",
                "/api/v1/communes/17071/dossiers",
                "/c/17071/office/dossiers",
                "/api/v1/communes/17071/office/feedback",
                "/c/17071/office/feedback",
                "/api/v1/communes/17071/feedback/board",
                "/c/17071/feedback",
                "/api/v1/communes/17071/forum/topics",
                "/c/17071/forum",
                topic_page.as_str(),
                "/api/v1/communes/17071/forum/reports",
                "/c/17071/office/forum-moderation",
                "/api/v1/communes/17071/notices",
                "/c/17071/notices",
                "/c/17071/office/notices",
            ] {
                let r = c.get(&format!("{list}?page={huge}")).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "[{}] {list}?page={huge}: {}",
                    app.backend,
                    &r.body[..r.body.len().min(300)]
                );
            }
        }
        let audit = c
            .get("/api/v1/communes/17071/audit?page=9223372036854775807")
            .await
            .json();
        assert_eq!(audit["page"], kernel::paging::MAX_PAGE);
    });
}

/// A response shared caches may keep sets no cookie; a normal page still hands out the CSRF one.
#[tokio::test]
async fn public_cacheable_responses_set_no_cookie() {
    on_each_backend!(async |app: &common::TestApp| {
        for path in [
            "/c/17071/events.ics",
            "/static/app.css",
            "/static/htmx.min.js",
            "/static/pwa.js",
            "/static/icons/icon-192.png",
            "/manifest.webmanifest",
        ] {
            // A fresh visitor: no cookie yet, so the old code minted one here.
            let mut c = app.client();
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "[{}] {path}", app.backend);
            let cc = r.headers[header::CACHE_CONTROL].to_str().unwrap();
            assert!(cc.contains("public"), "{path}: {cc}");
            assert!(
                r.headers.get(header::SET_COOKIE).is_none(),
                "[{}] {path} is public ({cc}) yet sets {:?}",
                app.backend,
                r.headers.get_all(header::SET_COOKIE)
            );
        }
        let mut c = app.client();
        let r = c.get("/c/17071").await;
        assert_eq!(r.status, StatusCode::OK);
        let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.starts_with("xaso_csrf="), "{cookie}");
        assert!(
            !r.headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("public")
        );
    });
}

/// Every page carries the Content-Security-Policy, and no page needs what it forbids: no
/// inline script, no inline event handler, no inline style element or attribute.
#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    on_each_backend!(
        |c: &mut kernel::config::Config| {
            c.map_tiles = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png".into()
        },
        async |app: &common::TestApp| {
            let mut anon = app.client();
            let mut official = app.login(COMMUNE_ADMIN).await;
            let pages = [
                "/",
                "/login",
                "/register",
                "/c/17071",
                "/c/17071/feedback",
                "/c/17071/notices",
                "/c/17071/services",
                "/c/17071/track",
                "/c/17071/forum",
                "/c/17071/polls",
                "/offline",
                "/api/docs",
                "/c/99999",
            ];
            let office = [
                "/me",
                "/inbox",
                "/c/17071/feedback/new",
                "/c/17071/office/delivery",
                "/c/17071/office",
                "/c/17071/office/audit",
                "/c/17071/office/staff",
                "/c/17071/office/feedback",
                "/c/17071/office/dossiers",
                "/c/17071/office/notices",
                "/c/17071/office/polls",
                "/c/17071/office/bulletin",
                "/c/17071/office/branding",
                "/c/17071/office/services-stats",
            ];
            for (who, path) in pages
                .iter()
                .map(|p| (false, *p))
                .chain(office.iter().map(|p| (true, *p)))
            {
                let c = if who { &mut official } else { &mut anon };
                let r = c.get(path).await;
                let ct = r
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                assert!(ct.starts_with("text/html"), "{path}: {} {ct}", r.status);
                let csp = r
                    .headers
                    .get(header::CONTENT_SECURITY_POLICY)
                    .unwrap_or_else(|| panic!("[{}] {path} has no CSP", app.backend))
                    .to_str()
                    .unwrap()
                    .to_owned();
                for d in [
                    "default-src 'self'",
                    "script-src 'self'",
                    "style-src 'self'",
                    "img-src 'self' data: blob: https://*.tile.openstreetmap.org",
                    "connect-src 'self'",
                    "frame-ancestors 'none'",
                    "form-action 'self'",
                    "base-uri 'self'",
                    "object-src 'none'",
                ] {
                    assert!(csp.contains(d), "{path}: {d} missing in {csp}");
                }
                assert!(!csp.contains("unsafe"), "{path}: {csp}");
                let html = r.body.to_ascii_lowercase();
                for (i, _) in html.match_indices("<script") {
                    let tag = &html[i..i + html[i..].find('>').unwrap()];
                    assert!(tag.contains(" src="), "{path}: inline script {tag}");
                    assert!(
                        html[i..]
                            .split_once('>')
                            .unwrap()
                            .1
                            .starts_with("</script>"),
                        "{path}: script with a body after {tag}"
                    );
                }
                assert!(!html.contains("<style"), "{path}: inline <style>");
                assert!(!html.contains(" style=\""), "{path}: style attribute");
                for handler in [
                    " onclick=",
                    " onchange=",
                    " onsubmit=",
                    " onerror=",
                    " onload=",
                    " oninput=",
                ] {
                    assert!(!html.contains(handler), "{path}: inline handler {handler}");
                }
                assert!(!html.contains("javascript:"), "{path}: javascript: URL");
            }
            // Not a page: no policy needed (and none sent).
            let api = anon.get("/api/v1/communes/17071/villages").await;
            assert!(api.headers.get(header::CONTENT_SECURITY_POLICY).is_none());
        }
    );
}
