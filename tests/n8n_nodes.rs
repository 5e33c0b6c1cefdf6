//! The n8n community-node package, tested from the one test command: its unit tests (lint,
//! build, request building, signatures, trigger lifecycle, stale API types) and the end-to-end
//! run inside a real n8n against this build of Baton.

use std::path::PathBuf;
use std::process::Command;

fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("n8n-nodes")
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Runs npm in the package; `false` (with a SKIPPED line) only when npm is missing outside CI.
fn npm(args: &[&str]) -> bool {
    if Command::new("npm").arg("--version").output().is_err() {
        assert!(!under_ci(), "npm is required under CI");
        eprintln!("SKIPPED: npm is not installed");
        return false;
    }
    if !package_dir().join("node_modules").exists() {
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(package_dir())
            .status()
            .expect("run npm ci");
        assert!(status.success(), "npm ci failed in n8n-nodes/");
    }
    let status = Command::new("npm")
        .args(args)
        .current_dir(package_dir())
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .status()
        .expect("run npm");
    assert!(
        status.success(),
        "`npm {}` failed in n8n-nodes/",
        args.join(" ")
    );
    true
}

/// One test, run in order: the steps share the package's build output.
#[test]
fn the_n8n_package_passes_lint_unit_tests_and_a_real_n8n_end_to_end() {
    if npm(&["run", "lint"]) {
        npm(&["test"]);
        npm(&["run", "e2e"]);
    }
}
