//! The store conformance suite: the same tests, through the store's public API, on SQLite
//! and on PostgreSQL (set `KEFU_TEST_POSTGRES_URL` to include PostgreSQL).

#[path = "conformance/assignment.rs"]
mod assignment;
#[path = "conformance/audit.rs"]
mod audit;
#[path = "conformance/calendars.rs"]
mod calendars;
#[path = "conformance/callbacks.rs"]
mod callbacks;
#[path = "conformance/calls.rs"]
mod calls;
#[path = "conformance/campaigns.rs"]
mod campaigns;
#[path = "conformance/chat.rs"]
mod chat;
#[path = "conformance/common.rs"]
mod common;
#[path = "conformance/complaints.rs"]
mod complaints;
#[path = "conformance/customers.rs"]
mod customers;
#[path = "conformance/customers_bulk.rs"]
mod customers_bulk;
#[path = "conformance/duties.rs"]
mod duties;
#[path = "conformance/imports.rs"]
mod imports;
#[path = "conformance/jobs.rs"]
mod jobs;
#[path = "conformance/knowledge.rs"]
mod knowledge;
#[path = "conformance/logs.rs"]
mod logs;
#[path = "conformance/mail.rs"]
mod mail;
#[path = "conformance/migrations.rs"]
mod migrations;
#[path = "conformance/org.rs"]
mod org;
#[path = "conformance/org_templates.rs"]
mod org_templates;
#[path = "conformance/performance.rs"]
mod performance;
#[path = "conformance/qa.rs"]
mod qa;
#[path = "conformance/report_rollups.rs"]
mod report_rollups;
#[path = "conformance/reports.rs"]
mod reports;
#[path = "conformance/schedule.rs"]
mod schedule;
#[path = "conformance/search_log.rs"]
mod search_log;
#[path = "conformance/surveys.rs"]
mod surveys;
#[path = "conformance/tickets.rs"]
mod tickets;
#[path = "conformance/users.rs"]
mod users;

kefu_test_support::suite!(
    "store conformance",
    [
        migrations::backends_match,
        migrations::customers_get_row_keys_in_creation_order,
        chat::routing_respects_skills_and_capacity,
        chat::messages_resume_after_seq_and_are_stored_once,
        chat::tokens_expire_and_renew,
        chat::transfer_link_and_convert,
        chat::scripts_are_saved_listed_and_deleted,
        jobs::fires_once_when_due,
        jobs::a_crash_before_commit_fires_again_once,
        jobs::failures_are_retried_then_given_up,
        jobs::concurrent_workers_never_double_fire,
        users::create_and_get,
        users::duplicate_username_conflicts,
        users::login_counters,
        users::sessions,
        users::api_tokens,
        org::departments,
        qa::scorecards_items_sample_and_inspection_states,
        schedule::templates_rosters_requests_and_duty,
        qa::calls_wait_for_the_checks_only_with_a_transcript,
        qa::items_follow_the_noted_changes,
        reports::counts_follow_the_fixture,
        report_rollups::rollups_agree_with_the_records,
        org::positions_round_trip,
        org::assignment_rules,
        org::grants_follow_positions,
        duties::generation_makes_each_task_once_on_its_date,
        duties::completion_is_the_holders_once,
        duties::edits_withdraw_open_tasks_not_yet_due,
        duties::concurrent_generations_make_each_task_once,
        performance::settings_rates_and_commissions_round_trip,
        performance::figures_follow_the_month,
        org_templates::every_template_loads_and_a_second_load_writes_nothing,
        org_templates::a_partly_present_template_is_not_loaded,
        org_templates::loaded_rules_are_enforced,
        customers::create_get_update,
        customers::duplicate_mobile_names_owner,
        customers::unknown_references_refused,
        customers::list_filters,
        customers::search_by_name_company_phone,
        customers::search_metacharacters,
        customers::cursor_pagination,
        customers::markup_stored_verbatim,
        customers::batch_commit_and_drop,
        customers_bulk::bulk_load_rebuilds_indexes,
        customers_bulk::bulk_load_duplicate_rolls_back,
        customers_bulk::batch_checks_parents_at_commit,
        customers_bulk::batch_reports_a_refused_write_later,
        customers::export_chunks,
        assignment::preview_and_commit_balance_by_weight,
        assignment::filters_and_bad_choices_are_refused,
        assignment::a_leaving_agents_customers_are_redistributed,
        assignment::recording_a_contact_closes_the_task,
        campaigns::lists_respect_the_quota_and_retries_come_back,
        campaigns::once_a_day_do_not_call_and_calling_hours,
        campaigns::racing_agents_never_share_a_customer,
        audit::append_and_filter,
        audit::cursor,
        audit::database_refuses_update_and_delete,
        imports::lifecycle,
        logs::day_activity_counts_what_each_did,
        logs::work_and_duty_logs_round_trip,
        logs::intake_department_by_name_or_staffed,
        search_log::every_searchable_write_is_logged,
        knowledge::articles_keep_every_version_and_restore,
        knowledge::lists_show_drafts_only_when_asked,
        knowledge::category_tree_rules,
        knowledge::every_article_write_is_logged,
        complaints::closed_loop_round_by_round,
        complaints::close_by_decision_and_reopen,
        complaints::archive_filters_paging_and_monthly_stats,
        complaints::cause_tree_rules,
        mail::messages_open_tickets_once_and_replies_thread,
        mail::held_messages_are_decided_once,
        mail::machines_and_unreadable_mail_open_nothing,
        mail::one_server_polls_a_mailbox_at_a_time,
        mail::a_watching_server_keeps_its_lease_until_the_settings_change,
        mail::outbox_lists_retries_and_discards,
        mail::acknowledgements_keep_a_quiet_hour,
        callbacks::plans_generate_once_per_period,
        callbacks::attempts_follow_the_retry_policy,
        callbacks::the_watch_raises_only_stale_tasks,
        callbacks::triggers_and_the_complaint_loop,
        tickets::numbers_and_queue_counters,
        tickets::promise_falls_due_once,
        tickets::merge_link_and_customer_timeline,
        tickets::existing_tickets_in_bulk,
        tickets::concurrent_creates_number_consecutively,
        tickets::a_refused_ticket_fails_alone_in_a_batch,
        calendars::seeded_defaults_match_the_data_files,
        calendars::calendar_edits_are_audited,
        calendars::sla_policies_match_and_are_audited,
        calendars::edits_reach_the_next_new_ticket,
        calls::events_in_any_order_make_one_call,
        calls::events_before_the_offer_are_kept,
        calls::every_order_of_events_stores_the_same_call,
        calls::log_filters_active_calls_and_paging,
        calls::identity_check_and_ticket_are_audited,
        calls::ivr_menu_round_trips,
        calls::blob_store_keeps_recordings,
        surveys::templates_settings_and_link_key,
        surveys::one_answer_per_link_under_a_race,
        surveys::callback_answers_and_results,
    ]
);
