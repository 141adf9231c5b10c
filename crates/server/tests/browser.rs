//! Browser tests: the web UI driven through headless Chromium over WebDriver (fantoccini),
//! against the real router on a loopback port over a fresh SQLite database with the demo
//! center loaded.
//!
//! `KEFU_CHROMEDRIVER` names the chromedriver binary (Debian: `/usr/bin/chromedriver`);
//! `KEFU_CHROMIUM` optionally names the browser binary (`/usr/bin/chromium`). Without
//! `KEFU_CHROMEDRIVER` the suite says so on one line and runs no trial. The suite starts
//! one chromedriver on a free port, runs the trials one at a time (one browser at a time,
//! each with its own fresh profile) and stops chromedriver at the end.
//!
//! The pages are tested on SQLite only: the API suites cover both backends.

mod common;
#[path = "browser/tickets.rs"]
mod tickets;
use tickets::*;
#[path = "browser/public.rs"]
mod public;
use public::*;
#[path = "browser/settings.rs"]
mod settings;
use settings::*;
#[path = "browser/calls.rs"]
mod calls;
use calls::*;
#[path = "browser/knowledge.rs"]
mod knowledge;
use knowledge::*;
#[path = "browser/search.rs"]
mod search;
use search::*;
#[path = "browser/complaints.rs"]
mod complaints;
use complaints::*;
#[path = "browser/callbacks.rs"]
mod callbacks;
use callbacks::*;
#[path = "browser/imports.rs"]
mod imports;
use imports::*;
#[path = "browser/assign.rs"]
mod assign;
use assign::*;
#[path = "browser/surveys.rs"]
mod surveys;
use surveys::*;
#[path = "browser/campaigns.rs"]
mod campaigns;
use campaigns::*;
#[path = "browser/mail.rs"]
mod mail;
use mail::*;
#[path = "browser/foundation.rs"]
mod foundation;
use foundation::*;
#[path = "browser/chat.rs"]
mod chat;
use chat::*;
#[path = "browser/duties.rs"]
mod duties;
#[path = "browser/exports.rs"]
mod exports;
#[path = "browser/performance.rs"]
mod performance;
#[path = "browser/qa.rs"]
mod qa;
#[path = "browser/reports.rs"]
mod reports;
#[path = "browser/wallboard.rs"]
mod wallboard;
use duties::*;
use exports::*;
use performance::*;
use qa::*;
use reports::*;
use wallboard::*;
#[path = "browser/org_templates.rs"]
mod org_templates;
#[path = "browser/schedule.rs"]
mod schedule;
use org_templates::*;
use schedule::*;

use common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use kefu_test_support::TestBackend;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER_VAR: &str = "KEFU_CHROMEDRIVER";
const CHROMIUM_VAR: &str = "KEFU_CHROMIUM";

/// How long a page may take to show what a test waits for.
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);

type BrowserTest = fn(Browser) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! browser_tests {
    ($($test:ident),* $(,)?) => {
        vec![$((stringify!($test), (|b| Box::pin($test(b))) as BrowserTest)),*]
    };
}

fn main() {
    let mut args = Arguments::from_args();
    // One browser at a time: the machine has few cores and Chromium is heavy.
    args.test_threads = Some(1);
    let tests: Vec<(&str, BrowserTest)> = browser_tests![
        agent_sees_masked_phone_manager_reveals_and_it_is_audited,
        wrong_password_stays_on_login_and_pages_need_a_session,
        language_switch_changes_the_ui_and_back,
        customer_name_with_markup_is_shown_as_text,
        import_csv_preview_and_commit,
        assign_preview_then_commit,
        org_and_token_pages_render_for_manager,
        complaint_transferred_to_tech_shows_in_both_places,
        overdue_banner_and_notice_form,
        calendar_settings_edit_hours_days_and_import,
        sla_settings_create_preview_edit_delete,
        call_log_detail_identity_check_and_recording,
        ivr_menu_page_saves_and_refuses_bad_keys,
        public_form_gives_a_number_the_status_page_shows,
        work_log_shows_the_days_ticket_and_keeps_the_text,
        knowledge_browse_by_category_and_kind,
        knowledge_edit_history_diff_restore,
        knowledge_script_filled_for_a_ticket_with_copy,
        search_page_and_suggestions_beside_a_ticket,
        complaint_form_rounds_archive_and_stats,
        callback_queue_task_page_and_plans,
        customer_answers_a_survey_link_on_a_phone,
        survey_settings_and_agent_answer_pages,
        campaign_page_define_start_and_import,
        agent_calling_list_records_outcomes,
        chat_console_holds_several_chats,
        chat_widget_on_a_test_page_with_the_agent_in_a_second_browser,
        chat_settings_topics_agents_scripts_and_the_console_uses_them,
        inspector_reads_transcripts_masked_without_the_console,
        mailbox_settings_held_review_and_failed_pages,
        email_reply_from_the_ticket_page_and_the_outbox_pages,
        html_mail_shows_remote_images_only_when_asked,
        inspection_pages_sample_score_appeal_sheet_and_summary,
        roster_grid_coverage_requests_and_calculator,
        setup_templates_agents_and_settings,
        sms_gateway_page_keeps_the_key_and_masks_numbers,
        wallboard_updates_by_itself,
        report_filters_chart_drill_down_and_export,
        list_export_runs_in_the_background_with_progress,
        duties_pages_mine_complete_and_overdue,
        performance_ranking_settings_and_commission,
        org_template_loads_and_shows_its_departments,
    ];

    let Some(driver_path) = std::env::var(CHROMEDRIVER_VAR)
        .ok()
        .filter(|p| !p.trim().is_empty())
    else {
        if !args.list {
            println!(
                "NOTE: browser tests did not run: set {CHROMEDRIVER_VAR}=/usr/bin/chromedriver \
                 (apt-get install chromium chromium-driver)"
            );
        }
        libtest_mimic::run(&args, Vec::new()).exit()
    };

    let mut driver = None;
    if !args.list {
        match Chromedriver::start(&driver_path) {
            Ok(d) => driver = Some(d),
            Err(e) => {
                eprintln!("error: cannot start chromedriver ({driver_path}): {e}");
                std::process::exit(101);
            }
        }
    }
    let webdriver_url = driver.as_ref().map(|d| d.url.clone()).unwrap_or_default();
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let url = webdriver_url.clone();
            Trial::test(format!("sqlite::{name}"), move || run_trial(&url, test))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(driver);
    conclusion.exit()
}

/// A chromedriver process on a free loopback port, killed when dropped.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    fn start(path: &str) -> Result<Chromedriver, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("find a free port: {e}"))?
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn: {e}"))?;
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if status_ready(port) {
                return Ok(driver);
            }
            if let Ok(Some(exit)) = driver.child.try_wait() {
                return Err(format!("chromedriver exited early: {exit}"));
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not answer /status within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether chromedriver's `/status` answers that it is ready for new sessions. (chromedriver
/// speaks HTTP/1.1 only and keeps the connection open, so the reply is read until it says
/// so, not until the end of the stream.)
fn status_ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&reply).replace(char::is_whitespace, "");
        if text.contains("\"ready\":true") {
            return true;
        }
        if text.contains("\"ready\":false") || reply.len() > 64 * 1024 {
            return false;
        }
    }
}

/// What a test gets: a browser session, the app's base URL and the demo passwords.
#[derive(Clone)]
struct Browser {
    client: Client,
    base: String,
    passwords: HashMap<String, String>,
    /// The app under test, for seeding what no page creates (CTI calls).
    state: kefu_server::AppState,
    /// chromedriver, for a second browser (a customer beside an agent).
    webdriver_url: String,
}

/// Runs one trial: a fresh app on a loopback port, a fresh browser profile and session,
/// the test, then the session closed and the database dropped whatever the outcome.
fn run_trial(webdriver_url: &str, test: BrowserTest) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("build the tokio runtime: {e}")))?;
    runtime.block_on(async {
        let app = TestApp::new(TestBackend::Sqlite).await;
        let base = app.serve().await;
        let profile = tempfile::tempdir().map_err(|e| Failed::from(format!("profile dir: {e}")))?;
        let client = match new_session(webdriver_url, profile.path()).await {
            Ok(c) => c,
            Err(e) => {
                app.cleanup().await;
                return Err(Failed::from(format!("start a browser session: {e}")));
            }
        };
        let browser = Browser {
            client: client.clone(),
            base,
            passwords: app.passwords.clone(),
            state: app.state.clone(),
            webdriver_url: webdriver_url.to_string(),
        };
        let outcome = AssertUnwindSafe(test(browser)).catch_unwind().await;
        let _ = client.close().await;
        app.cleanup().await;
        drop(profile);
        outcome.map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the test panicked");
            Failed::from(message)
        })
    })
}

async fn new_session(webdriver_url: &str, profile: &std::path::Path) -> Result<Client, String> {
    let mut chrome = json!({
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--window-size=1280,900",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if let Some(binary) = std::env::var(CHROMIUM_VAR)
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        chrome["binary"] = Value::String(binary);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), chrome);
    // A JavaScript dialog must not be dismissed silently: the XSS test looks for one.
    caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
    ClientBuilder::rustls()
        .map_err(|e| e.to_string())?
        .capabilities(caps)
        .connect(webdriver_url)
        .await
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------
// Helpers

impl Browser {
    /// A second browser with its own profile (a second context: no shared cookies),
    /// on the same app. The profile directory lives as long as the returned guard.
    async fn second(&self) -> (Browser, tempfile::TempDir) {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = new_session(&self.webdriver_url, profile.path())
            .await
            .unwrap_or_else(|e| panic!("a second browser session: {e}"));
        let b = Browser {
            client,
            ..self.clone()
        };
        (b, profile)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .path()
            .to_string()
    }

    /// Waits (bounded) until `css` matches an element, and returns it.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                return e;
            }
            if Instant::now() > deadline {
                let path = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let source = self.client.source().await.unwrap_or_default();
                panic!(
                    "no `{css}` on {path} within {PAGE_TIMEOUT:?}; page:\n{}",
                    excerpt(&source)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (bounded) until the text of `css` satisfies `ok`; returns the text.
    async fn wait_for_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = String::new();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = e.text().await {
                    if ok(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            if Instant::now() > deadline {
                panic!("`{css}` never showed {what} within {PAGE_TIMEOUT:?}; last text: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
    }

    /// The text of `css`, retried while a navigation replaces the element under us.
    async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            match self.wait_for(css).await.text().await {
                Ok(text) => return text,
                Err(e) if Instant::now() > deadline => panic!("text of `{css}`: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The `value` property of a form field, retried like [`Browser::text`].
    async fn value(&self, css: &str) -> Option<String> {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            match self.wait_for(css).await.prop("value").await {
                Ok(v) => return v,
                Err(e) if Instant::now() > deadline => panic!("value of `{css}`: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Marks the page so that [`Browser::wait_new_page`] can tell when another replaced it.
    async fn mark_page(&self) {
        self.client
            .execute("window.__kefuOld = true; return true;", vec![])
            .await
            .expect("mark the page");
    }

    /// Waits (bounded) until a page load replaced the marked page and finished.
    async fn wait_new_page(&self) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let fresh = self
                .client
                .execute(
                    "return document.readyState === 'complete' && !window.__kefuOld;",
                    vec![],
                )
                .await
                .map(|v| v.as_bool() == Some(true))
                .unwrap_or(false);
            if fresh {
                return;
            }
            if Instant::now() > deadline {
                panic!("no new page within {PAGE_TIMEOUT:?} after a submit");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks something that submits a form, and waits for the answer page.
    async fn submit(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_new_page().await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear `{css}`: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// Logs in through the form and waits for the customer list.
    async fn login(&self, username: &str) {
        let password = self
            .passwords
            .get(username)
            .unwrap_or_else(|| panic!("no demo user {username}"))
            .clone();
        self.goto("/login").await;
        self.type_into("#username", username).await;
        self.type_into("#password", &password).await;
        self.click("#login-submit").await;
        self.wait_for("header.top nav").await;
        let landed = self.path().await;
        assert!(
            landed == "/workspace" || landed == "/customers",
            "{username} lands on the workspace or the customer list, not {landed}"
        );
    }

    /// Logs in and opens the customer list.
    async fn login_to_customers(&self, username: &str) {
        self.login(username).await;
        self.goto("/customers").await;
        self.wait_for("table#customers").await;
    }

    /// Downloads the target of the link `css` from the page (with the session cookie);
    /// returns the link, the status, the size in bytes and the content type.
    async fn download(&self, css: &str) -> (String, u64, u64, String) {
        let href = self
            .wait_for(css)
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("`{css}` has no href"));
        let got = self
            .client
            .execute_async(
                "const done = arguments[1];\
                 fetch(arguments[0]).then(r => r.arrayBuffer().then(a => done([r.status, a.byteLength, r.headers.get('content-type')])));",
                vec![json!(href)],
            )
            .await
            .unwrap();
        let kind = got[2].as_str().unwrap_or_default().to_string();
        (
            href,
            got[0].as_u64().unwrap(),
            got[1].as_u64().unwrap(),
            kind,
        )
    }

    /// Calls the JSON API from the page, with the session cookie and the page's CSRF
    /// token; returns the status and the JSON body (null when empty).
    async fn api(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let script = r#"
            const [method, path, body, done] = arguments;
            const csrf = (document.querySelector('input[name=_csrf]') || {}).value || '';
            fetch(path, {method, credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                body: method === 'GET' ? undefined : JSON.stringify(body)})
              .then(r => r.text().then(t => done([r.status, t])))
              .catch(e => done([0, String(e)]));
        "#;
        let out = self
            .client
            .execute_async(script, vec![json!(method), json!(path), body])
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = out[0].as_u64().unwrap_or_default() as u16;
        let text = out[1].as_str().unwrap_or_default();
        (status, serde_json::from_str(text).unwrap_or(Value::Null))
    }

    async fn logout(&self) {
        self.click("#logout").await;
        self.wait_for("#login-submit").await;
        assert_eq!(self.path().await, "/login");
    }

    /// Fails the test if a JavaScript dialog (alert, confirm, prompt) is open.
    async fn assert_no_dialog(&self) {
        if let Ok(text) = self.client.get_alert_text().await {
            let _ = self.client.dismiss_alert().await;
            panic!("a JavaScript dialog opened: {text:?}");
        }
    }
}

/// The start of a page source, for failure messages.
fn excerpt(source: &str) -> String {
    source.chars().take(3000).collect()
}

/// A mobile number as pages show it to someone without `customer.pii.read`: `138****5678`.
fn is_masked_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3..7].iter().all(|&c| c == b'*')
        && b[7..].iter().all(u8::is_ascii_digit)
}

fn is_full_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|c| c.is_ascii_digit())
}

/// The visible text of the whole page body.
async fn body_text(b: &Browser) -> String {
    b.text("body").await
}
