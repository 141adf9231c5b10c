//! The chat pages: the agent's console holding two chats at once (unread marks, the
//! visitor typing, a reply, conversion to a ticket, a transfer to a group), and the
//! widget on the test page in one browser (a phone-sized window) talking to the agent's
//! console in a second browser; the settings page (topics, capacity, scripts) with the
//! console offering the scripts and suggesting articles; an inspector reading a masked
//! transcript.

use super::Browser;
use kefu_domain::sla::SlaCalendar;
use kefu_server::app::chat::visitor::{self, ChatSendPayload, StartPayload};
use kefu_store::chat::TopicInput;

/// Opens the demo's `general` topic around the clock.
async fn open_general(b: &Browser) {
    let db = b.state.db();
    let t = db
        .chat_topic_by_code("general")
        .await
        .expect("general topic");
    let input = TopicInput {
        code: t.code.clone(),
        name: t.name.clone(),
        skills: Default::default(),
        routing: t.routing(),
        hours: SlaCalendar::AroundTheClock,
        department_id: t.department_id.clone(),
        active: true,
    };
    db.save_chat_topic(
        &kefu_store::audit::Actor {
            user_id: None,
            name: "test".into(),
            client_addr: None,
        },
        b.state.clock().now(),
        Some(&t.id),
        &input,
    )
    .await
    .expect("open the topic");
}

/// A visitor (in-process, as the widget would over HTTP): starts and writes.
async fn visitor_says(b: &Browser, name: &str, text: &str) -> kefu_store::chat::ConversationRow {
    let started = visitor::start(
        &b.state,
        None,
        &StartPayload {
            topic: "general".into(),
            name: Some(name.into()),
        },
    )
    .await
    .expect("start");
    let conv = visitor::authenticate(&b.state, &started.token)
        .await
        .expect("token");
    visitor::send(
        &b.state,
        &conv,
        &ChatSendPayload {
            body: text.into(),
            client_id: None,
        },
    )
    .await
    .expect("send");
    conv
}

pub async fn chat_console_holds_several_chats(b: Browser) {
    open_general(&b).await;
    b.login("agent1").await;
    b.goto("/chat/console").await;
    b.wait_for("#nav-chat.on").await;
    b.click("#chat-available").await;
    // Taking chats is stored before the visitors arrive.
    let me = b
        .state
        .db()
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "agent1")
        .expect("agent1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !b
        .state
        .db()
        .get_chat_agent(&me.id)
        .await
        .expect("desk")
        .is_available()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "availability not saved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let first = visitor_says(&b, "赵先生", "路由器连不上网").await;
    let second = visitor_says(&b, "钱女士", "我要开发票").await;
    b.wait_for(&format!(".chat-item[data-id='{}']", first.id))
        .await;
    b.wait_for(&format!(".chat-item[data-id='{}']", second.id))
        .await;
    assert_eq!(b.all(".chat-item").await.len(), 2);
    // The first is open; the second waits with an unread mark.
    b.wait_for_text("#chat-log", "the first chat", |t| {
        t.contains("路由器连不上网")
    })
    .await;
    b.wait_for_text(
        &format!(".chat-item[data-id='{}'] .chat-unread", second.id),
        "one unread",
        |t| t == "1",
    )
    .await;
    // The visitor of the first chat types; the agent sees it.
    visitor::typing(&b.state, &first, true).await;
    b.wait_for_text("#chat-typing", "typing", |t| t.contains("正在输入"))
        .await;
    // Reply in the first chat: stored as the agent's message.
    b.type_into("#chat-input", "请重启一下路由器试试").await;
    b.click("#chat-send").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let msgs = b
            .state
            .db()
            .list_chat_messages(&first.id, 0, 10)
            .await
            .expect("messages");
        if msgs
            .iter()
            .any(|m| m.sender == "agent" && m.body == "请重启一下路由器试试")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reply was not stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Switch to the second chat: its message shows and the unread mark goes.
    b.click(&format!(".chat-item[data-id='{}']", second.id))
        .await;
    b.wait_for_text("#chat-log", "the second chat", |t| t.contains("我要开发票"))
        .await;
    assert!(!b.text("#chat-log").await.contains("路由器"));
    // Convert it to a ticket: the link shows, the transcript is on the ticket.
    b.click("#chat-convert").await;
    let link = b.wait_for("#chat-ticket-link").await;
    let href = link.attr("href").await.expect("href").unwrap_or_default();
    b.goto(&href).await;
    b.wait_for_text("body", "the transcript on the ticket", |t| {
        t.contains("我要开发票")
    })
    .await;
    // Back in the console: transfer the first chat to the group; it leaves the list.
    b.goto("/chat/console").await;
    b.wait_for(&format!(".chat-item[data-id='{}']", first.id))
        .await;
    b.click(&format!(".chat-item[data-id='{}']", first.id))
        .await;
    let topic = b
        .state
        .db()
        .chat_topic_by_code("general")
        .await
        .expect("topic");
    b.click(&format!(
        "#chat-transfer-to option[value='topic:{}']",
        topic.id
    ))
    .await;
    b.click("#chat-transfer").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let c = b.state.db().get_chat(&first.id).await.expect("chat");
        // Back in the queue (it never comes back to the agent who handed it on).
        if b.all(&format!(".chat-item[data-id='{}']", first.id))
            .await
            .is_empty()
            && c.agent_id.as_deref() != Some(me.id.as_str())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the transfer did not happen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The shift lead reads the transcripts: the list, then one chat in full.
    b.logout().await;
    b.login("lead").await;
    b.goto("/chat/console").await;
    b.click("#chat-transcripts-link").await;
    b.wait_for("#chat-transcripts .chat-row").await;
    b.goto(&format!("/chat/transcripts/{}", first.id)).await;
    let transcript = b.text("#chat-transcript").await;
    assert!(
        transcript.contains("路由器连不上网") && transcript.contains("请重启一下路由器试试"),
        "{transcript}"
    );
}

pub async fn chat_widget_on_a_test_page_with_the_agent_in_a_second_browser(b: Browser) {
    open_general(&b).await;
    // The agent, in a second browser, takes chats.
    let (agent, _profile) = b.second().await;
    agent.login("agent2").await;
    agent.goto("/chat/console").await;
    agent.click("#chat-available").await;
    agent.wait_for("#chat-available:checked").await;

    // The customer, on a phone-sized window, opens the test page with the widget.
    b.client
        .set_window_size(390, 800)
        .await
        .expect("phone-sized window");
    b.goto("/chat/demo").await;
    b.wait_for("#kefu-chat-button").await;
    assert_eq!(b.text("#kefu-chat-button").await, "在线客服");
    b.click("#kefu-chat-button").await;
    b.type_into("#kefu-chat-name", "孙女士").await;
    b.click("#kefu-chat-begin").await;
    b.wait_for("#kefu-chat-input").await;
    // The panel fills the phone's width.
    let width = b
        .client
        .execute(
            "return [document.getElementById('kefu-chat-panel').getBoundingClientRect().width, window.innerWidth];",
            vec![],
        )
        .await
        .expect("widths");
    assert_eq!(width[0].as_f64(), width[1].as_f64(), "{width}");
    b.wait_for_text("#kefu-chat-status", "connected", |t| t.contains("为您服务"))
        .await;
    b.type_into("#kefu-chat-input", "耳机只有一边响").await;
    b.click("#kefu-chat-send").await;

    // The agent sees the chat and the message, and answers.
    agent.wait_for(".chat-item").await;
    agent
        .wait_for_text("#chat-log", "the customer's message", |t| {
            t.contains("耳机只有一边响")
        })
        .await;
    agent.type_into("#chat-input", "请问是哪一边？").await;
    agent.click("#chat-send").await;
    b.wait_for_text(".kefu-msg.agent", "the agent's answer", |t| {
        t.contains("请问是哪一边？")
    })
    .await;
    // The customer ends the chat: the agent's list empties.
    b.click("#kefu-chat-end").await;
    b.wait_for_text("#kefu-chat-status", "closed", |t| t.contains("已结束"))
        .await;
    agent.wait_for("#chat-empty:not([hidden])").await;
    let _ = agent.client.clone().close().await;
}

/// Waits (bounded) until the stored chat desk of `user_id` satisfies `ok`.
async fn desk_until(
    b: &Browser,
    user_id: &str,
    what: &str,
    ok: impl Fn(&kefu_store::chat::ChatAgentRow) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let a = b.state.db().get_chat_agent(user_id).await.expect("desk");
        if ok(&a) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what} never held");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub async fn chat_settings_topics_agents_scripts_and_the_console_uses_them(b: Browser) {
    kefu_demo::load_demo_knowledge(b.state.db(), b.state.clock().now())
        .await
        .expect("the demo's articles");
    let follower = kefu_server::search::spawn(b.state.clone());
    open_general(&b).await;
    let agent1 = b
        .state
        .db()
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "agent1")
        .expect("agent1")
        .id;

    // The shift lead finds the settings from the console.
    b.login("lead").await;
    b.goto("/chat/console").await;
    b.click("#chat-settings-link").await;
    b.wait_for("#chat-topics .chat-topic-row[data-code=general]")
        .await;
    assert_eq!(b.path().await, "/chat/settings");

    // A new topic …
    b.type_into("#topic-code", "vip").await;
    b.type_into("#topic-name", "会员专线").await;
    b.type_into("#topic-skills", "vip, english").await;
    b.click("#topic-routing option[value=round_robin]").await;
    b.click("#topic-hours option[value='24x7']").await;
    b.submit("#save-topic").await;
    b.wait_for("#saved").await;
    let row = b.text("#chat-topics .chat-topic-row[data-code=vip]").await;
    assert!(
        row.contains("会员专线") && row.contains("english, vip") && row.contains("轮流分配"),
        "{row}"
    );
    // … edited from its link; a taken code is refused on the form, what was typed kept.
    b.click("#chat-topics .chat-topic-row[data-code=vip] a")
        .await;
    assert_eq!(b.value("#topic-name").await.as_deref(), Some("会员专线"));
    b.type_into("#topic-name", "会员服务").await;
    b.submit("#save-topic").await;
    b.wait_for_text(
        "#chat-topics .chat-topic-row[data-code=vip]",
        "the new name",
        |t| t.contains("会员服务"),
    )
    .await;
    b.type_into("#topic-code", "general").await;
    b.type_into("#topic-name", "重复").await;
    b.submit("#save-topic").await;
    b.wait_for("#form-error").await;
    assert_eq!(b.value("#topic-name").await.as_deref(), Some("重复"));
    b.goto("/chat/settings").await;

    // An agent's capacity and skills.
    b.click(&format!("#agent-user option[value='{agent1}']"))
        .await;
    b.type_into("#agent-capacity", "2").await;
    b.type_into("#agent-skills", "vip").await;
    b.submit("#add-agent").await;
    b.wait_for(&format!(
        "#chat-agents .chat-agent-row[data-user='{agent1}']"
    ))
    .await;
    desk_until(&b, &agent1, "capacity 2 with vip", |a| {
        a.capacity == 2 && a.skills == "vip"
    })
    .await;

    // Two scripts: one for every topic, one for the VIP line only.
    b.type_into("#script-title", "问候语").await;
    b.type_into("#script-body", "您好，请问有什么可以帮您？")
        .await;
    b.submit("#save-script").await;
    b.wait_for("#saved").await;
    let vip = b
        .state
        .db()
        .chat_topic_by_code("vip")
        .await
        .expect("vip topic");
    b.type_into("#script-title", "会员问候").await;
    b.click(&format!("#script-topic option[value='{}']", vip.id))
        .await;
    b.type_into("#script-body", "尊贵的会员您好").await;
    b.submit("#save-script").await;
    b.wait_for("#saved").await;
    assert_eq!(b.all("#chat-scripts .chat-script-row").await.len(), 2);
    let scripts = b.state.db().list_chat_scripts().await.expect("scripts");
    let general_script = scripts
        .iter()
        .find(|s| s.topic_id.is_none())
        .expect("general")
        .id
        .clone();
    let vip_script = scripts
        .iter()
        .find(|s| s.topic_id.is_some())
        .expect("vip")
        .id
        .clone();

    // The agent's console: a visitor on the general topic asks; an article matching the
    // message is suggested without asking, and the general script goes into the reply.
    b.logout().await;
    b.login("agent1").await;
    b.goto("/chat/console").await;
    b.click("#chat-available").await;
    desk_until(&b, &agent1, "available", |a| a.is_available()).await;
    // The index (followed in the background) has the demo's articles.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, r) = b
            .api(
                "GET",
                "/api/v1/search?kind=article&q=%E8%B7%AF%E7%94%B1%E5%99%A8",
                serde_json::json!(null),
            )
            .await;
        if r["items"].to_string().contains("无法上网排查步骤") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not indexed: {r}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    visitor_says(&b, "蒋先生", "路由器无法上网怎么办").await;
    b.wait_for_text("#chat-log", "the visitor's message", |t| {
        t.contains("路由器无法上网怎么办")
    })
    .await;
    b.wait_for_text("#chat-kb-suggestions", "a suggested article", |t| {
        t.contains("路由器无法上网排查步骤")
    })
    .await;
    assert!(b.all("#chat-kb-suggestions li").await.len() <= 3);
    let vip_button = b
        .wait_for(&format!(".chat-script[data-id='{vip_script}']"))
        .await;
    assert!(
        !vip_button.is_displayed().await.expect("displayed?"),
        "the VIP line's script is not offered in a general chat"
    );
    b.click(&format!(".chat-script[data-id='{general_script}']"))
        .await;
    assert_eq!(
        b.value("#chat-input").await.as_deref(),
        Some("您好，请问有什么可以帮您？")
    );
    follower.abort();
}

pub async fn inspector_reads_transcripts_masked_without_the_console(b: Browser) {
    open_general(&b).await;
    let conv = visitor_says(&b, "卫先生", "回电请打13912345678").await;
    b.login("inspector").await;
    // The chat link leads to the transcripts.
    b.click("#nav-chat").await;
    b.wait_for("#chat-transcripts .chat-row").await;
    assert_eq!(b.path().await, "/chat/transcripts");
    b.click(&format!(
        "#chat-transcripts a[href='/chat/transcripts/{}']",
        conv.id
    ))
    .await;
    let transcript = b
        .wait_for_text("#chat-transcript", "the message", |t| {
            t.contains("回电请打")
        })
        .await;
    assert!(
        transcript.contains("139****5678") && !transcript.contains("13912345678"),
        "{transcript}"
    );
    // The console is not theirs.
    b.goto("/chat/console").await;
    b.wait_for("#error-message").await;
    assert!(b.all("#chat-console").await.is_empty());
    // The conversation list exports as a workbook, in the background.
    b.goto("/chat/transcripts").await;
    b.wait_for("#chat-transcripts .chat-row").await;
    b.mark_page().await;
    b.click(".export-form[data-kind=chats] .export-xlsx").await;
    b.wait_new_page().await;
    let row = b
        .wait_for_text("tr.export-row", "the chat export, done", |t| {
            t.contains("会话记录") && t.contains("已完成")
        })
        .await;
    assert!(row.contains("全部"), "{row}");
}
