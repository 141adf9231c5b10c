//! Typed identifiers. Ids are opaque strings chosen by the store; the types keep a
//! customer id from being passed where a department id is expected.

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    )*};
}

typed_id!(
    /// A member of staff who can log in (客服专员, 班长, 经理 …).
    UserId,
    /// A department (部门) in the organization tree.
    DepartmentId,
    /// A position (岗位) inside a department.
    PositionId,
    /// A customer record (客户档案).
    CustomerId,
    /// One contact (phone, e-mail, IM id) of a customer.
    ContactId,
    /// A customer import (导入) awaiting or past commit.
    ImportId,
    /// A long-lived API token.
    TokenId,
);
