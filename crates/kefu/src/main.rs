//! `kefu`: the customer service center in one binary.

mod bootstrap;
mod settings;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kefu_server::{AppState, Clock, ServerConfig};
use kefu_store::Db;
use settings::{Overrides, Settings};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu (客服): a self-hosted customer service center"
)]
struct Cli {
    /// Configuration file (default: ./kefu.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, uploads, exports).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://…
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// real, or simulated (moves only through POST /api/v1/test-clock/advance).
        #[arg(long)]
        clock: Option<String>,
        /// Load the demo customer service center into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade the database schema and exit.
    Migrate,
    /// Import customers from a CSV or XLSX file (validated like the web import; all
    /// valid rows are written in one transaction).
    Import {
        /// What to import: customers.
        what: String,
        file: PathBuf,
        /// The user the import is recorded for.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
        /// Only validate and report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Organization templates: the handbook's organizations, ready to load.
    Org {
        #[command(subcommand)]
        action: OrgAction,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage the search index (derived data under `<data-dir>/search`).
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
}

#[derive(Subcommand, Debug)]
enum OrgAction {
    /// List the organization templates (code, handbook document, counts, name).
    Templates,
    /// Load a template's departments, positions, duties, qualifications, headcounts and
    /// 兼任 rules in one transaction; refused when one of its departments exists.
    Import {
        /// The template's code, from `kefu org templates`.
        template: String,
    },
}

#[derive(Subcommand, Debug)]
enum SearchAction {
    /// Rebuild the index from the database. Stop the server first (it holds the index),
    /// or call `POST /api/v1/search/rebuild` on a running one.
    Rebuild,
}

/// mimalloc rather than glibc's allocator: a search index build allocates and frees
/// hundreds of megabytes on tantivy's indexing threads, and glibc kept most of what
/// those threads' arenas freed (a server that had just indexed 1,100,000 documents held
/// 381 MB of anonymous memory with glibc, 227 MB with mimalloc, 162 MB once the build's
/// writer is also dropped; see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc commits its arenas eagerly and advises the kernel to back them with
/// transparent huge pages, so a few kilobytes touched in a 2 MB region made the whole
/// region resident: an idle server with an empty database held 80 MB of anonymous
/// memory, 78 MB of it huge pages, and 45 MB without them. The flag covers the whole
/// process, including the mappings made before it was set (they are not faulted in yet).
fn disable_transparent_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let huge_pages = disable_transparent_huge_pages();
    kefu_server::install_tls_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEFU_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    if let Err(e) = huge_pages {
        tracing::debug!(error = %e, "transparent huge pages stay enabled");
    }
    let cli = Cli::parse();
    let (listen, clock) = match &cli.command {
        Command::Serve { listen, clock, .. } => (listen.clone(), clock.clone()),
        _ => (None, None),
    };
    let overrides = Overrides {
        listen,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        clock,
    };
    let settings = Settings::load(cli.config.as_ref(), &overrides)?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            settings.data_dir.display()
        )
    })?;
    let url = settings.database_url();
    let db = Db::connect(&url).await.with_context(|| {
        format!(
            "cannot open database {}",
            kefu_store::backend::redact_url(&url)
        )
    })?;
    let clock = if settings.clock == "simulated" {
        Clock::simulated(chrono::Utc::now())
    } else {
        Clock::Real
    };
    let mut config = ServerConfig::new(settings.data_dir.clone());
    config.secure_cookies = settings.secure_cookies;
    config.max_upload_bytes = settings.max_upload_mb * 1024 * 1024;
    config.cti_secret = settings.cti_secret.clone().map(kefu_server::state::Secret);
    config.max_recording_bytes = settings.max_recording_bytes;
    config.public_intake_department = settings.public_intake_department.trim().to_string();
    config.public_limits.chats.max = settings.chat_starts_per_minute;
    config.mail_ca_file = settings.mail_ca_file.clone();
    config.session.idle = chrono::Duration::minutes(settings.session_idle_minutes);
    config.session.absolute = chrono::Duration::hours(settings.session_absolute_hours);
    let state = AppState::new(db.clone(), clock, config);
    match cli.command {
        Command::Serve { demo, .. } => serve(state, &settings, demo).await,
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::Import {
            what,
            file,
            as_user,
            dry_run,
        } => {
            anyhow::ensure!(
                what == "customers",
                "only `kefu import customers FILE` is supported"
            );
            bootstrap::import_customers(&state, &file, &as_user, dry_run).await
        }
        Command::Search {
            action: SearchAction::Rebuild,
        } => {
            let started = std::time::Instant::now();
            let stats = kefu_server::search::rebuild(&state).await.context(
                "cannot rebuild the search index (is a kefu server running on this data directory? \
                 stop it, or call POST /api/v1/search/rebuild on it)",
            )?;
            println!(
                "search index rebuilt in {:.1} s: {} tickets, {} customers, {} articles (change log at {})",
                started.elapsed().as_secs_f64(),
                stats.tickets,
                stats.customers,
                stats.articles,
                stats.seq
            );
            Ok(())
        }
        Command::Org {
            action: OrgAction::Templates,
        } => {
            bootstrap::list_org_templates();
            Ok(())
        }
        Command::Org {
            action: OrgAction::Import { template },
        } => bootstrap::import_org_template(state.db(), state.clock().now(), &template).await,
        Command::Openapi => {
            println!("{}", kefu_server::api::openapi(&state).to_pretty_json()?);
            Ok(())
        }
    }
}

async fn serve(state: AppState, settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let db = state.db();
    let now = state.clock().now();
    if demo {
        bootstrap::demo(db, now).await?;
    }
    bootstrap::ensure_admin(db, now, settings.admin_password.clone()).await?;
    kefu_server::jobs::schedule_session_cleanup(&state).await?;
    kefu_server::jobs::schedule_callback_jobs(&state).await?;
    kefu_server::jobs::schedule_duty_jobs(&state).await?;
    kefu_server::jobs::spawn(state.clone());
    kefu_server::jobs::spawn_rollups(state.clone());
    kefu_server::jobs::mail::spawn(state.clone());
    kefu_server::jobs::mail::spawn_sender(state.clone());
    kefu_server::search::spawn(state.clone());
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    tracing::info!(listen = %settings.listen, clock = %settings.clock, "kefu is ready");
    println!("kefu is running on http://{}", settings.listen);
    let app =
        kefu_server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
