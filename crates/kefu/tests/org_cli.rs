//! `kefu org templates` and `kefu org import CODE` as an operator runs them, against a
//! fresh database on each backend: every template listed, one loaded, a second load and
//! an unknown code refused with a message saying why and a failing exit status.

use kefu_test_support::{run_trials, TestBackend, TestDb, TestFn};
use std::process::{Command, Output};

fn main() {
    const BOTH: &[TestBackend] = &[TestBackend::Sqlite, TestBackend::Postgres];
    let tests: Vec<(String, TestFn, &'static [TestBackend])> = vec![(
        "templates_list_import_and_refuse_a_second_load".into(),
        |b| Box::pin(templates_list_import_and_refuse_a_second_load(b)),
        BOTH,
    )];
    run_trials("org cli", tests)
}

fn kefu(url: &str, data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["--database-url", url, "--data-dir"])
        .arg(data)
        .args(args)
        .current_dir(data)
        .env("KEFU_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run kefu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn templates_list_import_and_refuse_a_second_load(backend: TestBackend) {
    let db = TestDb::new(backend).await;
    let data = tempfile::tempdir().expect("data directory");
    let listed = kefu(&db.url, data.path(), &["org", "templates"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let out = text(&listed);
    for code in [
        "cs-software",
        "cs-wallet",
        "cs-group",
        "investment",
        "youth-league",
        "vehicle-tech",
        "cs-group-crm",
        "cs-telecom",
        "cs-manufacturer",
        "cs-online-shop",
        "cs-property",
        "construction",
    ] {
        assert!(out.contains(code), "{code} listed:\n{out}");
    }

    let loaded = kefu(&db.url, data.path(), &["org", "import", "investment"]);
    assert!(loaded.status.success(), "{}", text(&loaded));
    assert!(
        text(&loaded).contains("5 departments, 11 positions, 51 兼任 rules"),
        "{}",
        text(&loaded)
    );
    let departments = db.db.list_departments().await.expect("departments");
    assert!(departments.iter().any(|d| d.name == "风险控制部"));
    let count = departments.len();

    let again = kefu(&db.url, data.path(), &["org", "import", "investment"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already has a department named"),
        "{}",
        text(&again)
    );
    assert_eq!(db.db.list_departments().await.unwrap().len(), count);
    let unknown = kefu(&db.url, data.path(), &["org", "import", "bank"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("kefu org templates"),
        "{}",
        text(&unknown)
    );
    db.cleanup().await;
}
