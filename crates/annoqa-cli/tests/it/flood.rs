//! A login flood against the real `annoqa serve` in a memory-capped process: a hundred parallel
//! logins with random usernames, each from its own loopback address, so neither the per-account
//! nor the per-address limit stops them and only the bounded password hashing keeps memory in
//! check. Afterwards the server is alive, an honest user logs in, and the resident memory is back
//! near where it was before the flood. Sizes are asserted, never times.
//!
//! `ANNOQA_FLOOD_BIN` runs the same flood against another build of the binary (an older commit,
//! for BENCHMARKS.md) and `ANNOQA_FLOOD_AS_MIB` sets another cap (0: none); the figures are
//! printed either way (`-- --nocapture`). Linux only: it binds 127.0.1.x and reads /proc.
#![cfg(target_os = "linux")]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const FLOOD: u8 = 100;
/// The server's address-space limit (`prlimit --as`), MiB. Room for its threads' stacks and
/// malloc arenas and a few argon2 buffers of 19 MiB (it peaks near 800 MiB), not for a hundred
/// of them.
const ADDRESS_SPACE_CAP_MIB: u64 = 1536;
/// How far the resident memory may be above its pre-flood reading once the flood has passed.
const SETTLED_GROWTH: u64 = 150 * MIB;
/// How far the resident memory may ever rise above that reading during the flood: a few hashes'
/// memory, not one per login.
const PEAK_GROWTH: u64 = 256 * MIB;
const MIB: u64 = 1024 * 1024;
/// Longest wait for one answer: a debug build hashes slowly.
const ANSWER_WAIT: Duration = Duration::from_secs(300);
const SETTLE: Duration = Duration::from_secs(2);

const HONEST: &str = "honest";
const HONEST_PASSWORD: &str = "an honest annotator's passphrase";

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn address_space_cap_mib() -> u64 {
    std::env::var("ANNOQA_FLOOD_AS_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(ADDRESS_SPACE_CAP_MIB)
}

fn binary() -> PathBuf {
    std::env::var_os("ANNOQA_FLOOD_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_annoqa")), PathBuf::from)
}

fn add_honest_user(database: &Path) {
    let mut child = Command::new(binary())
        .arg("user")
        .arg("--database")
        .arg(database)
        .args(["add", HONEST, "--role", "annotator", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`annoqa user add` starts");
    child.stdin.take().unwrap().write_all(format!("{HONEST_PASSWORD}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "`annoqa user add` failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// `annoqa serve` on a free port under `prlimit --as`, and the address it listens on.
fn start_capped(dir: &Path, database: &Path) -> (Running, SocketAddr) {
    let mut command = match address_space_cap_mib() {
        0 => Command::new(binary()),
        cap => {
            let mut prlimit = Command::new("prlimit");
            prlimit.arg(format!("--as={}", cap * MIB)).arg(binary());
            prlimit
        }
    };
    let mut child = command
        .args(["serve", "--addr", "127.0.0.1:0", "--database"])
        .arg(database)
        .arg("--dist")
        .arg(dir.join("no-dist"))
        .arg("--static")
        .arg(dir.join("no-static"))
        .arg("--media-dir")
        .arg(dir.join("media"))
        .env("ANNOQA_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("prlimit (util-linux) runs the annoqa binary");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no URL in the first line annoqa printed: {line:?}"))
        .trim_end_matches('/')
        .parse()
        .unwrap();
    (running, addr)
}

/// A `Vm…` figure of /proc/<pid>/status, in bytes.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server process is alive");
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in {status}"));
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap();
    kib * 1024
}

/// A login's status and whether it carried `Retry-After`, sent from `from`; `None` when the
/// connection failed.
async fn login(server: SocketAddr, from: Ipv4Addr, username: &str, password: &str) -> Option<(u16, bool)> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::from((from, 0))).ok()?;
    let mut stream = socket.connect(server).await.ok()?;
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let request = format!(
        "POST /api/session HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(ANSWER_WAIT, stream.read_to_end(&mut answer)).await.ok()?.ok()?;
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, answer.contains("\r\nretry-after:")))
}

fn random_word() -> String {
    format!("{:016x}", RandomState::new().build_hasher().finish())
}

#[test]
fn a_login_flood_leaves_the_server_alive_and_its_memory_near_its_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    add_honest_user(&database);
    let (mut server, addr) = start_capped(dir.path(), &database);
    let pid = server.0.id();
    let honest_from = Ipv4Addr::new(127, 0, 0, 2);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let before = login(addr, honest_from, HONEST, HONEST_PASSWORD).await;
        assert_eq!(before.map(|a| a.0), Some(200), "the honest user logs in before the flood");
        tokio::time::sleep(SETTLE).await;
        let baseline = memory(pid, "VmRSS:");

        let flood: Vec<_> = (0..FLOOD)
            .map(|n| {
                let from = Ipv4Addr::new(127, 0, 1, n + 1);
                let (username, password) = (format!("flood-{}", random_word()), random_word());
                tokio::spawn(async move { login(addr, from, &username, &password).await })
            })
            .collect();
        let mut answers = Vec::new();
        for login in flood {
            answers.push(login.await.unwrap());
        }
        let count = |status: u16| answers.iter().filter(|a| a.is_some_and(|(s, _)| s == status)).count();
        let tally = format!(
            "answers 401 × {}, 429 × {}, 503 × {}, no answer × {}",
            count(401),
            count(429),
            count(503),
            answers.iter().filter(|a| a.is_none()).count()
        );
        if let Some(exit) = server.0.try_wait().unwrap() {
            panic!("the server died in the flood ({exit}; capped at {} MiB): {tally}", address_space_cap_mib());
        }
        let peak = memory(pid, "VmHWM:");
        let address_space = memory(pid, "VmPeak:");
        tokio::time::sleep(SETTLE).await;
        let settled = memory(pid, "VmRSS:");
        let after = login(addr, honest_from, HONEST, HONEST_PASSWORD).await;
        eprintln!(
            "login flood of {FLOOD}: RSS before {} MiB, peak {} MiB, settled {} MiB, address space peak {} MiB; {tally}",
            baseline / MIB,
            peak / MIB,
            settled / MIB,
            address_space / MIB,
        );
        for answer in &answers {
            match answer {
                Some((401, _)) => {}
                Some((429 | 503, retry_after)) => assert!(retry_after, "a refusal says when to retry"),
                other => panic!("a flood login got {other:?}; expected 401, or 429/503 with Retry-After"),
            }
        }
        assert_eq!(after.map(|a| a.0), Some(200), "the honest user still logs in after the flood");
        assert!(
            peak <= baseline + PEAK_GROWTH,
            "resident memory peaked at {} MiB, {} MiB above the {} MiB before the flood",
            peak / MIB,
            (peak - baseline) / MIB,
            baseline / MIB
        );
        assert!(
            settled <= baseline + SETTLED_GROWTH,
            "resident memory settled at {} MiB after the flood, {} MiB before",
            settled / MIB,
            baseline / MIB
        );
    });
}
