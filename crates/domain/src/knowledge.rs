//! The knowledge base (知识库): articles — FAQs, product manuals, call scripts (话术) and
//! policies — in a category tree, and the placeholders a script is filled with from the
//! ticket or call at hand (`{客户姓名}`, `{工号}`, `{工单号}`, `{承诺时间}` …).
//!
//! Filling is pure text substitution: a placeholder kefu does not know, or one it has no
//! value for, stays visible in the text and is reported, so an agent never reads out a
//! blank where a name should be.

use std::collections::{BTreeMap, BTreeSet, HashMap};

code_enum!(
    /// What an article is for.
    ArticleKind {
        /// 常见问题
        Faq = "faq",
        /// 产品手册
        Manual = "manual",
        /// 话术: what to say on the phone, with placeholders.
        Script = "script",
        /// 制度
        Policy = "policy",
    }
);

code_enum!(
    /// Where an article is in its life. Drafts and archived articles are seen only by
    /// those who may write the knowledge base.
    ArticleState {
        Draft = "draft",
        Published = "published",
        /// Withdrawn: kept with its history, no longer shown to readers.
        Archived = "archived",
    }
);

code_enum!(
    /// Who an article may be shown to.
    Audience {
        /// Staff only (内部).
        Internal = "internal",
        /// May be read out or sent to customers (客户可见).
        Customer = "customer",
    }
);

code_enum!(
    /// What a saved version of an article records.
    VersionAction {
        Create = "create",
        Update = "update",
        Publish = "publish",
        Archive = "archive",
        /// A version whose content is that of an older one.
        Restore = "restore",
    }
);

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 30;
pub const MAX_CATEGORY_NAME_CHARS: usize = 60;

/// A field of an article or category that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A title: trimmed, not empty, at most [`MAX_TITLE_CHARS`], one line.
pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(refuse("title", "the title is empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(refuse(
            "title",
            format!("the title is longer than {MAX_TITLE_CHARS} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(refuse("title", "the title must be one line"));
    }
    Ok(title.to_string())
}

/// A Markdown body: line endings normalized to `\n`, trailing space trimmed, not empty,
/// at most [`MAX_BODY_CHARS`].
pub fn parse_body(raw: &str) -> Result<String, FieldError> {
    let body = raw.replace("\r\n", "\n").replace('\r', "\n");
    let body = body.trim_end();
    if body.trim().is_empty() {
        return Err(refuse("body", "the body is empty"));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(refuse(
            "body",
            format!("the body is longer than {MAX_BODY_CHARS} characters"),
        ));
    }
    Ok(body.to_string())
}

/// Tags: trimmed, blanks dropped, duplicates removed keeping the first spelling, each at
/// most [`MAX_TAG_CHARS`], at most [`MAX_TAGS`].
pub fn parse_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, FieldError> {
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    for tag in raw
        .iter()
        .map(|t| t.as_ref().trim())
        .filter(|t| !t.is_empty())
    {
        if tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
            return Err(refuse(
                "tags",
                format!("a tag is one line of at most {MAX_TAG_CHARS} characters"),
            ));
        }
        if seen.insert(tag.to_lowercase()) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(refuse("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

/// Tags typed into one field, separated by commas (ASCII or Chinese) or 、.
pub fn split_tags(raw: &str) -> Vec<String> {
    raw.split([',', '，', '、', ';', '；'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// A category name: trimmed, not empty, one line, at most [`MAX_CATEGORY_NAME_CHARS`].
pub fn parse_category_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(refuse("name", "the name is empty or not one line"));
    }
    if name.chars().count() > MAX_CATEGORY_NAME_CHARS {
        return Err(refuse(
            "name",
            format!("the name is longer than {MAX_CATEGORY_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_string())
}

/// Whether giving `category` the parent `new_parent` would make the tree a cycle.
/// `parents` maps each category id to its current parent.
pub fn would_create_cycle(
    category: &str,
    new_parent: &str,
    parents: &HashMap<String, Option<String>>,
) -> bool {
    let mut cursor = Some(new_parent.to_string());
    let mut steps = 0;
    while let Some(current) = cursor {
        if current == category {
            return true;
        }
        steps += 1;
        if steps > parents.len() + 1 {
            return true; // the stored tree is already broken; refuse rather than loop
        }
        cursor = parents.get(&current).cloned().flatten();
    }
    false
}

/// The names from the root down to `category` (empty for an unknown id).
pub fn category_path(
    category: &str,
    nodes: &HashMap<String, (Option<String>, String)>,
) -> Vec<String> {
    let mut path = Vec::new();
    let mut cursor = Some(category.to_string());
    while let Some(id) = cursor {
        let Some((parent, name)) = nodes.get(&id) else {
            break;
        };
        path.push(name.clone());
        if path.len() > nodes.len() {
            break; // a broken (cyclic) tree: stop rather than loop
        }
        cursor = parent.clone();
    }
    path.reverse();
    path
}

code_enum!(
    /// What a script can be filled with.
    Placeholder {
        /// The customer's name (not masked: a name is how the agent greets them).
        CustomerName = "客户姓名",
        /// The agent's employee number (工号), or their username when they have none.
        AgentNo = "工号",
        /// The agent's name.
        AgentName = "坐席姓名",
        /// The work order's number (`GD20261128-0007`).
        TicketNumber = "工单号",
        /// The work order's subject.
        TicketSubject = "工单主题",
        /// When the current promise falls due, local time (`2026-11-28 17:00`).
        PromiseDue = "承诺时间",
        /// Today's date, local time.
        Today = "今天",
    }
);

/// The values known for the ticket or call at hand. Phone numbers are never among
/// them: a script is read out and copied, and phones are personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptValues(BTreeMap<&'static str, String>);

impl ScriptValues {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value; an empty value counts as unknown.
    pub fn set(&mut self, p: Placeholder, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if value.trim().is_empty() {
            self.0.remove(p.code());
        } else {
            self.0.insert(p.code(), value);
        }
        self
    }

    pub fn get(&self, p: Placeholder) -> Option<&str> {
        self.0.get(p.code()).map(String::as_str)
    }
}

/// A filled script: the text, and what could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    /// Placeholders kefu knows but had no value for (e.g. `{工单号}` without a ticket),
    /// left as written, in order of first appearance.
    pub missing: Vec<Placeholder>,
    /// Placeholders kefu does not know (a typo such as `{客户名}`), left as written.
    pub unknown: Vec<String>,
}

/// The longest name between braces that counts as a placeholder; longer brace groups
/// are ordinary text.
const MAX_PLACEHOLDER_CHARS: usize = 12;

/// The placeholder names written in `text`, each once, in order of appearance:
/// `{name}` where the name is 1–12 characters without braces or whitespace.
pub fn placeholders_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    scan(text, |name| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        None
    });
    out
}

/// Fills the known placeholders that have a value; every other placeholder stays as
/// written and is reported. `escape` is applied to each inserted value (e.g. Markdown
/// escaping before rendering; the identity for plain text).
pub fn fill(text: &str, values: &ScriptValues, escape: impl Fn(&str) -> String) -> Filled {
    let mut missing = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let text = scan(text, |name| match Placeholder::from_code(name) {
        Some(p) => match values.get(p) {
            Some(v) => Some(escape(v)),
            None => {
                if !missing.contains(&p) {
                    missing.push(p);
                }
                None
            }
        },
        None => {
            if !unknown.iter().any(|u| u == name) {
                unknown.push(name.to_string());
            }
            None
        }
    });
    Filled {
        text,
        missing,
        unknown,
    }
}

/// Walks `text`, calling `on` for each placeholder name; `Some(value)` replaces the
/// placeholder, `None` keeps it. Returns the resulting text.
fn scan(text: &str, mut on: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let end = after
            .char_indices()
            .take(MAX_PLACEHOLDER_CHARS + 1)
            .find(|(_, c)| *c == '}' || *c == '{' || c.is_whitespace())
            .filter(|(i, c)| *c == '}' && *i > 0);
        match end {
            Some((close, _)) => {
                let name = &after[..close];
                match on(name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> ScriptValues {
        let mut v = ScriptValues::new();
        v.set(Placeholder::CustomerName, "王芳")
            .set(Placeholder::AgentNo, "KF101")
            .set(Placeholder::TicketNumber, "GD20261128-0007");
        v
    }

    #[test]
    fn known_placeholders_are_filled() {
        let f = fill(
            "您好{客户姓名}，我是{工号}号客服，您的工单{工单号}已受理。",
            &values(),
            str::to_string,
        );
        assert_eq!(
            f.text,
            "您好王芳，我是KF101号客服，您的工单GD20261128-0007已受理。"
        );
        assert!(f.missing.is_empty() && f.unknown.is_empty());
    }

    #[test]
    fn missing_and_unknown_stay_visible_and_are_reported_once() {
        let f = fill(
            "{客户名}您好，{承诺时间}前回复；再次确认{承诺时间}。{客户名}",
            &values(),
            str::to_string,
        );
        assert_eq!(
            f.text,
            "{客户名}您好，{承诺时间}前回复；再次确认{承诺时间}。{客户名}"
        );
        assert_eq!(f.missing, [Placeholder::PromiseDue]);
        assert_eq!(f.unknown, ["客户名"]);
    }

    #[test]
    fn braces_that_are_not_placeholders_are_text() {
        let text = "JSON {\"a\": 1} {} {{客户姓名}} { 工号 } 末尾{";
        let f = fill(text, &values(), str::to_string);
        assert_eq!(f.text, "JSON {\"a\": 1} {} {王芳} { 工号 } 末尾{");
        assert_eq!(placeholders_in(text), ["客户姓名"]);
        assert_eq!(placeholders_in("{工号}{工号}{今天}"), ["工号", "今天"]);
    }

    #[test]
    fn values_are_escaped_and_empty_values_count_as_unknown() {
        let mut v = values();
        v.set(Placeholder::AgentName, "  ");
        v.set(Placeholder::CustomerName, "*星*");
        let f = fill("{客户姓名}{坐席姓名}", &v, |s| {
            s.replace('*', "\\*")
        });
        assert_eq!(f.text, "\\*星\\*{坐席姓名}");
        assert_eq!(f.missing, [Placeholder::AgentName]);
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(parse_title("  退货政策 ").unwrap(), "退货政策");
        assert_eq!(parse_title(" ").unwrap_err().field, "title");
        assert_eq!(parse_title("a\nb").unwrap_err().field, "title");
        assert!(parse_title(&"长".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert_eq!(parse_body("a\r\nb  \r\n").unwrap(), "a\nb");
        assert_eq!(parse_body("\n \n").unwrap_err().field, "body");
        assert_eq!(
            parse_tags(&["退货", " 退货 ", "", "VIP", "vip"]).unwrap(),
            ["退货", "VIP"]
        );
        assert_eq!(
            parse_tags(&["x".repeat(MAX_TAG_CHARS + 1)])
                .unwrap_err()
                .field,
            "tags"
        );
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| i.to_string()).collect();
        assert!(parse_tags(&many).is_err());
        assert_eq!(split_tags("退货，物流、 VIP,,"), ["退货", "物流", "VIP"]);
        assert_eq!(parse_category_name(" 话术 ").unwrap(), "话术");
        assert!(parse_category_name("").is_err());
    }

    #[test]
    fn category_tree() {
        let mut nodes = HashMap::new();
        nodes.insert("a".to_string(), (None, "产品".to_string()));
        nodes.insert(
            "b".to_string(),
            (Some("a".to_string()), "路由器".to_string()),
        );
        nodes.insert("c".to_string(), (Some("b".to_string()), "保修".to_string()));
        assert_eq!(category_path("c", &nodes), ["产品", "路由器", "保修"]);
        assert!(category_path("zz", &nodes).is_empty());
        let parents: HashMap<String, Option<String>> = nodes
            .iter()
            .map(|(k, (p, _))| (k.clone(), p.clone()))
            .collect();
        assert!(would_create_cycle("a", "c", &parents));
        assert!(would_create_cycle("b", "b", &parents));
        assert!(!would_create_cycle("c", "a", &parents));
    }

    #[test]
    fn codes_round_trip() {
        for k in ArticleKind::ALL {
            assert_eq!(ArticleKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(
            Placeholder::from_code("承诺时间"),
            Some(Placeholder::PromiseDue)
        );
        assert_eq!(ArticleState::from_code("gone"), None);
    }
}
