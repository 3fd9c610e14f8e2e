//! `annoqa`: the command-line entry point. Parses arguments and hands over to the crates that
//! do the work.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod convert;
mod media;
mod output;
mod progress;
mod qa;
mod report;
mod stats;
mod user;

#[derive(Parser)]
#[command(name = "annoqa", version, about = "Annotation QA: live validation, gold checks, agreement")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the annotator app and its API on SQLite or PostgreSQL.
    Serve {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        database: user::DatabaseArgs,
        /// The app as built by Trunk.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Folder with demo projects, media and guidelines.
        #[arg(long = "static", default_value = "static")]
        static_dir: PathBuf,
        /// Folder holding each project's media root (`<media-dir>/<project>/`).
        #[arg(long, default_value = "data/media")]
        media_dir: PathBuf,
        /// Mark the session cookie `Secure` even on plain HTTP (behind a TLS proxy).
        #[arg(long, env = "ANNOQA_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Password hashes that run at once (each takes 19 MiB while it runs); more logins wait
        /// for a turn or are answered `busy`. Default: one per core, at most eight.
        #[arg(long, env = "ANNOQA_PASSWORD_HASHES", value_parser = clap::value_parser!(u16).range(1..=256))]
        password_hashes: Option<u16>,
        /// Days an API token made through the API works.
        #[arg(long, env = "ANNOQA_API_TOKEN_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
        api_token_days: u32,
        /// MiB of media uploads each project may hold.
        #[arg(long, env = "ANNOQA_MEDIA_QUOTA_MIB", default_value_t = 2048)]
        media_quota_mib: u64,
    },
    /// Manage user accounts: `user add`, `user password`, `user token`.
    User(user::UserArgs),
    /// Check annotations against a task spec's rules; exit 1 when any has an error.
    Validate(qa::ValidateArgs),
    /// Score annotations against gold with the spec's tolerances; exit 1 when any fails.
    Score(qa::ScoreArgs),
    /// Inter-annotator agreement of a long-format CSV (item, annotator, label).
    Agreement(stats::AgreementArgs),
    /// Consensus labels from several answers per item: majority vote or Dawid–Skene.
    Aggregate(stats::AggregateArgs),
    /// ISO 2859-1 / ANSI Z1.4 single sampling plan for a lot: code letter, n, Ac, Re.
    SamplePlan(stats::SamplePlanArgs),
    /// Describe an image, WAV or video file from its header: size, duration, frame rate.
    Probe(media::ProbeArgs),
    /// Waveform peaks of a WAV file in BBC audiowaveform's .dat or JSON format.
    Peaks(media::PeaksArgs),
    /// QA report of a multi-annotator export: agreement, consensus, scorecards, findings, as one
    /// HTML page (`--json`: the numbers on stdout).
    Report(report::ReportArgs),
    /// Convert annotations between Label Studio, COCO, YOLO, CVAT, crowd-kit and annoqa records.
    Convert(convert::ConvertArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ANNOQA_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    // Exit codes: 0 all good, 1 the checked work has errors or failures, 2 the command could
    // not run (unreadable or malformed input, a server that cannot start).
    let result = match cli.command {
        Command::Serve {
            addr,
            database,
            dist,
            static_dir,
            media_dir,
            secure_cookies,
            password_hashes,
            api_token_days,
            media_quota_mib,
        } => {
            let config = annoqa_server::Config {
                addr,
                database_url: database.url(),
                dist,
                static_dir,
                media_dir,
                secure_cookies,
                password_hashes_at_once: password_hashes.map(usize::from),
                api_token_lifetime_ms: i64::from(api_token_days) * 24 * 60 * 60 * 1000,
                media_quota_bytes: media_quota_mib.saturating_mul(1 << 20),
            };
            serve(config).map(|()| 0)
        }
        Command::User(args) => user::run(args).map(|()| 0),
        Command::Validate(args) => qa::run_validate(&args),
        Command::Score(args) => qa::run_score(&args),
        Command::Agreement(args) => stats::run_agreement(&args).map(|()| 0),
        Command::Aggregate(args) => stats::run_aggregate(&args).map(|()| 0),
        Command::SamplePlan(args) => stats::run_sample_plan(&args).map(|()| 0),
        Command::Probe(args) => media::run_probe(&args).map(|()| 0),
        Command::Peaks(args) => media::run_peaks(&args).map(|()| 0),
        Command::Report(args) => report::run_report(&args).map(|()| 0),
        Command::Convert(args) => convert::run_convert(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(config: annoqa_server::Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let database = user::redacted(&config.database_url);
    runtime.block_on(annoqa_server::serve(config, |addr| {
        // Scripts (and the end-to-end test) read this line to find the server.
        println!("annoqa listening on http://{addr}/ (database {database})");
    }))
}
