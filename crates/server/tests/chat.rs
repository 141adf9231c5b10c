//! The web chat suite: real WebSocket clients (tokio-tungstenite) and the long-poll
//! fallback against the served application, on SQLite and PostgreSQL; and two servers on
//! one PostgreSQL database sharing a chat (PostgreSQL only: that is the deployment).

#[path = "common/mod.rs"]
mod common;

#[path = "chat/capacity.rs"]
mod capacity;
#[path = "chat/flows.rs"]
mod flows;
#[path = "chat/servers.rs"]
mod servers;
#[path = "chat/ws.rs"]
mod ws;

use kefu_test_support::{run_trials, TestBackend, TestFn};

fn main() {
    const BOTH: &[TestBackend] = &[TestBackend::Sqlite, TestBackend::Postgres];
    const PG: &[TestBackend] = &[TestBackend::Postgres];
    macro_rules! t {
        ($f:path, $b:expr) => {
            (
                kefu_test_support::__test_name(stringify!($f)),
                (|backend| Box::pin($f(backend))) as TestFn,
                $b,
            )
        };
    }
    let tests = vec![
        t!(flows::visitor_and_agent_over_websockets, BOTH),
        t!(flows::long_poll_fallback_and_cors, BOTH),
        t!(flows::offline_hours_turn_the_chat_into_a_ticket, BOTH),
        t!(flows::transfer_link_convert_and_transcripts, BOTH),
        t!(flows::bad_input_is_refused_clearly, BOTH),
        t!(
            capacity::capacity_holds_under_200_visitors_and_nothing_crosses,
            BOTH
        ),
        t!(servers::visitor_and_agent_on_different_servers, PG),
    ];
    run_trials("chat", tests)
}
