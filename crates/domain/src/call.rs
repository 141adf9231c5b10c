//! Phone calls (来电) as the telephony system (CTI) reports them: the events of one call,
//! how they merge into the call record whatever order they arrive in, the webhook
//! signature, and the IVR menu (语音导航) an admin configures.
//!
//! The raw events are the source of truth; the call record is their projection. Merging
//! is a pure function of the *set* of events received, so a late, repeated or reordered
//! webhook can never leave a different record than the same events in order.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

code_enum! {
    /// What the CTI reports about a call.
    CallEventKind {
        Offered = "offered",
        Answered = "answered",
        Ended = "ended",
    }
}

code_enum! {
    /// Where a call stands: ringing in a queue (offered), talking (answered), or over.
    CallState {
        Offered = "offered",
        Answered = "answered",
        Ended = "ended",
    }
}

code_enum! {
    /// Who hung up.
    HangupSide {
        Caller = "caller",
        Agent = "agent",
        System = "system",
    }
}

code_enum! {
    /// The result of checking the caller's identity (身份核验).
    IdentityResult {
        Passed = "passed",
        Failed = "failed",
    }
}

code_enum! {
    /// How the identity was checked: the registered account, or the last digits of the
    /// ID number (身份证后几位).
    IdentityMethod {
        Account = "account",
        IdLastDigits = "id_last_digits",
    }
}

impl CallEventKind {
    fn rank(self) -> u8 {
        match self {
            CallEventKind::Offered => 0,
            CallEventKind::Answered => 1,
            CallEventKind::Ended => 2,
        }
    }
}

impl HangupSide {
    fn rank(self) -> u8 {
        match self {
            HangupSide::Caller => 0,
            HangupSide::Agent => 1,
            HangupSide::System => 2,
        }
    }
}

/// One event of one call, already parsed (the caller number normalized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub at: DateTime<Utc>,
    pub caller: Option<String>,
    pub ivr_key: Option<String>,
    pub queue: Option<String>,
    /// The agent as the CTI names them: 工号 or username.
    pub agent: Option<String>,
    pub duration_s: Option<i64>,
    pub hangup_side: Option<HangupSide>,
}

impl CallEvent {
    /// A total order on events (time first), so that merging can visit any set of
    /// events in one canonical order.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.at,
            self.kind.rank(),
            self.caller.as_deref(),
            self.ivr_key.as_deref(),
            self.queue.as_deref(),
            self.agent.as_deref(),
            self.duration_s,
            self.hangup_side.map(HangupSide::rank),
        )
    }
}

/// A call as its events tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub state: CallState,
    pub caller: Option<String>,
    pub ivr_key: Option<String>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    /// `None` while the `offered` event has not arrived (the others came first).
    pub offered_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Talk time: as reported by the CTI, else from answered to ended.
    pub duration_s: Option<i64>,
    pub hangup_side: Option<HangupSide>,
}

/// Merges a call's events, in whatever order they were received, into the call record.
///
/// The rules, applied to the events in time order: the earliest event of each kind
/// sets its timestamp (a repeated `answered` keeps the first answer); every other
/// field takes the first value any event gives it (CTIs repeat the caller and queue on
/// later events, or send them only there). The state is the furthest the call got: an
/// `ended` that arrives before `answered` still ends the call. Returns `None` for no
/// events.
pub fn merge_events(events: &[CallEvent]) -> Option<CallRecord> {
    let mut sorted: Vec<&CallEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if sorted.is_empty() {
        return None;
    }
    let mut record = CallRecord {
        state: CallState::Offered,
        caller: None,
        ivr_key: None,
        queue: None,
        agent: None,
        offered_at: None,
        answered_at: None,
        ended_at: None,
        duration_s: None,
        hangup_side: None,
    };
    for e in sorted {
        let stamp = match e.kind {
            CallEventKind::Offered => &mut record.offered_at,
            CallEventKind::Answered => &mut record.answered_at,
            CallEventKind::Ended => &mut record.ended_at,
        };
        stamp.get_or_insert(e.at);
        fill(&mut record.caller, &e.caller);
        fill(&mut record.ivr_key, &e.ivr_key);
        fill(&mut record.queue, &e.queue);
        fill(&mut record.agent, &e.agent);
        if e.kind == CallEventKind::Ended {
            fill(&mut record.duration_s, &e.duration_s);
            fill(&mut record.hangup_side, &e.hangup_side);
        }
    }
    record.state = if record.ended_at.is_some() {
        CallState::Ended
    } else if record.answered_at.is_some() {
        CallState::Answered
    } else {
        CallState::Offered
    };
    if record.duration_s.is_none() {
        if let (Some(a), Some(e)) = (record.answered_at, record.ended_at) {
            record.duration_s = Some((e - a).num_seconds().max(0));
        }
    }
    Some(record)
}

fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}

/// Checks an IVR key as the CTI and the admin write it: one of `0`–`9`, `*`, `#`.
pub fn is_ivr_key(key: &str) -> bool {
    matches!(key.as_bytes(), [b'0'..=b'9' | b'*' | b'#'])
}

/// Checks a queue or ticket-type code: 1–32 of `a-z 0-9 _ -`.
pub fn is_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// One entry of the IVR menu: press `key` to reach `queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrOption {
    pub key: String,
    pub label: String,
    pub queue: String,
    /// The ticket type a call through this key starts as (e.g. `complaint`).
    pub ticket_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IvrMenuError {
    #[error("key {0:?} is not one of 0-9, * or #")]
    BadKey(String),
    #[error("key {0} appears twice")]
    DuplicateKey(String),
    #[error("the option for key {0} has no label")]
    MissingLabel(String),
    #[error("the option for key {0} has a label longer than 40 characters")]
    LabelTooLong(String),
    #[error("queue {0:?} is not a code (1-32 of a-z, 0-9, _ and -)")]
    BadQueue(String),
    #[error("ticket type {0:?} is not a code (1-32 of a-z, 0-9, _ and -)")]
    BadTicketType(String),
    #[error("a menu has at most 12 options")]
    TooMany,
}

/// Validates a whole menu as the admin saves it (labels trimmed).
pub fn check_ivr_menu(options: &mut [IvrOption]) -> Result<(), IvrMenuError> {
    if options.len() > 12 {
        return Err(IvrMenuError::TooMany);
    }
    let mut seen = std::collections::HashSet::new();
    for o in options.iter_mut() {
        if !is_ivr_key(&o.key) {
            return Err(IvrMenuError::BadKey(o.key.clone()));
        }
        if !seen.insert(o.key.clone()) {
            return Err(IvrMenuError::DuplicateKey(o.key.clone()));
        }
        o.label = o.label.trim().to_string();
        if o.label.is_empty() {
            return Err(IvrMenuError::MissingLabel(o.key.clone()));
        }
        if o.label.chars().count() > 40 {
            return Err(IvrMenuError::LabelTooLong(o.key.clone()));
        }
        if !is_code(&o.queue) {
            return Err(IvrMenuError::BadQueue(o.queue.clone()));
        }
        if let Some(t) = &o.ticket_type {
            if !is_code(t) {
                return Err(IvrMenuError::BadTicketType(t.clone()));
            }
        }
    }
    Ok(())
}

/// How far the webhook's timestamp may be from the server clock, either way.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Kefu-Timestamp and X-Kefu-Signature headers are required")]
    Missing,
    #[error("X-Kefu-Timestamp must be Unix seconds")]
    BadTimestamp,
    #[error("X-Kefu-Timestamp is {skew_s} s away from the server clock (at most 300 s allowed)")]
    Stale { skew_s: i64 },
    #[error("X-Kefu-Signature must be sha256=<64 hex digits>")]
    Malformed,
    #[error("the signature does not match the request")]
    Mismatch,
}

/// The signature headers of one request, parsed and checked against the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub timestamp: String,
    mac: Vec<u8>,
}

impl SignedRequest {
    /// Parses `X-Kefu-Timestamp` and `X-Kefu-Signature` and refuses a timestamp outside
    /// the window around `now` (a replayed request). Cheap: done before the body is read.
    pub fn parse(
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, SignatureError> {
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(SignatureError::Missing);
        };
        let timestamp = timestamp.trim();
        let secs: i64 = timestamp
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let skew_s = now.timestamp().saturating_sub(secs);
        if skew_s.abs() > SIGNATURE_WINDOW_SECS {
            return Err(SignatureError::Stale { skew_s });
        }
        let mac = signature
            .trim()
            .strip_prefix("sha256=")
            .and_then(|h| hex::decode(h).ok())
            .filter(|m| m.len() == 32)
            .ok_or(SignatureError::Malformed)?;
        Ok(SignedRequest {
            timestamp: timestamp.to_string(),
            mac,
        })
    }

    /// Checks an event webhook: HMAC-SHA256 over `timestamp + "." + body`.
    pub fn verify_event(&self, secret: &[u8], body: &[u8]) -> Result<(), SignatureError> {
        self.verify(secret, &[self.timestamp.as_bytes(), b".", body])
    }

    /// Checks a recording upload: HMAC-SHA256 over
    /// `timestamp + "." + call_id + "." + hex(sha256(body))`, so the body can be hashed
    /// while it streams to disk and never held in memory.
    pub fn verify_recording(
        &self,
        secret: &[u8],
        call_id: &str,
        body_sha256_hex: &str,
    ) -> Result<(), SignatureError> {
        self.verify(
            secret,
            &[
                self.timestamp.as_bytes(),
                b".",
                call_id.as_bytes(),
                b".",
                body_sha256_hex.as_bytes(),
            ],
        )
    }

    fn verify(&self, secret: &[u8], parts: &[&[u8]]) -> Result<(), SignatureError> {
        let mut mac = hmac_of(secret);
        for p in parts {
            mac.update(p);
        }
        // `verify_slice` compares in constant time.
        mac.verify_slice(&self.mac)
            .map_err(|_| SignatureError::Mismatch)
    }
}

fn hmac_of(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// The `X-Kefu-Signature` value for an event body (what the CTI computes).
pub fn sign_event(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = hmac_of(secret);
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `X-Kefu-Signature` value for a recording upload (what the CTI computes).
pub fn sign_recording(secret: &[u8], timestamp: &str, call_id: &str, body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    let mut mac = hmac_of(secret);
    mac.update(format!("{timestamp}.{call_id}.{digest}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn ev(kind: CallEventKind, at: i64) -> CallEvent {
        CallEvent {
            kind,
            at: t(at),
            caller: None,
            ivr_key: None,
            queue: None,
            agent: None,
            duration_s: None,
            hangup_side: None,
        }
    }

    #[test]
    fn ended_before_answered_still_ends_with_talk_time() {
        let offered = CallEvent {
            caller: Some("13812345678".into()),
            queue: Some("complaint".into()),
            ..ev(CallEventKind::Offered, 0)
        };
        let answered = CallEvent {
            agent: Some("A001".into()),
            ..ev(CallEventKind::Answered, 10)
        };
        let ended = CallEvent {
            hangup_side: Some(HangupSide::Caller),
            ..ev(CallEventKind::Ended, 70)
        };
        let r = merge_events(&[ended, offered, answered]).unwrap();
        assert_eq!(r.state, CallState::Ended);
        assert_eq!(r.duration_s, Some(60));
        assert_eq!(r.agent.as_deref(), Some("A001"));
        assert_eq!(r.queue.as_deref(), Some("complaint"));
        assert_eq!(r.hangup_side, Some(HangupSide::Caller));
    }

    #[test]
    fn a_repeated_answer_keeps_the_first() {
        let a1 = CallEvent {
            agent: Some("A001".into()),
            ..ev(CallEventKind::Answered, 5)
        };
        let a2 = CallEvent {
            agent: Some("A002".into()),
            ..ev(CallEventKind::Answered, 9)
        };
        let r = merge_events(&[a2, ev(CallEventKind::Offered, 0), a1]).unwrap();
        assert_eq!(r.state, CallState::Answered);
        assert_eq!(r.answered_at, Some(t(5)));
        assert_eq!(r.agent.as_deref(), Some("A001"));
    }

    #[test]
    fn events_before_the_offer_are_kept() {
        let r = merge_events(&[ev(CallEventKind::Ended, 30)]).unwrap();
        assert_eq!(r.state, CallState::Ended);
        assert_eq!(r.offered_at, None);
        assert!(merge_events(&[]).is_none());
    }

    #[test]
    fn signatures_round_trip_and_refuse_tampering() {
        let now = t(0);
        let ts = now.timestamp().to_string();
        let body = br#"{"event":"offered"}"#;
        let sig = sign_event(b"s3cret", &ts, body);
        let req = SignedRequest::parse(Some(&ts), Some(&sig), now).unwrap();
        assert_eq!(req.verify_event(b"s3cret", body), Ok(()));
        assert_eq!(
            req.verify_event(b"s3cret", br#"{"event":"ended"}"#),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            req.verify_event(b"other", body),
            Err(SignatureError::Mismatch)
        );
        let stale = SignedRequest::parse(Some(&ts), Some(&sig), t(301)).unwrap_err();
        assert_eq!(stale, SignatureError::Stale { skew_s: 301 });
        assert!(SignedRequest::parse(Some(&ts), Some(&sig), t(-300)).is_ok());
        assert_eq!(
            SignedRequest::parse(Some(&ts), Some("md5=00"), now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            SignedRequest::parse(None, Some(&sig), now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            SignedRequest::parse(Some("yesterday"), Some(&sig), now),
            Err(SignatureError::BadTimestamp)
        );
        let audio = b"RIFF....WAVE";
        let rsig = sign_recording(b"s3cret", &ts, "c-1", audio);
        let req = SignedRequest::parse(Some(&ts), Some(&rsig), now).unwrap();
        let digest = hex::encode(Sha256::digest(audio));
        assert_eq!(req.verify_recording(b"s3cret", "c-1", &digest), Ok(()));
        assert_eq!(
            req.verify_recording(b"s3cret", "c-2", &digest),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn ivr_menus_are_checked() {
        let opt = |key: &str, queue: &str| IvrOption {
            key: key.into(),
            label: " 咨询 ".into(),
            queue: queue.into(),
            ticket_type: None,
        };
        let mut ok = vec![opt("1", "consultation"), opt("#", "agent")];
        assert_eq!(check_ivr_menu(&mut ok), Ok(()));
        assert_eq!(ok[0].label, "咨询");
        assert_eq!(
            check_ivr_menu(&mut [opt("1", "a"), opt("1", "b")]),
            Err(IvrMenuError::DuplicateKey("1".into()))
        );
        assert_eq!(
            check_ivr_menu(&mut [opt("10", "a")]),
            Err(IvrMenuError::BadKey("10".into()))
        );
        assert_eq!(
            check_ivr_menu(&mut [opt("2", "Bad Queue")]),
            Err(IvrMenuError::BadQueue("Bad Queue".into()))
        );
    }
}
