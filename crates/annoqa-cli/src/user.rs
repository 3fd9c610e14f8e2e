//! `annoqa user …`: accounts from the command line, and the database options `serve` shares.

use std::io::Read;
use std::path::PathBuf;

use annoqa_api::{NewUser, Role};
use annoqa_server::{add_user, create_api_token, now_ms, set_password, PasswordCost, Passwords, Store};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};

/// Where the database is: a URL, or a SQLite file as shorthand.
#[derive(Args, Debug)]
pub(crate) struct DatabaseArgs {
    /// `sqlite://FILE` or `postgres://USER@HOST/DB`. Secrets belong here or in the environment,
    /// never in the source.
    #[arg(long, env = "ANNOQA_DATABASE_URL", conflicts_with = "database", global = true)]
    database_url: Option<String>,
    /// SQLite database file, created with its folder when missing (shorthand for
    /// `--database-url sqlite://FILE`).
    #[arg(long, global = true)]
    database: Option<PathBuf>,
}

impl DatabaseArgs {
    pub(crate) fn url(&self) -> String {
        match (&self.database_url, &self.database) {
            (Some(url), _) => url.clone(),
            (None, Some(file)) => annoqa_server::sqlite_url(file),
            (None, None) => annoqa_server::sqlite_url(std::path::Path::new("data/annoqa.sqlite3")),
        }
    }
}

/// The URL without its password, for messages.
pub(crate) fn redacted(url: &str) -> String {
    annoqa_server::redact_url(url)
}

#[derive(Args, Debug)]
pub(crate) struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add {
        username: String,
        /// annotator, reviewer, coordinator or admin.
        #[arg(long)]
        role: String,
        /// The annotation vendor the user works for.
        #[arg(long)]
        vendor: Option<String>,
        /// Projects to add the user to, with their role (repeatable).
        #[arg(long = "project")]
        projects: Vec<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password and end their sessions. Without --password-stdin a password is
    /// generated and printed once.
    Password {
        username: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// API tokens for scripts (`Authorization: Bearer …`): create one (printed once), list them,
    /// or revoke one or all.
    Token(TokenArgs),
}

#[derive(Args, Debug)]
struct TokenArgs {
    username: String,
    /// List the user's tokens: id, created, expires, last used (never the secret).
    #[arg(long, conflicts_with_all = ["revoke", "days"])]
    list: bool,
    /// Revoke the token with this id (from --list), or with --all every token of the user.
    #[arg(long, value_name = "ID", num_args = 0..=1, conflicts_with = "days")]
    revoke: Option<Option<i64>>,
    /// With --revoke: every token of the user.
    #[arg(long, requires = "revoke")]
    all: bool,
    /// Days the new token works.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: u32,
}

pub(crate) fn run(args: UserArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let store = Store::connect(&args.database.url()).await?;
        let result = match args.command {
            UserCommand::Add { username, role, vendor, projects, password_stdin } => {
                add(&store, username, &role, vendor, &projects, password_stdin).await
            }
            UserCommand::Password { username, password_stdin } => password(&store, &username, password_stdin).await,
            UserCommand::Token(token_args) => token(&store, token_args).await,
        };
        store.close().await;
        result
    })
}

/// The first line of standard input, when the password comes from there.
fn password_from_stdin(password_stdin: bool) -> anyhow::Result<Option<String>> {
    if !password_stdin {
        return Ok(None);
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("cannot read the password from stdin")?;
    Ok(Some(input.lines().next().unwrap_or_default().to_string()))
}

async fn add(
    store: &Store,
    username: String,
    role: &str,
    vendor: Option<String>,
    projects: &[String],
    password_stdin: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role)
        .with_context(|| format!("--role `{role}` is not annotator, reviewer, coordinator or admin"))?;
    let password = password_from_stdin(password_stdin)?;
    for project in projects {
        if store.project(project).await?.is_none() {
            bail!("--project `{project}`: no such project");
        }
        if role == Role::Admin {
            bail!("--project: an admin sees every project already");
        }
    }
    let passwords = Passwords::new(PasswordCost::default())?;
    let created = add_user(store, &passwords, NewUser { username, role, vendor, password }, now_ms())
        .await
        .map_err(anyhow::Error::msg)?;
    for project in projects {
        store.set_member(project, created.user.id, role).await?;
    }
    println!("created {} `{}` (id {})", role.as_str(), created.user.username, created.user.id);
    if let Some(password) = created.password {
        println!("password (shown once): {password}");
    }
    Ok(())
}

async fn password(store: &Store, username: &str, password_stdin: bool) -> anyhow::Result<()> {
    let user = store.user_by_name(username).await?.with_context(|| format!("no user `{username}`"))?;
    let password = password_from_stdin(password_stdin)?;
    let passwords = Passwords::new(PasswordCost::default())?;
    let generated = set_password(store, &passwords, &user, password, None).await.map_err(anyhow::Error::msg)?;
    println!("set the password of `{username}`; their sessions ended");
    if let Some(password) = generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

async fn token(store: &Store, args: TokenArgs) -> anyhow::Result<()> {
    let username = &args.username;
    let user = store.user_by_name(username).await?.with_context(|| format!("no user `{username}`"))?;
    match args.revoke {
        Some(Some(_)) if args.all => bail!("--revoke takes a token id or --all, not both"),
        Some(Some(id)) => {
            if !store.delete_api_token(user.id, id).await? {
                bail!("`{username}` has no API token {id} (see `annoqa user token {username} --list`)");
            }
            println!("revoked API token {id} of `{username}`");
        }
        Some(None) if args.all => {
            let revoked = store.delete_api_tokens(user.id).await?;
            println!("revoked {revoked} API token(s) of `{username}`");
        }
        Some(None) => bail!("--revoke needs a token id (see --list) or --all"),
        None if args.list => list_tokens(store, user.id).await?,
        None => {
            let lifetime_ms = i64::from(args.days) * 24 * 60 * 60 * 1000;
            let created = create_api_token(store, user.id, now_ms(), lifetime_ms).await.map_err(anyhow::Error::msg)?;
            // Only the token on stdout, for scripts; what it is goes to stderr.
            println!("{}", created.token);
            eprintln!("API token {} of `{username}`, valid for {} days (shown once)", created.id, args.days);
        }
    }
    Ok(())
}

async fn list_tokens(store: &Store, user_id: i64) -> anyhow::Result<()> {
    let now = now_ms();
    println!("{:<20}  {:<20}  {:<20}  last used", "id", "created", "expires");
    for token in store.api_tokens(user_id).await? {
        let expires = if token.expires_at_ms <= now { "expired".to_string() } else { utc(token.expires_at_ms) };
        let last_used = token.last_used_at_ms.map_or_else(|| "never".to_string(), utc);
        println!("{:<20}  {:<20}  {:<20}  {last_used}", token.id, utc(token.created_at_ms), expires);
    }
    Ok(())
}

/// `2026-12-06 04:51 UTC` for milliseconds since the epoch.
fn utc(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3_600_000, rest / 60_000 % 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
