//! Which ticket a message belongs to. The order is fixed by how much each clue can be
//! trusted: a signed token (only kefu can make one) first, then the Message-IDs the
//! sender's client quoted, then a ticket number in the subject (anyone can type one).
//! A clue that points at a ticket but cannot be trusted — a token whose signature does
//! not verify, a number quoted by someone who is not part of that ticket — never joins
//! the ticket on its own: the message is held for a person to decide.

use crate::ticket::TicketNumber;
use serde::Serialize;

/// What the reply token in the recipient addresses or quoted Message-IDs says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    /// No token anywhere.
    Absent,
    /// A token that verifies, naming an existing ticket.
    Valid(String),
    /// A token naming a ticket whose signature does not verify (forged or damaged).
    Forged(String),
}

/// The clues the store found for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub token: TokenCheck,
    /// The ticket of a stored message named in In-Reply-To or References.
    pub referenced: Option<String>,
    /// The ticket whose number is in the subject, and whether the sender is one of its
    /// participants (the customer's e-mail, or an address that already wrote on it).
    pub subject_number: Option<(String, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// The reply token's signature does not verify.
    BadSignature,
    /// The subject names a ticket the sender has no part in.
    NotParticipant,
}

impl HoldReason {
    pub fn code(self) -> &'static str {
        match self {
            HoldReason::BadSignature => "bad_signature",
            HoldReason::NotParticipant => "not_participant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    NewTicket,
    Reply(String),
    Hold {
        ticket_id: String,
        reason: HoldReason,
    },
}

/// The first ticket number (`GD20240506-0001`) in a subject, as QQ Mail and others keep
/// it when the customer answers without threading headers.
pub fn number_in_subject(subject: &str) -> Option<TicketNumber> {
    let upper = subject.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut from = 0;
    while let Some(i) = upper[from..].find("GD").map(|i| i + from) {
        let digits = |start: usize| {
            bytes[start.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let date = digits(i + 2);
        if date == 8 && bytes.get(i + 10) == Some(&b'-') {
            let seq = digits(i + 11);
            if seq >= 4 {
                if let Some(n) = TicketNumber::parse(&upper[i..i + 11 + seq]) {
                    return Some(n);
                }
            }
        }
        from = i + 2;
    }
    None
}

pub fn decide(e: &Evidence) -> Decision {
    match &e.token {
        TokenCheck::Valid(ticket) => return Decision::Reply(ticket.clone()),
        TokenCheck::Forged(ticket) => {
            return Decision::Hold {
                ticket_id: ticket.clone(),
                reason: HoldReason::BadSignature,
            }
        }
        TokenCheck::Absent => {}
    }
    if let Some(ticket) = &e.referenced {
        return Decision::Reply(ticket.clone());
    }
    match &e.subject_number {
        Some((ticket, true)) => Decision::Reply(ticket.clone()),
        Some((ticket, false)) => Decision::Hold {
            ticket_id: ticket.clone(),
            reason: HoldReason::NotParticipant,
        },
        None => Decision::NewTicket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence {
            token: TokenCheck::Absent,
            referenced: None,
            subject_number: None,
        }
    }

    #[test]
    fn numbers_are_found_in_subjects() {
        let n = number_in_subject("回复：空调不制冷 gd20240506-0012（请勿删除）").unwrap();
        assert_eq!(n.as_str(), "GD20240506-0012");
        assert_eq!(number_in_subject("GD2024-01 GD20240506-12"), None);
        assert_eq!(
            number_in_subject("[GDX] Re: [GD20240506-0001]")
                .unwrap()
                .as_str(),
            "GD20240506-0001"
        );
    }

    #[test]
    fn trusted_clues_join_and_untrusted_ones_hold() {
        assert_eq!(decide(&evidence()), Decision::NewTicket);
        let qq_reply = Evidence {
            subject_number: Some(("t1".into(), true)),
            ..evidence()
        };
        assert_eq!(decide(&qq_reply), Decision::Reply("t1".into()));
        let stranger = Evidence {
            subject_number: Some(("t1".into(), false)),
            ..evidence()
        };
        assert_eq!(
            decide(&stranger),
            Decision::Hold {
                ticket_id: "t1".into(),
                reason: HoldReason::NotParticipant
            }
        );
        // A forged token holds even when the subject's number and sender look right.
        let forged = Evidence {
            token: TokenCheck::Forged("t1".into()),
            subject_number: Some(("t1".into(), true)),
            referenced: Some("t1".into()),
        };
        assert_eq!(
            decide(&forged),
            Decision::Hold {
                ticket_id: "t1".into(),
                reason: HoldReason::BadSignature
            }
        );
        let threaded = Evidence {
            referenced: Some("t2".into()),
            subject_number: Some(("t1".into(), false)),
            ..evidence()
        };
        assert_eq!(decide(&threaded), Decision::Reply("t2".into()));
        let signed = Evidence {
            token: TokenCheck::Valid("t3".into()),
            ..threaded
        };
        assert_eq!(decide(&signed), Decision::Reply("t3".into()));
    }
}
