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

#[cfg(test)]
mod tests {
    use super::*;

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
