//! Unit tests of the pure helpers: JSON shape limits, gold mixing, media paths and sniffing,
//! CSV cells, the login limiter, passwords, the error taxonomy's checks.

use annoqa_api::AssignmentPolicy;

use crate::auth::{PasswordCost, Passwords};
use crate::import::contained_path;
use crate::json::{check_shape, MAX_ARRAY_LEN, MAX_DEPTH};
use crate::routes::io::csv_cell;
use crate::routes::media::sniff;
use crate::store::gold_preference;
use crate::taxonomy::{check_anchor, check_region_errors, check_taxonomy, default_taxonomy};

#[test]
fn json_shape_limits_count_nesting_and_array_length_outside_strings() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(check_shape(nested(MAX_DEPTH).as_bytes()).is_ok());
    assert!(check_shape(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err().contains("nested deeper"));
    // Brackets inside strings (escaped quotes too) are text, not structure.
    let in_string = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
    assert!(check_shape(in_string.as_bytes()).is_ok());
    let array = |n: usize| format!("[{}]", vec!["1"; n].join(","));
    assert!(check_shape(array(MAX_ARRAY_LEN).as_bytes()).is_ok());
    assert!(check_shape(array(MAX_ARRAY_LEN + 1).as_bytes()).unwrap_err().contains("longer than"));
    // Object members are not array elements.
    let members: Vec<String> = (0..MAX_ARRAY_LEN + 1).map(|i| format!("\"k{i}\":1")).collect();
    assert!(check_shape(format!("{{{}}}", members.join(",")).as_bytes()).is_ok());
}

#[test]
fn gold_mixing_is_onboarding_then_one_in_each_run_at_a_place_the_jitter_picks() {
    let policy = |onboarding, rate| AssignmentPolicy {
        overlap: 1,
        lease_ms: 1,
        gold_onboarding: onboarding,
        gold_rate: rate,
        ..AssignmentPolicy::default()
    };
    let pattern = |p: &AssignmentPolicy, n: i64, jitter: &dyn Fn(i64) -> u64| -> String {
        (0..n)
            .map(|seq| match gold_preference(p, seq, jitter) {
                None => '.',
                Some(true) => 'G',
                Some(false) => 'p',
            })
            .collect()
    };
    let first = |_run: i64| 0;
    let second = |_run: i64| 1;
    assert_eq!(pattern(&policy(0, 0.0), 4, &first), "....", "no mixing: project order");
    assert_eq!(pattern(&policy(3, 0.0), 6, &first), "GGGppp");
    assert_eq!(pattern(&policy(0, 0.5), 6, &first), "GpGpGp");
    assert_eq!(pattern(&policy(0, 0.5), 6, &second), "pGpGpG");
    assert_eq!(pattern(&policy(1, 0.1), 22, &first), "GGpppppppppGpppppppppG");
    assert_eq!(pattern(&policy(0, 0.25), 12, &|run| [3, 0, 2][run as usize % 3]), "pppGGpppppGp");
    assert_eq!(pattern(&policy(0, 1.0), 3, &second), "GGG");
    assert_eq!(pattern(&policy(0, f64::NAN), 2, &first), "..", "NaN mixes nothing");
    // Whatever the jitter, each run of items holds exactly one gold: the rate holds over any
    // stretch of work, for rates whose runs differ in length too.
    for rate in [0.3, 0.25, 0.1, 1.0 / 3.0, 0.07, 0.999] {
        let scrambled = |run: i64| (run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        let kinds = pattern(&policy(0, rate), 1000, &scrambled);
        let gold = kinds.matches('G').count() as f64;
        assert!((gold - 1000.0 * rate).abs() <= 1.0, "{rate}: {gold} gold in 1000");
        let mut since_last = 0;
        for (n, kind) in kinds.chars().enumerate() {
            since_last += 1;
            if kind == 'G' {
                // Two golds are at most two runs apart.
                assert!(since_last as f64 <= 2.0 / rate + 1.0, "{rate}: gold at {n} after {since_last}");
                since_last = 0;
            }
        }
    }
}

#[test]
fn media_paths_stay_inside_the_root() {
    let root = std::path::Path::new("/srv/media/p");
    assert_eq!(contained_path(root, "img/cat.png"), Some(root.join("img/cat.png")));
    for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a\\..\\b", "C:x", "a\0b", "a/"] {
        assert_eq!(contained_path(root, bad), None, "{bad:?}");
    }
}

#[test]
fn uploads_are_typed_by_their_first_bytes() {
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(("image/png", "png")));
    assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some(("image/jpeg", "jpg")));
    assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(("audio/wav", "wav")));
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(("image/webp", "webp")));
    assert_eq!(sniff(b"\0\0\0\x18ftypmp42"), Some(("video/mp4", "mp4")));
    assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
    assert_eq!(sniff(b"<!doctype html>"), None);
    assert_eq!(sniff(b""), None);
}

#[test]
fn csv_cells_are_quoted_and_formulas_defused() {
    assert_eq!(csv_cell("plain"), "plain");
    assert_eq!(csv_cell("a,b"), "\"a,b\"");
    assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_cell("=1+1"), "'=1+1");
    assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_cell("-5"), "-5", "negative numbers stay numbers");
    assert_eq!(csv_cell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
    // Spreadsheets skip leading whitespace and read full-width signs as formulas too.
    assert_eq!(csv_cell("  =1+1"), "'  =1+1");
    assert_eq!(csv_cell("\t=1+1"), "'\t=1+1");
    assert_eq!(csv_cell("\r\n@SUM(A1)"), "\"'\r\n@SUM(A1)\"");
    assert_eq!(csv_cell("\n-cmd"), "\"'\n-cmd\"");
    assert_eq!(csv_cell("\u{3000}+cmd"), "'\u{3000}+cmd");
    assert_eq!(csv_cell("＝1+1"), "'＝1+1");
    assert_eq!(csv_cell("＋cmd"), "'＋cmd");
    assert_eq!(csv_cell("－1"), "'－1");
    assert_eq!(csv_cell("＠A1"), "'＠A1");
    assert_eq!(csv_cell("\tplain"), "'\tplain", "a leading tab is guarded whatever follows");
    assert_eq!(csv_cell(" plain"), " plain");
}

#[test]
fn passwords_verify_and_unknown_users_never_do() {
    let passwords = Passwords::new(PasswordCost { memory_kib: 64, passes: 1 }).unwrap();
    let hash = passwords.hash("hunter2 hunter2").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    assert!(passwords.verify(Some(&hash), "hunter2 hunter2"));
    assert!(!passwords.verify(Some(&hash), "hunter3 hunter3"));
    assert!(!passwords.verify(None, "anything"));
    assert!(!passwords.verify(Some("not a phc string"), "x"));
    assert_ne!(passwords.hash("same").unwrap(), passwords.hash("same").unwrap(), "salted");
}

#[test]
fn pooled_hashes_are_the_argon2_crates_own_both_ways() {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    let cost = PasswordCost { memory_kib: 256, passes: 2 };
    let passwords = Passwords::new(cost).unwrap();
    let params = argon2::Params::new(cost.memory_kib, cost.passes, 1, None).unwrap();
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    // Made here in reused memory, checked by the crate.
    let ours = passwords.hash("a pooled passphrase").unwrap();
    assert!(argon2.verify_password(b"a pooled passphrase", &PasswordHash::new(&ours).unwrap()).is_ok());
    // Made by the crate as stored before the pool (and at another cost), checked here.
    let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
    let stored = argon2.hash_password(b"an older passphrase", &salt).unwrap().to_string();
    assert!(passwords.verify(Some(&stored), "an older passphrase"));
    assert!(!passwords.verify(Some(&stored), "an older passphrasf"));
    let cheaper_pool = Passwords::new(PasswordCost { memory_kib: 128, passes: 1 }).unwrap();
    assert!(cheaper_pool.verify(Some(&ours), "a pooled passphrase"), "a hash of a higher cost than the pool's");
    // A handful of hashes, one after the other, made one buffer.
    assert_eq!(passwords.buffers_made(), 1);
    assert_eq!(passwords.verifications(), 2);
}

#[test]
fn the_common_password_list_is_sorted_lower_case_and_long_enough_to_matter() {
    use crate::password_policy::{check_password, WeakPassword, COMMON_PASSWORDS, MIN_PASSWORD_CHARS};
    assert!(COMMON_PASSWORDS.len() >= 100);
    assert!(COMMON_PASSWORDS.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    for common in COMMON_PASSWORDS {
        assert_eq!(*common, common.to_lowercase());
        assert!(common.chars().count() >= MIN_PASSWORD_CHARS, "{common} is refused by length already");
        assert_eq!(check_password("someone", common), Err(WeakPassword::Common));
    }
    assert_eq!(check_password("someone", " PassWord1234 "), Err(WeakPassword::Common));
    let em_spaces = "\u{2003}".repeat(12);
    assert_eq!(check_password("someone", &em_spaces), Err(WeakPassword::Whitespace));
    assert_eq!(check_password("Someone.Else", "someone.else"), Err(WeakPassword::Username));
    assert_eq!(check_password("someone", "twelve chars"), Ok(()));
    assert_eq!(check_password("someone", "eleven char"), Err(WeakPassword::Length));
    assert_eq!(check_password("someone", &"x".repeat(1025)), Err(WeakPassword::Length));
}

#[test]
fn login_limits_count_ipv6_clients_by_their_64_and_round_waits_up() {
    use crate::auth::{client_key, RetryAfter};
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert_eq!(client_key(ip("192.0.2.7")), "192.0.2.7");
    assert_eq!(client_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
    assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
    assert_eq!(client_key(ip("2001:db8:1:2:ffff::9")), client_key(ip("2001:db8:1:2::1")));
    assert_ne!(client_key(ip("2001:db8:1:3::1")), client_key(ip("2001:db8:1:2::1")));
    assert_eq!(RetryAfter(1).seconds(), 1);
    assert_eq!(RetryAfter(59_001).seconds(), 60);
    assert_eq!(RetryAfter(60_000).seconds(), 60);
}

#[test]
fn byte_ranges_are_read_as_rfc_9110_states() {
    use crate::routes::ranges::{parse_range, Range};
    let cases = [
        ("bytes=0-0", 10, Range::Bytes(0, 0)),
        ("bytes=2-5", 10, Range::Bytes(2, 5)),
        ("bytes=2-", 10, Range::Bytes(2, 9)),
        ("bytes=5-100", 10, Range::Bytes(5, 9)),
        ("bytes=-3", 10, Range::Bytes(7, 9)),
        ("bytes=-30", 10, Range::Bytes(0, 9)),
        ("bytes=10-", 10, Range::PastEnd),
        ("bytes=-0", 10, Range::PastEnd),
        ("bytes=0-", 0, Range::PastEnd),
        ("bytes=18446744073709551615-", u64::MAX, Range::PastEnd),
        ("bytes=5-2", 10, Range::Unreadable),
        ("bytes=0-1,3-4", 10, Range::Unreadable),
        ("bytes=+1-2", 10, Range::Unreadable),
        ("bytes=1-2x", 10, Range::Unreadable),
        ("lines=1-2", 10, Range::Unreadable),
    ];
    for (header, length, want) in cases {
        assert_eq!(parse_range(header, length), want, "{header} of {length}");
    }
}

fn code(code: &str, guideline: Option<&str>) -> annoqa_api::ErrorCode {
    annoqa_api::ErrorCode {
        code: code.into(),
        title: code.to_uppercase(),
        description: String::new(),
        guideline: guideline.map(String::from),
    }
}

#[test]
fn the_default_taxonomy_has_the_eight_kinds_of_error_and_passes_its_own_check() {
    let defaults = default_taxonomy();
    let codes: Vec<&str> = defaults.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "missing_region",
            "extra_region",
            "wrong_label",
            "loose_or_tight_geometry",
            "wrong_attribute",
            "boundary_or_timing_off",
            "track_drift_or_id_switch",
            "guideline_specific"
        ]
    );
    assert_eq!(check_taxonomy(&defaults, &Default::default()), Ok(()));
}

#[test]
fn a_taxonomy_needs_a_code_unique_snake_case_codes_titles_and_known_sections() {
    let anchors: std::collections::HashSet<String> = ["person".to_string()].into();
    let check = |codes: &[annoqa_api::ErrorCode]| check_taxonomy(codes, &anchors);
    assert!(check(&[]).unwrap_err().contains("at least one"));
    for bad in ["", "Wrong", "a-b", "_a", "a_", "a__b", "9a", "a b", &"a".repeat(65)] {
        assert!(check(&[code(bad, None)]).unwrap_err().contains("snake_case"), "`{bad}` passed");
    }
    for good in ["a", "a1", "wrong_label_2", &"a".repeat(64)] {
        assert_eq!(check(&[code(good, None)]), Ok(()), "`{good}`");
    }
    assert!(check(&[code("a", None), code("a", None)]).unwrap_err().contains("error code 2: code `a` appears twice"));
    let mut untitled = code("a", None);
    untitled.title = " ".into();
    assert!(check(&[untitled]).unwrap_err().contains("title"));
    assert_eq!(check(&[code("a", Some("person"))]), Ok(()));
    assert!(check(&[code("a", Some("place"))]).unwrap_err().contains("`place` does not exist"));
}

#[test]
fn region_errors_need_known_codes_and_regions_once_each() {
    let error = |region: Option<&str>, code: &str| annoqa_api::RegionError {
        region: region.map(String::from),
        code: code.into(),
        comment: None,
    };
    let known = ["wrong_label", "missing_region"].into();
    let regions = ["r1", "r2"].into();
    let check = |errors: &[annoqa_api::RegionError]| check_region_errors(errors, &known, &regions);
    let fine = [error(Some("r1"), "wrong_label"), error(Some("r1"), "missing_region"), error(None, "wrong_label")];
    assert_eq!(check(&fine), Ok(()));
    assert!(check(&[error(Some("r1"), "nope")]).unwrap_err().contains("`nope` is not in"));
    assert!(check(&[error(Some("r3"), "wrong_label")]).unwrap_err().contains("no region `r3`"));
    assert!(check(&[error(None, "wrong_label"), error(None, "wrong_label")]).unwrap_err().contains("twice"));
    let mut long = error(None, "wrong_label");
    long.comment = Some("x".repeat(5001));
    assert!(check(&[long]).unwrap_err().contains("comment"));
    let many = vec![error(None, "wrong_label"); 1001];
    assert!(check(&many).unwrap_err().contains("at most 1000"));
}

#[test]
fn a_note_anchors_to_a_known_region_or_a_range_its_media_has() {
    use annoqa_api::FeedbackAnchor;
    use annoqa_core::MediaKind;

    let regions = ["r1"].into();
    let region = |id: &str| FeedbackAnchor::Region { region: id.into() };
    let time = |start_s, end_s| FeedbackAnchor::Time { start_s, end_s };
    let frames = |first, last| FeedbackAnchor::Frames { first, last };
    let allowed = |anchor: &FeedbackAnchor, media| check_anchor(anchor, media, &regions).is_ok();
    assert!(allowed(&region("r1"), MediaKind::Text));
    assert!(!allowed(&region("r2"), MediaKind::Image));
    for media in [MediaKind::Audio, MediaKind::Video] {
        assert!(allowed(&time(0.0, 0.0), media) && allowed(&time(1.5, 3.0), media));
        assert!(!allowed(&time(3.0, 1.5), media) && !allowed(&time(-1.0, 1.0), media));
        assert!(!allowed(&time(0.0, f64::INFINITY), media) && !allowed(&time(f64::NAN, 1.0), media));
    }
    assert!(!allowed(&time(0.0, 1.0), MediaKind::Text) && !allowed(&time(0.0, 1.0), MediaKind::Image));
    assert!(allowed(&frames(3, 3), MediaKind::Video) && !allowed(&frames(4, 3), MediaKind::Video));
    assert!(!allowed(&frames(0, 1), MediaKind::Audio) && !allowed(&frames(0, 1), MediaKind::Image));
}
