//! Test harness: the whole platform on a fresh SQLite file, on a fresh PostgreSQL database when
//! `XASO_TEST_PG_URL` is set, and in a fresh schema of a Citus cluster's coordinator when
//! `XASO_TEST_CITUS_URL` is set, driven through HTTP by a small cookie-keeping client.
#![allow(dead_code)]

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kernel::config::Config;
use sea_orm::{ConnectionTrait, Database};
use tower::ServiceExt;

pub struct TestApp {
    pub backend: &'static str,
    pub platform: xaso::Platform,
    /// Demo accounts: phone → password.
    pub passwords: HashMap<String, String>,
    _dir: tempfile::TempDir,
    pg_cleanup: Option<Cleanup>,
}

/// What removes a test's PostgreSQL or Citus data: the server's URL and the statement to run.
pub type Cleanup = (String, String);

pub const ADMIN: &str = "0912000000";
pub const COMMUNE_ADMIN: &str = "0912000001";
pub const LEADER: &str = "0912000002";
pub const OFFICIAL: &str = "0912000003";
pub const CITIZEN: &str = "0912000011";
pub const VILLAGE_HEAD: &str = "0912000004";

/// The distinct back-office pages a page links to (`href="/c/{code}/office/…"`), without
/// query strings, in the order they appear.
pub fn office_links(html: &str, code: &str) -> Vec<String> {
    let prefix = format!("href=\"/c/{code}/office/");
    let mut out: Vec<String> = vec![];
    for (i, _) in html.match_indices(&prefix) {
        let rest = &html[i + 6..];
        let end = rest.find(['"', '?', '#']).unwrap_or(rest.len());
        let link = rest[..end].to_owned();
        if !out.contains(&link) {
            out.push(link);
        }
    }
    out
}

pub fn test_config(dir: &std::path::Path, url: String) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        database_url: url,
        max_body_bytes: 256 * 1024,
        max_upload_bytes: 200 * 1024,
        max_image_side: 800,
        login_ip_limit: 10_000,
        ..Config::default()
    }
}

/// Creates a database or schema with a fresh name on the server at `base` (`CREATE DATABASE` or
/// `CREATE SCHEMA`); answers the name.
async fn create_fresh(base: &str, what: &str) -> String {
    let admin = Database::connect(base)
        .await
        .unwrap_or_else(|e| panic!("connect to {base}: {e}"));
    let name = format!(
        "xaso_t_{}",
        kernel::accounts::random_token(6).to_lowercase()
    );
    admin
        .execute_unprepared(&format!("CREATE {what} {name}"))
        .await
        .unwrap_or_else(|e| panic!("create test {what}: {e}"));
    admin.close().await.ok();
    name
}

/// A fresh place for one test's data on `backend` other than SQLite: a database of its own on
/// PostgreSQL; on Citus a schema of its own in the cluster's database (a database would need
/// the extension and the workers registered again), with few shards so that placing the tables
/// stays quick. Answers the URL and what removes it.
pub async fn fresh_server_db(backend: &str) -> (String, Cleanup) {
    match backend {
        "citus" => {
            let base = std::env::var("XASO_TEST_CITUS_URL").unwrap();
            let name = create_fresh(&base, "SCHEMA").await;
            let sep = if base.contains('?') { '&' } else { '?' };
            (
                format!("{base}{sep}options[search_path]={name}&options[citus.shard_count]=4"),
                (base, format!("DROP SCHEMA IF EXISTS {name} CASCADE")),
            )
        }
        _ => {
            let base = std::env::var("XASO_TEST_PG_URL").unwrap();
            let name = create_fresh(&base, "DATABASE").await;
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            (
                format!("{prefix}/{name}"),
                (base, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
            )
        }
    }
}

/// Runs a test's cleanup statement on its server.
pub async fn clean_up(c: Cleanup) {
    let admin = Database::connect(&c.0).await.unwrap();
    admin.execute_unprepared(&c.1).await.ok();
    admin.close().await.ok();
}

/// An empty database of `backend` with no platform on it (for migration and index tests): a
/// SQLite file or a fresh PostgreSQL database, gone when the `Scratch` is dropped or closed.
pub struct Scratch {
    pub db: sea_orm::DatabaseConnection,
    _dir: tempfile::TempDir,
    pg: Option<Cleanup>,
}

impl Scratch {
    pub async fn new(backend: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = match backend {
            "sqlite" => (
                format!("sqlite://{}/scratch.db?mode=rwc", dir.path().display()),
                None,
            ),
            _ => {
                let (url, cleanup) = fresh_server_db(backend).await;
                (url, Some(cleanup))
            }
        };
        let db = kernel::db::connect(&url).await.unwrap();
        Scratch { db, _dir: dir, pg }
    }

    /// Closes the connection and drops the PostgreSQL database or Citus schema.
    pub async fn close(self) {
        self.db.close().await.ok();
        if let Some(c) = self.pg {
            clean_up(c).await;
        }
    }
}

impl TestApp {
    pub async fn start(backend: &'static str, tweak: impl Fn(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg_cleanup) = match backend {
            "sqlite" => (
                format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
                None,
            ),
            _ => {
                let (url, cleanup) = fresh_server_db(backend).await;
                (url, Some(cleanup))
            }
        };
        let mut config = test_config(dir.path(), url);
        tweak(&mut config);
        let platform = xaso::build(config).await.expect("platform builds");
        let seeded = xaso::demo::seed(&platform.state.db)
            .await
            .unwrap_or_else(|e| panic!("[{backend}] demo seed: {e:#}"));
        platform
            .state
            .communes
            .reload(&platform.state.db)
            .await
            .unwrap();
        let passwords = seeded.into_iter().map(|(p, _, pw)| (p, pw)).collect();
        TestApp {
            backend,
            platform,
            passwords,
            _dir: dir,
            pg_cleanup,
        }
    }

    /// The platform on a database that already exists (`url`, in `dir` or the PostgreSQL
    /// database `pg` of server `base`, dropped at the end), migrated as a start would.
    pub async fn open(
        backend: &'static str,
        dir: tempfile::TempDir,
        url: String,
        pg: Option<Cleanup>,
        passwords: HashMap<String, String>,
    ) -> TestApp {
        let config = test_config(dir.path(), url);
        let platform = xaso::build(config).await.expect("platform builds");
        TestApp::on_platform(backend, platform, dir, pg, passwords)
    }

    /// A platform the test built itself (to watch its connection, say).
    pub fn on_platform(
        backend: &'static str,
        platform: xaso::Platform,
        dir: tempfile::TempDir,
        pg: Option<Cleanup>,
        passwords: HashMap<String, String>,
    ) -> TestApp {
        TestApp {
            backend,
            platform,
            passwords,
            _dir: dir,
            pg_cleanup: pg,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.platform.router.clone())
    }

    /// A client signed in as one of the demo accounts.
    pub async fn login(&self, phone: &str) -> Client {
        let mut c = self.client();
        let pw = self.passwords[phone].clone();
        let r = c
            .post_form("/login", &[("phone", phone), ("password", &pw)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] login {phone}: {}",
            self.backend,
            r.body
        );
        c
    }

    pub async fn deliver(&self) {
        self.platform
            .dispatcher
            .deliver_due(chrono::Utc::now(), 1000)
            .await
            .unwrap();
    }

    pub async fn count(&self, table: &str) -> i64 {
        let db = &self.platform.state.db;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    pub async fn finish(self) {
        let TestApp {
            platform,
            pg_cleanup,
            ..
        } = self;
        let db = platform.state.db.clone();
        drop(platform);
        db.close().await.ok();
        if let Some(c) = pg_cleanup {
            clean_up(c).await;
        }
    }
}

/// A client holding an API token of one of the demo accounts (`POST /api/v1/auth/token`).
pub async fn token_client(app: &TestApp, phone: &str) -> Client {
    let mut c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/token",
            serde_json::json!({"phone": phone, "password": app.passwords[phone], "name": "test"}),
        )
        .await;
    c.bearer = Some(r.json()["token"].as_str().unwrap().to_owned());
    c
}

/// The backends to run every test on.
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var("XASO_TEST_PG_URL").is_ok_and(|u| !u.is_empty()) {
        v.push("postgres");
    }
    if std::env::var("XASO_TEST_CITUS_URL").is_ok_and(|u| !u.is_empty()) {
        v.push("citus");
    }
    v
}

/// Runs `scenario` once per backend on a fresh platform.
#[macro_export]
macro_rules! on_each_backend {
    ($scenario:expr) => {
        on_each_backend!(|_c: &mut kernel::config::Config| {}, $scenario)
    };
    ($tweak:expr, $scenario:expr) => {
        for backend in common::backends() {
            let app = common::TestApp::start(backend, $tweak).await;
            $scenario(&app).await;
            app.finish().await;
        }
    };
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Clone)]
pub struct Client {
    target: Target,
    pub cookies: HashMap<String, String>,
    pub bearer: Option<String>,
}

/// Where a client's requests go: the platform in this process, or a `xaso serve` process
/// listening at an address (over HTTP/1.1, one connection per request).
#[derive(Clone)]
enum Target {
    Router(axum::Router),
    Remote(std::net::SocketAddr),
}

/// A small one-colour PNG, for uploads.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 110, 79]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn csrf_from(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_owned())
}

impl Client {
    pub fn new(router: axum::Router) -> Client {
        Client {
            target: Target::Router(router),
            cookies: HashMap::new(),
            bearer: None,
        }
    }

    /// A client of a `xaso serve` process listening at `addr`.
    pub fn remote(addr: std::net::SocketAddr) -> Client {
        Client {
            target: Target::Remote(addr),
            cookies: HashMap::new(),
            bearer: None,
        }
    }

    /// The same person (cookies, token) asking another process.
    pub fn at(&self, addr: std::net::SocketAddr) -> Client {
        Client {
            target: Target::Remote(addr),
            ..self.clone()
        }
    }

    async fn exchange(&self, mut req: Request<Body>) -> axum::response::Response {
        match &self.target {
            Target::Router(router) => router.clone().oneshot(req).await.unwrap(),
            Target::Remote(addr) => {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(conn);
                req.headers_mut()
                    .insert(header::HOST, addr.to_string().parse().unwrap());
                sender
                    .send_request(req)
                    .await
                    .unwrap_or_else(|e| panic!("request to {addr}: {e}"))
                    .map(Body::new)
            }
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Resp {
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
        }
        if let Some(b) = &self.bearer {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {b}").parse().unwrap(),
            );
        }
        let res = self.exchange(req).await;
        for v in res.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A CSRF token for this client's cookie, read from a form page as a browser would.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/login").await;
        csrf_from(&page.body).expect("login page has a CSRF field")
    }

    /// Posts a form with this client's CSRF token added.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &token));
        self.post_raw_form(path, &all).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_json(&mut self, path: &str, v: serde_json::Value) -> Resp {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_json_csrf(&mut self, path: &str, v: serde_json::Value) -> Resp {
        let token = self.csrf().await;
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(v.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// A JSON request of any method, with the session's CSRF token (PUT, DELETE, PATCH).
    pub async fn send_json_csrf(&mut self, method: &str, path: &str, v: serde_json::Value) -> Resp {
        let token = self.csrf().await;
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(v.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// A multipart form with several files: (field, file name, content type, bytes).
    pub async fn post_multipart_files(
        &mut self,
        path: &str,
        files: &[(&str, &str, &str, Vec<u8>)],
        extra: &[(&str, &str)],
    ) -> Resp {
        let boundary = "XASOBOUNDARY7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in extra {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, filename, content_type, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_multipart(
        &mut self,
        path: &str,
        field: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        extra: &[(&str, &str)],
    ) -> Resp {
        let boundary = "XASOBOUNDARY7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in extra {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}
