//! Customer records (客户档案): status, tier, contacts, and the validation of what people
//! type into a customer form or an import file.

use crate::id_number::{parse_id_number, IdNumberError};
use crate::phone::{PhoneError, PhoneNumber};
use serde::{Deserialize, Serialize};

code_enum!(
    /// Where a customer stands with the company; document 1 and 2 distinguish prospects,
    /// registered users, verified users (实名认证) and active ones.
    CustomerStatus {
        Prospect = "prospect",
        Registered = "registered",
        Verified = "verified",
        Active = "active",
        Lost = "lost",
    }
);

code_enum!(
    /// How a customer can be reached.
    ContactKind {
        Mobile = "mobile",
        Landline = "landline",
        Email = "email",
        Im = "im",
    }
);

code_enum!(
    /// 性别 — kept because callback records (document 13) ask for it.
    Gender {
        Male = "male",
        Female = "female",
        Unknown = "unknown",
    }
);

/// The tiers a fresh kefu starts with; the admin can rename and add tiers.
pub const DEFAULT_TIERS: &[&str] = &["VIP", "A", "B", "C"];

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 30;

/// One contact as stored: the value is normalized (phones) or trimmed (others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactValue {
    pub kind: ContactKind,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("name is required")]
    MissingName,
    #[error("name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("{field} is longer than {MAX_TEXT_CHARS} characters")]
    TextTooLong { field: &'static str },
    #[error("invalid phone number {value:?}: {reason}")]
    BadPhone { value: String, reason: PhoneError },
    #[error("a mobile contact must be a mobile number, got {value:?}")]
    NotAMobile { value: String },
    #[error("invalid e-mail address {value:?}")]
    BadEmail { value: String },
    #[error("contact value is empty")]
    EmptyContact,
    #[error("invalid ID number: {0}")]
    BadIdNumber(IdNumberError),
    #[error("too many tags (at most {MAX_TAGS}) or a tag longer than {MAX_TAG_CHARS} characters")]
    BadTags,
    #[error("the same contact {value:?} is listed twice")]
    DuplicateContact { value: String },
}

impl ContactValue {
    /// Normalizes a contact of the given kind: phones through [`PhoneNumber::parse`],
    /// e-mail lower-cased, IM ids trimmed.
    pub fn parse(kind: ContactKind, raw: &str) -> Result<Self, CustomerError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(CustomerError::EmptyContact);
        }
        let value = match kind {
            ContactKind::Mobile | ContactKind::Landline => {
                let phone = PhoneNumber::parse(raw).map_err(|reason| CustomerError::BadPhone {
                    value: raw.to_string(),
                    reason,
                })?;
                if kind == ContactKind::Mobile && phone.kind() != crate::phone::PhoneKind::Mobile {
                    return Err(CustomerError::NotAMobile {
                        value: raw.to_string(),
                    });
                }
                phone.as_str().to_string()
            }
            ContactKind::Email => {
                let v = raw.to_lowercase();
                let valid = v.len() <= 254
                    && v.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    })
                    && !v.chars().any(char::is_whitespace);
                if !valid {
                    return Err(CustomerError::BadEmail {
                        value: raw.to_string(),
                    });
                }
                v
            }
            ContactKind::Im => {
                if raw.chars().count() > MAX_NAME_CHARS {
                    return Err(CustomerError::TextTooLong { field: "im" });
                }
                raw.to_string()
            }
        };
        Ok(Self { kind, value })
    }

    /// Phones and ID numbers are personal data that must be masked for most readers.
    pub fn is_phone(&self) -> bool {
        matches!(self.kind, ContactKind::Mobile | ContactKind::Landline)
    }
}

/// Validates a customer's name: required, trimmed, bounded. Stored verbatim otherwise —
/// `<script>` in a name is a name; escaping is the renderer's job.
pub fn parse_name(raw: &str) -> Result<String, CustomerError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(CustomerError::MissingName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(CustomerError::NameTooLong);
    }
    Ok(name.to_string())
}

pub fn parse_optional_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, CustomerError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(CustomerError::TextTooLong { field }),
        Some(v) => Ok(Some(v.to_string())),
    }
}

pub fn parse_optional_id_number(raw: Option<&str>) -> Result<Option<String>, CustomerError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_id_number(v)
            .map(Some)
            .map_err(CustomerError::BadIdNumber),
    }
}

/// Tags are trimmed, de-duplicated and bounded.
pub fn parse_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, CustomerError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw {
        let t = t.as_ref().trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG_CHARS {
            return Err(CustomerError::BadTags);
        }
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(CustomerError::BadTags);
    }
    Ok(tags)
}

/// Refuses the same normalized contact twice on one customer.
pub fn check_distinct_contacts(contacts: &[ContactValue]) -> Result<(), CustomerError> {
    for (i, c) in contacts.iter().enumerate() {
        if contacts[..i]
            .iter()
            .any(|o| o.kind == c.kind && o.value == c.value)
        {
            return Err(CustomerError::DuplicateContact {
                value: c.value.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_normalize_by_kind() {
        let m = ContactValue::parse(ContactKind::Mobile, "+86 139-0000-1111").unwrap();
        assert_eq!(m.value, "13900001111");
        assert!(matches!(
            ContactValue::parse(ContactKind::Mobile, "010-62345678"),
            Err(CustomerError::NotAMobile { .. })
        ));
        let e = ContactValue::parse(ContactKind::Email, " Li.Lei@Example.COM ").unwrap();
        assert_eq!(e.value, "li.lei@example.com");
        assert!(ContactValue::parse(ContactKind::Email, "no-at-sign").is_err());
    }

    #[test]
    fn names_are_kept_verbatim_but_bounded() {
        assert_eq!(
            parse_name("  <script>alert(1)</script> ").unwrap(),
            "<script>alert(1)</script>"
        );
        assert_eq!(parse_name(" "), Err(CustomerError::MissingName));
        assert_eq!(
            parse_name(&"张".repeat(101)),
            Err(CustomerError::NameTooLong)
        );
    }

    #[test]
    fn tags_are_deduplicated() {
        assert_eq!(
            parse_tags(&["重点", " 重点 ", "", "老客户"]).unwrap(),
            vec!["重点", "老客户"]
        );
        assert!(parse_tags(&["x".repeat(31)]).is_err());
    }

    #[test]
    fn the_same_contact_twice_is_refused() {
        let a = ContactValue::parse(ContactKind::Mobile, "13800000000").unwrap();
        let b = ContactValue::parse(ContactKind::Mobile, "+86 138 0000 0000").unwrap();
        assert!(check_distinct_contacts(&[a, b]).is_err());
    }
}
