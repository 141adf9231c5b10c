//! kefu's domain: the department's vocabulary as types, and its rules as pure functions.
//!
//! Nothing here performs I/O, reads a clock or knows about SQL or HTTP: callers pass in
//! `now` and the facts a rule needs, and get a decision back. That keeps the rules
//! testable with plain unit and property tests.

#[macro_use]
mod macros;

pub mod assignment;
pub mod audit;
pub mod auth;
pub mod blob;
pub mod calendar;
pub mod call;
pub mod callback;
pub mod campaign;
pub mod chat;
pub mod complaint;
pub mod customer;
pub mod export;
pub mod id_number;
pub mod ids;
pub mod knowledge;
pub mod logs;
pub mod mail;
pub mod org;
pub mod performance;
pub mod permission;
pub mod phone;
pub mod qa;
pub mod queue;
pub mod report;
pub mod schedule;
pub mod sla;
pub mod survey;
pub mod ticket;

pub use ids::*;
pub use permission::{Permission, PermissionSet};
pub use phone::PhoneNumber;
