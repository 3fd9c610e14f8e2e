//! The statistics contract (issue 4): `agreement`, `aggregate` and `sample-plan` run on fixture
//! CSVs, compared with inline expectations (`UPDATE_EXPECT=1` refreshes them). The fixtures are
//! published worked examples, so the numbers double as a check that the CLI wires the right
//! statistics: Krippendorff (2011), Fleiss (1971), Gwet's `cont3x3abstractors` and Dawid & Skene
//! (1979).

use std::path::PathBuf;
use std::process::Command;

use expect_test::{expect, Expect};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).display().to_string()
}

/// Runs `annoqa` with `args` (`{name}` stands for a fixture path) and checks its stdout, or
/// `error: …` from stderr when it fails, with the fixture directory shown as `fixtures/`.
fn check(args: &[&str], expect: Expect) {
    let dir = fixture("");
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
            Some(name) => fixture(name),
            None => a.to_string(),
        })
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa")).args(&args).output().expect("the annoqa binary runs");
    let text = if output.status.success() {
        String::from_utf8(output.stdout).unwrap()
    } else {
        assert!(
            output.stdout.is_empty(),
            "a failing command printed to stdout: {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
        format!("exit {}\n{}", output.status.code().unwrap_or(-1), String::from_utf8(output.stderr).unwrap())
    };
    expect.assert_eq(&text.replace(&dir, "fixtures/"));
}

/// The `value` field of `--json` output.
fn json_value(args: &[&str]) -> f64 {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.strip_prefix('{').and_then(|a| a.strip_suffix('}')).map_or(a.to_string(), fixture))
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa")).args(&args).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["value"].as_f64().unwrap()
}

#[test]
fn krippendorff_2011_at_every_level() {
    // Krippendorff (2011): nominal .743, ordinal .815, interval .849, ratio .797. The fixture
    // mixes absent rows and empty labels for the missing values, and has an extra column.
    for (level, published) in [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)] {
        let value = json_value(&["agreement", "{krippendorff_2011.csv}", "--metric", "krippendorff", "--level", level]);
        assert!((value - published).abs() < 0.0005, "{level}: {value} vs {published}");
    }
    check(
        &[
            "agreement",
            "{krippendorff_2011.csv}",
            "--metric",
            "krippendorff",
            "--level",
            "interval",
            "--bootstrap",
            "500",
            "--seed",
            "7",
        ],
        expect![[r#"
            metric      krippendorff
            level       interval
            value       0.8491
            interval    0.7024 – 0.9557 (95% bootstrap, 500 resamples, seed 7)
            items       12
            annotators  4
            labels      5
        "#]],
    );
}

#[test]
fn json_has_the_contract_fields() {
    check(
        &["agreement", "{krippendorff_2011.csv}", "--metric", "gwet", "--json"],
        expect![[r#"
            {"annotators":4,"chance":0.19032118055555555,"items":12,"labels":["1","2","3","4","5"],"metric":"gwet","observed":0.8181818181818182,"value":0.775444068126995}
        "#]],
    );
}

#[test]
fn fleiss_1971_with_per_label_kappa() {
    // Fleiss (1971): κ = .430; per diagnosis .245, .245, .520, .471, .566 (crowd-kit's
    // task/worker/label header).
    check(
        &["agreement", "{fleiss_1971.csv}", "--metric", "fleiss", "--per-label"],
        expect![[r#"
            metric      fleiss
            value       0.4302
            items       30
            annotators  6
            labels      5

            label,value
            neurosis,0.4711
            personality disorder,0.2448
            other,0.5661
            schizophrenia,0.5200
            depression,0.2448
        "#]],
    );
}

#[test]
fn two_coder_metrics_on_gwets_abstractors() {
    // irrCAC 1.0 README, cont3x3abstractors: Cohen 0.7964094, Scott 0.7962397, AC1 0.8493305,
    // BP 0.835, percent 0.89, α 0.7972585. The fixture uses CRLF line ends.
    for (metric, published) in [
        ("cohen", 0.7964094),
        ("scott", 0.7962397),
        ("gwet", 0.8493305),
        ("bp", 0.835),
        ("percent", 0.89),
        ("krippendorff", 0.7972585),
    ] {
        let value = json_value(&["agreement", "{abstractors.csv}", "--metric", metric]);
        assert!((value - published).abs() < 5e-8, "{metric}: {value} vs {published}");
    }
}

#[test]
fn cohen_with_more_than_two_annotators_reports_every_pair() {
    check(
        &["agreement", "{krippendorff_2011.csv}", "--metric", "cohen"],
        expect![[r#"
            metric      cohen
            value       0.7002 (mean of pairs)
            items       12
            annotators  4
            labels      5

            annotator_a,annotator_b,value,items
            A,B,0.8448,9
            A,D,0.8500,9
            A,C,0.4783,8
            B,D,0.8701,10
            B,C,0.5424,9
            D,C,0.6154,10
        "#]],
    );
    check(
        &["agreement", "{krippendorff_2011.csv}", "--metric", "cohen", "--weights", "quadratic", "--json"],
        expect![[r#"
            {"aggregate":"mean of pairs","annotators":4,"items":12,"labels":["1","2","3","4","5"],"metric":"cohen","pairs":[{"a":"A","b":"B","items":9,"value":0.9395973154362399},{"a":"A","b":"D","items":9,"value":0.5524861878453039},{"a":"A","b":"C","items":8,"value":0.5384615384615384},{"a":"B","b":"D","items":10,"value":0.870967741935483},{"a":"B","b":"C","items":9,"value":0.8571428571428563},{"a":"D","b":"C","items":10,"value":0.8920863309352512}],"value":0.7751236619594456,"weights":"quadratic"}
        "#]],
    );
}

#[test]
fn dawid_skene_1979_classes() {
    // Dawid & Skene (1979), Table 4: patient 7 is class 1 with probability .98, patient 35
    // class 2 with .95, patient 38 class 3 with .98; every other probability rounds to 1.00 at
    // the paper's two decimals (the stop follows crowd-kit's 1e-5 rule).
    check(
        &["aggregate", "{dawid_skene_1979.csv}", "--method", "ds"],
        expect![[r#"
            item,label,confidence
            1,1,1.0000
            2,4,1.0000
            3,2,0.9999
            4,2,1.0000
            5,2,1.0000
            6,2,1.0000
            7,1,0.9811
            8,3,1.0000
            9,2,1.0000
            10,2,1.0000
            11,4,1.0000
            12,3,0.9986
            13,1,1.0000
            14,2,1.0000
            15,1,1.0000
            16,1,1.0000
            17,1,1.0000
            18,1,1.0000
            19,2,1.0000
            20,2,1.0000
            21,2,1.0000
            22,2,1.0000
            23,2,1.0000
            24,2,1.0000
            25,1,1.0000
            26,1,1.0000
            27,2,1.0000
            28,1,1.0000
            29,1,1.0000
            30,1,0.9991
            31,1,1.0000
            32,3,1.0000
            33,1,1.0000
            34,2,1.0000
            35,2,0.9483
            36,4,1.0000
            37,2,1.0000
            38,3,0.9787
            39,3,1.0000
            40,1,1.0000
            41,1,1.0000
            42,1,0.9998
            43,2,1.0000
            44,1,1.0000
            45,2,1.0000
        "#]],
    );
}

#[test]
fn gold_fixes_known_answers() {
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa"))
        .args([
            "aggregate",
            &fixture("dawid_skene_1979.csv"),
            "--method",
            "ds",
            "--gold",
            &fixture("dawid_skene_gold.csv"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().any(|l| l == "35,3,1.0000"), "{text}");
}

#[test]
fn majority_vote_and_one_coin() {
    check(
        &["aggregate", "{dawid_skene_1979.csv}", "--method", "mv", "--ties", "none"],
        expect![[r#"
            item,label,confidence
            1,1,1.0000
            2,3,0.7143
            3,2,0.5714
            4,2,0.5714
            5,2,0.8571
            6,2,0.7143
            7,1,0.5714
            8,3,0.8571
            9,2,0.8571
            10,2,0.7143
            11,4,1.0000
            12,,
            13,1,1.0000
            14,2,0.7143
            15,1,0.8571
            16,1,0.8571
            17,1,1.0000
            18,1,1.0000
            19,2,0.8571
            20,2,0.7143
            21,2,1.0000
            22,2,0.8571
            23,2,0.8571
            24,2,0.8571
            25,1,1.0000
            26,1,1.0000
            27,2,0.8571
            28,1,1.0000
            29,1,1.0000
            30,1,0.7143
            31,1,1.0000
            32,3,0.8571
            33,1,1.0000
            34,2,1.0000
            35,2,0.7143
            36,3,0.5714
            37,2,0.7143
            38,3,0.5714
            39,3,0.7143
            40,1,1.0000
            41,1,1.0000
            42,1,0.7143
            43,2,0.8571
            44,1,0.8571
            45,2,1.0000
        "#]],
    );
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa"))
        .args(["aggregate", &fixture("dawid_skene_1979.csv"), "--method", "one-coin-ds", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["method"], "one-coin-ds");
    assert_eq!(report["results"].as_array().unwrap().len(), 45);
    assert_eq!(report["converged"], true);
}

#[test]
fn sample_plans() {
    check(
        &["sample-plan", "--lot", "1000", "--aql", "1.0"],
        expect![[r#"
            code letter  J
            n            80
            Ac           2
            Re           3
        "#]],
    );
    check(
        &["sample-plan", "--lot", "1000", "--aql", "0.25", "--level", "II", "--inspection", "normal"],
        expect![[r#"
            code letter  J
            plan letter  H (following the table's arrow)
            n            50
            Ac           0
            Re           1
        "#]],
    );
    check(
        &["sample-plan", "--lot", "50", "--aql", "2.5", "--level", "S-3", "--json"],
        expect![[r#"
            {"ac":0,"aql":2.5,"code_letter":"B","inspect_all":false,"inspection":"normal","level":"S-3","lot":50,"n":5,"plan_letter":"C","re":1,"standard":"z1.4"}
        "#]],
    );
}

#[test]
fn tightened_and_reduced_plans() {
    // ISO 2859-1 Table 2-B: lot 1000 at level II is J (n = 80); AQL 2.5 tightened is 3/4.
    check(
        &["sample-plan", "--lot", "1000", "--aql", "2.5", "--inspection", "tightened"],
        expect![[r#"
            code letter  J
            n            80
            Ac           3
            Re           4
        "#]],
    );
    // Table 2-B's two-cell arrow at J, AQL 0.65: down to K's 1/2, with K's n = 125.
    check(
        &["sample-plan", "--lot", "1000", "--aql", "0.65", "--inspection", "tightened", "--json"],
        expect![[r#"
            {"ac":1,"aql":0.65,"code_letter":"J","inspect_all":false,"inspection":"tightened","level":"II","lot":1000,"n":125,"plan_letter":"K","re":2,"standard":"z1.4"}
        "#]],
    );
    // ANSI/ASQ Z1.4-2008 Table II-C: J reduced samples 32; AQL 2.5 is Ac 2, Re 5.
    check(
        &["sample-plan", "--lot", "1000", "--aql", "2.5", "--inspection", "reduced"],
        expect![[r#"
            code letter  J
            n            32
            Ac           2
            Re           5
            note         3–4 nonconforming: accept the lot, then return to normal inspection
            standard     ANSI/ASQ Z1.4-2008
        "#]],
    );
}

#[test]
fn iso_2859_1_reduced_plans() {
    // ISO 2859-1:1999 Table 2-C has no gap: lot 1000 (J, reduced n = 32) at AQL 2.5 is 3/4
    // where Z1.4's Table II-C says 2/5.
    check(
        &["sample-plan", "--lot", "1000", "--aql", "2.5", "--inspection", "reduced", "--standard", "iso2859-1"],
        expect![[r#"
            code letter  J
            n            32
            Ac           3
            Re           4
            standard     ISO 2859-1:1999
        "#]],
    );
    // J at AQL 0.40 is ↑ in Table 2-C, past H's ↑ to G's 0/1 (n = 13); Z1.4 goes ↓ to K's 0/2.
    check(
        &[
            "sample-plan",
            "--lot",
            "1000",
            "--aql",
            "0.40",
            "--inspection",
            "reduced",
            "--standard",
            "iso2859-1",
            "--json",
        ],
        expect![[r#"
            {"ac":0,"aql":0.4,"code_letter":"J","inspect_all":false,"inspection":"reduced","level":"II","lot":1000,"n":13,"plan_letter":"G","re":1,"standard":"iso2859-1"}
        "#]],
    );
}

#[test]
fn rfc_4180_quoting_bom_and_crlf() {
    // A spreadsheet export: byte-order mark, capitalised header, CRLF line ends, quoted commas,
    // doubled quotes, a line break inside a quoted field and a blank line.
    check(
        &["aggregate", "{quoted.csv}", "--method", "mv"],
        expect![[r#"
            item,label,confidence
            "doc 1, para 2","say ""yes""",1.0000
            doc2,"say ""yes""",0.5000
        "#]],
    );
}

#[test]
fn clear_errors() {
    check(
        &["agreement", "{unterminated_quote.csv}", "--metric", "fleiss"],
        expect![[r#"
            exit 2
            error: fixtures/unterminated_quote.csv:3: a quoted field is never closed
        "#]],
    );
    check(
        &["agreement", "{missing_column.csv}", "--metric", "fleiss"],
        expect![[r#"
            exit 2
            error: fixtures/missing_column.csv:1: the header has no annotator column (it names: item, rater, label); expected a header with item, annotator, label
        "#]],
    );
    check(
        &["agreement", "{ordinal_words.csv}", "--metric", "krippendorff", "--level", "ordinal"],
        expect![[r#"
            exit 2
            error: fixtures/ordinal_words.csv:2: label "low" is not a number: ordinal data need numeric labels, or give their order with --labels
        "#]],
    );
    check(
        &[
            "agreement",
            "{ordinal_words.csv}",
            "--metric",
            "krippendorff",
            "--level",
            "ordinal",
            "--labels",
            "low,medium",
        ],
        expect![[r#"
            exit 2
            error: fixtures/ordinal_words.csv:3: unknown label "high": it is not among --labels (low,medium)
        "#]],
    );
    check(
        &["agreement", "{one_annotator.csv}", "--metric", "fleiss"],
        expect![[r#"
            exit 2
            error: fixtures/one_annotator.csv: agreement needs at least two annotators, found 1
        "#]],
    );
    check(
        &["agreement", "{duplicate.csv}", "--metric", "fleiss"],
        expect![[r#"
            exit 2
            error: fixtures/duplicate.csv:4: annotator "a" already labelled item "1" on line 2; agreement needs one label per annotator and item (`annoqa aggregate` accepts repeats)
        "#]],
    );
    check(
        &["agreement", "{short_row.csv}", "--metric", "fleiss"],
        expect![[r#"
            exit 2
            error: fixtures/short_row.csv:3: expected at least 3 fields, found 1
        "#]],
    );
    check(
        &["sample-plan", "--lot", "1000", "--aql", "0.3"],
        expect![[r#"
            exit 2
            error: invalid argument: AQL 0.3 is not one of the standard values for percent nonconforming: 0.01, 0.015, 0.025, 0.04, 0.065, 0.1, 0.15, 0.25, 0.4, 0.65, 1, 1.5, 2.5, 4, 6.5, 10
        "#]],
    );
}

/// Runs `annoqa ARGS FILE` on `text` written to a temporary file; stdout, or `exit N` and
/// stderr with the file shown as `FILE`.
fn run_on(text: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.csv");
    std::fs::write(&path, text).unwrap();
    let file = path.display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa")).arg(args[0]).arg(&file).args(&args[1..]).output().unwrap();
    if output.status.success() {
        String::from_utf8(output.stdout).unwrap()
    } else {
        let stderr = String::from_utf8(output.stderr).unwrap().replace(&file, "FILE");
        format!("exit {}\n{stderr}", output.status.code().unwrap_or(-1))
    }
}

/// Seeded answers: 60 items × 5 annotators, names with commas, quotes and spaces, labels from
/// three texts, some left empty; as `(item, annotator, label)`.
fn seeded_answers() -> Vec<(String, String, String)> {
    let mut state = 7u64;
    let mut next = move |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let labels = ["yes", "no, really", "say \"maybe\""];
    let mut answers = Vec::new();
    for item in 0..60 {
        let truth = next(3) as usize;
        for annotator in ["ann", "bob smith", "c,d", "\"e\"", "f"] {
            let label = match next(10) {
                0 => String::new(),
                1..=6 => labels[truth].to_string(),
                _ => labels[next(3) as usize].to_string(),
            };
            answers.push((format!("doc {item}, part {}", item % 7), annotator.to_string(), label));
        }
    }
    answers
}

#[test]
fn spreadsheet_exports_read_like_plain_files() {
    // The same answers as a program writes them (quotes only where needed, LF) and as a
    // spreadsheet exports them (byte-order mark, CRLF, every field quoted, an extra column, a
    // padded header, blank lines): every statistic reads them the same.
    let answers = seeded_answers();
    let quote = |f: &str| format!("\"{}\"", f.replace('"', "\"\""));
    let minimal = |f: &str| if f.contains([',', '"']) { quote(f) } else { f.to_string() };
    let mut plain = String::from("item,annotator,label\n");
    let mut export = String::from("\u{feff}Note,\" Item \",ANNOTATOR,Label\r\n");
    for (n, (item, annotator, label)) in answers.iter().enumerate() {
        plain += &format!("{},{},{}\n", minimal(item), minimal(annotator), minimal(label));
        export += &format!("\"note\r\n{n}\",{},{},{}\r\n", quote(item), quote(annotator), quote(label));
        if n % 17 == 0 {
            export += "\r\n";
        }
    }
    for args in [
        &["agreement", "--metric", "krippendorff", "--json"][..],
        &["agreement", "--metric", "fleiss", "--per-label"],
        &["agreement", "--metric", "cohen"],
        &["aggregate", "--method", "ds"],
        &["aggregate", "--method", "mv", "--json"],
    ] {
        let expected = run_on(plain.as_bytes(), args);
        assert!(!expected.starts_with("exit"), "{args:?}: {expected}");
        assert_eq!(run_on(export.as_bytes(), args), expected, "{args:?}");
    }
}

#[test]
fn reader_errors_name_the_file_and_line() {
    let check = |text: &[u8], expect: Expect| expect.assert_eq(&run_on(text, &["agreement", "--metric", "fleiss"]));
    check(
        b"item,annotator,label\n1,a,x\n\"2\nstill 2\",b,\"y\"z\n",
        expect![[r#"
            exit 2
            error: FILE:4: text 'z' after a closing quote
        "#]],
    );
    check(
        b"item,annotator,label\r\n1,a,x\r\n1,b,say \"y\"\r\n",
        expect![[r#"
            exit 2
            error: FILE:3: a quote inside an unquoted field (quote the whole field and double the quote)
        "#]],
    );
    check(
        b"item,annotator,label\n1,a,x\n1,b,\xe9t\xe9\n",
        expect![[r#"
            exit 2
            error: FILE:3: the label is not valid UTF-8
        "#]],
    );
    check(
        b"item,annotator,label\n\"multi\nline\",a,x\n\n\"multi\nline\",a,y\n",
        expect![[r#"
            exit 2
            error: FILE:5: annotator "a" already labelled item "multi\nline" on line 2; agreement needs one label per annotator and item (`annoqa aggregate` accepts repeats)
        "#]],
    );
    check(
        b"",
        expect![[r#"
            exit 2
            error: FILE: the file is empty; expected a header with item, annotator, label
        "#]],
    );
}
