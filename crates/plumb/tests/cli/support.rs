//! The test context: one throwaway cluster per test binary (started through
//! plumb's own cluster code), a fresh database per test, and helpers that run
//! the real `plumb` binary.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use plumb_pg::{Cluster, ConnInfo};

pub use plumb_test_support::{binaries, block_on, cluster, corpora, corpus, stop_clusters_at_exit};

/// A database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub info: ConnInfo,
}

impl TestDb {
    /// A new, empty database on `cluster`.
    pub fn new_on(cluster: &Cluster) -> TestDb {
        let info = plumb_test_support::new_database_on(cluster, &format!("t{}", std::process::id()));
        TestDb { name: info.dbname.clone(), info }
    }

    /// A new database on the shared cluster.
    pub fn new() -> TestDb {
        TestDb::new_on(cluster())
    }

    /// The URL plumb is given.
    pub fn url(&self) -> String {
        self.info.to_url_with_password()
    }

    /// Runs `sql` (simple protocol) and returns every row as text.
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let info = self.info.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let conn = plumb_pg::connect(&info, None).await.expect("connect to test database");
            let messages = conn.client().simple_query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => {
                        Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
                    }
                    _ => None,
                })
                .collect()
        })
    }

    /// The first column of the first row.
    pub fn value(&self, sql: &str) -> Option<String> {
        self.query(sql).into_iter().next().and_then(|r| r.into_iter().next().flatten())
    }

    /// Whether a relation (table, index, ...) exists.
    pub fn exists(&self, relation: &str) -> bool {
        self.value(&format!("SELECT to_regclass('{relation}') IS NOT NULL")).as_deref() == Some("t")
    }

    /// `version → (status, statements_done)` from plumb's history, in version order.
    pub fn history(&self) -> Vec<(String, String, i64)> {
        if !self.exists("plumb.migrations") {
            return Vec::new();
        }
        self.query("SELECT version, status, statements_done FROM plumb.migrations ORDER BY version::numeric")
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap(), r[2].as_deref().unwrap().parse().unwrap()))
            .collect()
    }
}

/// A folder of migration files.
pub struct Migrations {
    dir: tempfile::TempDir,
}

impl Migrations {
    pub fn new(files: &[(&str, &str)]) -> Migrations {
        let dir = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            std::fs::write(dir.path().join(name), sql).unwrap();
        }
        Migrations { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, sql: &str) {
        std::fs::write(self.dir.path().join(name), sql).unwrap();
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join(name)).unwrap();
    }
}

/// What one plumb run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A `plumb` command with a clean environment: no inherited DATABASE_URL or PG* settings,
/// run in an empty folder so no project cluster is found by accident.
pub fn plumb_command(args: &[&str]) -> Command {
    static WORKDIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let workdir = WORKDIR.get_or_init(|| tempfile::tempdir().unwrap());
    // PLUMB_TEST_BIN runs the suite (the sabotage harness above all) against another build.
    let bin = std::env::var_os("PLUMB_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_plumb").into());
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(workdir.path()).env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key == "DATABASE_URL" || key == "PLUMB_FAILPOINT" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs plumb against `url` with `args` and waits.
pub fn plumb(url: &str, args: &[&str]) -> Run {
    let out = plumb_command(args).env("DATABASE_URL", url).stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `plumb apply --dir <dir>` against `db`.
pub fn apply(db: &TestDb, dir: &Path, extra: &[&str]) -> Run {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["apply", "--dir", dir];
    args.extend_from_slice(extra);
    plumb(&db.url(), &args)
}

/// A plumb run stopped at a failpoint, waiting for the test to kill or resume it.
pub struct Paused {
    child: Child,
    stderr: BufReader<std::process::ChildStderr>,
}

impl Paused {
    /// Starts `plumb apply` and waits until it reaches `failpoint`.
    /// Returns `None` if plumb finished without reaching it.
    pub fn apply_until(db: &TestDb, dir: &Path, failpoint: &str) -> Option<Paused> {
        Paused::run_until(db, &["apply", "--dir", dir.to_str().unwrap()], failpoint, None)
    }

    /// Starts `plumb <args>` (in `workdir`, if given) and waits until it reaches `failpoint`.
    pub fn run_until(db: &TestDb, args: &[&str], failpoint: &str, workdir: Option<&Path>) -> Option<Paused> {
        let mut command = plumb_command(args);
        if let Some(dir) = workdir {
            command.current_dir(dir);
        }
        let mut child = command
            .env("DATABASE_URL", db.url())
            .env("PLUMB_FAILPOINT", failpoint)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let marker = format!("plumb-failpoint: {failpoint}");
        let mut line = String::new();
        let mut paused = Paused { child, stderr };
        loop {
            line.clear();
            if paused.stderr.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            if line.trim() == marker {
                return Some(paused);
            }
        }
    }

    /// `kill -9`.
    pub fn kill(mut self) {
        // (Drop kills too; this waits so the test knows plumb is gone.)
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Lets plumb go on; returns its exit code and the rest of stderr.
    pub fn resume(mut self) -> (i32, String) {
        writeln!(self.child.stdin.take().unwrap()).unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), rest)
    }
}

impl Drop for Paused {
    /// A failing test must not leave plumb waiting on its stdin forever.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SQL condition true for the user's own tables: not in a system or history schema, not a
/// history table of plumb's or another tool's (plumb's own list, so a new tool's table is left
/// out here as soon as plumb leaves it out).
pub fn user_table(schema: &str, table: &str) -> String {
    let quoted = |names: &[&str]| names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    format!(
        "{schema} NOT IN ('pg_catalog', 'information_schema', {}) AND {schema} NOT LIKE 'pg\\_%' AND {table} NOT IN ({})",
        quoted(&plumb_catalog::HISTORY_SCHEMAS),
        quoted(&plumb_catalog::HISTORY_TABLES)
    )
}

/// Row count and an order-independent digest of every user table, computed here
/// independently of plumb's own fingerprints. History tables (plumb's and other tools') and
/// other sessions' temporary tables are not the user's rows.
pub fn rows(db: &TestDb) -> std::collections::BTreeMap<String, (String, String)> {
    let tables = db.query(&format!(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE {}",
        user_table("schemaname", "tablename")
    ));
    tables
        .into_iter()
        .map(|row| {
            let table = row[0].clone().unwrap();
            let digest = db.query(&format!(
                "SELECT count(*)::text, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"
            ));
            (table, (digest[0][0].clone().unwrap(), digest[0][1].clone().unwrap()))
        })
        .collect()
}

/// Where the real migration tools of the interop tests live: `PLUMB_TOOLS_DIR` (CI keeps them
/// between runs on one machine), else `target/tools` in the workspace.
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("PLUMB_TOOLS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools"),
    }
}

/// Runs an install command for a tool, or fails the test saying what to run by hand.
fn install(what: &str, command: &mut Command) {
    eprintln!("installing {what} for the interop tests: {command:?}");
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?} to install {what}: {e}"));
    if !out.status.success() {
        panic!(
            "installing {what} failed; the interop tests need it. Run by hand:\n  {command:?}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The binary `bin` of npm `packages` (each `name@version`; the first has the binary, the
/// others are what it loads), installed into `tools_dir()/npm` from the npm registry unless
/// those versions are there already (`.ci/run` installs the same pins beforehand).
pub fn npm_tool(packages: &[&str], bin: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = tools_dir().join("npm");
    let path = prefix.join("node_modules/.bin").join(bin);
    let installed = |package: &&str| {
        let (name, version) = package.rsplit_once('@').expect("a pinned package: name@version");
        std::fs::read_to_string(prefix.join("node_modules").join(name).join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|json| json["version"] == version)
    };
    if !packages.iter().all(installed) || !path.exists() {
        std::fs::create_dir_all(&prefix).unwrap();
        install(
            &packages.join(" "),
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&prefix)
                .args(packages),
        );
    }
    path
}

/// The binary `bin` of crate `krate` at `version` with `features`, built once from crates.io
/// into `tools_dir()/cargo` (`cargo install` does nothing when that build is there already).
pub fn cargo_tool(krate: &str, version: &str, features: &str, bin: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let root = tools_dir().join("cargo");
    let path = root.join("bin").join(bin);
    let stamp = root.join(format!(".{krate}-{version}-{features}"));
    if !path.exists() || !stamp.exists() {
        install(
            &format!("{krate} {version}"),
            Command::new(env!("CARGO"))
                .args(["install", "--quiet", "--locked", "--no-default-features", "--version", version])
                .args(["--features", features, "--root"])
                .arg(&root)
                .arg(krate),
        );
        std::fs::write(&stamp, "").unwrap();
    }
    path
}

/// The Alembic packages the Alembic tests (and the demo's) install into their virtualenv.
pub const ALEMBIC: [&str; 3] = ["alembic==1.20.1", "SQLAlchemy==2.1.9", "psycopg[binary]==3.3.9"];

/// A Python virtualenv under `tools_dir()/venv` with `packages` installed from PyPI; returns
/// its `bin` folder.
pub fn python_tools(packages: &[&str]) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = tools_dir().join("venv");
    let bin = venv.join("bin");
    if !bin.join("python").exists() {
        std::fs::create_dir_all(tools_dir()).unwrap();
        install("a Python virtualenv", Command::new("python3").args(["-m", "venv"]).arg(&venv));
    }
    let marker = venv.join(format!(".installed-{}", packages.join("+")));
    if !marker.exists() {
        install(
            &packages.join(", "),
            Command::new(bin.join("python"))
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .args(packages),
        );
        std::fs::write(&marker, "").unwrap();
    }
    bin
}

/// A tool's own command, run to completion: its exit code and what it printed.
pub fn run_tool(command: &mut Command) -> Run {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of a migrations folder, whatever its layout.
pub fn copy_dir(source: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let target = into.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
