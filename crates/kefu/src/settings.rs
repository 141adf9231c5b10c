//! Settings: defaults < `kefu.toml` < `KEFU_*` environment (`*_FILE` for secrets) <
//! command line. Bad settings stop kefu at start-up with a message that says what to fix.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// Where the SQLite database, uploads and exports live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: SQLite in the data directory.
    pub database_url: Option<String>,
    /// `real` or `simulated`.
    pub clock: String,
    /// Mark cookies Secure (serve kefu behind HTTPS).
    pub secure_cookies: bool,
    /// Largest accepted upload, in MB.
    pub max_upload_mb: u64,
    /// The `admin` password used when the account is first created.
    pub admin_password: Option<String>,
    /// Sessions end after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// Sessions end this many hours after log-in, however busy.
    pub session_absolute_hours: i64,
    /// The secret the telephony system (CTI) signs its webhooks with; without it the
    /// webhooks answer 503.
    pub cti_secret: Option<String>,
    /// Largest accepted call recording, in bytes.
    pub max_recording_bytes: u64,
    /// The department tickets from the public web form land in, by name; when none has
    /// that name, the first department where someone holds `ticket.write`.
    pub public_intake_department: String,
    /// New web chats one client address may start per minute (more answer 429).
    pub chat_starts_per_minute: u32,
    /// A PEM file of CA certificates trusted on IMAP and SMTP connections besides the
    /// system's, for mail servers with a certificate from a company CA.
    pub mail_ca_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("kefu-data"),
            database_url: None,
            clock: "real".into(),
            secure_cookies: false,
            max_upload_mb: 128,
            admin_password: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            cti_secret: None,
            max_recording_bytes: 200 * 1024 * 1024,
            public_intake_department: kefu_server::state::DEFAULT_PUBLIC_INTAKE_DEPARTMENT.into(),
            chat_starts_per_minute: kefu_server::app::public::limit::CHATS_PER_WINDOW,
            mail_ca_file: None,
        }
    }
}

/// Values given on the command line; `None` means "not given, keep the lower layers".
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
}

impl Settings {
    pub fn load(config_file: Option<&PathBuf>, overrides: &Overrides) -> anyhow::Result<Settings> {
        let file = config_file
            .cloned()
            .unwrap_or_else(|| PathBuf::from("kefu.toml"));
        if config_file.is_some() && !file.exists() {
            bail!("config file {} does not exist", file.display());
        }
        let mut figment =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file(&file));
        // KEFU_ADMIN_PASSWORD_FILE=/run/secrets/x reads the secret from a file.
        for (key, var) in [
            ("admin_password", "KEFU_ADMIN_PASSWORD_FILE"),
            ("cti_secret", "KEFU_CTI_SECRET_FILE"),
        ] {
            if let Ok(path) = std::env::var(var) {
                let secret = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {var} {path}"))?;
                figment = figment.merge(Serialized::default(key, secret.trim().to_string()));
            }
        }
        let figment = figment
            .merge(Env::prefixed("KEFU_").only(&[
                "listen",
                "data_dir",
                "database_url",
                "clock",
                "secure_cookies",
                "max_upload_mb",
                "admin_password",
                "session_idle_minutes",
                "session_absolute_hours",
                "cti_secret",
                "max_recording_bytes",
                "public_intake_department",
                "chat_starts_per_minute",
                "mail_ca_file",
            ]))
            .merge(Serialized::defaults(overrides));
        let settings: Settings = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("bad configuration: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            bail!(
                "listen = {:?} is not an address like 127.0.0.1:8080",
                self.listen
            );
        }
        if !matches!(self.clock.as_str(), "real" | "simulated") {
            bail!("clock = {:?}: use real or simulated", self.clock);
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
            {
                bail!("database_url must start with sqlite:// or postgres://");
            }
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            bail!("session_idle_minutes must be between 1 and 1440");
        }
        if !(1..=24 * 30).contains(&self.session_absolute_hours) {
            bail!("session_absolute_hours must be between 1 and 720");
        }
        if self.cti_secret.as_ref().is_some_and(|s| s.len() < 16) {
            bail!("cti_secret must be at least 16 characters (share a long random string with the CTI)");
        }
        if !(1024 * 1024..=4 * 1024 * 1024 * 1024).contains(&self.max_recording_bytes) {
            bail!("max_recording_bytes must be between 1048576 (1 MiB) and 4294967296 (4 GiB)");
        }
        if self.public_intake_department.trim().is_empty() {
            bail!("public_intake_department must name a department, e.g. 业务受理组");
        }
        if let Some(file) = &self.mail_ca_file {
            kefu_server::app::mail::trust::extra_roots(Some(file))?;
        }
        if self.chat_starts_per_minute == 0 {
            bail!("chat_starts_per_minute must be at least 1");
        }
        if self.max_upload_mb == 0 || self.max_upload_mb > 4096 {
            bail!("max_upload_mb must be between 1 and 4096");
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("kefu.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_beats_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nclock = \"simulated\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000");
        assert_eq!(s.clock, "simulated");
        let o = Overrides {
            listen: Some("127.0.0.1:9001".into()),
            ..Default::default()
        };
        assert_eq!(
            Settings::load(Some(&file), &o).unwrap().listen,
            "127.0.0.1:9001"
        );
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.toml");
        std::fs::write(&file, "clock = \"sundial\"\n").unwrap();
        let err = Settings::load(Some(&file), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("clock"), "{err}");
        std::fs::write(&file, "colour = \"blue\"\n").unwrap();
        assert!(Settings::load(Some(&file), &Overrides::default()).is_err());
        std::fs::write(&file, "cti_secret = \"short\"\n").unwrap();
        let err = Settings::load(Some(&file), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cti_secret"), "{err}");
    }

    #[test]
    fn cti_settings_come_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.toml");
        std::fs::write(
            &file,
            "cti_secret = \"0123456789abcdef0123\"\nmax_recording_bytes = 10485760\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(s.cti_secret.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(s.max_recording_bytes, 10 * 1024 * 1024);
        let defaults = Settings::load(None, &Overrides::default()).unwrap();
        assert_eq!(defaults.max_recording_bytes, 200 * 1024 * 1024);
    }
}
