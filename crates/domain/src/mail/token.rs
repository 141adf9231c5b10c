//! The reply token: `t.<ticket id>.<mac>`, carried in the reply-to address
//! (`support+t.<id>.<mac>@example.com`) and in the Message-ID of every message kefu
//! sends (`<t.<id>.<mac>.<nonce>@example.com>`). The MAC is an HMAC-SHA256 of the
//! ticket id under the server's mail key, so a sender who only knows a ticket number
//! cannot make a reply join that ticket: a token that does not verify is held.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hex characters of the MAC kept in the token (80 bits: short enough for an address,
/// far beyond guessing).
const MAC_HEX: usize = 20;

/// What a token in an address or Message-ID says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub ticket_id: String,
    pub mac: String,
}

fn mac_of(secret: &[u8], ticket_id: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(b"kefu-mail-reply\0");
    mac.update(ticket_id.as_bytes());
    let mut hex = hex::encode(mac.finalize().into_bytes());
    hex.truncate(MAC_HEX);
    hex
}

/// The token for replies to `ticket_id`.
pub fn sign(secret: &[u8], ticket_id: &str) -> String {
    format!("t.{ticket_id}.{}", mac_of(secret, ticket_id))
}

/// Whether the token's MAC is the one the key gives (compared in constant time).
pub fn verify(secret: &[u8], token: &Token) -> bool {
    let expected = mac_of(secret, &token.ticket_id);
    expected.len() == token.mac.len()
        && expected
            .bytes()
            .zip(token.mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The reply-to address of a ticket: the mailbox address with the token as its `+` tag.
pub fn reply_address(secret: &[u8], mailbox_address: &str, ticket_id: &str) -> String {
    let (local, domain) = mailbox_address
        .split_once('@')
        .unwrap_or((mailbox_address, "localhost"));
    format!("{local}+{}@{domain}", sign(secret, ticket_id))
}

/// A Message-ID (without angle brackets) for a message about `ticket_id`; `nonce`
/// makes each one unique.
pub fn message_id(secret: &[u8], domain: &str, ticket_id: &str, nonce: &str) -> String {
    format!("{}.{nonce}@{domain}", sign(secret, ticket_id))
}

/// Reads `t.<id>.<mac>` at the start of `s` (the rest, e.g. a nonce, is ignored).
fn read(s: &str) -> Option<Token> {
    let rest = s.strip_prefix("t.")?;
    let mut parts = rest.split('.');
    let ticket_id = parts.next()?;
    let mac = parts.next()?;
    let plain = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
    (plain(ticket_id) && plain(mac)).then(|| Token {
        ticket_id: ticket_id.to_ascii_lowercase(),
        mac: mac.to_ascii_lowercase(),
    })
}

/// The token in an address's `+` tag, if any.
pub fn from_address(address: &str) -> Option<Token> {
    let (local, _) = address.split_once('@')?;
    let (_, tag) = local.split_once('+')?;
    read(tag)
}

/// The token at the start of a Message-ID (angle brackets already removed).
pub fn from_message_id(id: &str) -> Option<Token> {
    let (local, _) = id.split_once('@')?;
    read(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_forged_ones_do_not() {
        let key = b"key";
        let address = reply_address(key, "support@example.com", "0190abc");
        let token = from_address(&address).unwrap();
        assert_eq!(token.ticket_id, "0190abc");
        assert!(verify(key, &token));
        assert!(!verify(b"other key", &token));
        let forged = Token {
            mac: "0".repeat(MAC_HEX),
            ..token.clone()
        };
        assert!(!verify(key, &forged));
        let other_ticket = Token {
            ticket_id: "0190abd".into(),
            ..token
        };
        assert!(!verify(key, &other_ticket));
    }

    #[test]
    fn message_ids_carry_the_token() {
        let id = message_id(b"k", "kefu.example.com", "t1", "n1");
        let token = from_message_id(&id).unwrap();
        assert_eq!(token.ticket_id, "t1");
        assert!(verify(b"k", &token));
        assert_eq!(from_message_id("CAF=abc@mail.gmail.com"), None);
        assert_eq!(from_address("support@example.com"), None);
        assert_eq!(from_address("support+news@example.com"), None);
    }
}
