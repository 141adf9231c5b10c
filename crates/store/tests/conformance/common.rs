//! Fixtures shared by the conformance tests: a fixed clock, an actor, staff and customers.

use chrono::{DateTime, Duration, TimeZone, Utc};
use kefu_domain::customer::{ContactKind, CustomerStatus, Gender};
use kefu_domain::org::StaffProfile;
use kefu_domain::PhoneNumber;
use kefu_store::audit::Actor;
use kefu_store::customers::{ContactInput, CustomerInput};
use kefu_store::users::NewUser;
use kefu_store::Db;

/// A fixed instant; tests move time by adding to it, never by sleeping.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 6, 9, 0, 0).unwrap()
}

pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

pub fn system() -> Actor {
    Actor {
        user_id: None,
        name: "conformance".into(),
        client_addr: Some("127.0.0.1".into()),
    }
}

pub fn actor_for(user_id: &str, name: &str) -> Actor {
    Actor {
        user_id: Some(user_id.into()),
        name: name.into(),
        client_addr: None,
    }
}

pub fn new_user(username: &str, profile: StaffProfile) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: format!("{username} 坐席"),
        agent_no: None,
        password_hash: format!("hash-of-{username}"),
        profile,
    }
}

pub async fn create_user(db: &Db, username: &str) -> String {
    db.create_user(
        &system(),
        t0(),
        &new_user(username, StaffProfile::default()),
    )
    .await
    .expect("create user")
}

pub fn mobile(raw: &str) -> ContactInput {
    let phone = PhoneNumber::parse(raw).expect("valid mobile");
    ContactInput {
        kind: ContactKind::Mobile,
        value: phone.as_str().to_string(),
        label: None,
    }
}

pub fn landline(raw: &str) -> ContactInput {
    let phone = PhoneNumber::parse(raw).expect("valid landline");
    ContactInput {
        kind: ContactKind::Landline,
        value: phone.as_str().to_string(),
        label: Some("办公".into()),
    }
}

pub fn email(value: &str) -> ContactInput {
    ContactInput {
        kind: ContactKind::Email,
        value: value.into(),
        label: None,
    }
}

/// A tier-B prospect with no contacts; tests add what they look for.
pub fn customer(name: &str) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        company: None,
        gender: Gender::Unknown,
        tier: "B".into(),
        status: CustomerStatus::Prospect,
        owner_id: None,
        id_number: None,
        address: None,
        notes: None,
        contacts: Vec::new(),
        tags: Vec::new(),
    }
}

pub async fn create_customer(db: &Db, input: &CustomerInput) -> String {
    db.create_customer(&system(), t0(), input)
        .await
        .unwrap_or_else(|e| panic!("create customer {}: {e}", input.name))
}
