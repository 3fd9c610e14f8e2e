//! `annoqa user …` on a temporary SQLite file: the password policy, password changes, and API
//! tokens made, listed and revoked from the command line.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `annoqa user ARGS --database FILE` with `stdin` on standard input.
fn user(database: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_annoqa"))
        .arg("user")
        .args(args)
        .arg("--database")
        .arg(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the annoqa binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[track_caller]
fn succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The stderr of a command that refused its input (exit 2).
#[track_caller]
fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn add(database: &Path, name: &str, password: &str) -> Output {
    user(database, &["add", name, "--role", "annotator", "--password-stdin"], &format!("{password}\n"))
}

/// The token ids `--list` shows.
fn listed_ids(database: &Path, name: &str) -> Vec<String> {
    let list = succeeds(&user(database, &["token", name, "--list"], ""));
    list.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(String::from)).collect()
}

#[test]
fn user_add_and_user_password_refuse_weak_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    for (password, words) in [
        ("              ", "only spaces"),
        ("Password1234", "most common"),
        ("qwerty123456", "most common"),
        ("short", "12 to 1024"),
    ] {
        let error = refused(&add(&database, "ana", password));
        assert!(error.contains(words), "{password:?}: {error}");
    }
    let error = refused(&user(&database, &["token", "ana"], ""));
    assert!(error.contains("no user `ana`"), "a refused user is not stored: {error}");

    succeeds(&add(&database, "ana", "a long and unusual passphrase"));
    let error = refused(&user(&database, &["password", "ana", "--password-stdin"], "iloveyou1234\n"));
    assert!(error.contains("most common"), "{error}");
    let output = succeeds(&user(&database, &["password", "ana", "--password-stdin"], "another unusual passphrase\n"));
    assert!(!output.contains("another unusual passphrase"), "the given password is never echoed: {output}");
    let generated = succeeds(&user(&database, &["password", "ana"], ""));
    assert!(generated.contains("password (shown once): "), "{generated}");
}

#[test]
fn api_tokens_are_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    succeeds(&add(&database, "ana", "a long and unusual passphrase"));
    let tokens: Vec<String> = (0..3)
        .map(|_| {
            let output = user(&database, &["token", "ana", "--days", "7"], "");
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(stderr.contains("valid for 7 days"), "{stderr}");
            succeeds(&output).trim().to_string()
        })
        .collect();
    assert!(tokens.iter().all(|t| t.len() == 43), "stdout is the token alone: {tokens:?}");

    let list = succeeds(&user(&database, &["token", "ana", "--list"], ""));
    for token in &tokens {
        assert!(!list.contains(token.as_str()), "a list never shows the secret: {list}");
    }
    assert!(list.contains("never"), "no token was used yet: {list}");
    let ids = listed_ids(&database, "ana");
    assert_eq!(ids.len(), 3, "{list}");

    let output = succeeds(&user(&database, &["token", "ana", "--revoke", &ids[0]], ""));
    assert!(output.contains(&format!("revoked API token {}", ids[0])), "{output}");
    assert_eq!(listed_ids(&database, "ana"), ids[1..]);
    let error = refused(&user(&database, &["token", "ana", "--revoke", &ids[0]], ""));
    assert!(error.contains("has no API token"), "{error}");
    let error = refused(&user(&database, &["token", "ana", "--revoke"], ""));
    assert!(error.contains("--all"), "{error}");

    let output = succeeds(&user(&database, &["token", "ana", "--revoke", "--all"], ""));
    assert!(output.contains("revoked 2 API token(s)"), "{output}");
    assert!(listed_ids(&database, "ana").is_empty());
}
