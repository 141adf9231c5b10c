//! From raw bytes to [`ParsedMail`]: headers decoded (RFC 2047 encoded words in any
//! charset mail clients use in China — GB2312, GBK, GB18030, Big5 — and UTF-8), the text
//! and the sanitized HTML body, attachments and inline images, and the classification.
//!
//! HTML is cleaned with ammonia (see [`super::html`]): scripts, styles, event handlers
//! and Outlook's office markup go; remote images are kept but counted, and load only
//! when an agent asks for them.

use super::classify::{classify, Kind, Signals};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

/// What kefu keeps of a message.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// Without angle brackets; `None` when the message has none.
    pub message_id: Option<String>,
    /// In-Reply-To then References, without angle brackets, in order, no repeats.
    pub quoted_ids: Vec<String>,
    /// Lower-cased.
    pub from_address: String,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To and X-Original-To addresses, lower-cased: where a reply
    /// token is looked for.
    pub recipients: Vec<String>,
    pub subject: String,
    /// The plain text (from the HTML when the message has no text part).
    pub text: String,
    /// The sanitized HTML body, when the message has one.
    pub html: Option<String>,
    /// Remote images in the HTML (kept, shown only when an agent asks).
    pub remote_images_blocked: usize,
    pub attachments: Vec<ParsedAttachment>,
    pub kind: Kind,
    /// Parts that could not be decoded as declared (kept as attachments, named here).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ParsedAttachment {
    pub filename: String,
    pub content_type: String,
    /// Referenced from the HTML as `cid:` (an inline image).
    pub inline: bool,
    /// The part's Content-ID without its angle brackets (what `cid:` names).
    pub content_id: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why a message could not be read; the raw bytes are kept with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseFailure {
    pub reason: String,
}

fn fail(reason: &str) -> ParseFailure {
    ParseFailure {
        reason: reason.to_string(),
    }
}

/// Longest subject kept (a ticket subject is short; the full one stays in the raw mail).
const MAX_SUBJECT_CHARS: usize = 200;

pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseFailure> {
    if raw.is_empty() {
        return Err(fail("the message is empty"));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| fail("no RFC 822 headers could be read"))?;
    if msg.headers().is_empty() {
        return Err(fail("no RFC 822 headers could be read"));
    }
    let from = msg
        .from()
        .and_then(Address::first)
        .ok_or_else(|| fail("the message has no From address"))?;
    let from_address = from
        .address()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'))
        .ok_or_else(|| fail("the From header holds no e-mail address"))?;
    let from_name = from
        .name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());

    let mut quoted_ids = Vec::new();
    for id in text_list(msg.in_reply_to())
        .into_iter()
        .chain(text_list(msg.references()))
    {
        let id = strip_brackets(&id);
        if !id.is_empty() && !quoted_ids.contains(&id) {
            quoted_ids.push(id);
        }
    }

    let mut recipients = Vec::new();
    for list in [msg.to(), msg.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(addr) = a.address() {
                recipients.push(addr.trim().to_lowercase());
            }
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for h in msg
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case(name))
        {
            if let Some(v) = h.value().as_text() {
                recipients.push(strip_brackets(v).to_lowercase());
            }
        }
    }

    let subject: String = msg
        .subject()
        .unwrap_or("")
        .trim()
        .chars()
        .take(MAX_SUBJECT_CHARS)
        .collect();

    let text = msg
        .body_text(0)
        .map(|t| t.replace("\r\n", "\n").trim().to_string())
        .unwrap_or_default();
    let (html, remote_images_blocked) = match msg.body_html(0) {
        Some(h) if !msg.html_body.is_empty() && is_html_part(&msg, msg.html_body[0]) => {
            let (clean, blocked) = super::html::sanitize(&h);
            (Some(clean), blocked)
        }
        _ => (None, 0),
    };

    let mut problems = Vec::new();
    let mut attachments = Vec::new();
    for (i, part) in msg.parts.iter().enumerate() {
        if part.is_encoding_problem {
            let name = part
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| format!("undecoded-part-{i}.bin"));
            problems.push(name.clone());
            if !msg.attachments.contains(&(i as u32)) {
                attachments.push(ParsedAttachment {
                    filename: name,
                    content_type: "application/octet-stream".into(),
                    inline: false,
                    content_id: None,
                    bytes: part.contents().to_vec(),
                });
            }
        }
    }
    for (n, part) in msg.attachments().enumerate() {
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let filename = part
            .attachment_name()
            .map(safe_filename)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}{}", n + 1, extension_of(&content_type)));
        let bytes = match &part.body {
            PartType::Message(inner) => inner.raw_message.to_vec(),
            _ => part.contents().to_vec(),
        };
        attachments.push(ParsedAttachment {
            filename,
            content_type,
            inline: part.content_id().is_some(),
            content_id: part
                .content_id()
                .map(|c| c.trim().trim_matches(['<', '>']).to_string())
                .filter(|c| !c.is_empty()),
            bytes,
        });
    }

    let is_report = msg.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) || msg.parts.iter().any(|p| {
        p.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("message")
                && c.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
        })
    });
    let kind = classify(&Signals {
        auto_submitted: msg.header_raw("Auto-Submitted"),
        x_autoreply: msg.header_raw("X-Autoreply"),
        x_autorespond: msg.header_raw("X-Autorespond"),
        precedence: msg.header_raw("Precedence"),
        subject: &subject,
        from: &from_address,
        is_report,
        x_failed_recipients: msg.header_raw("X-Failed-Recipients").is_some(),
    });

    Ok(ParsedMail {
        message_id: msg
            .message_id()
            .map(strip_brackets)
            .filter(|id| !id.is_empty()),
        quoted_ids,
        from_address,
        from_name,
        recipients,
        subject,
        text,
        html,
        remote_images_blocked,
        attachments,
        kind,
        problems,
    })
}

fn is_html_part(msg: &mail_parser::Message<'_>, id: u32) -> bool {
    msg.parts
        .get(id as usize)
        .is_some_and(|p| matches!(p.body, PartType::Html(_)))
}

fn text_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn strip_brackets(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

/// A name that is safe to show and to offer as a download: no path, no control chars.
fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

fn extension_of(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "message/rfc822" => ".eml",
        _ => ".bin",
    }
}
