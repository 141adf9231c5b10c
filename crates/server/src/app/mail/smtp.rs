//! Sending one e-mail over SMTP (lettre on tokio with rustls): implicit TLS, STARTTLS,
//! or plain to the loopback only; with our Message-ID and the ticket's signed reply-to
//! address, so the customer's answer threads back to the ticket. What kefu writes by
//! itself (notifications, survey links, acknowledgements) says so in its headers
//! (RFC 3834 `Auto-Submitted: auto-generated`, and Exchange's
//! `X-Auto-Response-Suppress: All`), so out-of-office robots do not answer it and mail
//! loops cannot start; an agent's reply carries neither, as a person's mail.

use anyhow::{anyhow, bail, Context};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: Option<String>,
    pub secret: Option<String>,
    /// CA certificates trusted besides the system's (see `trust`).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub reply_to: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Without angle brackets.
    pub message_id: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
    /// Written by kefu, not by an agent.
    pub automatic: bool,
}

fn mailbox(name: Option<&str>, address: &str) -> anyhow::Result<Mailbox> {
    let address = address
        .parse()
        .map_err(|e| anyhow!("{address:?} is not an e-mail address: {e}"))?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// Sends `m`; returns the server's answer (kept as the delivery reference).
pub async fn send(s: &SmtpSettings, m: &Outgoing<'_>) -> anyhow::Result<String> {
    let mut builder = Message::builder()
        .from(mailbox(Some(m.from_name), m.from_address)?)
        .to(mailbox(None, m.to)?)
        .subject(m.subject)
        .message_id(m.message_id.map(|id| format!("<{id}>")));
    if let Some(reply_to) = m.reply_to {
        builder = builder.reply_to(mailbox(Some(m.from_name), reply_to)?);
    }
    if let Some(parent) = m.in_reply_to {
        builder = builder
            .in_reply_to(format!("<{parent}>"))
            .references(format!("<{parent}>"));
    }
    if m.automatic {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                "All".into(),
            ));
    }
    let email = builder
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.to_string())
        .context("build the message")?;
    let tls = || -> anyhow::Result<TlsParameters> {
        let mut params = TlsParameters::builder(s.host.clone());
        for der in &s.extra_roots {
            params = params.add_root_certificate(Certificate::from_der(der.to_vec())?);
        }
        Ok(params.build_rustls()?)
    };
    let transport = match s.security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
            .tls(Tls::Wrapper(tls()?)),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
            .tls(Tls::Required(tls()?)),
        "plain" if super::mailboxes::is_loopback(&s.host) => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        }
        other => bail!("connection security {other} is not allowed to {}", s.host),
    };
    let mut transport = transport
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(60)));
    if let (Some(user), Some(secret)) = (&s.username, &s.secret) {
        transport = transport.credentials(Credentials::new(user.clone(), secret.clone()));
    }
    let response = transport
        .build()
        .send(email)
        .await
        .with_context(|| format!("SMTP {}:{}", s.host, s.port))?;
    Ok(response
        .message()
        .map(ToString::to_string)
        .collect::<Vec<String>>()
        .join(" "))
}
