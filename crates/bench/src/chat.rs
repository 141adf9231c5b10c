//! The web chat benchmark (issue 6: 1,000 concurrent chat connections on loopback, p99
//! message delivery ≤ 50 ms, server RSS ≤ 300 MB — RSS is read by the driver with `mem`).
//!
//! It opens `--visitors` visitor WebSockets (each a conversation started over HTTP) plus
//! one agent console (the `--token` user, who must hold `chat.answer` and `chat.manage`;
//! the demo's manager does), keeps them all open, and has every visitor send `--messages`
//! messages at a steady pace. Delivery is timed two ways: to the visitor's own socket
//! (the stored message comes back through the hub: store + fan-out) and to the agent's
//! console for the chats the agent holds. Bounded in count and time; it stops by itself.

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub struct ChatArgs {
    pub base: String,
    pub token: String,
    pub visitors: usize,
    pub messages: usize,
    /// Pause between one visitor's messages.
    pub interval: Duration,
    pub time_limit: Duration,
}

type Samples = Arc<Mutex<Vec<u64>>>;

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let res = client
        .request(method, &url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("{url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Opens the `general` topic around the clock and sets the agent's desk to the most
/// chats one agent may take, available.
async fn prepare(client: &reqwest::Client, a: &ChatArgs) -> anyhow::Result<()> {
    let topics = client
        .get(format!("{}/api/v1/chat/topics", a.base))
        .bearer_auth(&a.token)
        .send()
        .await?
        .json::<Value>()
        .await?;
    let general = topics
        .as_array()
        .and_then(|t| t.iter().find(|t| t["code"] == "general"))
        .context("no general topic")?;
    let id = general["id"].as_str().context("topic id")?;
    api(
        client,
        reqwest::Method::PUT,
        format!("{}/api/v1/chat/topics/{id}", a.base),
        &a.token,
        json!({"code": "general", "name": general["name"], "routing": "least_busy", "hours": "24x7"}),
    )
    .await?;
    let me = client
        .get(format!("{}/api/v1/me", a.base))
        .bearer_auth(&a.token)
        .send()
        .await?
        .json::<Value>()
        .await?;
    let me = me["id"].as_str().context("my id")?;
    api(
        client,
        reqwest::Method::PUT,
        format!("{}/api/v1/chat/agents/{me}", a.base),
        &a.token,
        json!({"capacity": 50}),
    )
    .await?;
    api(
        client,
        reqwest::Method::PUT,
        format!("{}/api/v1/chat/desk/availability", a.base),
        &a.token,
        json!({"available": true}),
    )
    .await?;
    Ok(())
}

fn now_us(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

/// The console: syncs every chat it holds and times each visitor message's arrival
/// from the send time written into its body (`t=<µs>`).
async fn agent(a: Arc<ChatArgs>, start: Instant, samples: Samples) -> anyhow::Result<()> {
    let url = format!("{}/chat/agent/ws", a.base.replacen("http", "ws", 1));
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {}", a.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let mut synced = std::collections::HashSet::new();
    while let Some(msg) = ws.next().await {
        let Message::Text(text) = msg? else { continue };
        let f: Value = serde_json::from_str(text.as_str())?;
        match f["type"].as_str() {
            Some("desk") => {
                for c in f["chats"].as_array().into_iter().flatten() {
                    let id = c["id"].as_str().unwrap_or_default().to_string();
                    if synced.insert(id.clone()) {
                        let sync = json!({"type": "sync", "conversation_id": id, "after": 0});
                        ws.send(Message::Text(sync.to_string().into())).await?;
                    }
                }
            }
            Some("message") if f["sender"] == "visitor" => {
                if let Some(sent) = sent_at(&f) {
                    samples
                        .lock()
                        .await
                        .push(now_us(start).saturating_sub(sent));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn sent_at(f: &Value) -> Option<u64> {
    f["body"]
        .as_str()?
        .strip_prefix("t=")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// One visitor: start, connect, say hello, then send paced messages and time each echo.
async fn visitor(
    client: reqwest::Client,
    a: Arc<ChatArgs>,
    i: usize,
    start: Instant,
    ready: Arc<tokio::sync::Barrier>,
    samples: Samples,
) -> anyhow::Result<usize> {
    let started = client
        .post(format!("{}/api/v1/chat/visitor/conversations", a.base))
        .json(&json!({"topic": "general", "name": format!("bench{i}")}))
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    let token = started["token"].as_str().context("token")?.to_string();
    let url = format!("{}/chat/ws", a.base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let hello = json!({"type": "hello", "token": token, "after": 0});
    ws.send(Message::Text(hello.to_string().into())).await?;
    // All connections are open before anyone writes: the measurement runs at full count.
    ready.wait().await;
    // Then the visitors start spread evenly over one interval, as people typing do: the
    // server sees a steady stream of messages, not all of them in the same millisecond.
    tokio::time::sleep(a.interval.mul_f64(i as f64 / a.visitors.max(1) as f64)).await;
    let mut delivered = 0;
    for n in 0..a.messages {
        let body = format!("t={} v{i} #{n}", now_us(start));
        let send = json!({"type": "send", "body": body, "client_id": format!("{i}-{n}")});
        ws.send(Message::Text(send.to_string().into())).await?;
        // Read until this message comes back (state and queue frames may come first).
        loop {
            let Some(msg) = ws.next().await else {
                bail!("visitor {i}: connection closed");
            };
            let Message::Text(text) = msg? else { continue };
            let f: Value = serde_json::from_str(text.as_str())?;
            if f["type"] == "message" && f["client_id"] == format!("{i}-{n}") {
                if let Some(sent) = sent_at(&f) {
                    samples
                        .lock()
                        .await
                        .push(now_us(start).saturating_sub(sent));
                }
                delivered += 1;
                break;
            }
        }
        tokio::time::sleep(a.interval).await;
    }
    let _ = ws.close(None).await;
    Ok(delivered)
}

fn report(name: &str, mut l: Vec<u64>) {
    l.sort_unstable();
    println!(
        "RESULT scenario={name} messages={} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        l.len(),
        super::percentile(&l, 50.0),
        super::percentile(&l, 90.0),
        super::percentile(&l, 99.0),
        super::percentile(&l, 100.0),
    );
}

pub async fn run(a: ChatArgs) -> anyhow::Result<()> {
    kefu_server::install_tls_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build()?;
    prepare(&client, &a).await?;
    let a = Arc::new(a);
    let start = Instant::now();
    let echo: Samples = Arc::default();
    let to_agent: Samples = Arc::default();
    let agent_task = tokio::spawn(agent(a.clone(), start, to_agent.clone()));
    let ready = Arc::new(tokio::sync::Barrier::new(a.visitors));
    let tasks: Vec<_> = (0..a.visitors)
        .map(|i| {
            tokio::spawn(visitor(
                client.clone(),
                a.clone(),
                i,
                start,
                ready.clone(),
                echo.clone(),
            ))
        })
        .collect();
    let all = futures::future::join_all(tasks);
    let results = tokio::time::timeout(a.time_limit, all)
        .await
        .context("the time limit passed before every visitor finished")?;
    let mut delivered = 0;
    let mut errors = 0;
    for r in results {
        match r {
            Ok(Ok(n)) => delivered += n,
            Ok(Err(e)) => {
                errors += 1;
                eprintln!("visitor failed: {e:#}");
            }
            Err(e) => {
                errors += 1;
                eprintln!("visitor task: {e}");
            }
        }
    }
    agent_task.abort();
    println!(
        "RESULT connections={} delivered={delivered} errors={errors} seconds={:.1}",
        a.visitors + 1,
        start.elapsed().as_secs_f64()
    );
    report("visitor_echo", std::mem::take(&mut *echo.lock().await));
    report(
        "visitor_to_agent",
        std::mem::take(&mut *to_agent.lock().await),
    );
    Ok(())
}
