//! Running commands and timing steps.
//!
//! Every command is echoed (`$ cargo fmt --all -- --check`) before it runs and inherits the
//! terminal, so its output and colours reach the user unchanged. A failing command becomes an
//! error that names the command and its exit status.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A command to run: a program, its arguments, a working directory and extra environment.
pub(crate) struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    dir: Option<OsString>,
    envs: Vec<(OsString, OsString)>,
    stdin: Option<OsString>,
}

impl Cmd {
    pub(crate) fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { program: program.as_ref().to_owned(), args: Vec::new(), dir: None, envs: Vec::new(), stdin: None }
    }

    /// `cargo`, the same one that runs xtask.
    pub(crate) fn cargo() -> Cmd {
        Cmd::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I>(mut self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub(crate) fn dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.dir = Some(dir.as_ref().as_os_str().to_owned());
        self
    }

    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.envs.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Feeds the file to the command's standard input (`run` only).
    pub(crate) fn stdin_file(mut self, path: impl AsRef<Path>) -> Cmd {
        self.stdin = Some(path.as_ref().as_os_str().to_owned());
        self
    }

    pub(crate) fn to_command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs the command with the terminal attached and fails unless it exits successfully.
    pub(crate) fn run(&self) -> Result<()> {
        println!("$ {self}");
        let mut command = self.to_command();
        if let Some(path) = &self.stdin {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {} for `{self}`", Path::new(path).display()))?;
            command.stdin(file);
        }
        let status = command.status().with_context(|| format!("could not start `{self}`"))?;
        if !status.success() {
            bail!("command `{self}` failed ({status})");
        }
        Ok(())
    }

    /// Runs the command quietly and returns its standard output, or `None` if the program is
    /// missing or fails. This is how tools are probed (`trunk --version`).
    pub(crate) fn probe(&self) -> Option<String> {
        let output = self.to_command().stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8(output.stdout).ok()
    }

    /// Runs the command quietly and returns its standard output as bytes, failing with the
    /// command's name if it cannot run or exits unsuccessfully.
    pub(crate) fn read_bytes(&self) -> Result<Vec<u8>> {
        let output = self
            .to_command()
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("could not start `{self}`"))?;
        if !output.status.success() {
            bail!("command `{self}` failed ({})", output.status);
        }
        Ok(output.stdout)
    }
}

impl fmt::Display for Cmd {
    /// Shows the command as a user would type it: extra environment first, then the program
    /// and its arguments. `PATH` is left out because it is long and the same for every step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.dir {
            write!(f, "(cd {} && ", Path::new(dir).display())?;
        }
        for (key, value) in &self.envs {
            if key != "PATH" {
                write!(f, "{}={} ", key.to_string_lossy(), value.to_string_lossy())?;
            }
        }
        write!(f, "{}", display_program(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", arg.to_string_lossy())?;
        }
        if let Some(stdin) = &self.stdin {
            write!(f, " < {}", Path::new(stdin).display())?;
        }
        if self.dir.is_some() {
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// `/root/.rustup/toolchains/…/bin/cargo` is shown as `cargo`.
fn display_program(program: &OsStr) -> String {
    let path = Path::new(program);
    match path.file_name() {
        Some(name) if name == "cargo" => "cargo".to_owned(),
        _ => program.to_string_lossy().into_owned(),
    }
}

/// Runs one named step: prints `==> name` when it starts and its outcome with the elapsed
/// time when it ends. A failure is returned with the step's name attached.
pub(crate) fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    timed(name, f).0.with_context(|| format!("step `{name}` failed"))
}

/// Like [`step`], and also returns the elapsed time.
pub(crate) fn timed<T>(name: &str, f: impl FnOnce() -> Result<T>) -> (Result<T>, Duration) {
    println!("==> {name}");
    let start = Instant::now();
    let result = f();
    let elapsed = start.elapsed();
    match &result {
        Ok(_) => println!("<== {name}: ok in {}", format_duration(elapsed)),
        Err(_) => println!("<== {name}: FAILED after {}", format_duration(elapsed)),
    }
    (result, elapsed)
}

/// `0.4s`, `12.3s`, `2m 05s`, `1h 02m`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, secs % 3600 / 60)
    }
}

/// `812 B`, `14.2 KiB`, `1.31 MiB`.
pub(crate) fn format_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.2} MiB", b / (KIB * KIB))
    }
}
