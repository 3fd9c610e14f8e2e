//! `annoqa user …`: accounts from the command line, and the database options `serve` shares.

use std::io::Read;
use std::path::PathBuf;

use annoqa_api::{NewUser, Role};
use annoqa_server::{add_user, create_api_token, now_ms, PasswordCost, Passwords, Store};
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
    /// Create an API token for scripts (`Authorization: Bearer …`), printed once.
    Token { username: String },
}

pub(crate) fn run(args: UserArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let store = Store::connect(&args.database.url()).await?;
        match args.command {
            UserCommand::Add { username, role, vendor, projects, password_stdin } => {
                let role = Role::parse(&role)
                    .with_context(|| format!("--role `{role}` is not annotator, reviewer, coordinator or admin"))?;
                let password = if password_stdin {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input).context("cannot read the password from stdin")?;
                    Some(input.lines().next().unwrap_or_default().to_string())
                } else {
                    None
                };
                for project in &projects {
                    if store.project(project).await?.is_none() {
                        bail!("--project `{project}`: no such project");
                    }
                    if role == Role::Admin {
                        bail!("--project: an admin sees every project already");
                    }
                }
                let passwords = Passwords::new(PasswordCost::default())?;
                let created = add_user(&store, &passwords, NewUser { username, role, vendor, password }, now_ms())
                    .await
                    .map_err(anyhow::Error::msg)?;
                for project in &projects {
                    store.set_member(project, created.user.id, role).await?;
                }
                println!("created {} `{}` (id {})", role.as_str(), created.user.username, created.user.id);
                if let Some(password) = created.password {
                    println!("password (shown once): {password}");
                }
            }
            UserCommand::Token { username } => {
                let user = store.user_by_name(&username).await?.with_context(|| format!("no user `{username}`"))?;
                let token = create_api_token(&store, user.id, now_ms()).await.map_err(anyhow::Error::msg)?;
                println!("{token}");
            }
        }
        store.close().await;
        Ok(())
    })
}
