//! E-mail as a channel (邮件渠道): reading a raw RFC 822 message into the facts kefu
//! needs ([`parse`]), telling auto-replies and bounces apart from people ([`classify`]),
//! the signed reply token that threads replies safely ([`token`]), and the rule that
//! decides whether a message opens a ticket, joins one or is held for review
//! ([`thread`]), and the acknowledgement a new ticket gets ([`ack`]). Pure: the store
//! looks the evidence up, these functions decide.

pub mod ack;
pub mod classify;
pub mod html;
pub mod parse;
pub mod thread;
pub mod token;

pub use classify::Kind;
pub use parse::{parse, ParseFailure, ParsedAttachment, ParsedMail};
pub use thread::{decide, number_in_subject, Decision, Evidence, HoldReason, TokenCheck};
