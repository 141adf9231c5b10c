//! The demo's performance evaluation (绩效考核) and commission (提成) settings: the default
//! scheme over the 客服专员 and 回访专员, the handbook's rules of document 8 (100 yuan
//! reward on passing the month's assessment, 10 yuan fine per violation) and the rates
//! of document 17 (客服人员 1%; 2% for the manager, the demo's nearest to 总经理助理).

use crate::org::{AGENT, CALLBACK_AGENT, MANAGER};
use crate::DemoError;
use chrono::{DateTime, Utc};
use kefu_domain::performance::{handbook_rules, Scheme};
use kefu_store::performance::StoredScheme;
use kefu_store::Db;

pub(crate) async fn load(db: &Db, now: DateTime<Utc>) -> Result<(), DemoError> {
    let actor = crate::actor();
    let positions = db.list_positions().await?;
    let id = |title: &str| {
        positions
            .iter()
            .find(|p| p.title == title)
            .map(|p| p.id.clone())
            .ok_or_else(|| DemoError::Invalid(format!("position {title} is missing")))
    };
    let scheme = StoredScheme {
        scheme: Scheme::default(),
        positions: vec![id(AGENT)?, id(CALLBACK_AGENT)?],
    };
    db.save_performance_scheme(&actor, now, &scheme).await?;
    db.replace_performance_rules(&actor, now, &handbook_rules())
        .await?;
    db.set_commission_rates(
        &actor,
        now,
        &[
            (id(AGENT)?, Some(100)),
            (id(CALLBACK_AGENT)?, Some(100)),
            (id(MANAGER)?, Some(200)),
        ],
    )
    .await?;
    Ok(())
}
