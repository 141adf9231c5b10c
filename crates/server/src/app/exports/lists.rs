//! The lists an export can write, each read through the same use case its page and API
//! call (so an export holds exactly what the list shows the person, permissions and
//! department scope included), one page after another, as sheet rows.

use super::ExportKind;
use crate::app::audit::AuditParams;
use crate::app::callbacks::QueueParams;
use crate::app::calls::CallListParams;
use crate::app::chat::ConversationView;
use crate::app::complaints::ArchiveParams;
use crate::app::customers::{mask_address, mask_contact, ListParams};
use crate::app::export::AsyncChunkSource;
use crate::app::qa::inspections::InspectionView;
use crate::app::tickets::TicketListParams;
use crate::app::{rfc3339, short_time};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::phone::mask_phone;
use kefu_domain::Permission;
use kefu_store::audit::AuditFilter;
use kefu_store::calls::CallFilter;
use kefu_store::customers::{CustomerFilter, CustomerRow};
use kefu_store::tickets::TicketFilter;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Rows per page read from the database.
const PAGE: usize = 1000;

/// Where a list is in its paging.
enum Pager {
    Customers {
        filter: CustomerFilter,
        after: Option<String>,
    },
    Tickets {
        filter: TicketFilter,
        cursor: Option<String>,
    },
    Complaints {
        params: ArchiveParams,
    },
    Calls {
        filter: CallFilter,
        cursor: Option<String>,
    },
    Callbacks {
        params: QueueParams,
    },
    Chats {
        state: Option<String>,
        cursor: Option<String>,
    },
    /// A month's inspections come in one page (a month holds a few per agent).
    QaInspections {
        query: crate::app::qa::inspections::ListQuery,
    },
    Audit {
        filter: AuditFilter,
        before: Option<String>,
    },
}

/// A list being read for an export on behalf of the person who asked for it.
pub struct ListSource {
    state: AppState,
    ctx: Ctx,
    pager: Pager,
    /// Personal data (phones, ID numbers, addresses) in the clear: only for those who may
    /// read it.
    clear: bool,
    finished: bool,
}

/// The chat conversation list's filter.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatParams {
    state: Option<String>,
}

/// The QA list's filter: a month, and optionally an inspector, an agent (`me` for
/// oneself) and a state.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QaParams {
    month: String,
    inspector: Option<String>,
    agent: Option<String>,
    state: Option<String>,
}

/// Parses a list's query string (without `cursor`, `limit` and `format`) into its
/// parameters; an unknown or malformed parameter is named.
fn params<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, AppError> {
    let encoded = serde_urlencoded::to_string(pairs).map_err(|e| AppError::Internal(e.into()))?;
    serde_urlencoded::from_str(&encoded)
        .map_err(|e| AppError::invalid("invalid_query", format!("the list's filter: {e}")))
}

impl ListSource {
    /// The list `kind` under the filter `pairs`, checked against the requester's
    /// permissions and the filter's own rules (the first page is read to prove it).
    pub async fn open(
        state: &AppState,
        ctx: &Ctx,
        kind: ExportKind,
        pairs: &[(String, String)],
    ) -> Result<Self, AppError> {
        kind.require(ctx)?;
        let pager = match kind {
            ExportKind::Customers => Pager::Customers {
                filter: params::<ListParams>(pairs)?.filter(),
                after: None,
            },
            ExportKind::Tickets => Pager::Tickets {
                filter: params::<TicketListParams>(pairs)?.filter(),
                cursor: None,
            },
            ExportKind::Complaints => Pager::Complaints {
                params: params(pairs)?,
            },
            ExportKind::Calls => Pager::Calls {
                filter: params::<CallListParams>(pairs)?.filter()?,
                cursor: None,
            },
            ExportKind::Callbacks => Pager::Callbacks {
                params: params(pairs)?,
            },
            ExportKind::Chats => Pager::Chats {
                state: params::<ChatParams>(pairs)?.state,
                cursor: None,
            },
            ExportKind::QaInspections => {
                let p: QaParams = params(pairs)?;
                Pager::QaInspections {
                    query: crate::app::qa::inspections::ListQuery {
                        month: Some(p.month),
                        inspector: p.inspector,
                        agent: p.agent,
                        state: p.state,
                    },
                }
            }
            ExportKind::Audit => Pager::Audit {
                filter: params::<AuditParams>(pairs)?.filter()?,
                before: None,
            },
        };
        let source = ListSource {
            state: state.clone(),
            ctx: ctx.clone(),
            pager,
            clear: ctx.can(Permission::CustomerPiiRead),
            finished: false,
        };
        source.check().await?;
        Ok(source)
    }

    /// Reads one row of the list through its use case, so a filter the list refuses
    /// (an unknown cause, an unknown audit action) is refused now, not in the background.
    async fn check(&self) -> Result<(), AppError> {
        let (state, ctx) = (&self.state, &self.ctx);
        match &self.pager {
            Pager::Customers { .. } => {}
            Pager::Tickets { filter, .. } => {
                crate::app::tickets::list(state, ctx, filter, None, 1).await?;
            }
            Pager::Complaints { params } => {
                let mut one = params.clone();
                one.limit = Some(1);
                crate::app::complaints::archive(state, ctx, &one).await?;
            }
            Pager::Calls { filter, .. } => {
                crate::app::calls::list(state, ctx, filter, None, 1).await?;
            }
            Pager::Callbacks { params } => {
                let one = QueueParams {
                    limit: Some(1),
                    ..params.clone()
                };
                crate::app::callbacks::queue(state, ctx, &one).await?;
            }
            Pager::Chats { state: filter, .. } => {
                crate::app::chat::manage::conversations(state, filter.as_deref(), None, 1).await?;
            }
            // Reading the month is the check (its month and state are parsed there).
            Pager::QaInspections { .. } => {}
            Pager::Audit { filter, .. } => {
                crate::app::audit::list(state, ctx, filter, None, 1).await?;
            }
        }
        Ok(())
    }

    /// How many rows the export will write, where the list can count them cheaply.
    pub async fn total(&self) -> Result<Option<i64>, AppError> {
        Ok(match &self.pager {
            Pager::Customers { filter, .. } => Some(self.state.db().count_customers(filter).await?),
            _ => None,
        })
    }

    /// The sheet's column names.
    pub fn header(&self) -> Vec<String> {
        let names: &[&str] = match self.pager {
            Pager::Customers { .. } => &CUSTOMER_HEADER,
            Pager::Tickets { .. } => &[
                "工单号 number",
                "类型 type",
                "渠道 channel",
                "优先级 priority",
                "状态 status",
                "主题 subject",
                "客户 customer",
                "部门 department",
                "处理人 assignee",
                "首问负责人 first_owner",
                "承诺期限 promise_due",
                "超期 overdue",
                "创建时间 created_at",
                "更新时间 updated_at",
            ],
            Pager::Complaints { .. } => &[
                "工单号 number",
                "主题 subject",
                "工单状态 ticket_status",
                "投诉人 complainant",
                "单位 company",
                "严重程度 severity",
                "阶段 stage",
                "轮次 round",
                "原因 cause",
                "责任部门 department",
                "登记人 recorder",
                "登记时间 created_at",
                "结案时间 closed_at",
            ],
            Pager::Calls { .. } => &[
                "来电时间 started_at",
                "主叫 caller",
                "队列 queue",
                "坐席 agent",
                "状态 state",
                "接通时间 answered_at",
                "挂断时间 ended_at",
                "通话秒数 duration_s",
                "挂断方 hangup_side",
                "客户 customer",
                "身份核验 identity_check",
                "录音 recording",
            ],
            Pager::Callbacks { .. } => &[
                "类型 kind",
                "标题 title",
                "客户 customer",
                "工单 ticket",
                "周期 period",
                "应回访 due_at",
                "下次 next_at",
                "负责人 assignee",
                "状态 status",
                "尝试 attempts",
                "结果 outcome",
                "超时提醒 raised_at",
            ],
            Pager::Chats { .. } => &[
                "开始时间 created_at",
                "访客 visitor",
                "咨询类别 topic",
                "状态 state",
                "坐席 agent",
                "客户 customer",
                "工单 ticket",
                "消息数 messages",
                "结束时间 closed_at",
            ],
            Pager::QaInspections { .. } => &[
                "月份 month",
                "周 week",
                "坐席 agent",
                "质检员 inspector",
                "类型 kind",
                "对象 title",
                "发生时间 occurred_at",
                "评分表 scorecard",
                "状态 state",
                "得分 total",
                "致命项 critical_failure",
                "投诉 complaint",
                "自动检查 flags",
                "发布时间 published_at",
            ],
            Pager::Audit { .. } => &[
                "seq",
                "时间 at",
                "操作人 actor",
                "动作 action",
                "对象类型 subject_type",
                "对象 subjects",
                "详情 detail",
                "客户端地址 client",
            ],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Whether personal data went out in the clear (for the audit entry).
    pub fn clear(&self) -> bool {
        self.clear
    }
}

impl AsyncChunkSource for ListSource {
    async fn next_chunk(&mut self) -> Result<Option<Vec<Vec<String>>>, AppError> {
        if self.finished {
            return Ok(None);
        }
        let (state, ctx, clear) = (&self.state, &self.ctx, self.clear);
        let (lines, next): (Vec<Vec<String>>, Option<String>) = match &mut self.pager {
            Pager::Customers { filter, after } => {
                let rows = state
                    .db()
                    .export_customers_chunk(filter, after.as_deref(), PAGE)
                    .await?;
                let next = (rows.len() == PAGE)
                    .then(|| rows.last().map(|r| r.core.id.clone()))
                    .flatten();
                (rows.iter().map(|r| customer_line(r, clear)).collect(), next)
            }
            Pager::Tickets { filter, cursor } => {
                let page =
                    crate::app::tickets::list(state, ctx, filter, cursor.as_deref(), PAGE).await?;
                (
                    page.items.iter().map(ticket_line).collect(),
                    page.next_cursor,
                )
            }
            Pager::Complaints { params } => {
                let page = crate::app::complaints::archive(state, ctx, params).await?;
                (
                    page.items.iter().map(complaint_line).collect(),
                    page.next_cursor,
                )
            }
            Pager::Calls { filter, cursor } => {
                let page =
                    crate::app::calls::list(state, ctx, filter, cursor.as_deref(), PAGE).await?;
                let lines = page.items.iter().map(|c| call_line(c, clear)).collect();
                (lines, page.next_cursor)
            }
            Pager::Callbacks { params } => {
                let (page, _) = crate::app::callbacks::queue(
                    state,
                    ctx,
                    &QueueParams {
                        limit: Some(PAGE),
                        ..params.clone()
                    },
                )
                .await?;
                (
                    page.items.iter().map(callback_line).collect(),
                    page.next_cursor,
                )
            }
            Pager::Chats {
                state: filter,
                cursor,
            } => {
                let (items, next) = crate::app::chat::manage::conversations(
                    state,
                    filter.as_deref(),
                    cursor.as_deref(),
                    PAGE,
                )
                .await?;
                (items.iter().map(chat_line).collect(), next)
            }
            Pager::QaInspections { query } => {
                let items = crate::app::qa::inspections::list(state, ctx, query).await?;
                (items.iter().map(inspection_line).collect(), None)
            }
            Pager::Audit { filter, before } => {
                let page =
                    crate::app::audit::list(state, ctx, filter, before.as_deref(), PAGE).await?;
                (
                    page.items
                        .into_iter()
                        .map(crate::app::audit::line)
                        .collect(),
                    page.next_cursor,
                )
            }
        };
        match &mut self.pager {
            Pager::Customers { after, .. } => after.clone_from(&next),
            Pager::Tickets { cursor, .. }
            | Pager::Calls { cursor, .. }
            | Pager::Chats { cursor, .. }
            | Pager::Audit { before: cursor, .. } => cursor.clone_from(&next),
            Pager::QaInspections { .. } => {}
            Pager::Complaints { params } => params.cursor.clone_from(&next),
            Pager::Callbacks { params } => params.cursor.clone_from(&next),
        }
        self.finished = next.is_none();
        Ok((!lines.is_empty()).then_some(lines))
    }
}

const CUSTOMER_HEADER: [&str; 15] = [
    "姓名 name",
    "公司 company",
    "性别 gender",
    "等级 tier",
    "状态 status",
    "负责人 owner",
    "手机 mobile",
    "座机 landline",
    "邮箱 email",
    "IM",
    "身份证 id_number",
    "地址 address",
    "标签 tags",
    "备注 notes",
    "创建时间 created_at",
];

/// One customer as a sheet row; personal data masked unless `clear`.
fn customer_line(row: &CustomerRow, clear: bool) -> Vec<String> {
    let c = &row.core;
    let pick = |kind: &str| {
        let values: Vec<String> = row
            .contacts
            .iter()
            .filter(|ct| ct.kind == kind)
            .map(|ct| {
                if clear {
                    ct.value.clone()
                } else {
                    mask_contact(kind, &ct.value)
                }
            })
            .collect();
        values.join(" ")
    };
    let shown = |v: &Option<String>, mask: fn(&str) -> String| {
        v.as_deref()
            .map(|v| if clear { v.to_string() } else { mask(v) })
            .unwrap_or_default()
    };
    vec![
        c.name.clone(),
        c.company.clone().unwrap_or_default(),
        c.gender.clone(),
        c.tier.clone(),
        c.status.clone(),
        c.owner_name.clone().unwrap_or_default(),
        pick("mobile"),
        pick("landline"),
        pick("email"),
        pick("im"),
        shown(&c.id_number, kefu_domain::id_number::mask_id_number),
        shown(&c.address, mask_address),
        row.tags.join(","),
        c.notes.clone().unwrap_or_default(),
        short_time(c.created_at),
    ]
}

fn opt_time(ms: Option<i64>) -> String {
    ms.map(short_time).unwrap_or_default()
}

fn ticket_line(r: &kefu_store::tickets::TicketSummaryRow) -> Vec<String> {
    vec![
        r.number.clone(),
        r.ticket_type.clone(),
        r.channel.clone(),
        r.priority.clone(),
        r.status.clone(),
        r.subject.clone(),
        r.customer_name.clone().unwrap_or_default(),
        r.department_name.clone(),
        r.assignee_name.clone().unwrap_or_default(),
        r.first_owner_name.clone().unwrap_or_default(),
        opt_time(r.promise_due_at),
        opt_time(r.overdue_since),
        short_time(r.created_at),
        short_time(r.updated_at),
    ]
}

fn complaint_line(r: &kefu_store::complaints::ComplaintSummaryRow) -> Vec<String> {
    vec![
        r.number.clone(),
        r.subject.clone(),
        r.ticket_status.clone(),
        r.complainant.clone().unwrap_or_default(),
        r.company.clone().unwrap_or_default(),
        r.severity.clone(),
        r.stage.clone(),
        r.round.to_string(),
        r.cause_name.clone().unwrap_or_default(),
        r.department_name.clone().unwrap_or_default(),
        r.recorder_name.clone().unwrap_or_default(),
        short_time(r.created_at),
        opt_time(r.closed_at),
    ]
}

fn call_line(c: &kefu_store::calls::CallRow, clear: bool) -> Vec<String> {
    let caller = c
        .caller
        .as_deref()
        .map(|n| if clear { n.to_string() } else { mask_phone(n) })
        .unwrap_or_default();
    vec![
        rfc3339(c.started_at),
        caller,
        c.queue.clone().unwrap_or_default(),
        c.agent_name.clone().unwrap_or_default(),
        c.state.clone(),
        opt_time(c.answered_at),
        opt_time(c.ended_at),
        c.duration_s.map(|s| s.to_string()).unwrap_or_default(),
        c.hangup_side.clone().unwrap_or_default(),
        c.customer_name.clone().unwrap_or_default(),
        c.identity_check.clone().unwrap_or_default(),
        if c.recording_sha256.is_some() {
            "yes".into()
        } else {
            String::new()
        },
    ]
}

fn callback_line(r: &kefu_store::callbacks::TaskRow) -> Vec<String> {
    vec![
        r.kind.clone(),
        r.title
            .clone()
            .or_else(|| r.plan_name.clone())
            .unwrap_or_default(),
        r.customer_name.clone().unwrap_or_default(),
        r.ticket_number.clone().unwrap_or_default(),
        r.period_key.clone().unwrap_or_default(),
        short_time(r.due_at),
        short_time(r.next_at),
        r.assignee_name.clone().unwrap_or_default(),
        r.status.clone(),
        r.attempts.to_string(),
        r.outcome.clone().unwrap_or_default(),
        opt_time(r.raised_at),
    ]
}

fn chat_line(c: &ConversationView) -> Vec<String> {
    vec![
        c.created_at.clone(),
        c.visitor_name.clone(),
        c.topic.clone(),
        c.state.clone(),
        c.agent_name.clone().unwrap_or_default(),
        c.customer_name.clone().unwrap_or_default(),
        c.ticket_number.clone().unwrap_or_default(),
        c.last_seq.to_string(),
        c.closed_at.clone().unwrap_or_default(),
    ]
}

fn inspection_line(i: &InspectionView) -> Vec<String> {
    vec![
        i.month.clone(),
        i.week.to_string(),
        i.agent.name.clone(),
        i.inspector.name.clone(),
        i.kind.clone(),
        i.title.clone(),
        i.occurred_at.clone(),
        i.scorecard_name.clone(),
        i.state.clone(),
        i.total.map(|t| format!("{t:.1}")).unwrap_or_default(),
        i.critical_failure.clone().unwrap_or_default(),
        if i.complaint {
            "yes".into()
        } else {
            String::new()
        },
        i.flags.to_string(),
        i.published_at.clone().unwrap_or_default(),
    ]
}
