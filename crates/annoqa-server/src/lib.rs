//! annoqa's thin backend: assigns work, stores answers, re-scores gold with `annoqa-core`,
//! and serves the built app.
//!
//! **Invariant:** a honeypot gold answer leaves this crate only inside the response to the
//! annotator's own stored submission of that item (see `routes::submit`).

mod demo;
mod error;
mod routes;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

pub use demo::load_demo_projects;
pub use error::ServerError;
pub use routes::router;
pub use store::Store;

/// Everything `annoqa serve` needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// SQLite database file; created (with its folder) when missing.
    pub database: PathBuf,
    /// The app as built by Trunk (`dist/`).
    pub dist: PathBuf,
    /// The repo's `static/` folder: demo projects, media, guidelines.
    pub static_dir: PathBuf,
}

/// Opens the database, loads the demo projects on first start, and serves until Ctrl-C.
/// Calls `on_listening` with the bound address once the socket accepts connections.
pub async fn serve(config: Config, on_listening: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let store = Store::open(&config.database).await?;
    if store.project_count().await? == 0 {
        let demo = config.static_dir.join("demo");
        let loaded = load_demo_projects(&store, &demo, now_ms())
            .await
            .with_context(|| format!("loading the demo projects from {}", demo.display()))?;
        tracing::info!(projects = loaded, "loaded demo projects");
    }
    let app = router(store, &config.dist, &config.static_dir);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    on_listening(listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // Ignoring the error is right: without a signal handler we simply run until killed.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Wall-clock time for stored rows. The server is the only place that reads the clock; the
/// core receives times as arguments.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
