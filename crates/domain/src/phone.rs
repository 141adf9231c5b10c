//! Chinese phone numbers (手机号 and 座机) — parsed once, stored normalized, shown masked.

use serde::{Deserialize, Serialize};

/// A normalized phone number: mobile numbers as 11 digits (`13812345678`), landlines as
/// area code and number joined with a dash (`010-62345678`), optional extension after `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains characters other than digits, spaces, dashes, parentheses and a leading +")]
    BadCharacters,
    #[error("not a valid Chinese mobile number (11 digits starting with 1[3-9])")]
    BadMobile,
    #[error("not a valid phone number (too short or too long)")]
    BadLength,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Mobile,
    Landline,
}

impl PhoneNumber {
    /// Parses what people type: `+86 138-1234-5678`, `0086 13812345678`, `(010) 6234 5678`,
    /// `010-62345678 转 801`. A number that starts with 1 must be a valid mobile number.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (main, extension) = split_extension(trimmed);
        let mut digits = String::with_capacity(main.len());
        let mut had_plus = false;
        for (i, c) in main.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => had_plus = true,
                ' ' | '-' | '(' | ')' | '（' | '）' | '\u{3000}' | '.' => {}
                _ => return Err(PhoneError::BadCharacters),
            }
        }
        if let Some(rest) = digits.strip_prefix("0086") {
            digits = rest.to_string();
        } else if (had_plus || digits.len() == 13) && digits.starts_with("86") {
            digits = digits[2..].to_string();
        }
        let normalized = if digits.starts_with('1') {
            if digits.len() != 11 || !matches!(digits.as_bytes()[1], b'3'..=b'9') {
                return Err(PhoneError::BadMobile);
            }
            digits
        } else if digits.starts_with('0') {
            // Area codes are 3 digits for 010 and 02x, 4 digits elsewhere.
            if !(10..=12).contains(&digits.len()) {
                return Err(PhoneError::BadLength);
            }
            let split = if digits.starts_with("01") || digits.starts_with("02") {
                3
            } else {
                4
            };
            format!("{}-{}", &digits[..split], &digits[split..])
        } else {
            // A local number without area code (7–8 digits) or a service number (400/800/95xxx).
            if !(5..=11).contains(&digits.len()) {
                return Err(PhoneError::BadLength);
            }
            digits
        };
        Ok(match extension {
            Some(ext) => Self(format!("{normalized}#{ext}")),
            None => Self(normalized),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> PhoneKind {
        if self.0.len() == 11 && self.0.starts_with('1') {
            PhoneKind::Mobile
        } else {
            PhoneKind::Landline
        }
    }

    /// The form shown to people without the right to see personal data: `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn split_extension(s: &str) -> (&str, Option<String>) {
    for sep in ["转", "#", "ext.", "ext", "x"] {
        if let Some(pos) = s.find(sep) {
            let ext: String = s[pos + sep.len()..]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if !ext.is_empty() {
                return (&s[..pos], Some(ext));
            }
        }
    }
    (s, None)
}

/// Masks any stored phone string, keeping the first three and last four digits
/// (`138****5678`, `010-****5678`). Short numbers keep only their last two digits.
pub fn mask_phone(stored: &str) -> String {
    let chars: Vec<char> = stored.chars().collect();
    let digit_count = chars.iter().filter(|c| c.is_ascii_digit()).count();
    let (keep_head, keep_tail) = if digit_count >= 10 { (3, 4) } else { (0, 2) };
    let mut seen = 0;
    chars
        .iter()
        .map(|&c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= keep_head || seen > digit_count - keep_tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks what looks like a phone number inside free text (a ticket description, a note),
/// as by [`mask_phone`]: a mobile number (11 digits starting with 1) or a number with an
/// area code (10–12 digits starting with 0), also when written in groups separated by
/// spaces or hyphens. Dates, amounts, order numbers inside codes (`DD2026…`) and the last
/// four digits an agent quotes stay readable.
pub fn mask_phones_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    while k < chars.len() {
        if !chars[k].is_ascii_digit() {
            out.push(chars[k]);
            k += 1;
            continue;
        }
        // The run: digits, with single separators between digit groups.
        let mut end = k;
        let mut last_digit = k;
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                last_digit = end;
            } else if !(matches!(c, ' ' | '-')
                && chars.get(end + 1).is_some_and(char::is_ascii_digit))
            {
                break;
            }
            end += 1;
        }
        let run: String = chars[k..=last_digit].iter().collect();
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let in_code = k > 0 && chars[k - 1].is_ascii_alphabetic();
        let phone_like = (digits.len() == 11 && digits.starts_with('1'))
            || ((10..=12).contains(&digits.len()) && digits.starts_with('0'));
        if phone_like && !in_code {
            out.push_str(&mask_phone(&run));
        } else {
            out.push_str(&run);
        }
        k = last_digit + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_inside_text_are_masked() {
        assert_eq!(
            mask_phones_in_text(
                "客户电话13812345678，另一个 021-6234 5678；订单金额 1280 元，尾号5678"
            ),
            "客户电话138****5678，另一个 021-**** 5678；订单金额 1280 元，尾号5678"
        );
        for kept in [
            "2026-11-28",
            "订单DD202611280001",
            "20261128 0001",
            "工号 1024",
        ] {
            assert_eq!(mask_phones_in_text(kept), kept);
        }
    }

    #[test]
    fn normalizes_the_ways_people_write_mobile_numbers() {
        for input in [
            "13812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "0086 13812345678",
            "8613812345678",
            " 138-1234-5678 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "13812345678",
                "{input}"
            );
        }
    }

    #[test]
    fn landlines_keep_area_code_and_extension() {
        assert_eq!(
            PhoneNumber::parse("(010) 6234 5678").unwrap().as_str(),
            "010-62345678"
        );
        assert_eq!(
            PhoneNumber::parse("0571-88881234").unwrap().as_str(),
            "0571-88881234"
        );
        assert_eq!(
            PhoneNumber::parse("021-55556666 转 801").unwrap().as_str(),
            "021-55556666#801"
        );
        assert_eq!(
            PhoneNumber::parse("021-55556666").unwrap().kind(),
            PhoneKind::Landline
        );
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("1381234567"), Err(PhoneError::BadMobile));
        assert_eq!(
            PhoneNumber::parse("12812345678"),
            Err(PhoneError::BadMobile)
        );
        assert_eq!(
            PhoneNumber::parse("138abc45678"),
            Err(PhoneError::BadCharacters)
        );
        assert_eq!(
            PhoneNumber::parse("'; DROP TABLE x"),
            Err(PhoneError::BadCharacters)
        );
        assert_eq!(PhoneNumber::parse("0101"), Err(PhoneError::BadLength));
    }

    #[test]
    fn masks_keep_head_and_tail() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("010-62345678"), "010-****5678");
        assert_eq!(mask_phone("95588"), "***88");
    }
}
