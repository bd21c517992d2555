//! The attachment store: content-addressed files in the database (`file_blob`, beside their
//! commune's rows, so every process of a deployment serves every file and a backup of the
//! database holds them), with size and type checked from the bytes themselves and large phone
//! photos downscaled. The data directory keeps a copy of each file a process wrote or served,
//! read first: a file never changes under its hash, so the copy is never stale.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "attachment")]
    #[schema(as = Attachment)]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub sha256: String,
        pub mime: String,
        pub size_bytes: i64,
        pub width: Option<i32>,
        pub height: Option<i32>,
        pub original_name: String,
        pub uploaded_by: Option<i64>,
        #[schema(value_type = String, format = DateTime)]
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The kinds of file the platform accepts, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }
    pub fn is_image(self) -> bool {
        !matches!(self, Kind::Pdf)
    }
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Jpeg => &["jpg", "jpeg", "jfif"],
            Kind::Png => &["png"],
            Kind::Webp => &["webp"],
            Kind::Pdf => &["pdf"],
        }
    }
}

pub const IMAGES: &[Kind] = &[Kind::Jpeg, Kind::Png, Kind::Webp];
pub const IMAGES_AND_PDF: &[Kind] = &[Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Pdf];

/// What the bytes are, whatever the name says.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Every extension we know; a name ending in one of them must match the content.
fn name_contradicts(name: &str, kind: Kind) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let ext = ext.to_ascii_lowercase();
    let known = [Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Pdf]
        .iter()
        .flat_map(|k| k.extensions())
        .chain(
            [
                "gif", "doc", "docx", "xls", "xlsx", "exe", "zip", "txt", "html", "svg", "heic",
            ]
            .iter(),
        )
        .any(|e| *e == ext);
    known && !kind.extensions().contains(&ext.as_str())
}

#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
    pub max_bytes: usize,
    pub max_side: u32,
}

/// A file written by [`FileStore::put`], to record in the database (inside the transaction).
pub struct Stored {
    sha: String,
    kind: Kind,
    bytes: Vec<u8>,
    width: Option<u32>,
    height: Option<u32>,
    name: String,
}

impl Stored {
    /// The file's bytes (once per commune) and the attachment's row, for a commune: in the
    /// caller's transaction, so a row never lacks its bytes.
    pub async fn record(
        self,
        db: &impl ConnectionTrait,
        commune_code: &str,
        uploaded_by: Option<i64>,
    ) -> AppResult<entity::Model> {
        let size = self.bytes.len();
        keep_blob(db, commune_code, &self.sha, self.bytes).await?;
        Ok(entity::ActiveModel {
            commune_code: Set(commune_code.into()),
            sha256: Set(self.sha),
            mime: Set(self.kind.mime().into()),
            size_bytes: Set(size as i64),
            width: Set(self.width.map(|w| w as i32)),
            height: Set(self.height.map(|h| h as i32)),
            original_name: Set(self.name),
            uploaded_by: Set(uploaded_by),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?)
    }
}

/// Stores a file's bytes for a commune unless they are there already.
async fn keep_blob(
    db: &impl ConnectionTrait,
    commune_code: &str,
    sha: &str,
    bytes: Vec<u8>,
) -> AppResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO file_blob (commune_code, sha256, bytes) VALUES ($1, $2, $3) \
         ON CONFLICT (commune_code, sha256) DO NOTHING",
        [commune_code.into(), sha.into(), bytes.into()],
    ))
    .await?;
    Ok(())
}

pub struct Prepared {
    kind: Kind,
    bytes: Vec<u8>,
    width: Option<u32>,
    height: Option<u32>,
}

/// Checks and, for oversize photos, downscales an upload. Pure CPU: call off the async threads.
pub fn prepare(
    bytes: Vec<u8>,
    name: &str,
    allowed: &[Kind],
    max_bytes: usize,
    max_side: u32,
) -> AppResult<Prepared> {
    if bytes.len() > max_bytes {
        return Err(AppError {
            field: Some("file"),
            ..AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large")
        });
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file_empty", "file"));
    }
    let kind = sniff(&bytes)
        .filter(|k| allowed.contains(k))
        .ok_or_else(|| AppError::invalid("file_type", "file"))?;
    if name_contradicts(name, kind) {
        return Err(AppError::invalid("file_mismatch", "file"));
    }
    if !kind.is_image() {
        return Ok(Prepared {
            kind,
            bytes,
            width: None,
            height: None,
        });
    }
    let format = match kind {
        Kind::Jpeg => image::ImageFormat::Jpeg,
        Kind::Png => image::ImageFormat::Png,
        _ => image::ImageFormat::WebP,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(256 * 1024 * 1024);
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|_| AppError::invalid("file_corrupt", "file"))?;
    let (w, h) = (img.width(), img.height());
    if w.max(h) <= max_side {
        return Ok(Prepared {
            kind,
            bytes,
            width: Some(w),
            height: Some(h),
        });
    }
    // Re-encoding also drops EXIF, which on phone photos includes the GPS position of the home.
    let small = img.resize(max_side, max_side, image::imageops::FilterType::Triangle);
    let mut out = Cursor::new(Vec::new());
    let kind = if kind == Kind::Png {
        small
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(AppError::internal)?;
        Kind::Png
    } else {
        let rgb = small.to_rgb8();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        rgb.write_with_encoder(enc).map_err(AppError::internal)?;
        Kind::Jpeg
    };
    Ok(Prepared {
        kind,
        bytes: out.into_inner(),
        width: Some(small.width()),
        height: Some(small.height()),
    })
}

impl FileStore {
    pub fn new(data_dir: &Path, max_bytes: usize, max_side: u32) -> Self {
        FileStore {
            root: data_dir.join("files"),
            max_bytes,
            max_side,
        }
    }

    fn path_of(&self, sha: &str) -> PathBuf {
        self.root.join(&sha[..2]).join(&sha[2..4]).join(sha)
    }

    /// Checks, stores and records an upload for a commune.
    pub async fn store(
        &self,
        db: &impl ConnectionTrait,
        commune_code: &str,
        uploaded_by: Option<i64>,
        name: &str,
        bytes: Vec<u8>,
        allowed: &'static [Kind],
    ) -> AppResult<entity::Model> {
        self.put(name, bytes, allowed)
            .await?
            .record(db, commune_code, uploaded_by)
            .await
    }

    /// Checks an upload, downscales a large photo and keeps a copy in the data directory: the
    /// slow part, to do before a write transaction (SQLite's write lock is held from its
    /// BEGIN). The bytes go to the database with the attachment's row ([`Stored::record`]).
    pub async fn put(
        &self,
        name: &str,
        bytes: Vec<u8>,
        allowed: &'static [Kind],
    ) -> AppResult<Stored> {
        let (max_bytes, max_side, owned_name) = (self.max_bytes, self.max_side, name.to_owned());
        let prepared = tokio::task::spawn_blocking(move || {
            prepare(bytes, &owned_name, allowed, max_bytes, max_side)
        })
        .await
        .map_err(AppError::internal)??;
        let sha = hex::encode(Sha256::digest(&prepared.bytes));
        self.copy_to_disk(&sha, &prepared.bytes).await;
        let clean_name: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(200)
            .collect();
        Ok(Stored {
            sha,
            kind: prepared.kind,
            bytes: prepared.bytes,
            width: prepared.width,
            height: prepared.height,
            name: if clean_name.is_empty() {
                "file".into()
            } else {
                clean_name
            },
        })
    }

    pub async fn find(
        &self,
        db: &impl ConnectionTrait,
        commune_code: &str,
        id: i64,
    ) -> AppResult<entity::Model> {
        entity::Entity::find_by_id((commune_code.to_owned(), id))
            .one(db)
            .await?
            .ok_or_else(AppError::not_found)
    }

    /// A file's bytes: this process's copy, or the database's (then copied for next time).
    pub async fn read(&self, db: &impl ConnectionTrait, m: &entity::Model) -> AppResult<Vec<u8>> {
        if let Ok(bytes) = tokio::fs::read(self.path_of(&m.sha256)).await {
            return Ok(bytes);
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT bytes FROM file_blob WHERE commune_code = $1 AND sha256 = $2",
                [m.commune_code.clone().into(), m.sha256.clone().into()],
            ))
            .await?
            .ok_or_else(|| AppError::internal(format!("file {} has no bytes", m.sha256)))?;
        let bytes: Vec<u8> = row.try_get("", "bytes")?;
        self.copy_to_disk(&m.sha256, &bytes).await;
        Ok(bytes)
    }

    /// Keeps a copy of a file in the data directory; a copy that cannot be written is only
    /// a slower next read.
    async fn copy_to_disk(&self, sha: &str, bytes: &[u8]) {
        let path = self.path_of(sha);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return;
        }
        let dir = path.parent().expect("hashed path has a parent");
        // Write then rename: a crash never leaves a half file under a valid hash.
        let tmp = dir.join(format!(".{sha}.{}", crate::accounts::random_token(4)));
        let written = async {
            tokio::fs::create_dir_all(dir).await?;
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(e) = written.await {
            tracing::warn!(error = %e, "file copy not kept in the data directory");
        }
    }

    /// Carries files that only the data directory holds (written before the database kept
    /// them) into the database, so every process can serve them; returns how many.
    pub async fn carry_over(&self, db: &impl ConnectionTrait) -> AppResult<u64> {
        let missing = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT DISTINCT a.commune_code, a.sha256 FROM attachment a WHERE NOT EXISTS \
                 (SELECT 1 FROM file_blob b WHERE b.commune_code = a.commune_code AND b.sha256 = a.sha256)",
            ))
            .await?;
        let mut carried = 0;
        for row in missing {
            let commune: String = row.try_get("", "commune_code")?;
            let sha: String = row.try_get("", "sha256")?;
            match tokio::fs::read(self.path_of(&sha)).await {
                Ok(bytes) => {
                    keep_blob(db, &commune, &sha, bytes).await?;
                    carried += 1;
                }
                Err(e) => {
                    tracing::warn!(%commune, %sha, error = %e, "attachment has no file on disk to carry over")
                }
            }
        }
        Ok(carried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(&png(2, 2)), Some(Kind::Png));
        assert_eq!(sniff(&jpeg(2, 2)), Some(Kind::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7 ..."), Some(Kind::Pdf));
        assert_eq!(sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn rejects_wrong_type_and_lying_names() {
        let e = prepare(b"<script>".to_vec(), "a.jpg", IMAGES, 1000, 100)
            .err()
            .unwrap();
        assert_eq!(e.code, "file_type");
        let e = prepare(jpeg(4, 4), "scan.pdf", IMAGES_AND_PDF, 100_000, 100)
            .err()
            .unwrap();
        assert_eq!(e.code, "file_mismatch");
        let e = prepare(b"%PDF-1.4".to_vec(), "x.pdf", IMAGES, 1000, 100)
            .err()
            .unwrap();
        assert_eq!(e.code, "file_type");
        let e = prepare(vec![0xFF; 2000], "a.jpg", IMAGES, 1000, 100)
            .err()
            .unwrap();
        assert_eq!(e.code, "file_too_large");
        let e = prepare(vec![0xFF, 0xD8, 0xFF, 0, 1, 2], "a.jpg", IMAGES, 1000, 100)
            .err()
            .unwrap();
        assert_eq!(e.code, "file_corrupt");
    }

    #[test]
    fn downscales_large_photos() {
        let p = prepare(jpeg(3000, 2000), "IMG_0001.JPG", IMAGES, 50_000_000, 1600).unwrap();
        assert_eq!((p.width, p.height), (Some(1600), Some(1067)));
        assert_eq!(sniff(&p.bytes), Some(Kind::Jpeg));
        let small = prepare(png(40, 30), "logo.png", IMAGES, 50_000, 1600).unwrap();
        assert_eq!((small.width, small.height), (Some(40), Some(30)));
    }
}
