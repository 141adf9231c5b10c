//! Resident identity card numbers (居民身份证号码): 18 characters with a check digit.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("ID number must have 18 characters (17 digits and a digit or X)")]
    BadFormat,
    #[error("ID number check digit does not match")]
    BadChecksum,
}

/// Validates and normalizes (upper-case X) an 18-character resident ID number.
pub fn parse_id_number(input: &str) -> Result<String, IdNumberError> {
    let s: String = input.trim().to_ascii_uppercase();
    let bytes = s.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(IdNumberError::BadFormat);
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != bytes[17] {
        return Err(IdNumberError::BadChecksum);
    }
    Ok(s)
}

/// Shown to people without the right to see personal data: `110***********123X`.
pub fn mask_id_number(stored: &str) -> String {
    let n = stored.chars().count();
    stored
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i + 4 >= n { c } else { '*' })
        .collect()
}

/// Masks what looks like an ID number inside free text (a chat message, a note), as by
/// [`mask_id_number`]: 17 digits and a digit or X standing alone (not inside a longer run
/// of letters and digits, such as an order code). The check digit is not verified: a
/// mistyped number is still someone's number.
pub fn mask_id_numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    while k < chars.len() {
        let starts_alone = k == 0 || !chars[k - 1].is_ascii_alphanumeric();
        let end = k + 18;
        let id_like = starts_alone
            && end <= chars.len()
            && chars[k..k + 17].iter().all(char::is_ascii_digit)
            && (chars[k + 17].is_ascii_digit() || matches!(chars[k + 17], 'X' | 'x'))
            && chars.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
        if id_like {
            out.push_str(&mask_id_number(&chars[k..end].iter().collect::<String>()));
            k = end;
        } else {
            out.push(chars[k]);
            k += 1;
        }
    }
    out
}

/// Masks the personal numbers in free text — ID numbers, then phone numbers — for people
/// without the right to see personal data. The stored text stays as written.
pub fn mask_personal_numbers_in_text(text: &str) -> String {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return text.to_string();
    }
    crate::phone::mask_phones_in_text(&mask_id_numbers_in_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_text_are_masked() {
        assert_eq!(
            mask_personal_numbers_in_text(
                "身份证11010519491231002x，手机 138-1234-5678，订单 DD110105194912310021"
            ),
            "身份证110***********002x，手机 138-****-5678，订单 DD110105194912310021"
        );
        // Nineteen digits are not an ID number (nor a phone number).
        let long = "1101051949123100211";
        assert_eq!(mask_personal_numbers_in_text(long), long);
        assert_eq!(mask_personal_numbers_in_text("没有号码"), "没有号码");
        assert_eq!(
            mask_id_numbers_in_text("110105194912310021"),
            "110***********0021"
        );
    }

    #[test]
    fn accepts_valid_numbers_and_checks_the_digit() {
        assert_eq!(
            parse_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            parse_id_number("110105194912310021"),
            Err(IdNumberError::BadChecksum)
        );
        assert_eq!(
            parse_id_number("1101051949123100"),
            Err(IdNumberError::BadFormat)
        );
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
    }
}
