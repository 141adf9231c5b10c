//! Rules for data leaving kefu in spreadsheets.

/// Neutralizes a cell that a spreadsheet would treat as a formula (CSV/formula injection):
/// a value beginning with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
/// The stored value is never changed; only the exported copy is.
pub fn neutralize_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::neutralize_cell;

    #[test]
    fn formulas_are_neutralized_and_text_is_not() {
        assert_eq!(
            neutralize_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for v in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralize_cell(v).starts_with('\''), "{v:?}");
        }
        assert_eq!(neutralize_cell("张三"), "张三");
        assert_eq!(neutralize_cell(""), "");
    }
}
