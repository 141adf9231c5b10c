//! The wallboard page (监控大屏): the board, and the same board alone for the page to
//! fetch every few seconds (`static/app.js`, `data-refresh`).

use super::{render, Chrome, Page, UiError};
use crate::app::wallboard::{self as app, ChannelNow, Wallboard};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// How often the page fetches the board, in seconds.
const REFRESH_SECONDS: u32 = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallboard", get(page))
        .route("/wallboard/board", get(board))
}

/// What one channel's tiles show besides its numbers (which come from the board).
struct ChannelTiles {
    longest: String,
    /// Each queue: its name, how many wait, the longest wait.
    queues: Vec<(String, i64, String)>,
    /// `87.5%`, or empty before the first contact.
    level: String,
    /// `ok` or `bad` (the target met or not), empty before the first contact.
    verdict: &'static str,
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn tiles(now: &ChannelNow) -> ChannelTiles {
    ChannelTiles {
        longest: clock(now.longest_wait_s),
        queues: now
            .queues
            .iter()
            .map(|q| (q.queue.clone(), q.waiting, clock(q.longest_wait_s)))
            .collect(),
        level: now.today.service_level.map(percent).unwrap_or_default(),
        verdict: match now.today.target_met {
            Some(true) => "ok",
            Some(false) => "bad",
            None => "",
        },
    }
}

/// A person on shift as a row of the board.
struct ShiftLine {
    name: String,
    shift: String,
    queue: String,
    until: String,
    on_call: bool,
    doing: Vec<String>,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct BoardPart<'a> {
    t: Tr<'a>,
    updated: String,
    target: String,
    calls: ChannelTiles,
    chats: ChannelTiles,
    b: Wallboard,
    people: Vec<ShiftLine>,
}

/// The page: the frame around the board, which it renders as the fragment does.
#[derive(Template)]
#[template(path = "wallboard.html")]
struct FullPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    refresh: u32,
    board: BoardPart<'a>,
}

/// The board now.
async fn board_part(page: &Page) -> Result<BoardPart<'_>, UiError> {
    let t = page.t();
    let b = app::board(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let time = |s: &str| s.get(11..16).unwrap_or_default().to_string();
    let updated = b.at.get(11..19).unwrap_or_default().to_string();
    let target = t.f(
        "wallboard.target",
        &[
            ("level", &percent(b.target_service_level)),
            ("seconds", &b.target_answer_seconds.to_string()),
        ],
    );
    let people = b
        .on_shift
        .iter()
        .map(|p| {
            let mut doing = Vec::new();
            if p.calls > 0 {
                doing.push(t.f("wallboard.in_calls", &[("n", &p.calls.to_string())]));
            }
            if p.chats > 0 {
                doing.push(t.f("wallboard.in_chats", &[("n", &p.chats.to_string())]));
            }
            if doing.is_empty() {
                doing.push(t.t("wallboard.idle").to_string());
            }
            doing.push(
                t.t(if p.chat_available {
                    "wallboard.chat_open"
                } else {
                    "wallboard.chat_away"
                })
                .to_string(),
            );
            ShiftLine {
                name: p.name.clone(),
                shift: p.shift.clone(),
                queue: p.queue.clone(),
                until: time(&p.ends_at),
                on_call: p.on_call,
                doing,
            }
        })
        .collect();
    let calls = tiles(&b.calls);
    let chats = tiles(&b.chats);
    Ok(BoardPart {
        t,
        updated,
        target,
        calls,
        chats,
        b,
        people,
    })
}

async fn page(page: Page) -> Result<Response, UiError> {
    let board = board_part(&page).await?;
    Ok(render(&FullPage {
        t: page.t(),
        chrome: page.chrome("wallboard"),
        refresh: REFRESH_SECONDS,
        board,
    }))
}

async fn board(page: Page) -> Result<Response, UiError> {
    Ok(render(&board_part(&page).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_and_levels_read_as_people_say_them() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3_725), "1:02:05");
        assert_eq!(percent(0.8), "80%");
        assert_eq!(percent(0.875), "87.5%");
    }
}
