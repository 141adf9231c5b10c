//! The content-addressed file store: call recordings now, ticket attachments later.
//!
//! A file lives on disk at `<root>/ab/cdef…`, named by its SHA-256, and has a row in
//! `blobs` (size, sniffed content type). Receiving streams the body to a temporary file
//! in the store's own directory while hashing it and counting bytes, so a large upload
//! is never held in memory and an oversized one is cut off at the limit; only a caller
//! who has accepted the file (checked its type, its signature) moves it into place.

use crate::{to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use kefu_domain::blob::{sniff, SNIFF_LEN};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// What kefu knows about a stored file.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlobMeta {
    /// Lowercase hex SHA-256 of the content: the file's name and primary key.
    pub sha256: String,
    pub size: i64,
    /// Sniffed from the first bytes; `application/octet-stream` when unknown.
    pub content_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("reading the upload failed: {0}")]
    Read(Box<dyn std::error::Error + Send + Sync>),
    #[error("writing the file store failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The directory files are stored in.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A received file not yet in the store: dropping it deletes it.
#[derive(Debug)]
pub struct PendingBlob {
    temp: PathBuf,
    final_path: PathBuf,
    meta: BlobMeta,
}

impl BlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BlobStore { root: root.into() }
    }

    /// Where the file with this hash lives, if `sha256` is a well-formed hash.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let well_formed = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| self.root.join(&sha256[..2]).join(&sha256[2..]))
    }

    /// Streams `body` into a temporary file, hashing and sniffing as it goes, and stops
    /// with [`BlobError::TooLarge`] as soon as more than `limit` bytes arrived.
    #[tracing::instrument(skip_all, fields(limit))]
    pub async fn receive<S, B, E>(&self, body: S, limit: u64) -> Result<PendingBlob, BlobError>
    where
        S: Stream<Item = Result<B, E>>,
        B: AsRef<[u8]>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        tokio::fs::create_dir_all(&self.root).await?;
        let temp = self.root.join(format!("incoming-{}.part", crate::new_id()));
        // From here on the guard deletes the temporary file on every early return.
        let mut pending = PendingBlob {
            temp,
            final_path: PathBuf::new(),
            meta: BlobMeta {
                sha256: String::new(),
                size: 0,
                content_type: String::new(),
            },
        };
        let mut file = tokio::fs::File::create(&pending.temp).await?;
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_LEN);
        let mut size: u64 = 0;
        futures::pin_mut!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::Read(e.into()))?;
            let bytes = chunk.as_ref();
            size += bytes.len() as u64;
            if size > limit {
                return Err(BlobError::TooLarge { limit });
            }
            if head.len() < SNIFF_LEN {
                let take = (SNIFF_LEN - head.len()).min(bytes.len());
                head.extend_from_slice(&bytes[..take]);
            }
            hasher.update(bytes);
            file.write_all(bytes).await?;
        }
        if size == 0 {
            return Err(BlobError::Empty);
        }
        file.sync_all().await?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());
        pending.final_path = self.path_of(&sha256).expect("a hex digest is a valid name");
        pending.meta = BlobMeta {
            sha256,
            size: size as i64,
            content_type: sniff(&head)
                .unwrap_or("application/octet-stream")
                .to_string(),
        };
        Ok(pending)
    }
}

impl PendingBlob {
    pub fn meta(&self) -> &BlobMeta {
        &self.meta
    }

    /// Moves the file into the store (a rename within one directory tree). A file with
    /// the same content already there is simply kept.
    pub async fn keep(mut self) -> Result<BlobMeta, BlobError> {
        if let Some(dir) = self.final_path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&self.final_path).await? {
            tokio::fs::remove_file(&self.temp).await?;
        } else {
            tokio::fs::rename(&self.temp, &self.final_path).await?;
        }
        self.temp = PathBuf::new();
        Ok(std::mem::replace(
            &mut self.meta,
            BlobMeta {
                sha256: String::new(),
                size: 0,
                content_type: String::new(),
            },
        ))
    }

    /// The temporary file (for tests and diagnostics).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Records a kept file inside the caller's transaction (a second copy of the same
/// content is the same row).
pub async fn insert_blob_in(
    tx: &mut Tx<'_>,
    meta: &BlobMeta,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, content_type, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(meta.sha256.as_str())
    .bind(meta.size)
    .bind(meta.content_type.as_str())
    .bind(to_millis(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Db {
    pub async fn get_blob(&self, sha256: &str) -> Result<BlobMeta, StoreError> {
        Ok(
            sqlx::query_as("SELECT sha256, size, content_type FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_one(&self.read)
                .await?,
        )
    }
}
