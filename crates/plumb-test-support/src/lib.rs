//! What plumb's integration suites (`plumb`'s CLI suite, `plumb-diff`'s catalog suite) share:
//! one throwaway cluster per test binary, started through plumb's own cluster code and stopped
//! when the binary exits; fresh databases on it; the shared corpora beside the repository; and
//! the filters that make a JSON report stable enough for a snapshot.
//!
//! A dev-dependency only: nothing here ships in the binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use plumb_pg::{Cluster, ClusterConfig, ConnInfo};

/// The PostgreSQL binaries under test: `PLUMB_PG_BIN` (CI sets it per version), else the
/// newest installed. Without any, the test fails saying how to install them: never a skip.
pub fn binaries() -> plumb_pg::PgBinaries {
    plumb_pg::discover(None).unwrap_or_else(|e| {
        panic!(
            "the tests need PostgreSQL server binaries and found none.\n{e}\n(On Debian: apt-get install postgresql; bash .ci/run installs them.)"
        )
    })
}

/// The shared cluster of this test binary.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let b = binaries();
        eprintln!("test cluster: PostgreSQL {} from {}", b.version, b.bin_dir.display());
        stop_clusters_at_exit();
        Cluster::start(&b, &ClusterConfig::default()).unwrap_or_else(|e| panic!("test cluster failed to start: {e}"))
    })
}

/// Statics are never dropped: stop this binary's clusters and remove their folders when it exits.
pub fn stop_clusters_at_exit() {
    extern "C" fn stop() {
        plumb_pg::cluster::stop_all_throwaway();
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a plain function with no arguments; it only signals processes and removes folders.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(stop);
    });
}

/// Runs a future to its end on a runtime of its own (tests are synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// A new, empty database on `cluster`, named `<prefix>_<n>` (unique within the binary);
/// returns how to reach it.
pub async fn create_database(cluster: &Cluster, prefix: &str) -> ConnInfo {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("{prefix}_{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let admin = plumb_pg::connect(&cluster.conninfo("postgres"), None).await.expect("connect to the test cluster");
    admin.batch(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    cluster.conninfo(&name)
}

/// As [`create_database`], for synchronous tests.
pub fn new_database_on(cluster: &Cluster, prefix: &str) -> ConnInfo {
    block_on(create_database(cluster, prefix))
}

/// The corpus `name` in `../shared/corpora` beside the repository, if present.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let dir = corpora_root().join(name);
    dir.is_dir().then_some(dir)
}

/// Every corpus in `../shared/corpora` beside the repository, by name, sorted: its migrations
/// folder (`<corpus>/migrations` when there is one). Every folder there counts, so a corpus
/// added later is tested without naming it; empty when the folder is absent.
pub fn corpora() -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(corpora_root()) else { return Vec::new() };
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let dir = e.path();
            let dir = if dir.join("migrations").is_dir() { dir.join("migrations") } else { dir };
            (e.file_name().to_string_lossy().into_owned(), dir)
        })
        .collect();
    found.sort();
    found
}

fn corpora_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

/// A JSON report with what varies from run to run replaced, for a snapshot: each `(text,
/// stand-in)` pair (the target's address, folders), durations set to 0 and times to `[TIME]`.
pub fn stable_json(report: &str, replace: &[(&str, &str)]) -> String {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match key.as_str() {
                        "duration_ms" if v.is_number() => *v = serde_json::json!(0),
                        "applied_at" if v.is_string() => *v = serde_json::json!("[TIME]"),
                        _ => walk(v),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let text = replace.iter().fold(report.to_owned(), |text, (from, to)| text.replace(from, to));
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {report}"));
    walk(&mut json);
    serde_json::to_string_pretty(&json).unwrap()
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_json_replaces_what_varies_and_keeps_the_rest() {
        let report =
            r#"{"target": "host=/tmp/x port=5432", "runs": [{"duration_ms": 17, "applied_at": "2026-12-02", "n": 3}]}"#;
        let stable = super::stable_json(report, &[("host=/tmp/x port=5432", "[TARGET]")]);
        let json: serde_json::Value = serde_json::from_str(&stable).unwrap();
        assert_eq!(json["target"], "[TARGET]");
        assert_eq!(json["runs"][0]["duration_ms"], 0);
        assert_eq!(json["runs"][0]["applied_at"], "[TIME]");
        assert_eq!(json["runs"][0]["n"], 3);
    }
}
