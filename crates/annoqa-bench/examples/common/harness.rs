//! What the server benchmarks (`load`, `review_queue`, `scorecards`) share: the database they
//! run on, `annoqa user` as a process, the `annoqa serve` process under test, an HTTP client
//! with bearer tokens, and a throwaway PostgreSQL database. Each example includes this file
//! with `#[path]`; each uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use annoqa_api as api;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sqlx::{AnyConnection, Connection, Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }
}

/// `annoqa user …` on the benchmark's database.
pub(crate) struct Cli {
    pub bin: PathBuf,
    pub database_url: String,
}

impl Cli {
    pub(crate) async fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut child = Command::new(&self.bin)
            .arg("user")
            .args(args)
            .args(["--database-url", &self.database_url])
            .env("ANNOQA_LOG", "warn")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).await?;
        }
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            bail!(
                "`annoqa user {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Adds `name` with `role` to `project` (and to `vendor`), with a password nobody uses.
    pub(crate) async fn add(&self, name: &str, role: &str, project: &str, vendor: Option<&str>) -> Result<()> {
        let password = format!("{name} benchmark password");
        let mut args = vec!["add", name, "--role", role, "--project", project, "--password-stdin"];
        if let Some(vendor) = vendor {
            args.extend(["--vendor", vendor]);
        }
        self.run(&args, Some(&password)).await.map(drop)
    }

    pub(crate) async fn token(&self, name: &str) -> Result<String> {
        let out = self.run(&["token", name], None).await?;
        let token = out.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            bail!("`annoqa user token {name}` printed no token: {out:?}");
        }
        Ok(token.to_string())
    }
}

/// The `annoqa serve` process under test.
pub(crate) struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts the server on a free port, with no demo folder and no built app (the benchmark's
    /// project is the only one), its log appended to `dir/server.log`; waits up to 10 minutes
    /// for it to listen (a start may index a large backlog first).
    pub(crate) async fn start(bin: &Path, dir: &Path, database_url: &str) -> Result<Server> {
        let log = dir.join("server.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let mut child = Command::new(bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--database-url", database_url])
            .arg("--dist")
            .arg(dir.join("no-dist"))
            .arg("--static")
            .arg(dir.join("no-static"))
            .arg("--media-dir")
            .arg(dir.join("media"))
            .env("ANNOQA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("the server's stdout is not piped")?;
        let first = tokio::time::timeout(Duration::from_secs(600), BufReader::new(stdout).lines().next_line())
            .await
            .context("the server printed nothing within 600 s")??;
        let Some(line) = first else {
            bail!("the server exited before listening: {}", std::fs::read_to_string(&log).unwrap_or_default().trim());
        };
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no URL in the server's first line: {line}"))?
            .trim_end_matches('/')
            .to_string();
        Ok(Server { child, base, log })
    }

    pub(crate) async fn stop(&mut self) {
        // Ignoring errors is right: the process may have exited already.
        let _ = self.child.kill().await;
    }
}

/// Requests to the server with a bearer token, over keep-alive connections.
#[derive(Clone)]
pub(crate) struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Http {
    pub(crate) fn new(base: &str) -> Http {
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(usize::MAX).build_http();
        Http { client, base: base.to_string() }
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> Result<(StatusCode, String)> {
        self.send_with_key(method, path, token, None, content_type, body).await
    }

    /// [`Http::send`] with an `Idempotency-Key`.
    pub(crate) async fn send_with_key(
        &self,
        method: Method,
        path: &str,
        token: &str,
        idempotency_key: Option<&str>,
        content_type: &str,
        body: String,
    ) -> Result<(StatusCode, String)> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"));
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if let Some(key) = idempotency_key {
            request = request.header(api::IDEMPOTENCY_KEY, key);
        }
        let response = self.client.request(request.body(Full::new(Bytes::from(body)))?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// A database made for one run on the PostgreSQL server at `ANNOQA_TEST_POSTGRES_URL`.
pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// A fresh database named `annoqa_{prefix}_{process id}`.
    pub(crate) async fn create(prefix: &str) -> Result<PgDatabase> {
        let admin_url = std::env::var("ANNOQA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&admin_url)
            .await
            .with_context(|| format!("PostgreSQL is unreachable at {admin_url} (set ANNOQA_TEST_POSTGRES_URL)"))?;
        let name = format!("annoqa_{prefix}_{:x}", std::process::id());
        conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
        conn.close().await?;
        let Some((base, _)) = admin_url.rsplit_once('/') else {
            bail!("ANNOQA_TEST_POSTGRES_URL `{admin_url}` names no database");
        };
        let url = format!("{base}/{name}");
        Ok(PgDatabase { admin_url, name, url })
    }

    pub(crate) async fn drop_database(self) -> Result<()> {
        let mut conn = AnyConnection::connect(&self.admin_url).await?;
        conn.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str()).await?;
        conn.close().await?;
        Ok(())
    }
}
