//! Reading a mailbox over IMAP: connect (TLS, STARTTLS, or plain to the loopback only),
//! log in with a password or an OAuth2 token (XOAUTH2), select the folder, and fetch the
//! messages after the last UID seen — all of them again when the folder's UIDVALIDITY
//! changed (the stored Message-IDs keep that from duplicating tickets).

use anyhow::{anyhow, bail, Context};
use futures::TryStreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Where and how to read.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// `tls`, `starttls` or `plain`.
    pub security: String,
    pub username: String,
    /// `password` or `oauth2`.
    pub auth: String,
    pub secret: String,
    pub folder: String,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// What one poll brought: the folder's UIDVALIDITY and the new messages, oldest first.
#[derive(Debug)]
pub struct Fetched {
    pub uid_validity: u32,
    pub messages: Vec<(u32, Vec<u8>)>,
}

/// Most messages taken in one poll, so one poll stays short; the rest come next time.
pub const MAX_PER_POLL: usize = 500;

struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl async_imap::Authenticator for &XOAuth2<'_> {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

/// A TLS client that trusts the system's root certificates.
pub fn tls_connector() -> anyhow::Result<tokio_rustls::TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS configuration")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Fetches the messages after `last_uid` (or all, when `uid_validity` is not the
/// folder's any more).
pub async fn fetch_new(
    s: &ImapSettings,
    uid_validity: Option<u32>,
    last_uid: u32,
) -> anyhow::Result<Fetched> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port))
        .await
        .with_context(|| format!("connect to {}:{}", s.host, s.port))?;
    match s.security.as_str() {
        "tls" => {
            let name = rustls::pki_types::ServerName::try_from(s.host.clone())
                .map_err(|_| anyhow!("{} is not a valid server name", s.host))?;
            let tls = tls_connector()?
                .connect(name, tcp)
                .await
                .context("TLS handshake")?;
            let mut client = async_imap::Client::new(tls);
            greeting(&mut client).await?;
            session(client, s, uid_validity, last_uid).await
        }
        "starttls" => {
            let mut client = async_imap::Client::new(tcp);
            greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .context("STARTTLS")?;
            let name = rustls::pki_types::ServerName::try_from(s.host.clone())
                .map_err(|_| anyhow!("{} is not a valid server name", s.host))?;
            let tls = tls_connector()?
                .connect(name, client.into_inner())
                .await
                .context("TLS handshake after STARTTLS")?;
            session(async_imap::Client::new(tls), s, uid_validity, last_uid).await
        }
        "plain" if super::mailboxes::is_loopback(&s.host) => {
            let mut client = async_imap::Client::new(tcp);
            greeting(&mut client).await?;
            session(client, s, uid_validity, last_uid).await
        }
        other => bail!("connection security {other} is not allowed to {}", s.host),
    }
}

async fn greeting<T>(client: &mut async_imap::Client<T>) -> anyhow::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match client.read_response().await {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(anyhow!(e).context("reading the server greeting")),
        None => bail!("the server closed the connection before its greeting"),
    }
}

async fn session<T>(
    client: async_imap::Client<T>,
    s: &ImapSettings,
    uid_validity: Option<u32>,
    last_uid: u32,
) -> anyhow::Result<Fetched>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut session = if s.auth == "oauth2" {
        let auth = XOAuth2 {
            user: &s.username,
            token: &s.secret,
        };
        client
            .authenticate("XOAUTH2", &auth)
            .await
            .map_err(|(e, _)| anyhow!(e).context("XOAUTH2 authentication refused"))?
    } else {
        client
            .login(&s.username, &s.secret)
            .await
            .map_err(|(e, _)| anyhow!(e).context("login refused"))?
    };
    let mailbox = session
        .examine(&s.folder)
        .await
        .with_context(|| format!("open folder {}", s.folder))?;
    let validity = mailbox
        .uid_validity
        .ok_or_else(|| anyhow!("the server gave no UIDVALIDITY"))?;
    let from = if uid_validity == Some(validity) {
        last_uid.saturating_add(1)
    } else {
        1
    };
    let mut messages = Vec::new();
    if mailbox.exists > 0 {
        // `n:*` always matches the last message, even when its UID is below n.
        let mut uids: Vec<u32> = session
            .uid_search(format!("UID {from}:*"))
            .await
            .context("search")?
            .into_iter()
            .filter(|u| *u >= from)
            .collect();
        uids.sort_unstable();
        uids.truncate(MAX_PER_POLL);
        if !uids.is_empty() {
            let set = uids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let stream = session
                .uid_fetch(set, "(UID BODY.PEEK[])")
                .await
                .context("fetch")?;
            let fetched: Vec<_> = stream.try_collect().await.context("fetch")?;
            for f in fetched {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    messages.push((uid, body.to_vec()));
                }
            }
        }
    }
    messages.sort_by_key(|(uid, _)| *uid);
    let _ = session.logout().await;
    Ok(Fetched {
        uid_validity: validity,
        messages,
    })
}
