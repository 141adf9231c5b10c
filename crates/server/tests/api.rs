//! The API suite: every endpoint through HTTP, on SQLite and PostgreSQL (set
//! `KEFU_TEST_POSTGRES_URL` to include PostgreSQL).

mod common;

#[path = "api/assignment.rs"]
mod assignment;
#[path = "api/audit.rs"]
mod audit;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/calendars.rs"]
mod calendars;
#[path = "api/callbacks.rs"]
mod callbacks;
#[path = "api/calls.rs"]
mod calls;
#[path = "api/campaigns.rs"]
mod campaigns;
#[path = "api/complaints.rs"]
mod complaints;
#[path = "api/customers.rs"]
mod customers;
#[path = "api/duties.rs"]
mod duties;
#[path = "api/exports.rs"]
mod exports;
#[path = "api/imports.rs"]
mod imports;
#[path = "api/knowledge.rs"]
mod knowledge;
#[path = "api/logs.rs"]
mod logs;
#[path = "api/mail.rs"]
mod mail;
#[path = "api/mail_imap.rs"]
mod mail_imap;
#[path = "api/mail_out.rs"]
mod mail_out;
#[path = "api/org.rs"]
mod org;
#[path = "api/org_templates.rs"]
mod org_templates;
#[path = "api/performance.rs"]
mod performance;
#[path = "api/promises.rs"]
mod promises;
#[path = "api/public.rs"]
mod public;
#[path = "api/qa.rs"]
mod qa;
#[path = "api/reports.rs"]
mod reports;
#[path = "api/routes.rs"]
mod routes;
#[path = "api/schedule.rs"]
mod schedule;
#[path = "api/scheduler.rs"]
mod scheduler;
#[path = "api/search.rs"]
mod search;
#[path = "api/surveys.rs"]
mod surveys;
#[path = "api/tickets.rs"]
mod tickets;
#[path = "api/wallboard.rs"]
mod wallboard;

kefu_test_support::suite!(
    "api",
    [
        routes::every_operation_declares_access,
        routes::every_guarded_route_refuses_without_permission,
        routes::every_route_refuses_anonymous_callers,
        routes::health_and_openapi,
        public::web_form_ticket_waits_unassigned_in_intake,
        public::status_shows_only_what_the_customer_may_see,
        public::bad_input_is_refused_and_not_counted,
        public::rate_limits_answer_429_with_retry_after,
        public::public_pages_form_status_and_forgery,
        mail::chinese_corpus_threads_and_survives,
        mail::held_mail_review_and_permissions,
        mail::mailbox_settings_hide_secrets_and_name_bad_fields,
        mail::signed_tokens_thread_and_a_30mb_attachment_arrives_whole,
        mail::remote_images_load_only_when_the_agent_asks,
        qa::sample_score_appeal_and_sheets,
        schedule::roster_swaps_leave_and_duty,
        schedule::forecast_follows_history_and_adjustments,
        wallboard::wallboard_counts_what_waits_and_how_today_goes,
        reports::working_hours_drill_down_and_sheets,
        reports::dashboard_figures_are_report_cells,
        reports::scheduled_reports_over_a_simulated_quarter,
        duties::duty_tasks_over_a_simulated_quarter,
        duties::completing_duties_and_bad_input,
        performance::a_hand_computed_month,
        performance::settings_errors_and_commission,
        mail_imap::imap_poll_ingests_once_and_shows_errors,
        mail_out::replies_go_out_thread_back_and_retry,
        mail_out::survey_links_go_out_by_sms,
        mail_out::automatic_mail_says_so_and_never_opens_a_ticket,
        mail_out::new_mail_is_acknowledged_in_the_writers_language_once_an_hour,
        mail_out::failed_mail_retries_lists_and_discards,
        mail_imap::idle_brings_new_mail_without_waiting_for_the_poll,
        mail_imap::tls_mail_servers_with_a_company_ca,
        mail_imap::oauth2_token_logs_in_with_xoauth2,
        knowledge::writers_write_readers_read_published,
        knowledge::stale_edits_conflict_and_bad_fields_are_named,
        knowledge::history_diff_and_restore,
        knowledge::scripts_fill_from_tickets_the_agent_may_see,
        knowledge::attachments_upload_list_download,
        logs::work_log_is_prefilled_with_the_days_tickets,
        logs::work_log_bad_input_and_permissions,
        logs::duty_logs_per_shift,
        logs::log_pages_follow_the_same_rules,
        complaints::closed_loop_with_the_simulated_clock,
        complaints::closing_needs_a_satisfied_callback_or_a_managers_reason,
        complaints::bad_forms_name_the_field_and_pii_stays_masked,
        complaints::archive_stats_and_cause_tree,
        callbacks::tier_plans_over_a_quarter,
        callbacks::attempts_watch_and_bad_input,
        callbacks::complaint_callbacks_drive_the_loop,
        callbacks::plans_and_settings,
        surveys::templates_and_thresholds_name_the_bad_field,
        surveys::forged_expired_reused_and_tampered_links_are_refused,
        surveys::dissatisfied_answer_opens_exactly_one_followup,
        surveys::agent_answers_on_a_callback,
        tickets::create_work_and_timeline,
        tickets::departments_see_only_their_tickets,
        tickets::queues_count_what_they_list,
        promises::overdue_protocol_on_the_business_calendar,
        tickets::escalate_merge_and_link,
        promises::sla_policy_sets_the_promise_and_waiting_pauses_it,
        tickets::attachments_upload_list_download,
        auth::login_logout_and_me,
        auth::lockout_backs_off,
        auth::api_tokens_create_list_revoke,
        auth::sessions_expire_when_idle,
        auth::cookie_sessions_need_csrf,
        customers::create_view_update,
        customers::phones_are_masked_and_reveal_is_audited,
        customers::agents_cannot_reveal,
        customers::duplicate_and_invalid_input,
        customers::list_filters_and_search,
        customers::search_boxes_take_sql_metacharacters,
        assignment::preview_commit_and_first_contact,
        assignment::bad_input_is_refused_with_codes,
        assignment::a_leaving_agents_customers_move_with_their_history,
        campaigns::quotas_and_retry_rules_over_several_days,
        campaigns::once_a_day_across_campaigns_and_do_not_call,
        org::organization_admin,
        org::assignment_rules_name_the_rule,
        org::agents_cannot_edit_the_organization,
        org::customer_tiers_are_configurable,
        org::org_pages_create_and_edit,
        org_templates::cadences_and_ratios,
        org_templates::templates_list_load_and_conflict,
        audit::audit_log_is_for_managers_and_read_only,
        audit::audit_filters,
        imports::csv_in_every_encoding,
        imports::preview_reports_row_errors_and_commit_is_all_or_nothing,
        imports::xlsx_import,
        imports::bad_files_are_refused_clearly,
        imports::oversized_uploads_get_413,
        exports::xlsx_and_csv_exports_are_neutralized_and_audited,
        exports::background_exports_of_every_list,
        scheduler::simulated_clock_fires_the_session_cleanup_chain,
        calendars::calendars_read_and_edit,
        calendars::holidays_edit_and_import,
        calendars::sla_policies_and_preview,
        calls::webhooks_are_off_without_a_secret,
        calls::bad_signatures_are_refused_and_nothing_is_stored,
        calls::out_of_order_events_make_one_complete_call,
        calls::recordings_are_checked_before_they_are_kept,
        calls::a_500_mb_recording_gets_413_and_nothing_is_stored,
        calls::screen_pop_identity_check_and_ticket,
        calls::ivr_menu_is_configured_by_admins,
        search::index_follows_writes_and_finds_numbers_words_and_suffixes,
        search::nobody_finds_what_they_may_not_open,
        search::bad_queries_get_clear_errors,
        search::rebuild_restores_the_index_from_the_database,
        search::suggestions_show_similar_resolved_tickets,
        search::articles_are_found_by_who_may_read_them,
    ]
);
