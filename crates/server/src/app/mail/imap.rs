//! Reading a mailbox over IMAP: connect (TLS, STARTTLS, or plain to the loopback only),
//! log in with a password or an OAuth2 token (XOAUTH2), select the folder, and fetch the
//! messages after the last UID seen — all of them again when the folder's UIDVALIDITY
//! changed (the stored Message-IDs keep that from duplicating tickets). Where the server
//! offers IDLE, the connection then stays open and waits for the server to announce
//! new mail ([`Connection::wait_for_change`]).

use anyhow::{anyhow, bail, Context};
use futures::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;
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
    /// CA certificates trusted besides the system's (see `trust`).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
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

/// A TLS client that trusts the system's root certificates and `extra`.
pub fn tls_connector(
    extra: &[rustls::pki_types::CertificateDer<'static>],
) -> anyhow::Result<tokio_rustls::TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    for cert in extra {
        roots
            .add(cert.clone())
            .context("a certificate in mail_ca_file is not a usable CA")?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS configuration")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// A connection kefu reads IMAP over: TCP to the loopback, or TLS.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Duplex for T {}

/// A logged-in session with the folder open (read-only).
pub struct Connection {
    session: async_imap::Session<Box<dyn Duplex>>,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// Whether the server offers IDLE (RFC 2177): then the watcher waits for the server
    /// to say a message arrived instead of asking every poll interval.
    pub idle: bool,
}

/// What ended a wait in IDLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The server reported a change in the folder (new mail, most often).
    Changed,
    /// Nothing happened for the whole round.
    Quiet,
    /// The renewal said stop (the lease is gone or the mailbox changed).
    Stopped,
}

/// Connects, logs in and opens the folder.
pub async fn connect(s: &ImapSettings) -> anyhow::Result<Connection> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port))
        .await
        .with_context(|| format!("connect to {}:{}", s.host, s.port))?;
    let client: async_imap::Client<Box<dyn Duplex>> = match s.security.as_str() {
        "tls" => {
            let name = rustls::pki_types::ServerName::try_from(s.host.clone())
                .map_err(|_| anyhow!("{} is not a valid server name", s.host))?;
            let tls = tls_connector(&s.extra_roots)?
                .connect(name, tcp)
                .await
                .context("TLS handshake")?;
            let mut client = async_imap::Client::new(Box::new(tls) as Box<dyn Duplex>);
            greeting(&mut client).await?;
            client
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
            let tls = tls_connector(&s.extra_roots)?
                .connect(name, client.into_inner())
                .await
                .context("TLS handshake after STARTTLS")?;
            async_imap::Client::new(Box::new(tls) as Box<dyn Duplex>)
        }
        "plain" if super::mailboxes::is_loopback(&s.host) => {
            let mut client = async_imap::Client::new(Box::new(tcp) as Box<dyn Duplex>);
            greeting(&mut client).await?;
            client
        }
        other => bail!("connection security {other} is not allowed to {}", s.host),
    };
    open(client, s).await
}

/// Fetches the messages after `last_uid` (or all, when `uid_validity` is not the
/// folder's any more) in one connection.
pub async fn fetch_new(
    s: &ImapSettings,
    uid_validity: Option<u32>,
    last_uid: u32,
) -> anyhow::Result<Fetched> {
    let mut conn = connect(s).await?;
    let messages = conn.fetch_after(uid_validity, last_uid).await?;
    let fetched = Fetched {
        uid_validity: conn.uid_validity,
        messages,
    };
    conn.logout().await;
    Ok(fetched)
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

async fn open(
    client: async_imap::Client<Box<dyn Duplex>>,
    s: &ImapSettings,
) -> anyhow::Result<Connection> {
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
    let idle = session
        .capabilities()
        .await
        .context("capabilities")?
        .has_str("IDLE");
    let mailbox = session
        .examine(&s.folder)
        .await
        .with_context(|| format!("open folder {}", s.folder))?;
    let uid_validity = mailbox
        .uid_validity
        .ok_or_else(|| anyhow!("the server gave no UIDVALIDITY"))?;
    Ok(Connection {
        session,
        uid_validity,
        idle,
    })
}

impl Connection {
    /// The messages after `last_uid` (all, when `known_validity` is not the folder's),
    /// oldest first, at most [`MAX_PER_POLL`]: one UID SEARCH, then one FETCH of the
    /// UID range.
    pub async fn fetch_after(
        &mut self,
        known_validity: Option<u32>,
        last_uid: u32,
    ) -> anyhow::Result<Vec<(u32, Vec<u8>)>> {
        // What the server said so far is about to be answered by this fetch.
        self.take_news();
        let from = if known_validity == Some(self.uid_validity) {
            last_uid.saturating_add(1)
        } else {
            1
        };
        // `n:*` always matches the last message, even when its UID is below n.
        let mut uids: Vec<u32> = self
            .session
            .uid_search(format!("UID {from}:*"))
            .await
            .context("search")?
            .into_iter()
            .filter(|u| *u >= from)
            .collect();
        uids.sort_unstable();
        uids.truncate(MAX_PER_POLL);
        let mut messages = Vec::with_capacity(uids.len());
        if let (Some(first), Some(last)) = (uids.first(), uids.last()) {
            // The search listed every UID from `first` on, so the range holds just these.
            let stream = self
                .session
                .uid_fetch(format!("{first}:{last}"), "(UID BODY.PEEK[])")
                .await
                .context("fetch")?;
            let fetched: Vec<_> = stream.try_collect().await.context("fetch")?;
            for f in fetched {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    if uid >= from {
                        messages.push((uid, body.to_vec()));
                    }
                }
            }
        }
        messages.sort_by_key(|(uid, _)| *uid);
        Ok(messages)
    }

    /// Whether the server announced new messages since the last look (it does so in
    /// untagged answers to any command).
    fn take_news(&mut self) -> bool {
        let mut news = false;
        while let Ok(r) = self.session.unsolicited_responses.try_recv() {
            news |= matches!(
                r,
                async_imap::types::UnsolicitedResponse::Exists(_)
                    | async_imap::types::UnsolicitedResponse::Recent(_)
            );
        }
        news
    }

    /// Waits in IDLE until the server reports a change or `round` passes (then IDLE is
    /// ended, so the caller re-issues it: servers drop a client idle for 30 minutes).
    /// Every `renew_every` it calls `renew`; when that answers false, the wait stops.
    pub async fn wait_for_change<F, Fut>(
        mut self,
        round: Duration,
        renew_every: Duration,
        mut renew: F,
    ) -> anyhow::Result<(Connection, Woken)>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        if self.take_news() {
            return Ok((self, Woken::Changed));
        }
        let news = self.session.unsolicited_responses.clone();
        let (uid_validity, idle) = (self.uid_validity, self.idle);
        let mut handle = self.session.idle();
        handle.init().await.context("IDLE")?;
        let deadline = tokio::time::Instant::now() + round;
        let mut woken = Woken::Quiet;
        // A message that came while IDLE was starting is announced before the server's
        // go-ahead, among the answers the library sets aside.
        let arrived_meanwhile = std::iter::from_fn(|| news.try_recv().ok()).any(|r| {
            matches!(
                r,
                async_imap::types::UnsolicitedResponse::Exists(_)
                    | async_imap::types::UnsolicitedResponse::Recent(_)
            )
        });
        if arrived_meanwhile {
            woken = Woken::Changed;
        } else {
            let (wait, _stop) = handle.wait_with_timeout(round);
            tokio::pin!(wait);
            let mut renewal = tokio::time::interval(renew_every);
            renewal.tick().await;
            loop {
                tokio::select! {
                    r = &mut wait => {
                        if let async_imap::extensions::idle::IdleResponse::NewData(_) =
                            r.context("IDLE")?
                        {
                            woken = Woken::Changed;
                        }
                        break;
                    }
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = renewal.tick() => {
                        if !renew().await? {
                            woken = Woken::Stopped;
                            break;
                        }
                    }
                }
            }
        }
        let session = handle.done().await.context("ending IDLE")?;
        Ok((
            Connection {
                session,
                uid_validity,
                idle,
            },
            woken,
        ))
    }

    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}
