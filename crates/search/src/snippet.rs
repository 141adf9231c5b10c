//! Highlighted snippets: the window of a stored text with the most query matches, HTML
//! escaped, matches wrapped in `<mark>`.

use crate::analyze::normalize_char;

/// A snippet of at most about `width` characters from `text`, centred on the densest
/// cluster of `terms` (normalized, as from [`crate::query::highlight_terms`]). Without a
/// match it is the text's beginning.
pub fn snippet(text: &str, terms: &[String], width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let norm: Vec<char> = chars.iter().map(|c| normalize_char(*c)).collect();
    let marks = find_marks(&norm, terms);
    let (from, to) = window(chars.len(), &marks, width);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut k = from;
    let mut marks = marks
        .iter()
        .filter(|(s, _)| *s >= from && *s < to)
        .peekable();
    while k < to {
        if let Some(&&(s, e)) = marks.peek() {
            if s == k {
                out.push_str("<mark>");
                escape_into(&chars[s..e.min(to)], &mut out);
                out.push_str("</mark>");
                k = e.min(to);
                marks.next();
                continue;
            }
        }
        escape_into(&chars[k..k + 1], &mut out);
        k += 1;
    }
    if to < chars.len() {
        out.push('…');
    }
    out
}

/// Non-overlapping `[start, end)` character ranges where a term occurs, longest term
/// first at each position.
fn find_marks(norm: &[char], terms: &[String]) -> Vec<(usize, usize)> {
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.chars().collect::<Vec<char>>())
        .filter(|t| !t.is_empty())
        .collect();
    let mut marks = Vec::new();
    let mut k = 0;
    while k < norm.len() {
        let hit = terms
            .iter()
            .filter(|t| norm[k..].starts_with(t))
            .map(Vec::len)
            .max();
        match hit {
            Some(len) => {
                marks.push((k, k + len));
                k += len;
            }
            None => k += 1,
        }
    }
    marks
}

fn window(len: usize, marks: &[(usize, usize)], width: usize) -> (usize, usize) {
    if len <= width {
        return (0, len);
    }
    // The window start (at a match, less some context) covering the most matches.
    let mut best = (0usize, 0usize);
    for (i, &(s, _)) in marks.iter().enumerate() {
        let count = marks[i..]
            .iter()
            .take_while(|(b, _)| *b < s + width)
            .count();
        if count > best.1 {
            best = (s, count);
        }
    }
    let from = best.0.saturating_sub(width / 5).min(len - width);
    (from, from + width)
}

fn escape_into(chars: &[char], out: &mut String) {
    for c in chars {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(*c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn marks_matches_and_escapes() {
        assert_eq!(
            snippet("<b>快递</b>没到 iPhone", &t(&["快递", "iphone"]), 100),
            "&lt;b&gt;<mark>快递</mark>&lt;/b&gt;没到 <mark>iPhone</mark>"
        );
    }

    #[test]
    fn longest_term_wins() {
        assert_eq!(
            snippet("快递员", &t(&["快递", "快递员"]), 10),
            "<mark>快递员</mark>"
        );
    }

    #[test]
    fn window_moves_to_the_matches() {
        let text = format!("{}投诉{}", "甲".repeat(100), "乙".repeat(100));
        let s = snippet(&text, &t(&["投诉"]), 20);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>投诉</mark>"));
        assert_eq!(s.chars().filter(|c| *c == '甲' || *c == '乙').count(), 18);
    }

    #[test]
    fn no_match_is_the_beginning() {
        assert_eq!(snippet("一二三四五", &t(&["六"]), 3), "一二三…");
    }
}
