//! A PostgreSQL server for the storage and API tests, which run every test on SQLite and on
//! PostgreSQL. The tests read the server's URL from `ANNOQA_TEST_POSTGRES_URL` and create (and
//! drop) a uniquely named database each.
//!
//! In order: the URL the caller already set; else a server answering on 127.0.0.1:5432 (our
//! machines run one with trust auth); else a throwaway cluster — `initdb` in a temp dir, `pg_ctl
//! start` on a free loopback port, stopped and deleted when the run ends. `initdb` refuses to run
//! as root, so as root the cluster belongs to the `postgres` user (created by the Debian
//! package, which is installed from apt when missing). `ANNOQA_TEST_POSTGRES_URL=throwaway`
//! forces the throwaway cluster (say, when the server on 5432 wants a password).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::install::apt_install;
use crate::shell::Cmd;

pub(crate) const URL_VAR: &str = "ANNOQA_TEST_POSTGRES_URL";
const DEFAULT_PORT: u16 = 5432;
const THROWAWAY: &str = "throwaway";

/// The server the tests use; a throwaway cluster stops when this is dropped.
pub(crate) struct Postgres {
    pub(crate) url: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    data_dir: PathBuf,
    as_postgres_user: bool,
}

impl Postgres {
    pub(crate) fn provide() -> Result<Postgres> {
        let set = std::env::var_os(URL_VAR).and_then(|url| url.into_string().ok()).filter(|u| !u.is_empty());
        let throwaway = set.as_deref() == Some(THROWAWAY);
        if let Some(url) = set.filter(|_| !throwaway) {
            println!("    postgres: {URL_VAR} is set, using {url}");
            return Ok(Postgres { url, cluster: None });
        }
        if !throwaway && accepts_connections(DEFAULT_PORT) {
            let url = format!("postgres://postgres@127.0.0.1:{DEFAULT_PORT}/postgres");
            println!("    postgres: a server answers on 127.0.0.1:{DEFAULT_PORT}, using {url}");
            return Ok(Postgres { url, cluster: None });
        }
        println!("    postgres: no server on 127.0.0.1:{DEFAULT_PORT}, starting a throwaway cluster");
        let bin = server_bin_dir()?;
        let as_postgres_user = Cmd::new("id").arg("-u").probe().as_deref().map(str::trim) == Some("0");
        let data_dir = std::env::temp_dir().join(format!("annoqa-pg-{}", std::process::id()));
        std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let cluster = Cluster { data_dir: data_dir.clone(), as_postgres_user };
        if as_postgres_user {
            Cmd::new("chown").args(["postgres:postgres"]).arg(&data_dir).run()?;
        }
        let port = free_port()?;
        let pgdata = data_dir.join("data");
        cluster
            .command(bin.join("initdb"))
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync", "-D"])
            .arg(&pgdata)
            .run()?;
        let options = format!("-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off", data_dir.display());
        cluster
            .command(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&pgdata)
            .args(["-o", &options, "-l"])
            .arg(data_dir.join("server.log"))
            .args(["-w", "start"])
            .run()?;
        let postgres =
            Postgres { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), cluster: Some(cluster) };
        if !accepts_connections(port) {
            bail!("the throwaway PostgreSQL cluster does not answer on port {port}; see {}", data_dir.display());
        }
        println!("    postgres: throwaway cluster at {}", postgres.url);
        Ok(postgres)
    }
}

impl Cluster {
    fn command(&self, program: PathBuf) -> Cmd {
        if self.as_postgres_user {
            Cmd::new("runuser").args(["-u", "postgres", "--"]).arg(program)
        } else {
            Cmd::new(program)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let Some(cluster) = &self.cluster else { return };
        let Ok(bin) = server_bin_dir() else { return };
        let stopped = cluster
            .command(bin.join("pg_ctl"))
            .arg("-D")
            .arg(cluster.data_dir.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .run();
        if let Err(err) = stopped {
            eprintln!("warning: could not stop the throwaway PostgreSQL cluster: {err:#}");
        }
        if let Err(err) = std::fs::remove_dir_all(&cluster.data_dir) {
            eprintln!("warning: could not remove {}: {err}", cluster.data_dir.display());
        }
    }
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), Duration::from_secs(1)).is_ok()
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// `/usr/lib/postgresql/<newest>/bin`, installing Debian's `postgresql` first when no server
/// binaries are there.
fn server_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = newest_server_bin(Path::new("/usr/lib/postgresql")) {
        return Ok(dir);
    }
    println!("    postgres: server binaries missing, installing postgresql");
    apt_install(&["postgresql"])?;
    newest_server_bin(Path::new("/usr/lib/postgresql"))
        .context("postgresql is installed but /usr/lib/postgresql/*/bin/initdb is missing")
}

pub(crate) fn newest_server_bin(root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
