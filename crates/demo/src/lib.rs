//! A ready-made demo customer service center (客户服务中心) for kefu, built from the
//! handbook's documents 3 (group company 客户服务中心 with 业务受理组 and 回访调查组) and
//! 12 (telecom 客服部: shift lead, quality inspector, agents, duty log, monthly quality
//! report by the 22nd).
//!
//! [`load_demo`] writes it into an **empty** database through the public store API only:
//!
//! * departments 客户服务中心 (with 业务受理组 and 回访调查组 under it) and the escalation
//!   departments 研发部, 技术部, 销售部;
//! * nine positions with duties, qualifications, headcount limits, permissions and the
//!   兼任 rules 质检员 ⟂ 客服专员, 质检员 ⟂ 回访专员 (an inspector never inspects their own
//!   calls) and 客户服务中心经理 ⟂ 质检员;
//! * eleven staff accounts, see below;
//! * 500 customers generated from a fixed seed (the same data on every load), every value
//!   checked by the domain validators.
//!
//! # Demo accounts
//!
//! Usernames name the role, so they are easy to remember in a demo:
//!
//! | username    | name   | 工号  | position                          | notable permissions |
//! |-------------|--------|-------|-----------------------------------|---------------------|
//! | `manager`   | 王建国 | KF001 | 客户服务中心经理 (客户服务中心)   | all, incl. audit.read / audit.export / org.manage |
//! | `lead`      | 李娜   | KF002 | 班长 (业务受理组)                 | customer.pii.read, customer.export |
//! | `inspector` | 陈静   | KF003 | 质检员 (客户服务中心)             | read only |
//! | `agent1`–`agent4` | 张丽, 刘洋, 赵敏, 孙浩 | KF101–KF104 | 客服专员 (业务受理组) | read/write, **no** customer.pii.read |
//! | `callback1`, `callback2` | 周婷, 吴磊 | KF201, KF202 | 回访专员 (回访调查组) | read/write, no PII |
//! | `infoadmin` | 郑秀英 | KF301 | 信息管理员 (客户服务中心)         | customer.pii.read, import, export |
//! | `tech1`     | 黄志强 | JS001 | 技术支持工程师 (技术部)           | customer.read, org.read |
//!
//! The positions 研发工程师 (研发部) and 销售代表 (销售部) exist but are vacant.
//! Customers are owned by `agent1`–`agent4`.
//!
//! Passwords are random (12 letters and digits without look-alikes such as 0/O, 1/l/I)
//! and never stored in clear: [`load_demo`] returns them once, and
//! [`reset_demo_passwords`] gives every demo account a fresh one, so a server started
//! with `--demo` can print working log-ins at every start.

mod callbacks;
mod campaigns;
mod complaints;
mod customers;
mod knowledge;
mod org;
mod performance;
mod schedule;
mod surveys;
mod tickets;

use chrono::{DateTime, Duration, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::{Duty, StaffProfile};
use kefu_store::audit::{Actor, NewAuditEntry};
use kefu_store::customers::CustomerFilter;
use kefu_store::org::{DepartmentInput, OrgError, PositionInput};
use kefu_store::users::NewUser;
use kefu_store::{Db, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// How many customers the demo creates.
pub const DEMO_CUSTOMERS: usize = 500;

/// The seed of the customer generator: every load produces the same customers.
const SEED: u64 = 0x6b65_6675_6465_6d6f; // "kefudemo"

/// Characters of generated passwords: letters and digits without 0/O/o, 1/l/I.
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
const PASSWORD_LEN: usize = 12;

/// A demo account and its password in clear, to show once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub display_name: String,
    /// The titles of the positions the account holds, joined with "、".
    pub position: String,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database is not empty ({0}); the demo center is only loaded into an empty database"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Knowledge(#[from] kefu_store::knowledge::KnowledgeError),
    /// Generated data that a domain validator refused (a bug in this crate).
    #[error("demo data is invalid: {0}")]
    Invalid(String),
    /// A demo ticket's story was refused by the ticket rules (a bug in this crate).
    #[error("demo ticket refused: {0}")]
    Ticket(String),
}

/// The usernames of the demo accounts, manager first.
pub fn demo_usernames() -> &'static [&'static str] {
    org::USERNAMES
}

fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "demo".to_string(),
        client_addr: None,
    }
}

/// A random password of [`PASSWORD_LEN`] characters with at least one upper-case letter,
/// one lower-case letter and one digit.
fn random_password() -> String {
    let mut rng = rand::thread_rng();
    loop {
        let pw: String = (0..PASSWORD_LEN)
            .map(|_| char::from(PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())]))
            .collect();
        if pw.chars().any(|c| c.is_ascii_uppercase())
            && pw.chars().any(|c| c.is_ascii_lowercase())
            && pw.chars().any(|c| c.is_ascii_digit())
        {
            return pw;
        }
    }
}

/// Refuses a database that already has staff, departments or customers.
async fn ensure_empty(db: &Db) -> Result<(), DemoError> {
    let users = db.count_users().await?;
    if users > 0 {
        return Err(DemoError::NotEmpty(format!("{users} staff accounts")));
    }
    let departments = db.list_departments().await?.len();
    if departments > 0 {
        return Err(DemoError::NotEmpty(format!("{departments} departments")));
    }
    let customers = db
        .list_customers(&CustomerFilter::default(), None, 1)
        .await?;
    if !customers.items.is_empty() {
        return Err(DemoError::NotEmpty("customers exist".to_string()));
    }
    Ok(())
}

/// Loads the demo center into an empty database and returns the accounts with their
/// (random) passwords. `hash_password` turns a password into what the store keeps.
///
/// The organization and staff are dated 180 days before `now`, the customers are spread
/// over the weeks since. Refuses with [`DemoError::NotEmpty`] if the database has any
/// staff, department or customer. The load is not one transaction: if it fails half-way,
/// start again from an empty database.
pub async fn load_demo(
    db: &Db,
    now: DateTime<Utc>,
    hash_password: &(dyn Fn(&str) -> String + Sync),
) -> Result<Vec<DemoLogin>, DemoError> {
    ensure_empty(db).await?;
    let actor = actor();
    let founded = now - Duration::days(180);

    let mut departments: HashMap<&str, String> = HashMap::new();
    for (i, d) in org::DEPARTMENTS.iter().enumerate() {
        let input = DepartmentInput {
            parent_id: d.parent.map(|p| departments[p].clone()),
            name: d.name.to_string(),
            description: Some(d.description.to_string()),
            sort_order: i as i64 * 10,
        };
        let id = db.create_department(&actor, founded, &input).await?;
        departments.insert(d.name, id);
    }

    let mut positions: HashMap<&str, String> = HashMap::new();
    for p in org::POSITIONS {
        let input = PositionInput {
            department_id: departments[p.department].clone(),
            title: p.title.to_string(),
            duties: p
                .duties
                .iter()
                .map(|d| Duty::parse_line(d).expect("demo duties are valid"))
                .collect(),
            headcount_ratio: None,
            qualifications: p.qualifications(),
            headcount_limit: p.headcount_limit,
            permissions: p.permissions.to_vec(),
            excluded_with: p
                .excluded_with
                .iter()
                .map(|t| positions[t].clone())
                .collect(),
        };
        let id = db.create_position(&actor, founded, &input).await?;
        positions.insert(p.title, id);
    }

    let mut logins = Vec::with_capacity(org::STAFF.len());
    let mut user_ids: HashMap<&str, String> = HashMap::new();
    for (i, s) in org::STAFF.iter().enumerate() {
        let at = founded + Duration::hours(i as i64);
        let password = random_password();
        let user = NewUser {
            username: s.username.to_string(),
            display_name: s.display_name.to_string(),
            agent_no: Some(s.agent_no.to_string()),
            password_hash: hash_password(&password),
            profile: StaffProfile {
                education: Some(s.education),
                years_experience: s.years,
                certificates: s.certificates.iter().map(|c| c.to_string()).collect(),
            },
        };
        let id = db.create_user(&actor, at, &user).await?;
        for title in s.positions {
            db.assign_position(&actor, at, &id, &positions[title])
                .await?;
        }
        logins.push(DemoLogin {
            username: s.username.to_string(),
            display_name: s.display_name.to_string(),
            position: s.positions.join("、"),
            password,
        });
        user_ids.insert(s.username, id);
    }

    let owners: Vec<String> = org::CUSTOMER_OWNERS
        .iter()
        .map(|u| user_ids[u].clone())
        .collect();
    let mut rng = StdRng::seed_from_u64(SEED);
    let rows = customers::generate(&mut rng, DEMO_CUSTOMERS, &owners)?;
    let mut batch = db.begin_customer_batch(DEMO_CUSTOMERS as u64).await?;
    // 25 weekly intakes, oldest first, so creation dates and id order agree.
    let chunk = DEMO_CUSTOMERS.div_ceil(25);
    let weeks = DEMO_CUSTOMERS.div_ceil(chunk) as i64;
    for (week, rows) in rows.chunks(chunk).enumerate() {
        let at = now - Duration::days(7 * (weeks - 1 - week as i64)) - Duration::hours(3);
        batch.insert(None, at, rows).await?;
    }
    let entry = NewAuditEntry::new(AuditAction::CustomersImported)
        .detail(format!("demo data: {DEMO_CUSTOMERS} customers"));
    batch.commit(&actor, now, &entry).await?;
    Ok(logins)
}

/// Adds the demo work orders (see the `tickets` module) to a center loaded by
/// [`load_demo`]; `serve --demo` does both, tests usually only the first. Returns how many
/// tickets were opened.
pub async fn load_demo_tickets(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let users = demo_users(db).await?;
    let all = db.list_departments().await?;
    let mut departments: HashMap<&str, String> = HashMap::new();
    for d in org::DEPARTMENTS {
        let row = all
            .iter()
            .find(|r| r.name == d.name)
            .ok_or_else(|| DemoError::Invalid(format!("department {} is missing", d.name)))?;
        departments.insert(d.name, row.id.clone());
    }
    let customer_ids = first_customer_ids(db).await?;
    tickets::load(db, now, &users, &departments, &customer_ids).await
}

/// Adds the demo complaints (see the `complaints` module: a closed loop of two rounds,
/// one waiting for its callback, a major one escalated to the manager) to a center
/// loaded by [`load_demo`]; `serve --demo` loads them. Returns how many were registered.
pub async fn load_demo_complaints(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let users = demo_users(db).await?;
    let all = db.list_departments().await?;
    let mut departments: HashMap<&str, String> = HashMap::new();
    for d in org::DEPARTMENTS {
        if let Some(row) = all.iter().find(|r| r.name == d.name) {
            departments.insert(d.name, row.id.clone());
        }
    }
    complaints::load(db, now, &users, &departments).await
}

/// Adds the demo callbacks (see the `callbacks` module: today's plan tasks, renewal
/// reminders, a pre-sale call, attempts) to a center loaded by [`load_demo`]; `serve
/// --demo` loads them. Returns how many callback tasks exist.
pub async fn load_demo_callbacks(db: &Db, now: DateTime<Utc>) -> Result<i64, DemoError> {
    callbacks::load(db, now).await
}

/// Adds the demo satisfaction surveys (see the `surveys` module: two templates, a week of
/// answers by link and by phone, two dissatisfied ones with their follow-up tickets) to a
/// center loaded by [`load_demo`]; `serve --demo` loads them. Returns how many answers.
pub async fn load_demo_surveys(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let users = demo_users(db).await?;
    let intake = db
        .list_departments()
        .await?
        .into_iter()
        .find(|d| d.name == org::INTAKE)
        .ok_or_else(|| DemoError::Invalid(format!("department {} is missing", org::INTAKE)))?
        .id;
    let customer_ids = first_customer_ids(db).await?;
    surveys::load(db, now, &users, &intake, &customer_ids).await
}

/// Adds the demo outbound campaigns (see the `campaigns` module: an active one calling
/// registered-but-unverified customers with yesterday's calls made, and a draft) to a
/// center loaded by [`load_demo`]; `serve --demo` loads them. Returns how many.
pub async fn load_demo_campaigns(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let users = demo_users(db).await?;
    campaigns::load(db, now, &users).await
}

/// Adds the demo shift operations (see the `schedule` module: shifts a, b and c, the four
/// agents on the schedule, tonight's on-duty lead) to a center loaded by [`load_demo`];
/// `serve --demo` loads them. Returns how many shift templates were made (0 when they are
/// already there).
pub async fn load_demo_schedule(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let users = demo_users(db).await?;
    schedule::load(db, now, &users).await
}

/// Adds the demo performance settings (see the `performance` module: the default scheme,
/// the handbook's rewards and fines, commission rates) to a center loaded by
/// [`load_demo`]; `serve --demo` loads them.
pub async fn load_demo_performance(db: &Db, now: DateTime<Utc>) -> Result<(), DemoError> {
    performance::load(db, now).await
}

/// The ids of the first 100 customers of the list, for the demo stories to pick from.
async fn first_customer_ids(db: &Db) -> Result<Vec<String>, DemoError> {
    let page = db
        .list_customers(&CustomerFilter::default(), None, 100)
        .await?;
    Ok(page.items.into_iter().map(|c| c.id).collect())
}

/// The demo staff's ids by username.
async fn demo_users(db: &Db) -> Result<HashMap<&'static str, String>, DemoError> {
    let mut users = HashMap::new();
    for username in org::USERNAMES {
        users.insert(*username, db.get_user_by_username(username).await?.id);
    }
    Ok(users)
}

/// Adds the demo knowledge base (categories, FAQs, manuals, scripts with placeholders,
/// policies; see the `knowledge` module) to a center loaded by [`load_demo`]; `serve
/// --demo` loads it, the test fixtures do not. Returns how many articles were written
/// (0 when it is already there).
pub async fn load_demo_knowledge(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    knowledge::load(db, now).await
}

/// Gives every existing demo account a fresh random password (and clears any log-in
/// lock-out) and returns the log-ins. Demo usernames that do not exist are skipped.
pub async fn reset_demo_passwords(
    db: &Db,
    hash_password: &(dyn Fn(&str) -> String + Sync),
) -> Result<Vec<DemoLogin>, DemoError> {
    let titles: HashMap<String, String> = db
        .list_positions()
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let mut logins = Vec::new();
    for username in demo_usernames() {
        let user = match db.get_user_by_username(username).await {
            Ok(user) => user,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let password = random_password();
        db.set_password_hash(&user.id, &hash_password(&password))
            .await?;
        db.record_login_success(&user.id).await?;
        let position = db
            .positions_of(&user.id)
            .await?
            .iter()
            .filter_map(|a| titles.get(&a.position_id).cloned())
            .collect::<Vec<_>>()
            .join("、");
        logins.push(DemoLogin {
            username: user.username,
            display_name: user.display_name,
            position,
            password,
        });
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_avoid_look_alikes() {
        for _ in 0..200 {
            let pw = random_password();
            assert_eq!(pw.len(), PASSWORD_LEN);
            assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(!pw.contains(['0', 'O', 'o', '1', 'l', 'I']));
        }
    }

    #[test]
    fn tables_are_consistent() {
        let staff: Vec<&str> = org::STAFF.iter().map(|s| s.username).collect();
        assert_eq!(staff, demo_usernames());
        for s in org::STAFF {
            for p in s.positions {
                assert!(org::POSITIONS.iter().any(|x| x.title == *p), "{p}");
            }
        }
        for (i, p) in org::POSITIONS.iter().enumerate() {
            assert!(org::DEPARTMENTS.iter().any(|d| d.name == p.department));
            assert!((3..=6).contains(&p.duties.len()), "{}", p.title);
            for other in p.excluded_with {
                assert!(org::POSITIONS[..i].iter().any(|x| x.title == *other));
            }
        }
    }

    #[test]
    fn customers_are_deterministic_and_valid() {
        let owners = vec!["a".to_string(), "b".to_string()];
        let a = customers::generate(&mut StdRng::seed_from_u64(SEED), 500, &owners).unwrap();
        let b = customers::generate(&mut StdRng::seed_from_u64(SEED), 500, &owners).unwrap();
        assert_eq!(a, b);
        let companies = a.iter().filter(|c| c.company.is_some()).count();
        assert!((250..350).contains(&companies), "{companies}");
        let ids = a.iter().filter(|c| c.id_number.is_some()).count();
        assert!(ids > 5, "{ids}");
        for c in &a {
            if let Some(id) = &c.id_number {
                kefu_domain::id_number::parse_id_number(id).unwrap();
            }
            assert!(c.tags.len() <= 2);
        }
    }
}
