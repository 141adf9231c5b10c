//! The search page and the suggestion panel: an agent types into the header box, narrows
//! by kind and status, and sees a similar resolved ticket beside the one at hand.

use super::Browser;
use serde_json::json;

async fn ticket(b: &Browser, subject: &str, description: &str) -> (String, String) {
    let (status, t) = b
        .api(
            "POST",
            "/api/v1/tickets",
            json!({"type": "complaint", "subject": subject, "description": description}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    (
        t["id"].as_str().unwrap().to_string(),
        t["number"].as_str().unwrap().to_string(),
    )
}

/// Waits until the index (followed in the background) has both tickets.
async fn indexed(b: &Browser, q: &str, ids: &[&str]) {
    let started = std::time::Instant::now();
    loop {
        let (_, r) = b
            .api(
                "GET",
                &format!("/api/v1/search?q={q}&limit=50"),
                json!(null),
            )
            .await;
        let found = r["items"].to_string();
        if ids.iter().all(|id| found.contains(id)) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "not indexed: {r}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub async fn search_page_and_suggestions_beside_a_ticket(b: Browser) {
    let follower = kefu_server::search::spawn(b.state.clone());
    b.login("agent1").await;
    let (old, old_number) =
        ticket(&b, "洗衣机脱水时噪音很大", "滚筒洗衣机脱水噪音，已上门调平").await;
    for action in ["start", "resolve"] {
        let (status, r) = b
            .api(
                "POST",
                &format!("/api/v1/tickets/{old}/status"),
                json!({"action": action}),
            )
            .await;
        assert_eq!(status, 204, "{r}");
    }
    let (new, _) = ticket(&b, "洗衣机噪音大", "客户说脱水时噪音").await;
    indexed(&b, "%E6%B4%97%E8%A1%A3%E6%9C%BA", &[&old, &new]).await;

    // The header box on any page leads to the results, matches marked.
    b.goto("/workspace").await;
    b.type_into("#top-search-q", "洗衣机").await;
    b.mark_page().await;
    b.wait_for("#top-search-q")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("press Enter");
    b.wait_new_page().await;
    assert!(b.path().await.starts_with("/search"));
    let results = b.text("#search-results").await;
    assert!(results.contains(&old_number), "{results}");
    let marks = b.all("#search-results mark").await;
    assert!(!marks.is_empty(), "matches are marked");

    // Narrowed to resolved tickets, only the old one is left.
    b.wait_for("#search-status option[value=resolved]")
        .await
        .click()
        .await
        .expect("pick resolved");
    b.submit("#search-go").await;
    let hits = b.all("#search-results li.hit").await;
    assert_eq!(hits.len(), 1, "{}", b.text("#search-results").await);
    assert!(b.text("#search-results").await.contains(&old_number));
    b.submit("#search-results a.hit-title").await;
    assert_eq!(b.path().await, format!("/tickets/{old}"));

    // Beside the new ticket: the similar resolved one.
    b.goto(&format!("/tickets/{new}")).await;
    let panel = b.text("#suggested-tickets").await;
    assert!(panel.contains(&old_number), "{panel}");
    b.submit("#suggested-tickets a").await;
    assert_eq!(b.path().await, format!("/tickets/{old}"));

    // Nothing found: a plain message; bad input: a clear one.
    b.goto("/search?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E8%AF%8DXYZQ")
        .await;
    b.wait_for("#search-empty").await;
    b.goto("/search?q=a&from=2026-99-01").await;
    assert!(b.text("#search-problem").await.contains("from"));
    b.assert_no_dialog().await;
    follower.abort();
}
