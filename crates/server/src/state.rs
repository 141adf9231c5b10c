//! Application state shared by every request.

use crate::app::public::limit::{PublicLimits, RateLimiter};
use crate::clock::Clock;
use crate::i18n::I18n;
use kefu_domain::auth::{LockoutPolicy, SessionPolicy};
use kefu_store::blobs::BlobStore;
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
    /// The shared secret of the CTI webhooks; `None` turns them off (503).
    pub cti_secret: Option<Secret>,
    /// Largest accepted call recording.
    pub max_recording_bytes: u64,
    /// Where tickets from the public web form land, by department name; when no
    /// department has that name, the first one where someone holds `ticket.write`.
    pub public_intake_department: String,
    /// Rate limits of the public form and status page, per client address.
    pub public_limits: PublicLimits,
    /// A PEM file of CA certificates trusted on IMAP and SMTP connections besides the
    /// system's (mail servers with a certificate from a company CA).
    pub mail_ca_file: Option<PathBuf>,
    /// How often an open agent console tells the other servers it is there
    /// (`ws::presence`); shorter only in tests.
    pub console_beat: std::time::Duration,
}

/// The intake department of the handbook's reference organization (document 3).
pub const DEFAULT_PUBLIC_INTAKE_DEPARTMENT: &str = "业务受理组";

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            secure_cookies: false,
            session: SessionPolicy::default(),
            lockout: LockoutPolicy::default(),
            max_upload_bytes: 128 * 1024 * 1024,
            cti_secret: None,
            max_recording_bytes: 200 * 1024 * 1024,
            public_intake_department: DEFAULT_PUBLIC_INTAKE_DEPARTMENT.to_string(),
            public_limits: PublicLimits::default(),
            mail_ca_file: None,
            console_beat: crate::ws::presence::CONSOLE_BEAT,
        }
    }
}

/// A secret that never shows in `Debug` output (and so never in logs).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: Db,
    clock: Clock,
    config: ServerConfig,
    i18n: I18n,
    blobs: BlobStore,
    public_limiter: RateLimiter,
    search: crate::search::SearchService,
    /// The key of survey links, read from the database on first use.
    survey_secret: tokio::sync::OnceCell<Secret>,
    /// Who hears of chat changes (this server's subscribers, and the other servers).
    chat: Arc<crate::ws::hub::ChatHub>,
    /// Which agents have a console open on this server.
    chat_presence: crate::ws::presence::Presence,
    /// The key of e-mail reply tokens, read from the database on first use.
    mail_secret: tokio::sync::OnceCell<Secret>,
    /// Rung when a mailbox is added or changed, so the mailbox readers look at once.
    mail_wake: tokio::sync::Notify,
}

impl AppState {
    pub fn new(db: Db, clock: Clock, config: ServerConfig) -> Self {
        AppState(Arc::new(Inner {
            blobs: BlobStore::new(config.data_dir.join("blobs")),
            search: crate::search::SearchService::new(config.data_dir.join("search")),
            db,
            clock,
            public_limiter: RateLimiter::new(config.public_limits),
            config,
            i18n: I18n::load(),
            survey_secret: tokio::sync::OnceCell::new(),
            chat: Arc::default(),
            chat_presence: Default::default(),
            mail_secret: tokio::sync::OnceCell::new(),
            mail_wake: tokio::sync::Notify::new(),
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

    /// Stored files (call recordings) under `<data_dir>/blobs`.
    pub fn blobs(&self) -> &BlobStore {
        &self.0.blobs
    }

    /// The search index under `<data_dir>/search` (opened on first use).
    pub fn search(&self) -> &crate::search::SearchService {
        &self.0.search
    }

    /// The chat hub (see [`crate::ws::hub`]).
    pub fn chat(&self) -> &Arc<crate::ws::hub::ChatHub> {
        &self.0.chat
    }

    /// Agents' open consoles on this server (see [`crate::ws::presence`]).
    pub fn chat_presence(&self) -> &crate::ws::presence::Presence {
        &self.0.chat_presence
    }

    pub fn i18n(&self) -> &I18n {
        &self.0.i18n
    }

    /// The survey links' signing key once loaded (see `app::surveys::link_secret`).
    pub fn survey_secret(&self) -> &tokio::sync::OnceCell<Secret> {
        &self.0.survey_secret
    }

    /// The e-mail reply tokens' signing key once loaded (see `app::mail::token_secret`).
    pub fn mail_secret(&self) -> &tokio::sync::OnceCell<Secret> {
        &self.0.mail_secret
    }

    /// Rung when a mailbox is added or changed (see `jobs::mail::spawn_readers`).
    pub fn mail_wake(&self) -> &tokio::sync::Notify {
        &self.0.mail_wake
    }

    /// Counts the public pages' requests per client address.
    pub fn public_limiter(&self) -> &RateLimiter {
        &self.0.public_limiter
    }
}
