//! The mail ingest benchmark (issue 6: 10,000 messages from the local IMAP server,
//! ≥ 500 messages/s end to end to tickets), driven by `bench/mail.sh`.
//!
//! * `mail-append` APPENDs realistic messages to a mailbox on the IMAP server: plain
//!   UTF-8 and GBK bodies with encoded-word subjects, HTML alternatives, replies to
//!   earlier messages from the same sender (In-Reply-To, `Re:` subject), and small
//!   attachments. Seeded, so every run gets the same mail.
//! * `mail-ingest` adds that mailbox to a running kefu (IMAP on the loopback) and times
//!   from the moment the mailbox exists until kefu has read every message (the
//!   mailbox's last UID is the last one appended and its last poll has no error), then
//!   counts what became of them.

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"];
const PROBLEMS: &[&str] = &[
    "空调不制冷，请尽快维修",
    "发票抬头开错了，需要重开",
    "订单三天还没发货",
    "退货退款一直没到账",
    "会员积分没有到账",
    "安装师傅迟到两个小时",
    "产品说明书缺页",
    "快递包装破损，商品有划痕",
    "想咨询一下延保服务",
    "热水器显示故障代码 E4",
];
const DETAILS: &[&str] = &[
    "我上周在你们官网下的单，订单号是 20261201{n}，到现在还没有人联系我。",
    "师傅说要换一个配件，但是一直没有回音，麻烦帮忙催一下。",
    "请尽快处理，我明天上午都在家，电话可以联系我。",
    "附件是购买凭证和照片，请查收。",
    "之前打过客服电话，说 48 小时内答复，现在已经超过时间了。",
];
const DOMAINS: &[&str] = &["qq.com", "163.com", "126.com", "sina.com", "example.cn"];

fn b64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76, as mail wants it.
fn b64_lines(bytes: &[u8]) -> String {
    let flat = b64(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 38);
    for line in flat.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// One generated message and who sent it (for later replies).
struct Sent {
    message_id: String,
    from: String,
    subject: String,
}

/// The `i`-th message: a new question most of the time, a reply to an earlier one from
/// the same sender (one in eight), in GBK one in four, with HTML one in five, with a
/// small attachment one in ten.
fn message(i: usize, rng: &mut StdRng, earlier: &mut Vec<Sent>) -> Vec<u8> {
    let reply_to = (i > 20 && rng.gen_ratio(1, 8))
        .then(|| rng.gen_range(0..earlier.len()))
        .map(|k| {
            (
                earlier[k].message_id.clone(),
                earlier[k].from.clone(),
                earlier[k].subject.clone(),
            )
        });
    let name = format!(
        "{}{}",
        SURNAMES[rng.gen_range(0..SURNAMES.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    );
    let (from, subject) = match &reply_to {
        Some((_, from, subject)) => (from.clone(), format!("Re: {subject}")),
        None => (
            format!(
                "user{}@{}",
                rng.gen_range(0..5_000),
                DOMAINS[rng.gen_range(0..DOMAINS.len())]
            ),
            PROBLEMS[rng.gen_range(0..PROBLEMS.len())].to_string(),
        ),
    };
    let message_id = format!("bench-{i}-{}@{}", rng.gen::<u32>(), "mail.example.cn");
    let mut text = format!("您好，\r\n\r\n{subject}。\r\n");
    for _ in 0..rng.gen_range(1..4) {
        let d = DETAILS[rng.gen_range(0..DETAILS.len())].replace("{n}", &format!("{i:05}"));
        text.push_str(&d);
        text.push_str("\r\n");
    }
    text.push_str(&format!("\r\n{name}\r\n"));
    let gbk = rng.gen_ratio(1, 4);
    let (charset, body_bytes, subject_header) = if gbk {
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        let (subj, _, _) = encoding_rs::GBK.encode(&subject);
        (
            "GBK",
            bytes.into_owned(),
            format!("=?GBK?B?{}?=", b64(&subj)),
        )
    } else {
        (
            "UTF-8",
            text.clone().into_bytes(),
            format!("=?UTF-8?B?{}?=", b64(subject.as_bytes())),
        )
    };
    let mut raw = Vec::with_capacity(4096);
    let header = |raw: &mut Vec<u8>, line: String| {
        raw.extend_from_slice(line.as_bytes());
        raw.extend_from_slice(b"\r\n");
    };
    header(
        &mut raw,
        format!("From: =?UTF-8?B?{}?= <{from}>", b64(name.as_bytes())),
    );
    header(&mut raw, "To: support@kefu.example.com".into());
    header(&mut raw, format!("Subject: {subject_header}"));
    header(&mut raw, format!("Message-ID: <{message_id}>"));
    header(
        &mut raw,
        format!(
            "Date: Fri, 4 Dec 2026 {:02}:{:02}:00 +0800",
            8 + i % 12,
            i % 60
        ),
    );
    if let Some((parent, _, _)) = &reply_to {
        header(&mut raw, format!("In-Reply-To: <{parent}>"));
        header(&mut raw, format!("References: <{parent}>"));
    }
    header(&mut raw, "MIME-Version: 1.0".into());
    let html = rng.gen_ratio(1, 5);
    let attachment = rng.gen_ratio(1, 10);
    let text_part = |raw: &mut Vec<u8>| {
        raw.extend_from_slice(
            format!(
                "Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                b64_lines(&body_bytes)
            )
            .as_bytes(),
        );
    };
    if !html && !attachment {
        text_part(&mut raw);
    } else {
        let outer = format!("=_outer_{i}");
        let kind = if attachment { "mixed" } else { "alternative" };
        header(
            &mut raw,
            format!("Content-Type: multipart/{kind}; boundary=\"{outer}\""),
        );
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(format!("--{outer}\r\n").as_bytes());
        text_part(&mut raw);
        if html {
            let page = format!(
                "<html><body><p>{}</p><img src=\"https://img.example.cn/{i}.png\"></body></html>",
                text.replace("\r\n", "<br>")
            );
            raw.extend_from_slice(
                format!(
                    "--{outer}\r\nContent-Type: text/html; charset=UTF-8\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n{}",
                    b64_lines(page.as_bytes())
                )
                .as_bytes(),
            );
        }
        if attachment {
            let size = rng.gen_range(2_000..40_000);
            let bytes: Vec<u8> = (0..size).map(|_| rng.gen()).collect();
            raw.extend_from_slice(
                format!(
                    "--{outer}\r\nContent-Type: image/jpeg; name=\"photo{i}.jpg\"\r\n\
                     Content-Disposition: attachment; filename=\"photo{i}.jpg\"\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n{}",
                    b64_lines(&bytes)
                )
                .as_bytes(),
            );
        }
        raw.extend_from_slice(format!("--{outer}--\r\n").as_bytes());
    }
    if reply_to.is_none() {
        earlier.push(Sent {
            message_id,
            from,
            subject,
        });
    }
    raw
}

async fn imap_login(
    port: u16,
    user: &str,
    password: &str,
) -> anyhow::Result<async_imap::Session<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .with_context(|| format!("connect to IMAP on 127.0.0.1:{port}"))?;
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.context("no IMAP greeting")??;
    client
        .login(user, password)
        .await
        .map_err(|(e, _)| anyhow::anyhow!(e).context("IMAP login refused"))
}

/// APPENDs `count` messages to the INBOX; prints how many are replies and how long it took.
pub async fn append(
    port: u16,
    user: &str,
    password: &str,
    count: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut session = imap_login(port, user, password).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut earlier = Vec::new();
    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..count {
        let raw = message(i, &mut rng, &mut earlier);
        bytes += raw.len();
        session
            .append("INBOX", None, None, &raw)
            .await
            .with_context(|| format!("APPEND message {i}"))?;
    }
    let _ = session.logout().await;
    println!(
        "APPENDED messages={count} new={} replies={} MB={:.1} seconds={:.1}",
        earlier.len(),
        count - earlier.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub struct IngestArgs {
    pub base: String,
    pub token: String,
    pub imap_port: u16,
    pub user: String,
    pub password: String,
    pub count: usize,
    pub time_limit: Duration,
}

async fn call(req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let res = req.send().await.with_context(|| what.to_string())?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("{what}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Adds the mailbox and waits until kefu has read all `count` messages.
pub async fn ingest(a: IngestArgs) -> anyhow::Result<()> {
    kefu_server::install_tls_provider();
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", a.base);
    let departments = call(
        client.get(api("/departments")).bearer_auth(&a.token),
        "list departments",
    )
    .await?;
    let department = match departments
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["id"].as_str())
    {
        Some(id) => id.to_string(),
        None => call(
            client
                .post(api("/departments"))
                .bearer_auth(&a.token)
                .json(&json!({"name": "业务受理组"})),
            "create a department",
        )
        .await?["id"]
            .as_str()
            .context("department id")?
            .to_string(),
    };
    let mailbox = json!({
        "name": "基准测试邮箱",
        "address": "support@kefu.example.com",
        "department_id": department,
        "enabled": true,
        "imap_host": "127.0.0.1",
        "imap_port": a.imap_port,
        "imap_security": "plain",
        "imap_username": a.user,
        "imap_auth": "password",
        "imap_secret": a.password,
        "imap_folder": "INBOX",
        "smtp_host": "127.0.0.1",
        "smtp_port": 25,
        "smtp_security": "plain",
        "signature": "",
    });
    let started = Instant::now();
    let created = call(
        client
            .post(api("/mailboxes"))
            .bearer_auth(&a.token)
            .json(&mailbox),
        "create the mailbox",
    )
    .await?;
    let id = created["id"].as_str().context("mailbox id")?.to_string();
    let mut last_report = Instant::now();
    let done_uid = a.count as i64;
    loop {
        let view = call(
            client
                .get(api(&format!("/mailboxes/{id}")))
                .bearer_auth(&a.token),
            "read the mailbox",
        )
        .await?;
        let last_uid = view["last_uid"].as_i64().unwrap_or(0);
        if let Some(e) = view["last_error"].as_str() {
            bail!("kefu could not read the mailbox: {e}");
        }
        if last_uid >= done_uid {
            break;
        }
        if started.elapsed() > a.time_limit {
            bail!(
                "time limit: {last_uid} of {} read after {:.0} s",
                a.count,
                started.elapsed().as_secs_f64()
            );
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "  {last_uid} of {} read after {:.1} s",
                a.count,
                started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut tickets = 0usize;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = api("/tickets?status=new&limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = call(client.get(url).bearer_auth(&a.token), "list tickets").await?;
        tickets += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let failed = call(
        client.get(api("/mail?list=failed")).bearer_auth(&a.token),
        "list unreadable mail",
    )
    .await?["items"]
        .as_array()
        .map_or(0, Vec::len);
    println!(
        "RESULT messages={} seconds={seconds:.2} messages_per_s={:.0} tickets={tickets} unreadable={failed}",
        a.count,
        a.count as f64 / seconds
    );
    Ok(())
}
