//! Application state shared by every request.

use crate::clock::Clock;
use crate::i18n::I18n;
use kefu_domain::auth::{LockoutPolicy, SessionPolicy};
use kefu_store::Db;
use std::path::PathBuf;
use std::sync::Arc;

/// What the server needs to know beyond the database; built by the binary from settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Mark cookies `Secure` (set when kefu is served over HTTPS).
    pub secure_cookies: bool,
    pub session: SessionPolicy,
    pub lockout: LockoutPolicy,
    /// Largest accepted import upload; larger requests get 413 before they are read.
    pub max_upload_bytes: u64,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            secure_cookies: false,
            session: SessionPolicy::default(),
            lockout: LockoutPolicy::default(),
            max_upload_bytes: 128 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: Db,
    clock: Clock,
    config: ServerConfig,
    i18n: I18n,
}

impl AppState {
    pub fn new(db: Db, clock: Clock, config: ServerConfig) -> Self {
        AppState(Arc::new(Inner {
            db,
            clock,
            config,
            i18n: I18n::load(),
        }))
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    pub fn i18n(&self) -> &I18n {
        &self.0.i18n
    }
}
