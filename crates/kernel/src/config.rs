//! Runtime configuration: command-line flags and environment over an optional TOML file over defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How the units above the commune are arranged. Today's law has two levels;
/// the 2023 programme documents still have districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Hierarchy {
    #[default]
    ProvinceCommune,
    ProvinceDistrictCommune,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite file, attachments and secrets.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means SQLite inside `data_dir`.
    pub database_url: String,
    /// Seed the demo commune on start when the database has no commune yet.
    pub demo: bool,
    pub hierarchy: Hierarchy,
    /// Public base URL, used in links and to decide on `Secure` cookies.
    pub public_url: String,
    /// Set the `Secure` flag on cookies even when `public_url` is not https (behind a TLS proxy).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes (uploads included).
    pub max_body_bytes: usize,
    /// Largest attachment accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Photos wider or taller than this are downscaled on upload.
    pub max_image_side: u32,
    /// Request timeout in seconds.
    pub request_timeout_secs: u64,
    /// Host name → commune code, for a province deployment where each commune has its own host.
    pub hosts: BTreeMap<String, String>,
    /// Failed logins on one account before a temporary lock-out.
    pub login_max_failures: u32,
    /// Length of the lock-out, in minutes.
    pub login_lockout_minutes: i64,
    /// Session lifetime in days.
    pub session_days: i64,
    /// Sign-in and sign-up attempts allowed from one address per five minutes.
    pub login_ip_limit: u32,
    /// Map tile URL template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`. Empty (the
    /// default) draws maps without tiles, so pages load nothing from outside the deployment.
    pub map_tiles: String,
    /// Attribution the tile provider requires, shown on every map.
    pub map_attribution: String,
    /// A province deployment's forum: topics may be shared with every commune of the
    /// province, and residents and officials anywhere in the province take part in them.
    pub forum_province_wide: bool,
    /// Messages per second per delivery channel (`[rate_limits]`, e.g. `sms = 20`); defaults:
    /// sms 20, zalo 20, email 10, push 200; 0 means unlimited.
    pub rate_limits: BTreeMap<String, f64>,
    /// Each room's own settings, `[rooms.<key>]` (e.g. `[rooms.voice]`), checked by that room
    /// at start-up; a section naming no room is an error.
    pub rooms: BTreeMap<String, toml::Value>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./xaso-data"),
            database_url: String::new(),
            demo: false,
            hierarchy: Hierarchy::default(),
            public_url: String::new(),
            secure_cookies: false,
            max_body_bytes: 12 * 1024 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            max_image_side: 1600,
            request_timeout_secs: 30,
            hosts: BTreeMap::new(),
            login_max_failures: 5,
            login_lockout_minutes: 15,
            session_days: 30,
            login_ip_limit: 30,
            map_tiles: String::new(),
            map_attribution: String::new(),
            forum_province_wide: false,
            rate_limits: BTreeMap::new(),
            rooms: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Reads a TOML config file; unknown keys are an error so typos do not pass silently.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("invalid config {}: {e}", path.display()))
    }

    /// The database URL to use: the configured one, or SQLite inside the data directory.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}/xaso.db?mode=rwc", self.data_dir.display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn is_postgres(&self) -> bool {
        let url = self.effective_database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_rejects_typos() {
        let c: Config = toml::from_str(
            "listen = \"0.0.0.0:9000\"\nhierarchy = \"province-district-commune\"\n[hosts]\n\"minhhop.example\" = \"17071\"\n",
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.hierarchy, Hierarchy::ProvinceDistrictCommune);
        assert_eq!(c.hosts["minhhop.example"], "17071");
        assert_eq!(c.session_days, 30);
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }

    #[test]
    fn sqlite_by_default() {
        let c = Config::default();
        assert!(
            c.effective_database_url()
                .starts_with("sqlite://./xaso-data/xaso.db")
        );
        assert!(!c.is_postgres());
    }
}
