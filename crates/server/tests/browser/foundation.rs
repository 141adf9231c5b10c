//! The foundation's pages: masked phones and the audited reveal, log-in and the session
//! wall, the language switch, and customer text shown as text.

use super::*;

/// The scenario: an agent without `customer.pii.read` sees masked phones and no
/// reveal button; the manager reveals a number, and the reveal is in the audit log.
pub async fn agent_sees_masked_phone_manager_reveals_and_it_is_audited(b: Browser) {
    b.login_to_customers("agent1").await;
    let rows = b.all("table#customers tr[data-href]").await;
    assert!(!rows.is_empty(), "the agent's customer list shows rows");
    for cell in b.all("table#customers td.masked").await {
        let phone = cell.text().await.expect("phone cell");
        assert!(
            !is_full_mobile(phone.trim()),
            "the list shows a phone unmasked to the agent: {phone}"
        );
    }
    let href = rows[0]
        .attr("data-href")
        .await
        .expect("data-href")
        .expect("a data-href");
    let customer_id = href.trim_start_matches("/customers/").to_string();
    rows[0]
        .find(Locator::Css("a"))
        .await
        .expect("row link")
        .click()
        .await
        .expect("open the customer");
    b.wait_for("#customer-name").await;
    assert_eq!(b.path().await, href);

    let values: Vec<String> = {
        let mut v = Vec::new();
        for cell in b.all("table#contacts .contact-value").await {
            v.push(cell.text().await.expect("contact value"));
        }
        v
    };
    assert!(
        values.iter().any(|v| is_masked_mobile(v)),
        "a masked mobile among the contacts: {values:?}"
    );
    assert!(
        !values.iter().any(|v| is_full_mobile(v)),
        "no full mobile number for the agent: {values:?}"
    );
    assert!(
        b.all("button.reveal").await.is_empty(),
        "no reveal button for an agent without customer.pii.read"
    );
    assert!(
        !b.client.source().await.expect("source").contains("/reveal"),
        "no reveal form at all for the agent"
    );
    b.logout().await;

    b.login("manager").await;
    b.goto(&href).await;
    b.wait_for("#customer-name").await;
    // The first contact row holding a masked mobile number, and its reveal button.
    let mut target = None;
    for (i, row) in b
        .all("table#contacts tbody tr")
        .await
        .into_iter()
        .enumerate()
    {
        let value = row
            .find(Locator::Css(".contact-value"))
            .await
            .expect("value cell")
            .text()
            .await
            .expect("text");
        if is_masked_mobile(&value) {
            target = Some((i, value));
            break;
        }
    }
    let (row_index, masked) =
        target.expect("the manager also sees the mobile masked before revealing");
    let rows = b.all("table#contacts tbody tr").await;
    rows[row_index]
        .find(Locator::Css("button.reveal"))
        .await
        .expect("the manager has a reveal button")
        .click()
        .await
        .expect("click reveal");
    let revealed = b
        .wait_for_text("#revealed-value", "a full mobile number", is_full_mobile)
        .await;
    assert_eq!(
        &revealed[..3],
        &masked[..3],
        "revealed {revealed} matches masked {masked}"
    );
    assert_eq!(
        &revealed[7..],
        &masked[7..],
        "revealed {revealed} matches masked {masked}"
    );

    b.goto("/audit").await;
    b.wait_for("table#audit").await;
    let mut found = false;
    for row in b.all("table#audit tr.audit-row").await {
        let action = row
            .find(Locator::Css("code.action"))
            .await
            .expect("action cell")
            .text()
            .await
            .expect("action");
        if action != "customer.pii_reveal" {
            continue;
        }
        let link = row
            .find(Locator::Css(&format!(
                "a[href=\"/customers/{customer_id}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("the pii_reveal row links to customer {customer_id}"));
        assert_eq!(link.text().await.expect("link text"), customer_id);
        found = true;
        break;
    }
    assert!(found, "a customer.pii_reveal row in the audit log");
}

/// A wrong password shows the error and stays on /login; pages need a session.
pub async fn wrong_password_stays_on_login_and_pages_need_a_session(b: Browser) {
    b.goto("/customers").await;
    b.wait_for("#login-submit").await;
    assert_eq!(
        b.path().await,
        "/login",
        "the customer list redirects to /login without a session"
    );

    b.type_into("#username", "manager").await;
    b.type_into("#password", "definitely-not-the-password")
        .await;
    b.click("#login-submit").await;
    let error = b.text("#login-error").await;
    assert!(
        error.contains("用户名或密码错误"),
        "the log-in error says why: {error:?}"
    );
    assert_eq!(b.path().await, "/login");
    assert!(b.all("table#customers").await.is_empty());

    b.goto("/customers").await;
    b.wait_for("#login-submit").await;
    assert_eq!(b.path().await, "/login", "a failed log-in opens no session");
    b.goto("/audit").await;
    b.wait_for("#login-submit").await;
    assert_eq!(
        b.path().await,
        "/login",
        "the audit log needs a session too"
    );
}

/// The UI is Chinese by default; the header's language button switches to English and back,
/// staying on the same page.
pub async fn language_switch_changes_the_ui_and_back(b: Browser) {
    b.login_to_customers("manager").await;
    let nav = b.text("header nav").await;
    assert!(nav.contains("客户"), "Chinese nav by default: {nav:?}");
    assert!(!nav.contains("Customers"));

    b.click("header form[action=\"/lang\"] button").await;
    b.wait_for_text("header nav", "English", |t| t.contains("Customers"))
        .await;
    assert_eq!(
        b.path().await,
        "/customers",
        "the switch returns to the same page"
    );
    let lang = b
        .wait_for("html")
        .await
        .attr("lang")
        .await
        .expect("lang attr");
    assert_eq!(lang.as_deref(), Some("en"));
    let logout = b.text("#logout").await;
    assert_eq!(logout, "Log out");

    b.click("header form[action=\"/lang\"] button").await;
    b.wait_for_text("header nav", "Chinese", |t| {
        t.contains("客户") && !t.contains("Customers")
    })
    .await;
    assert_eq!(b.path().await, "/customers");
}

/// A customer named with markup is stored and shown as text, never run.
pub async fn customer_name_with_markup_is_shown_as_text(b: Browser) {
    const NAME: &str = "<script>alert(1)</script>";
    const MOBILE: &str = "17712345678";
    b.login("manager").await;
    b.goto("/customers/new").await;
    b.type_into("#name", NAME).await;
    b.type_into("#customer-form .contact-input", MOBILE).await;
    b.click("#save").await;
    let deadline = Instant::now() + PAGE_TIMEOUT;
    while b.client.find(Locator::Css("#customer-name")).await.is_err() {
        b.assert_no_dialog().await;
        if let Ok(e) = b.client.find(Locator::Css("#form-error")).await {
            panic!(
                "the form refused the customer: {}",
                e.text().await.unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "no customer page after saving");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.assert_no_dialog().await;
    assert!(
        b.path().await.starts_with("/customers/"),
        "the detail page of the new customer"
    );
    assert_eq!(
        b.text("#customer-name").await,
        NAME,
        "the name is shown as typed"
    );
    assert!(
        b.all("#customer-name *").await.is_empty(),
        "no element injected into the name"
    );
    let scripts = b
        .client
        .execute("return Array.from(document.scripts).filter(s => s.textContent.includes('alert(1)')).length", vec![])
        .await
        .expect("count scripts");
    assert_eq!(scripts, json!(0), "no injected script element");
    let title = b.client.title().await.expect("title");
    assert!(
        title.contains(NAME),
        "the title shows the name as text: {title:?}"
    );
    b.assert_no_dialog().await;

    // The list shows it as text too.
    b.goto(&format!(
        "/customers?{}",
        serde_urlencoded::to_string([("q", MOBILE)]).expect("query")
    ))
    .await;
    b.wait_for("table#customers").await;
    b.assert_no_dialog().await;
    let names = b.all("table#customers tr[data-href] td:first-child").await;
    let mut shown = Vec::new();
    for n in names {
        shown.push(n.text().await.expect("name cell"));
    }
    assert!(
        shown.iter().any(|n| n == NAME),
        "the list shows the name as text: {shown:?}"
    );
}
