//! Database rows as index documents: what is searchable, what is stored for snippets,
//! and the access terms that decide who finds a record.

use kefu_domain::knowledge::ArticleState;
use kefu_search::{Kind, SearchDoc, ARTICLE_DRAFT, ARTICLE_PUBLISHED, CUSTOMER_ACCESS};
use kefu_store::knowledge::ArticleRow;
use kefu_store::search_docs::{CustomerSearchRow, TicketSearchRow};

/// Access term of a user: tickets they first took or hold.
pub fn user_term(user_id: &str) -> String {
    format!("u:{user_id}")
}

/// Access term of a department: tickets of it or transferred to it.
pub fn department_term(department_id: &str) -> String {
    format!("d:{department_id}")
}

pub fn ticket_doc(t: TicketSearchRow) -> SearchDoc {
    let mut access = vec![department_term(&t.department_id)];
    access.extend(t.task_departments.iter().map(|d| department_term(d)));
    for user in [&t.first_owner_id, &t.assignee_id].into_iter().flatten() {
        access.push(user_term(user));
    }
    let mut body = t.description;
    for text in t.texts {
        body.push('\n');
        body.push_str(&text);
    }
    let hidden: Vec<&str> = [
        &t.place,
        &t.people,
        &t.contact_name,
        &t.contact_phone,
        &t.customer_name,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .chain(t.tags.iter().map(String::as_str))
    .collect();
    let mut departments = vec![t.department_id];
    departments.extend(t.task_departments);
    SearchDoc {
        kind: Some(Kind::Ticket),
        id: t.id,
        title: format!("{} {}", t.number, t.subject),
        body,
        hidden: hidden.join(" "),
        subtype: Some(t.ticket_type),
        status: Some(t.status),
        departments,
        tier: t.customer_tier,
        access,
        created_at: t.created_at,
    }
}

pub fn customer_doc(c: CustomerSearchRow) -> SearchDoc {
    let title = match &c.company {
        Some(company) if !company.is_empty() => format!("{} {company}", c.name),
        _ => c.name.clone(),
    };
    let hidden: Vec<&str> = c
        .contacts
        .iter()
        .chain(c.tags.iter())
        .map(String::as_str)
        .collect();
    SearchDoc {
        kind: Some(Kind::Customer),
        id: c.id,
        title,
        body: c.notes.unwrap_or_default(),
        hidden: hidden.join(" "),
        subtype: None,
        status: Some(c.status),
        departments: Vec::new(),
        tier: Some(c.tier),
        access: vec![CUSTOMER_ACCESS.to_string()],
        created_at: c.created_at,
    }
}

/// A knowledge article; archived articles are not searchable (`None`).
pub fn article_doc(a: ArticleRow) -> Option<SearchDoc> {
    let access = match a.state {
        ArticleState::Published => ARTICLE_PUBLISHED,
        ArticleState::Draft => ARTICLE_DRAFT,
        ArticleState::Archived => return None,
    };
    let mut hidden = a.category_path.join(" ");
    for tag in &a.tags {
        hidden.push(' ');
        hidden.push_str(tag);
    }
    Some(SearchDoc {
        kind: Some(Kind::Article),
        title: a.title,
        body: a.body,
        hidden,
        subtype: Some(a.kind.code().to_string()),
        status: Some(a.state.code().to_string()),
        departments: Vec::new(),
        tier: None,
        access: vec![access.to_string()],
        created_at: a.created_at,
        id: a.id,
    })
}
