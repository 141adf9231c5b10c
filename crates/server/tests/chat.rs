//! The web chat suite: real WebSocket clients (tokio-tungstenite) and the long-poll
//! fallback against the served application, on SQLite and PostgreSQL; and two servers on
//! one PostgreSQL database sharing a chat (PostgreSQL only: that is the deployment).

#[path = "common/mod.rs"]
mod common;

#[path = "chat/capacity.rs"]
mod capacity;
#[path = "chat/desk.rs"]
mod desk;
#[path = "chat/flows.rs"]
mod flows;
#[path = "chat/qa.rs"]
mod qa;
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
        t!(
            servers::a_console_on_another_server_keeps_the_agent_available,
            PG
        ),
        t!(desk::scripts_over_the_api, BOTH),
        t!(desk::starting_chats_is_rate_limited_per_address, BOTH),
        t!(desk::an_expired_token_closes_the_visitor_socket, BOTH),
        t!(desk::an_agent_whose_console_closed_is_marked_away, BOTH),
        t!(qa::automatic_checks_flag_the_bad_chat_only, BOTH),
        t!(qa::automatic_checks_read_call_transcripts, BOTH),
        t!(desk::numbers_in_messages_are_masked_without_pii, BOTH),
        t!(desk::inspectors_read_transcripts_but_not_the_console, BOTH),
    ];
    run_trials("chat", tests)
}
