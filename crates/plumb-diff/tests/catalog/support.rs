//! One throwaway cluster per test binary, a database per use.

use std::path::{Path, PathBuf};

use plumb_catalog::{InspectOptions, Schema};
use plumb_pg::{ConnInfo, Connection};

pub use plumb_test_support::{block_on, cluster};

/// A fresh, empty database; returns its connection settings.
pub async fn new_db(label: &str) -> ConnInfo {
    plumb_test_support::create_database(cluster(), label).await
}

pub async fn connect(info: &ConnInfo) -> Connection {
    plumb_pg::connect(info, None).await.unwrap()
}

/// Runs a script (one simple-query string, as a SQL editor sends it).
pub async fn run(info: &ConnInfo, sql: &str, what: &str) {
    let conn = connect(info).await;
    if let Err(e) = conn.batch(sql).await {
        panic!("{what} failed: {e}\n--- script ---\n{sql}");
    }
}

/// Runs a script statement by statement, each committing on its own, as psql does by default.
pub async fn run_statements(info: &ConnInfo, sql: &str, what: &str) {
    let conn = connect(info).await;
    for statement in plumb_sql::split(sql).statements {
        let text = &sql[statement.range];
        if let Err(e) = conn.batch(text).await {
            panic!("{what} failed at\n{text}\n{e}\n--- script ---\n{sql}");
        }
    }
}

pub async fn inspect(info: &ConnInfo) -> Schema {
    let conn = connect(info).await;
    plumb_catalog::inspect(&conn, &InspectOptions::default()).await.unwrap()
}

pub fn major() -> u32 {
    cluster().binaries().major
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog/fixtures")
}

/// The fixture files this server version supports, in order.
pub fn fixtures() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| !(p.file_name().unwrap().to_string_lossy().contains("pg15") && major() < 15))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// Asserts two catalogs are equal, showing the JSON difference when not.
pub fn assert_same(expected: &Schema, actual: &Schema, context: &str) {
    if expected != actual {
        let a = serde_json::to_string_pretty(expected).unwrap();
        let b = serde_json::to_string_pretty(actual).unwrap();
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .take(20)
            .map(|(i, (x, y))| format!("line {i}:\n  expected {x}\n  actual   {y}"))
            .collect();
        panic!(
            "{context}: catalogs differ\n{}\n(diff as SQL:\n{})",
            diff.join("\n"),
            plumb_diff::diff(actual, expected).script()
        );
    }
}
