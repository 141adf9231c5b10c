//! Every user-visible string of the web UI, in Chinese (the default) and English.
//! Messages live in `locales/<lang>/*.toml` (one file per area, so none grows without
//! bound), compiled into the binary; a test checks both languages have the same keys,
//! that no key is defined in two files, and that every key a template uses exists.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }
}

/// The files of a language: the core (accounts, organization, customers, work orders,
/// calls, knowledge, search) and the service loop (assignment, complaints, callbacks…).
pub const ZH_CN: &[&str] = &[
    include_str!("../locales/zh-CN/core.toml"),
    include_str!("../locales/zh-CN/service.toml"),
    include_str!("../locales/zh-CN/callbacks.toml"),
    include_str!("../locales/zh-CN/surveys.toml"),
    include_str!("../locales/zh-CN/campaigns.toml"),
    include_str!("../locales/zh-CN/chat.toml"),
    include_str!("../locales/zh-CN/mail.toml"),
    include_str!("../locales/zh-CN/qa.toml"),
    include_str!("../locales/zh-CN/schedule.toml"),
    include_str!("../locales/zh-CN/reports.toml"),
    include_str!("../locales/zh-CN/org.toml"),
    include_str!("../locales/zh-CN/performance.toml"),
];
pub const EN: &[&str] = &[
    include_str!("../locales/en/core.toml"),
    include_str!("../locales/en/service.toml"),
    include_str!("../locales/en/callbacks.toml"),
    include_str!("../locales/en/surveys.toml"),
    include_str!("../locales/en/campaigns.toml"),
    include_str!("../locales/en/chat.toml"),
    include_str!("../locales/en/mail.toml"),
    include_str!("../locales/en/qa.toml"),
    include_str!("../locales/en/schedule.toml"),
    include_str!("../locales/en/reports.toml"),
    include_str!("../locales/en/org.toml"),
    include_str!("../locales/en/performance.toml"),
];

#[derive(Debug)]
pub struct I18n {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn parse(files: &[&str]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for src in files {
        let table: toml::Table =
            toml::from_str(src).expect("locale files are valid TOML (checked by tests)");
        flatten("", &table, &mut out);
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let value = match v {
            toml::Value::Table(t) => {
                flatten(&key, t, out);
                continue;
            }
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let earlier = out.insert(key.clone(), value);
        assert!(
            earlier.is_none(),
            "locale key {key} is defined in two files (checked by tests)"
        );
    }
}

impl I18n {
    pub fn load() -> Self {
        I18n {
            zh: parse(ZH_CN),
            en: parse(EN),
        }
    }

    pub fn tr(&self, lang: Lang) -> Tr<'_> {
        Tr {
            map: if lang == Lang::En { &self.en } else { &self.zh },
            lang,
        }
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let map = if lang == Lang::En { &self.en } else { &self.zh };
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

/// The messages of one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr<'a> {
    map: &'a HashMap<String, String>,
    pub lang: Lang,
}

impl<'a> Tr<'a> {
    /// The message for `key`; a missing key shows itself, so it is noticed (and a test
    /// fails) rather than rendering nothing.
    pub fn t(&self, key: &str) -> &'a str {
        match self.map.get(key) {
            Some(v) => v.as_str(),
            None => {
                tracing::warn!(key, "missing translation");
                ""
            }
        }
    }

    /// The label of a code in a family of codes: `label("status", "active")` reads
    /// `status.active`.
    pub fn label(&self, family: &str, code: &str) -> &'a str {
        self.t(&format!("{family}.{code}"))
    }

    /// `(code, label)` pairs for a `<select>`.
    pub fn options<'c>(
        &self,
        family: &str,
        codes: impl IntoIterator<Item = &'c str>,
    ) -> Vec<(String, String)> {
        codes
            .into_iter()
            .map(|c| (c.to_string(), self.label(family, c).to_string()))
            .collect()
    }

    /// A message with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let i = I18n::load();
        assert_eq!(i.keys(Lang::ZhCn), i.keys(Lang::En));
        assert!(i.keys(Lang::ZhCn).len() > 50);
    }

    /// Keys built at run time from codes (`status.{code}` …) exist for every code.
    #[test]
    fn every_code_has_a_label() {
        use kefu_domain::customer::{ContactKind, CustomerStatus, Gender};
        let i = I18n::load();
        for lang in [Lang::ZhCn, Lang::En] {
            let keys: std::collections::HashSet<&str> = i.keys(lang).into_iter().collect();
            let mut wanted: Vec<String> = Vec::new();
            wanted.extend(
                kefu_domain::Permission::ALL
                    .iter()
                    .map(|p| format!("perm.{}", p.code())),
            );
            wanted.extend(
                CustomerStatus::ALL
                    .iter()
                    .map(|s| format!("status.{}", s.code())),
            );
            wanted.extend(Gender::ALL.iter().map(|g| format!("gender.{}", g.code())));
            {
                use kefu_domain::performance::{Component, RuleCondition, RuleKind};
                wanted.extend(
                    Component::ALL
                        .iter()
                        .map(|c| format!("perf.component.{}", c.code())),
                );
                wanted.extend(
                    RuleKind::ALL
                        .iter()
                        .map(|k| format!("perf.kind.{}", k.code())),
                );
                wanted.extend(
                    RuleCondition::ALL
                        .iter()
                        .map(|c| format!("perf.condition.{}", c.code())),
                );
                wanted.extend(["live", "kept"].map(|s| format!("perf.state_{s}")));
                wanted.extend(["complaint", "violation"].map(|k| format!("perf.incident.{k}")));
            }
            wanted.extend(
                ContactKind::ALL
                    .iter()
                    .map(|k| format!("contact.{}", k.code())),
            );
            wanted.extend(
                kefu_domain::org::Education::ALL
                    .iter()
                    .map(|e| format!("education.{}", e.code())),
            );
            wanted.extend(["created", "updated", "imported"].map(|k| format!("event.{k}")));
            use kefu_domain::ticket::{Channel, Priority, TicketStatus, TicketType};
            wanted.extend(
                TicketType::ALL
                    .iter()
                    .map(|x| format!("ticket_type.{}", x.code())),
            );
            wanted.extend(Channel::ALL.iter().map(|x| format!("channel.{}", x.code())));
            wanted.extend(
                Priority::ALL
                    .iter()
                    .map(|x| format!("priority.{}", x.code())),
            );
            wanted.extend(
                TicketStatus::ALL
                    .iter()
                    .map(|x| format!("ticket_status.{}", x.code())),
            );
            wanted.extend(
                kefu_domain::queue::Queue::ALL
                    .iter()
                    .map(|x| format!("queue.{}", x.code())),
            );
            wanted.extend(["open", "done", "cancelled"].map(|k| format!("task_state.{k}")));
            wanted.extend(["overdue", "escalated", "task_done"].map(|k| format!("notify.{k}")));
            wanted.extend(
                [
                    "created",
                    "assigned",
                    "status",
                    "reply",
                    "note",
                    "transferred",
                    "task_done",
                    "escalated",
                    "promise",
                    "overdue",
                    "overdue_notice",
                    "merged",
                    "merged_from",
                    "linked",
                    "call",
                ]
                .map(|k| format!("event.ticket.{k}")),
            );
            wanted.extend(
                ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| format!("weekday.{d}")),
            );
            wanted.extend(["holiday", "workday"].map(|k| format!("day_kind.{k}")));
            wanted.extend(["working", "on_duty"].map(|k| format!("calendar.{k}")));
            wanted.extend(
                kefu_domain::chat::Routing::ALL
                    .iter()
                    .map(|x| format!("chat_routing.{}", x.code())),
            );
            wanted.extend(
                kefu_domain::sla::SlaCalendar::ALL
                    .iter()
                    .map(|x| format!("sla.calendar.{}", x.code())),
            );
            {
                use kefu_domain::call::{CallState, HangupSide, IdentityMethod, IdentityResult};
                wanted.extend(
                    CallState::ALL
                        .iter()
                        .map(|s| format!("call_state.{}", s.code())),
                );
                wanted.extend(
                    HangupSide::ALL
                        .iter()
                        .map(|h| format!("hangup.{}", h.code())),
                );
                wanted.extend(
                    IdentityResult::ALL
                        .iter()
                        .map(|r| format!("identity.{}", r.code())),
                );
                wanted.extend(
                    IdentityMethod::ALL
                        .iter()
                        .map(|m| format!("identity_method.{}", m.code())),
                );
            }
            wanted.extend(
                [
                    "previewed",
                    "committing",
                    "committed",
                    "discarded",
                    "failed",
                ]
                .map(|k| format!("import_status.{k}")),
            );
            {
                use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience, VersionAction};
                wanted.extend(
                    ArticleKind::ALL
                        .iter()
                        .map(|x| format!("kb_kind.{}", x.code())),
                );
                wanted.extend(
                    ArticleState::ALL
                        .iter()
                        .map(|x| format!("kb_state.{}", x.code())),
                );
                wanted.extend(
                    Audience::ALL
                        .iter()
                        .map(|x| format!("kb_audience.{}", x.code())),
                );
                wanted.extend(
                    VersionAction::ALL
                        .iter()
                        .map(|x| format!("kb_action.{}", x.code())),
                );
                wanted.extend(
                    ["title", "kind", "audience", "category", "tags"]
                        .map(|f| format!("knowledge.field.{f}")),
                );
            }
            {
                use kefu_domain::complaint::{CallbackOutcome, Severity, Stage};
                wanted.extend(
                    Severity::ALL
                        .iter()
                        .map(|x| format!("severity.{}", x.code())),
                );
                wanted.extend(
                    Stage::ALL
                        .iter()
                        .map(|x| format!("complaint_stage.{}", x.code())),
                );
                wanted.extend(
                    CallbackOutcome::ALL
                        .iter()
                        .map(|x| format!("callback_outcome.{}", x.code())),
                );
                wanted.extend(
                    ["registered", "dissatisfied", "reopened"]
                        .map(|k| format!("complaint.because_{k}")),
                );
                wanted.extend(
                    [
                        "registered",
                        "restatement",
                        "cause",
                        "handled",
                        "callback",
                        "round",
                        "closed",
                    ]
                    .map(|k| format!("event.ticket.complaint_{k}")),
                );
            }
            {
                use kefu_domain::callback::{
                    AttemptResult, CallbackKind, Outcome, Period, PlanKind,
                };
                wanted.extend(CallbackKind::ALL.iter().flat_map(|x| {
                    [
                        format!("callback_kind.{}", x.code()),
                        format!("callback_script.{}", x.code()),
                    ]
                }));
                wanted.extend(
                    AttemptResult::ALL
                        .iter()
                        .map(|x| format!("attempt_result.{}", x.code())),
                );
                wanted.extend(
                    Outcome::ALL
                        .iter()
                        .map(|x| format!("callback_result.{}", x.code())),
                );
                wanted.extend(
                    Period::ALL
                        .iter()
                        .map(|x| format!("callback_period.{}", x.code())),
                );
                wanted.extend(
                    PlanKind::ALL
                        .iter()
                        .map(|x| format!("plan_kind.{}", x.code())),
                );
                wanted.push("notify.callback_raised".into());
            }
            for key in wanted {
                assert!(keys.contains(key.as_str()), "{lang:?} lacks {key}");
            }
        }
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let i = I18n::load();
        let keys: std::collections::HashSet<&str> = i.keys(Lang::ZhCn).into_iter().collect();
        let re_sources = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui"),
        ];
        let mut missing = Vec::new();
        let mut files = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = re_sources.iter().map(Into::into).collect();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        {
            for path in files {
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["t.t(\"", "t.f(\""] {
                    for part in text.split(marker).skip(1) {
                        let key = part.split('"').next().unwrap();
                        if !keys.contains(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing translations: {missing:#?}");
    }
}
