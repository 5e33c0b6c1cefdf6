//! The house rule as a test: arrows between Baton's layers point down only. Every
//! `crate::<module>` path in `src/**/*.rs` (outside comments) is an edge from the file's
//! top-level module to that module; an edge missing from `ALLOWED` fails the test with the file
//! and line, so the layering cannot drift back (docs/ARCHITECTURE.md draws the same table).

use std::path::{Path, PathBuf};

/// Which top-level modules each module may name. A target with `::` allows only that sub-module
/// (the inbox may use the API's bodies in `routes::dto`, never its handlers).
const ALLOWED: &[(&str, &[&str])] = &[
    // process start and subcommands: everything below
    ("main", &["*"]),
    ("cli", &["*"]),
    ("lib", &["*"]),
    // building the app, its shared state and the API document
    (
        "startup",
        &[
            "state", "routes", "inbox", "openapi", "auth", "delivery", "timers", "live", "db",
            "domain", "config", "error", "metrics", "throttle",
        ],
    ),
    (
        "state",
        &[
            "routes", "auth", "live", "db", "domain", "config", "error", "metrics", "throttle",
        ],
    ),
    ("openapi", &["routes", "db", "domain", "error"]),
    // HTTP in and out: never each other's handlers
    (
        "routes",
        &[
            "state", "auth", "live", "db", "domain", "config", "error", "metrics",
        ],
    ),
    (
        "inbox",
        &[
            "routes::dto",
            "state",
            "auth",
            "live",
            "db",
            "domain",
            "config",
            "error",
            "metrics",
        ],
    ),
    // credentials, sending callbacks, scheduling, live events
    ("auth", &["db", "domain", "config", "error", "throttle"]),
    ("delivery", &["db", "domain", "config", "error", "metrics"]),
    (
        "timers",
        &["live", "db", "domain", "config", "error", "metrics"],
    ),
    ("live", &["db", "domain", "config", "error"]),
    // SQL and transactions: applies what domain decided
    ("db", &["domain", "config", "error", "metrics"]),
    // leaves
    ("config", &["domain"]),
    ("error", &[]),
    ("metrics", &[]),
    ("throttle", &[]),
    // every rule, pure
    ("domain", &[]),
];

/// A forbidden edge: where it is and what it names.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

fn allowed(from: &str, to: &str, sub: Option<&str>) -> Option<bool> {
    let (_, targets) = ALLOWED.iter().find(|(m, _)| *m == from)?;
    Some(
        targets.iter().any(|t| {
            *t == "*" || *t == to || sub.is_some_and(|s| t.split_once("::") == Some((to, s)))
        }),
    )
}

/// The edges of one file's source that the table forbids. A module missing from the table is
/// itself a violation: a new top-level module must be given its place.
fn check(file: &str, from: &str, source: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let ident = |s: &str| -> String {
                s.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            };
            let to = ident(after);
            let sub = after
                .strip_prefix(to.as_str())
                .and_then(|s| s.strip_prefix("::"))
                .map(ident);
            // `baton::crate::` never occurs; a preceding identifier char means another path.
            let part_of_word = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if !part_of_word
                && !to.is_empty()
                && to != from
                && allowed(from, &to, sub.as_deref()) != Some(true)
            {
                found.push(Violation {
                    file: file.to_string(),
                    line: n + 1,
                    from: from.to_string(),
                    to: match &sub {
                        Some(s) => format!("{to}::{s}"),
                        None => to.clone(),
                    },
                });
            }
            rest = &after[to.len()..];
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_import_between_layers_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "expected Baton's sources under {src:?}");
    let mut violations = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs")
            .to_string();
        let source = std::fs::read_to_string(&path).expect("readable source");
        violations.extend(check(&rel.display().to_string(), &top, &source));
    }
    assert!(
        violations.is_empty(),
        "imports that point up or sideways (see ALLOWED in tests/layering.rs):\n{}",
        violations
            .iter()
            .map(|v| format!("  {}:{}  {} -> {}", v.file, v.line, v.from, v.to))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_storage_module_reaching_up_into_the_http_layer_is_refused() {
    let found = check(
        "db/takeovers.rs",
        "db",
        "use crate::domain::session::SessionStatus;\nuse crate::routes::dto::inbox_url;\n",
    );
    assert_eq!(
        found,
        vec![Violation {
            file: "db/takeovers.rs".into(),
            line: 2,
            from: "db".into(),
            to: "routes::dto".into(),
        }]
    );
}

#[test]
fn the_inbox_may_use_the_api_bodies_but_not_its_handlers() {
    assert!(check("inbox/x.rs", "inbox", "use crate::routes::dto::Takeover;").is_empty());
    let found = check("inbox/x.rs", "inbox", "use crate::routes::auth::sign_in;");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].to, "routes::auth");
}

#[test]
fn domain_names_no_other_part_of_baton_and_comments_do_not_count() {
    assert!(check(
        "domain/a.rs",
        "domain",
        "// see crate::db::now\nuse crate::domain::types::X;"
    )
    .is_empty());
    assert_eq!(
        check("domain/a.rs", "domain", "let t = crate::db::now();").len(),
        1
    );
    assert_eq!(check("newmod.rs", "newmod", "use crate::db::Db;").len(), 1);
}

/// The repository stands alone: no Rust source, test or CI script names the planning folder
/// beside a checkout (a fresh clone in any folder has none).
#[test]
fn nothing_reads_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "testkit", "bench", "logreg"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.push(root.join(".ci/run"));
    let outside = ["../shared", "/work/shared"];
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            outside.iter().any(|o| text.contains(o))
        })
        .map(|f| f.display().to_string())
        .collect();
    // this file names the strings it looks for, and only here
    let offenders: Vec<_> = offenders
        .into_iter()
        .filter(|f| !f.ends_with("tests/layering.rs"))
        .collect();
    assert!(
        offenders.is_empty(),
        "files that read outside the repository: {offenders:?}"
    );
}

/// All SQL lives in `db/`: the HTTP layers call its functions and never build a query.
#[test]
fn the_http_layers_write_no_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["routes", "inbox"] {
        rust_files(&src.join(dir), &mut files);
    }
    assert!(!files.is_empty());
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            text.contains("diesel::") || text.contains("db::schema")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "queries outside db/: {offenders:?}");
}
