//! Judging search quality: a long document split into knowledge-base-sized articles at
//! its headings, a judged query set (query → the document lines that answer it), and
//! recall@k. Used by the relevance tests and by the FTS5 comparison benchmark, on the
//! department handbook the product comes from.

use std::collections::BTreeSet;

/// One article cut from a document: a heading and what follows, up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub body: String,
    /// 1-based line numbers of the document the article spans (inclusive).
    pub first_line: usize,
    pub last_line: usize,
}

/// Sections shorter than this are joined with the next one.
const MIN_CHARS: usize = 200;
/// A section longer than this is cut at the next paragraph.
const MAX_CHARS: usize = 1_200;

fn is_numeral(c: char) -> bool {
    "一二三四五六七八九十百零".contains(c) || c.is_ascii_digit()
}

/// Whether a line opens a new section: a document start (`推荐第3篇:…`), a chapter or
/// article (`第二条 …`), a numbered heading (`（一）…`, `三、…`, `3.1 …`).
fn is_heading(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.chars().count() > 30 {
        return false;
    }
    if t.starts_with("推荐第") {
        return true;
    }
    let mut chars = t.chars();
    match chars.next() {
        Some('第') => {
            let rest: String = chars.collect();
            let numeral_end = rest.find(|c: char| !is_numeral(c)).unwrap_or(rest.len());
            numeral_end > 0 && rest[numeral_end..].starts_with(['条', '章', '节', '部'])
        }
        Some('(' | '（') => chars.take_while(|c| is_numeral(*c)).count() > 0,
        Some(c) if "一二三四五六七八九十".contains(c) => t
            .chars()
            .find(|c| !is_numeral(*c))
            .is_some_and(|c| c == '、'),
        Some(c) if c.is_ascii_digit() => {
            // "3.1 客户服务中心" or "2 编制人数", not a list item "1、…" or "1.工作细则".
            let head: String = t
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            t[head.len()..].starts_with(' ') && head.contains(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Splits a document into articles at its headings; titles carry the document's name.
pub fn split_document(text: &str) -> Vec<Article> {
    let mut out = Vec::new();
    let mut doc_title = String::new();
    let mut cur: Vec<(usize, &str)> = Vec::new();
    let flush = |cur: &mut Vec<(usize, &str)>, doc_title: &str, out: &mut Vec<Article>| {
        let lines: Vec<(usize, &str)> = cur
            .drain(..)
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let Some(&(first_line, heading)) = lines.first() else {
            return;
        };
        let last_line = lines.last().map_or(first_line, |(n, _)| *n);
        let body: Vec<&str> = lines.iter().map(|(_, l)| l.trim()).collect();
        let heading = heading.trim();
        let title = if doc_title.is_empty() || heading.contains(doc_title) {
            heading.to_string()
        } else {
            format!("{doc_title} · {heading}")
        };
        out.push(Article {
            id: format!("handbook-{first_line}"),
            title,
            body: body.join("\n"),
            first_line,
            last_line,
        });
    };
    let chars_of =
        |cur: &[(usize, &str)]| cur.iter().map(|(_, l)| l.chars().count()).sum::<usize>();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        let doc_start = t.starts_with("推荐第");
        let size = chars_of(&cur);
        if doc_start || (is_heading(t) && size >= MIN_CHARS) || (t.is_empty() && size >= MAX_CHARS)
        {
            flush(&mut cur, &doc_title, &mut out);
        }
        if doc_start {
            doc_title = t
                .split_once([':', '：'])
                .map_or(t, |(_, name)| name)
                .trim()
                .to_string();
        }
        cur.push((n, line));
    }
    flush(&mut cur, &doc_title, &mut out);
    out
}

/// A judged query: the document lines that answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgment {
    pub query: String,
    pub lines: Vec<usize>,
}

/// Reads `query<TAB>line,line,…<TAB>note` lines; blank lines and `#` comments are skipped.
pub fn parse_judgments(tsv: &str) -> Result<Vec<Judgment>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(query), Some(lines)) = (cols.next(), cols.next()) else {
            return Err(format!("line {}: expected query<TAB>lines", i + 1));
        };
        let lines = lines
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("line {}: {e}", i + 1))?;
        out.push(Judgment {
            query: query.trim().to_string(),
            lines,
        });
    }
    Ok(out)
}

/// Ids of the articles that contain any of `lines`.
pub fn relevant_articles(articles: &[Article], lines: &[usize]) -> BTreeSet<String> {
    articles
        .iter()
        .filter(|a| {
            lines
                .iter()
                .any(|l| (a.first_line..=a.last_line).contains(l))
        })
        .map(|a| a.id.clone())
        .collect()
}

/// Share of the relevant articles found in the first `k` results.
pub fn recall_at(k: usize, results: &[String], relevant: &BTreeSet<String>) -> f64 {
    if relevant.is_empty() {
        return 1.0;
    }
    let found = results
        .iter()
        .take(k)
        .filter(|id| relevant.contains(*id))
        .count();
    found as f64 / relevant.len().min(k) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings() {
        for h in [
            "第一条 服务宗旨",
            "（一）工作内容",
            "(二) 工作内容与工作流程",
            "三、岗位职责",
            "3.1 客户服务中心",
            "推荐第3篇:客服部门岗位职责",
        ] {
            assert!(is_heading(h), "{h}");
        }
        for not in [
            "1、“处变不惊”的应变力",
            "1.工作细则",
            "第一时间回复客户",
            "客户来电之后根据语音提示选择相应服务,",
        ] {
            assert!(!is_heading(not), "{not}");
        }
    }

    #[test]
    fn split_keeps_every_line_once_and_names_the_document() {
        let text = "推荐第1篇:客服部门岗位职责\n\n第一条 服务宗旨\n".to_string()
            + &"服务与质量并存。".repeat(40)
            + "\n第二条 服务对象\n已在使用的用户。\n推荐第2篇:客服岗位职责\n夜间值班。\n";
        let a = split_document(&text);
        assert_eq!(a.len(), 3, "{a:#?}");
        assert_eq!(a[1].title, "客服部门岗位职责 · 第二条 服务对象");
        assert_eq!((a[1].first_line, a[1].last_line), (5, 6));
        assert_eq!(a[2].first_line, 7);
        let rel = relevant_articles(&a, &[6, 8]);
        assert_eq!(rel.len(), 2);
        assert_eq!(recall_at(10, &["handbook-5".into()], &rel), 0.5);
    }
}
