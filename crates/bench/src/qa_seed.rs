//! `kefu-bench seed-qa`: one month of inspectable work for the server's QA draw (issue 7,
//! `bench/qa.sh`), written straight into a kefu SQLite database (start kefu once first,
//! then stop it).
//!
//! The month holds about `--items` items for `--agents` agents: answered calls (62 %, 30 s
//! to 30 min, a third belonging to a work order), closed chats with 10–20 messages each
//! (6 %: the generated conversations of `qa-checks`, carrying the agent's own number), work
//! orders that came in by e-mail (1 %) and other work orders (31 %, 3 % of them complaints
//! with their complaint record, a fifth with a satisfaction answer). The people are made
//! through the store like an admin would: a department with an agents' position, an
//! inspectors' position with `qa.inspect` (`--inspectors` of them) and a QA lead
//! (`qa-lead`, with `qa.manage` and `qa.decide`, who is not an inspector).

use crate::qa::agent_conversation;
use anyhow::{ensure, Context};
use chrono::{DateTime, Datelike, Duration as Days, NaiveDate, TimeZone, Utc};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::org::{Qualifications, StaffProfile};
use kefu_domain::qa::Party;
use kefu_domain::survey::{Question, QuestionKind};
use kefu_domain::Permission;
use kefu_store::audit::Actor;
use kefu_store::org::{DepartmentInput, PositionInput};
use kefu_store::surveys::TemplateInput;
use kefu_store::users::NewUser;
use kefu_store::{new_id, Db};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::Connection;
use std::time::Instant;

use crate::qa_rows::{Rows, Value};

/// The QA lead who draws the sample.
pub const LEAD_USERNAME: &str = "qa-lead";

#[derive(clap::Args)]
pub struct SeedArgs {
    #[arg(long)]
    database_url: String,
    /// The month to fill, `YYYY-MM` in the center's time (UTC+8).
    #[arg(long)]
    month: String,
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    #[arg(long, default_value_t = 2_000)]
    agents: u32,
    #[arg(long, default_value_t = 40)]
    inspectors: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The password of `qa-lead` (the agents and inspectors cannot log in).
    #[arg(long, env = "KEFU_BENCH_QA_PASSWORD", hide_env_values = true)]
    password: String,
}

/// An agent who handles the month's work.
struct Agent {
    id: String,
    number: String,
}

/// The month in the center's time: its first instant (UTC) and its days.
fn month_bounds(month: &str) -> anyhow::Result<(DateTime<Utc>, i64, String)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .with_context(|| format!("--month {month:?}: use YYYY-MM"))?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .context("month out of range")?;
    let offset = kefu_domain::calendar::china_offset();
    let start = offset
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).context("midnight")?)
        .single()
        .context("a fixed offset has no gaps")?
        .with_timezone(&Utc);
    Ok((
        start,
        (next - first).num_days(),
        first.format("%Y%m").to_string(),
    ))
}

/// `kefu-bench seed-qa`.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    ensure!(
        args.items >= 100 && args.agents > 1 && args.inspectors > 1,
        "--items ≥ 100, --agents > 1, --inspectors > 1"
    );
    let (start, days, yyyymm) = month_bounds(&args.month)?;
    let db = Db::connect(&args.database_url).await?;
    db.get_user_by_username("admin")
        .await
        .context("no admin: start kefu once first")?;
    let actor = Actor {
        user_id: None,
        name: "kefu-bench".into(),
        client_addr: None,
    };
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(args.seed);

    let t = Instant::now();
    let (department, agents) = staff(&db, &actor, now, &args).await?;
    crate::seed::customers(
        &db,
        &actor,
        now,
        20_000,
        CustomerStatus::Active,
        &mut rng,
        |_| None,
    )
    .await?;
    let template = db
        .create_survey_template(
            &actor,
            now,
            &TemplateInput {
                name: "服务满意度（基准）".into(),
                description: None,
                questions: vec![Question {
                    id: "q1".into(),
                    kind: QuestionKind::Csat,
                    text: "您对本次服务满意吗？".into(),
                    options: Vec::new(),
                    required: true,
                }],
                active: true,
            },
        )
        .await?;
    println!(
        "seed-qa: {} agents, {} inspectors, a QA lead and 20000 customers in {:.1} s",
        agents.len(),
        args.inspectors,
        t.elapsed().as_secs_f64()
    );

    let mut conn = sqlx::SqliteConnection::connect(&args.database_url).await?;
    // A bench's own copy: no need to survive a power cut while seeding. Rows are written
    // a thousand at a time per table, so a survey answer may reach the database before
    // its ticket: the foreign keys are checked once at the end instead.
    for pragma in ["PRAGMA foreign_keys = OFF", "PRAGMA synchronous = OFF"] {
        sqlx::query(pragma).execute(&mut conn).await?;
    }
    let customers: Vec<String> = sqlx::query_scalar("SELECT id FROM customers")
        .fetch_all(&mut conn)
        .await?;
    let month = Month {
        start,
        days,
        yyyymm,
    };
    let t = Instant::now();
    let mut w = Writer {
        conn: &mut conn,
        rng: &mut rng,
        month: &month,
        agents: &agents,
        department: &department,
        customers: &customers,
        template: &template,
        written: 0,
    };
    let n = args.items;
    let (calls, chats, emails) = (n * 62 / 100, n * 6 / 100, n / 100);
    let tickets = n - calls - chats - emails;
    let phone_tickets = w.tickets(tickets, emails).await?;
    let messages = w.chats(chats, &phone_tickets).await?;
    w.calls(calls, &phone_tickets).await?;
    let rows = w.written;
    for table in SEEDED_TABLES {
        let broken: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT \"table\" FROM pragma_foreign_key_check('{table}')"
        ))
        .fetch_all(&mut conn)
        .await?;
        ensure!(
            broken.is_empty(),
            "{table}: {} rows break a foreign key",
            broken.len()
        );
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "seed-qa: month {} — {calls} calls, {chats} chats ({messages} messages), {emails} e-mail \
         tickets, {tickets} other tickets: {rows} rows in {secs:.1} s ({:.0} rows/s)",
        args.month,
        rows as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The department, positions and people; returns the department and the agents.
async fn staff(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    args: &SeedArgs,
) -> anyhow::Result<(String, Vec<Agent>)> {
    let department = db
        .create_department(
            actor,
            now,
            &DepartmentInput {
                parent_id: None,
                name: "客服中心（质检基准）".into(),
                description: None,
                sort_order: 50,
            },
        )
        .await?;
    let position = |title: &str, permissions: Vec<Permission>| PositionInput {
        department_id: department.clone(),
        title: title.into(),
        duties: Vec::new(),
        qualifications: Qualifications::default(),
        headcount_limit: None,
        headcount_ratio: None,
        permissions,
        excluded_with: Vec::new(),
    };
    use Permission::*;
    let agent_position = db
        .create_position(
            actor,
            now,
            &position(
                "客服专员",
                vec![TicketRead, TicketWrite, CallHandle, ChatAnswer],
            ),
        )
        .await?;
    let inspector_position = db
        .create_position(
            actor,
            now,
            &position("质检员", vec![QaInspect, ChatInspect, TicketRead]),
        )
        .await?;
    let lead_position = db
        .create_position(
            actor,
            now,
            &position(
                "质检主管",
                vec![QaManage, QaDecide, ChatInspect, TicketRead],
            ),
        )
        .await?;
    let person = |username: String, name: String, number: Option<String>, hash: String| NewUser {
        username,
        display_name: name,
        agent_no: number,
        password_hash: hash,
        profile: StaffProfile::default(),
    };
    let lead = db
        .create_user(
            actor,
            now,
            &person(
                LEAD_USERNAME.into(),
                "质检主管".into(),
                None,
                kefu_server::auth::hash_password(&args.password),
            ),
        )
        .await?;
    db.assign_position(actor, now, &lead, &lead_position)
        .await?;
    for i in 0..args.inspectors {
        let user = person(
            format!("qa-inspector-{i:03}"),
            format!("质检员{i:03}"),
            Some(format!("Q{i:03}")),
            "-".into(),
        );
        let id = db.create_user(actor, now, &user).await?;
        db.assign_position(actor, now, &id, &inspector_position)
            .await?;
    }
    let mut agents = Vec::with_capacity(args.agents as usize);
    for i in 0..args.agents {
        let number = format!("{}", 10_001 + i);
        let user = person(
            format!("qa-agent-{i:04}"),
            format!("坐席{i:04}"),
            Some(number.clone()),
            "-".into(),
        );
        let id = db.create_user(actor, now, &user).await?;
        db.assign_position(actor, now, &id, &agent_position).await?;
        agents.push(Agent { id, number });
    }
    Ok((department, agents))
}

/// The tables `seed-qa` writes straight, checked for foreign keys at the end.
const SEEDED_TABLES: &[&str] = &[
    "tickets",
    "complaints",
    "survey_responses",
    "chat_conversations",
    "chat_messages",
    "calls",
];

struct Month {
    start: DateTime<Utc>,
    days: i64,
    yyyymm: String,
}

/// Writes the month's sources; `written` counts rows.
struct Writer<'a> {
    conn: &'a mut sqlx::SqliteConnection,
    rng: &'a mut StdRng,
    month: &'a Month,
    agents: &'a [Agent],
    department: &'a str,
    customers: &'a [String],
    template: &'a str,
    written: u64,
}

const SUBJECTS: &[&str] = &[
    "宽带断网报修",
    "话费查询",
    "订单未发货",
    "退货申请",
    "积分未到账",
    "修改收货地址",
    "发票开具",
    "产品使用咨询",
    "套餐变更",
    "维修进度查询",
];
const TYPES: &[&str] = &[
    "consultation",
    "consultation",
    "inquiry",
    "inquiry",
    "repair",
    "return_exchange",
    "suggestion",
];
const QUEUES: &[&str] = &["咨询", "投诉建议", "售后服务", "VIP 专线"];
const EMAIL_BODIES: &[&str] = &[
    "你好，我上周买的路由器一直连不上网，已经按说明书重置过了，请尽快处理。",
    "您好，我的订单 20261103771 三天了还没有发货，请帮忙查一下。",
    "请问发票什么时候能开好？公司财务在催。",
    "你们的安装师傅没有按约定时间上门，也没有提前通知，希望给个说法。",
];

impl Writer<'_> {
    /// A moment of the month during the center's hours (09:00–24:00 local).
    fn moment(&mut self) -> DateTime<Utc> {
        let day = self.rng.gen_range(0..self.month.days);
        let second = self.rng.gen_range(9 * 3600..24 * 3600);
        self.month.start + Days::days(day) + Days::seconds(second)
    }

    fn agent(&mut self) -> &Agent {
        self.agents
            .choose(self.rng)
            .expect("agents checked not empty")
    }

    /// Work orders (the e-mail ones first); returns the ids of those that came by phone.
    async fn tickets(&mut self, others: u64, emails: u64) -> anyhow::Result<Vec<String>> {
        let mut tickets = Rows::new(
            "tickets (id, number, ticket_type, channel, priority, status, is_open, subject, \
             description, department_id, first_owner_id, assignee_id, resolved_at, closed_at, \
             created_at, updated_at)",
            16,
        );
        let mut complaints = Rows::new(
            "complaints (ticket_id, cause, desired_outcome, severity, recorder_id, stage, \
             round, closed_at, created_at, updated_at)",
            10,
        );
        let mut surveys = Rows::new(
            "survey_responses (id, template_id, customer_id, ticket_id, channel, answers, \
             csat, dissatisfied, created_at)",
            9,
        );
        let mut phone = Vec::with_capacity(others as usize);
        let mut per_day = vec![0u32; self.month.days as usize];
        for i in 0..others + emails {
            let at = self.moment();
            let day = (at - self.month.start).num_days() as usize;
            per_day[day] += 1;
            let agent = self.agent().id.clone();
            let id = new_id();
            let email = i < emails;
            let complaint = !email && self.rng.gen_bool(0.03);
            let channel = match self.rng.gen_range(0..20) {
                _ if email => "email",
                0 => "web_form",
                1 => "chat",
                _ => "phone",
            };
            if channel == "phone" {
                phone.push(id.clone());
            }
            let ticket_type = if complaint {
                "complaint"
            } else {
                TYPES.choose(self.rng).expect("types")
            };
            let subject = SUBJECTS.choose(self.rng).expect("subjects");
            let description = if email {
                EMAIL_BODIES.choose(self.rng).expect("bodies")
            } else {
                ""
            };
            let closed = at + Days::hours(self.rng.gen_range(1..72));
            let ms = |t: DateTime<Utc>| Value::Int(t.timestamp_millis());
            tickets
                .push(
                    self.conn,
                    [
                        Value::Text(id.clone()),
                        Value::Text(format!(
                            "GD{}{:02}-{}",
                            self.month.yyyymm,
                            day + 1,
                            900_000 + per_day[day]
                        )),
                        Value::text(ticket_type),
                        Value::text(channel),
                        Value::text("normal"),
                        Value::text("closed"),
                        Value::Int(0),
                        Value::text(subject),
                        Value::text(description),
                        Value::text(self.department),
                        Value::Text(agent.clone()),
                        Value::Text(agent.clone()),
                        ms(closed),
                        ms(closed),
                        ms(at),
                        ms(closed),
                    ],
                )
                .await?;
            if complaint {
                complaints
                    .push(
                        self.conn,
                        [
                            Value::Text(id.clone()),
                            Value::text("安装师傅未按约定时间上门"),
                            Value::text("道歉并尽快安排上门"),
                            Value::text("general"),
                            Value::Text(agent),
                            Value::text("closed"),
                            Value::Int(1),
                            ms(closed),
                            ms(at),
                            ms(closed),
                        ],
                    )
                    .await?;
            }
            if self.rng.gen_bool(0.2) {
                let csat: i64 = *[1, 2, 3, 4, 4, 5, 5, 5, 5, 5]
                    .choose(self.rng)
                    .expect("scores");
                let customer = self.customers.choose(self.rng).expect("customers").clone();
                surveys
                    .push(
                        self.conn,
                        [
                            Value::Text(new_id()),
                            Value::text(self.template),
                            Value::Text(customer),
                            Value::Text(id),
                            Value::text("sms"),
                            Value::Text(format!("{{\"q1\":{csat}}}")),
                            Value::Int(csat),
                            Value::Int(i64::from(csat <= 2)),
                            ms(closed),
                        ],
                    )
                    .await?;
            }
        }
        for rows in [tickets, complaints, surveys] {
            self.written += rows.finish(self.conn).await?;
        }
        Ok(phone)
    }

    /// Closed chats with their messages; returns how many messages.
    async fn chats(&mut self, count: u64, tickets: &[String]) -> anyhow::Result<u64> {
        let mut conversations = Rows::new(
            "chat_conversations (id, topic_id, state, visitor_name, token_hash, \
             token_expires_at, agent_id, ticket_id, last_seq, queued_at, assigned_at, \
             closed_at, created_at)",
            13,
        );
        let mut messages = Rows::new(
            "chat_messages (id, conversation_id, seq, sender, author_id, body, at)",
            7,
        );
        let mut total = 0u64;
        for i in 0..count {
            let created = self.moment().timestamp_millis();
            let agent = self.agent();
            let (agent_id, number) = (agent.id.clone(), agent.number.clone());
            let c = agent_conversation(self.rng, &number);
            let first = c.messages.first().map_or(0, |m| m.1);
            let last = c.messages.last().map_or(0, |m| m.1);
            let id = new_id();
            let ticket = if self.rng.gen_bool(0.1) {
                Value::text(tickets.choose(self.rng).expect("tickets"))
            } else {
                Value::Null
            };
            let closed = created + (last - first + 30) * 1000;
            conversations
                .push(
                    self.conn,
                    [
                        Value::Text(id.clone()),
                        Value::text("topic-general"),
                        Value::text("closed"),
                        Value::Text(format!("访客{i:06}")),
                        Value::Text(format!("bench-qa-{}-{i}", self.month.yyyymm)),
                        Value::Int(closed),
                        Value::Text(agent_id.clone()),
                        ticket,
                        Value::Int(c.messages.len() as i64),
                        Value::Int(created),
                        Value::Int(created + 5_000),
                        Value::Int(closed),
                        Value::Int(created),
                    ],
                )
                .await?;
            for (seq, (from, at, text)) in c.messages.into_iter().enumerate() {
                let (sender, author) = match from {
                    Party::Customer => ("visitor", Value::Null),
                    Party::Agent => ("agent", Value::Text(agent_id.clone())),
                    Party::System => ("system", Value::Null),
                };
                messages
                    .push(
                        self.conn,
                        [
                            Value::Text(new_id()),
                            Value::Text(id.clone()),
                            Value::Int(seq as i64 + 1),
                            Value::text(sender),
                            author,
                            Value::Text(text),
                            Value::Int(created + (at - first) * 1000),
                        ],
                    )
                    .await?;
                total += 1;
            }
        }
        self.written += conversations.finish(self.conn).await?;
        self.written += messages.finish(self.conn).await?;
        Ok(total)
    }

    /// Answered calls of 30 s to 30 min (most short); a third belong to a work order.
    async fn calls(&mut self, count: u64, tickets: &[String]) -> anyhow::Result<()> {
        let mut calls = Rows::new(
            "calls (id, external_id, state, queue, agent_ref, agent_id, offered_at, \
             answered_at, ended_at, duration_s, hangup_side, ticket_id, started_at, updated_at)",
            14,
        );
        for i in 0..count {
            let started = self.moment().timestamp_millis();
            let agent = self.agent();
            let (agent_id, number) = (agent.id.clone(), agent.number.clone());
            let duration = 30 + (self.rng.gen::<f64>().powi(3) * 1770.0) as i64;
            let answered = started + self.rng.gen_range(2_000..40_000);
            let ended = answered + duration * 1000;
            let ticket = if self.rng.gen_bool(1.0 / 3.0) {
                Value::text(tickets.choose(self.rng).expect("tickets"))
            } else {
                Value::Null
            };
            let queue = QUEUES.choose(self.rng).expect("queues");
            let side = if self.rng.gen_bool(0.7) {
                "caller"
            } else {
                "agent"
            };
            calls
                .push(
                    self.conn,
                    [
                        Value::Text(new_id()),
                        Value::Text(format!("bench-qa-{}-{i}", self.month.yyyymm)),
                        Value::text("ended"),
                        Value::text(queue),
                        Value::Text(number),
                        Value::Text(agent_id),
                        Value::Int(started),
                        Value::Int(answered),
                        Value::Int(ended),
                        Value::Int(duration),
                        Value::text(side),
                        ticket,
                        Value::Int(started),
                        Value::Int(ended),
                    ],
                )
                .await?;
        }
        self.written += calls.finish(self.conn).await?;
        Ok(())
    }
}
