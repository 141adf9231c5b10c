//! How text becomes index terms, the same way for documents and for queries.
//!
//! Text is normalized per character (full-width Latin letters and digits become ASCII,
//! ASCII is lower-cased) and split into runs:
//! - a **Han run** is segmented by jieba in search mode (words and the dictionary words
//!   inside longer words) *and* cut into overlapping character bigrams, so a name, a new
//!   word or a two-character word like 投诉 is found even where jieba cut differently;
//! - a **code run** is Latin letters and digits, possibly joined by `-`, `_`, `.` or `/`
//!   (`iPhone15`, `DD20261128-0001`, `GD20261128-0007`): it is kept whole with the joiners
//!   dropped, and also split into its letter and digit parts;
//! - every **digit sequence** of four or more digits is also indexed by each of its
//!   suffixes of four or more digits, so the last four digits of a phone number or the
//!   tail of an order number find it.

use jieba_rs::Jieba;
use std::sync::OnceLock;

/// The shortest digit suffix that is indexed (and searched by suffix).
pub const MIN_SUFFIX: usize = 4;
/// Longer digit runs are indexed whole only (they are not phone or order numbers).
const MAX_SUFFIX_RUN: usize = 24;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Loads the segmentation dictionary now rather than on the first document or query.
pub fn warm_up() {
    let _ = jieba();
}

/// Whether `c` is a Han ideograph (CJK unified ideographs and their extensions,
/// compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3007)
}

/// Full-width ASCII variants to ASCII, ASCII letters to lower case; everything else as is.
pub fn normalize_char(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '_' | '.' | '/')
}

/// A stretch of text that is analyzed as one piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Han characters; `start`/`end` are byte offsets in the original text.
    Han {
        text: String,
        start: usize,
        end: usize,
    },
    /// Letters and digits with joiners, normalized (lower case, half width).
    Code {
        text: String,
        start: usize,
        end: usize,
    },
}

/// Splits `text` into Han runs and code runs; everything else separates them.
pub fn runs(text: &str) -> Vec<Run> {
    #[derive(PartialEq)]
    enum State {
        None,
        Han,
        Code,
    }
    let mut out = Vec::new();
    let mut state = State::None;
    let mut buf = String::new();
    let mut start = 0;
    let mut end = 0;
    let mut chars = text.char_indices().peekable();
    let flush = |state: &State, buf: &mut String, start: usize, end: usize, out: &mut Vec<Run>| {
        if buf.is_empty() {
            return;
        }
        let text = std::mem::take(buf);
        out.push(match state {
            State::Han => Run::Han { text, start, end },
            _ => Run::Code { text, start, end },
        });
    };
    while let Some((i, raw)) = chars.next() {
        let c = normalize_char(raw);
        let next_alnum = chars
            .peek()
            .is_some_and(|&(_, n)| normalize_char(n).is_ascii_alphanumeric());
        let kind = if is_han(c) {
            State::Han
        } else if c.is_ascii_alphanumeric() || (state == State::Code && is_joiner(c) && next_alnum)
        {
            State::Code
        } else {
            State::None
        };
        if kind != state {
            flush(&state, &mut buf, start, end, &mut out);
            start = i;
            state = kind;
        }
        if state != State::None {
            buf.push(c);
            end = i + raw.len_utf8();
        }
    }
    flush(&state, &mut buf, start, end, &mut out);
    out
}

/// One index term and where in the original text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

fn term(text: impl Into<String>, start: usize, end: usize) -> Term {
    Term {
        text: text.into(),
        start,
        end,
    }
}

/// Byte offset of the `k`th character of a run in the original text, assuming each
/// character's normalized form kept its original width class (Han runs are never
/// normalized, so this is exact for them).
fn han_char_offsets(text: &str, start: usize) -> Vec<usize> {
    let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| start + i).collect();
    offsets.push(start + text.len());
    offsets
}

/// Word terms: jieba words of Han runs (search mode), whole codes and their parts.
pub fn word_terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for run in runs(text) {
        match run {
            Run::Han { text, start, .. } => {
                for t in jieba().cut_for_search(&text, true) {
                    out.push(term(t.word, start + t.byte_start, start + t.byte_end));
                }
            }
            Run::Code { text, start, end } => code_terms(&text, start, end, &mut out),
        }
    }
    out
}

fn code_terms(code: &str, start: usize, end: usize, out: &mut Vec<Term>) {
    let whole: String = code.chars().filter(|c| !is_joiner(*c)).collect();
    let parts = code_parts(code);
    out.push(term(whole.clone(), start, end));
    if parts.len() > 1 {
        for p in parts {
            if p != whole {
                out.push(term(p, start, end));
            }
        }
    }
}

/// A code's letter and digit parts, split at joiners and at letter/digit boundaries.
fn code_parts(code: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = None;
    for c in code.chars() {
        if is_joiner(c) {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            cur_digit = None;
            continue;
        }
        let d = c.is_ascii_digit();
        if cur_digit.is_some_and(|x| x != d) {
            parts.push(std::mem::take(&mut cur));
        }
        cur_digit = Some(d);
        cur.push(c);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// Character bigram terms of Han runs (a one-character run gives that character).
pub fn gram_terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for run in runs(text) {
        let Run::Han { text, start, .. } = run else {
            continue;
        };
        let offsets = han_char_offsets(&text, start);
        let chars: Vec<char> = text.chars().collect();
        if chars.len() == 1 {
            out.push(term(text.clone(), offsets[0], offsets[1]));
            continue;
        }
        for k in 0..chars.len() - 1 {
            let bigram: String = chars[k..k + 2].iter().collect();
            out.push(term(bigram, offsets[k], offsets[k + 2]));
        }
    }
    out
}

/// The digit sequences of the text's codes (each digit part, and all of a code's digits
/// together when a code has several digit parts, e.g. `138-1234-5678`).
pub fn digit_runs(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for run in runs(text) {
        let Run::Code { text, start, end } = run else {
            continue;
        };
        let parts: Vec<String> = code_parts(&text)
            .into_iter()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        if parts.len() > 1 {
            out.push((parts.concat(), start, end));
        }
        for p in parts {
            out.push((p, start, end));
        }
    }
    out
}

/// Suffix terms of digit sequences with at least [`MIN_SUFFIX`] digits.
pub fn digit_terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for (digits, start, end) in digit_runs(text) {
        if digits.len() < MIN_SUFFIX {
            continue;
        }
        if digits.len() > MAX_SUFFIX_RUN {
            out.push(term(digits, start, end));
            continue;
        }
        for k in 0..=digits.len() - MIN_SUFFIX {
            out.push(term(&digits[k..], start, end));
        }
    }
    out
}

/// Words that carry no meaning on their own in an agent's query (particles, question
/// words); they are dropped from queries, never from documents.
pub fn is_query_stopword(word: &str) -> bool {
    matches!(
        word,
        "的" | "了"
            | "吗"
            | "呢"
            | "啊"
            | "吧"
            | "是"
            | "在"
            | "和"
            | "与"
            | "或"
            | "及"
            | "怎么"
            | "怎么办"
            | "如何"
            | "什么"
            | "怎样"
            | "为什么"
            | "哪里"
            | "哪些"
            | "要"
            | "会"
            | "能"
            | "可以"
            | "有"
            | "没有"
            | "我"
            | "你"
            | "他"
            | "她"
            | "我们"
            | "客户"
            | "请问"
            | "一下"
            | "一个"
            | "这个"
            | "那个"
            | "就"
            | "都"
            | "也"
            | "被"
            | "把"
            | "对"
            | "给"
            | "让"
            | "the"
            | "a"
            | "an"
            | "of"
            | "to"
            | "is"
            | "and"
            | "or"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: Vec<Term>) -> Vec<String> {
        terms.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn runs_split_han_codes_and_separators() {
        let r = runs("客户iPhone15充电，订单ＤＤ２０２６-11 ok");
        let kinds: Vec<(bool, String)> = r
            .iter()
            .map(|r| match r {
                Run::Han { text, .. } => (true, text.clone()),
                Run::Code { text, .. } => (false, text.clone()),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (true, "客户".to_string()),
                (false, "iphone15".to_string()),
                (true, "充电".to_string()),
                (true, "订单".to_string()),
                (false, "dd2026-11".to_string()),
                (false, "ok".to_string()),
            ]
        );
    }

    #[test]
    fn trailing_joiner_is_not_part_of_a_code() {
        let r = runs("GD20261128-0007. 好");
        assert!(matches!(&r[0], Run::Code { text, .. } if text == "gd20261128-0007"));
    }

    #[test]
    fn codes_are_whole_and_in_parts() {
        let t = texts(word_terms("工单GD20261128-0007"));
        assert!(t.contains(&"gd202611280007".to_string()), "{t:?}");
        assert!(t.contains(&"gd".to_string()));
        assert!(t.contains(&"20261128".to_string()));
        assert!(t.contains(&"0007".to_string()));
        assert!(t.contains(&"工单".to_string()));
    }

    #[test]
    fn bigrams_cover_every_adjacent_pair() {
        assert_eq!(texts(gram_terms("快递投诉")), ["快递", "递投", "投诉"]);
        assert_eq!(texts(gram_terms("A好B")), ["好"]);
    }

    #[test]
    fn digit_suffixes_start_at_four() {
        let t = texts(digit_terms("电话 138-1234-5678"));
        assert!(t.contains(&"13812345678".to_string()));
        assert!(t.contains(&"5678".to_string()));
        assert!(t.contains(&"45678".to_string()));
        assert!(!t.contains(&"678".to_string()));
        assert!(
            t.contains(&"1234".to_string()),
            "each part is its own run too"
        );
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "订单号：DD202611280001，收到";
        for t in word_terms(text).into_iter().chain(gram_terms(text)) {
            assert!(text.get(t.start..t.end).is_some(), "{t:?}");
        }
        let g = gram_terms(text);
        assert_eq!(&text[g[0].start..g[0].end], "订单");
    }
}
