//! What a new password must be: long enough (the main rule), not only whitespace, not the
//! username, and not one of the passwords that attackers try first.

/// Fewest characters (Unicode scalar values) of a password a person chooses.
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;
/// Most bytes of a password: argon2 hashes any length, but nobody types more than this.
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password was refused, in words for the person who chose it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WeakPassword {
    #[error("password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} characters")]
    Length,
    #[error("password must not be only spaces")]
    Whitespace,
    #[error("password must not be the username")]
    Username,
    #[error("password is one of the most common passwords; choose another")]
    Common,
}

/// Checks a password someone chose for the account `username`. Generated passwords need no
/// check.
pub(crate) fn check_password(username: &str, password: &str) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(WeakPassword::Length);
    }
    if password.chars().all(char::is_whitespace) {
        return Err(WeakPassword::Whitespace);
    }
    let folded = password.trim().to_lowercase();
    if folded == username.to_lowercase() {
        return Err(WeakPassword::Username);
    }
    if COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

/// Passwords of 12 or more characters that are among the most frequent in published password
/// breach corpora (shorter ones are refused by length already), lower case. Keyboard walks,
/// repeated runs, `password` and `welcome` with digits, and this server's own name.
pub(crate) const COMMON_PASSWORDS: &[&str] = &[
    "000000000000",
    "111111111111",
    "123123123123",
    "123456123456",
    "123456654321",
    "123456789012",
    "1234567890123",
    "12345678901234",
    "1234567890qwerty",
    "1234567891011",
    "123456789123",
    "123456789abc",
    "123456789qwe",
    "1234qwerasdf",
    "1234qwerasdfzxcv",
    "123qweasdzxc",
    "147258369147",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u8i",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "1qazxsw23edc",
    "987654321000",
    "a1b2c3d4e5f6",
    "aaaaaaaaaaaa",
    "abc123456789",
    "abc123abc123",
    "abcd1234abcd",
    "abcdefghijkl",
    "abcdefghijklmnop",
    "admin1234567",
    "adminadmin123",
    "administrator",
    "administrator1",
    "annoqa123456",
    "annoqaannoqa",
    "annoqapassword",
    "asdfasdfasdf",
    "asdfghjkl123",
    "baseball1234",
    "changeme1234",
    "changeme123456",
    "computer1234",
    "defaultpassword",
    "dragon123456",
    "football1234",
    "hellohello123",
    "helloworld123",
    "iloveyou1234",
    "iloveyou123456",
    "iloveyouiloveyou",
    "internet1234",
    "jennifer1234",
    "letmein12345",
    "letmeinletmein",
    "master123456",
    "michael12345",
    "monkey123456",
    "mypassword123",
    "mysecretpassword",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
    "password!234",
    "password123!",
    "password1234",
    "password1234!",
    "password12345",
    "password123456",
    "password@123",
    "passwordpassword",
    "pokemon12345",
    "princess1234",
    "qazwsxedc123",
    "qazwsxedcrfv",
    "qwe123qwe123",
    "qweasdzxc123",
    "qwerty123456",
    "qwerty123456789",
    "qwerty1234567890",
    "qwertyqwerty",
    "qwertyuiop123",
    "qwertyuiop1234",
    "qwertyuiopasdfghjkl",
    "qwertyuiopasdfghjklzxcvbnm",
    "rootpassword",
    "secretpassword",
    "starwars1234",
    "sunshine1234",
    "superman1234",
    "thisismypassword",
    "trustno1trustno1",
    "welcome12345",
    "welcome123456",
    "welcomewelcome",
    "whatever1234",
    "zaq12wsxcde3",
    "zaq1zaq1zaq1",
    "zxcvbnm123456",
    "zxcvbnmasdfghjkl",
];
