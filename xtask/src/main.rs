//! Project automation:
//! - `cargo run -p xtask --release -- bench apply [--corpus DIR] [--rounds N]`
//! - `cargo run -p xtask --release -- bench inspect [--tables 1000,10000]`
//! - `cargo run -p xtask --release -- bench verify [--corpus DIR]`
//! - `cargo run -p xtask --release -- bench repair [--rows N]`
//! - `cargo run -p xtask --release -- bench check [--corpus DIR] [--rounds N]`
//! - `cargo run -p xtask -- sabotage [DIR ...]`: the sabotage harness (phantom, partial,
//!   stamped, unrecorded, drift, hotfix, missing file) on any migrations folder in plumb's
//!   layout (or Prisma's), scored against the truth; without folders, on the reference set and
//!   every corpus in `../shared/corpora`. It is the `sabotage` test of the CLI suite, run with
//!   `PLUMB_SABOTAGE_DIRS` set; it prints a score table per folder.
//!
//! Benchmarks print ratios against a reference measured in the same run on the
//! same machine; they assert nothing about time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

mod check_bench;
mod inspect_bench;
mod repair_bench;
mod verify_bench;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["bench", "apply", rest @ ..] => bench_apply(rest),
        ["bench", "inspect", rest @ ..] => inspect_bench::run(rest),
        ["bench", "verify", rest @ ..] => verify_bench::run(rest),
        ["bench", "repair", rest @ ..] => repair_bench::run(rest),
        ["bench", "check", rest @ ..] => check_bench::run(rest),
        ["sabotage", dirs @ ..] => sabotage(dirs),
        _ => bail!(
            "usage: cargo run -p xtask --release -- bench apply|inspect|verify|repair|check [options]\n       cargo run -p xtask -- sabotage [DIR ...]"
        ),
    }
}

/// Runs the sabotage test on `dirs` (all of them absolute), with its report on stdout.
fn sabotage(dirs: &[&str]) -> Result<()> {
    let report = std::env::temp_dir().join(format!("plumb-sabotage-{}.txt", std::process::id()));
    let mut command = cargo();
    command
        .args(["test", "-q", "-p", "plumb", "--test", "cli", "--", "sabotage::", "--test-threads", "1"])
        .current_dir(workspace_root())
        .env("PLUMB_SABOTAGE_REPORT", &report);
    if !dirs.is_empty() {
        let absolute: Vec<PathBuf> = dirs
            .iter()
            .map(|d| std::fs::canonicalize(d).with_context(|| format!("{d}: no such folder")))
            .collect::<Result<_>>()?;
        command.env("PLUMB_SABOTAGE_DIRS", std::env::join_paths(absolute)?);
    }
    let status = command.status()?;
    if let Ok(text) = std::fs::read_to_string(&report) {
        println!("{text}");
        let _ = std::fs::remove_file(&report);
    }
    if !status.success() {
        bail!("some scenarios failed (above)");
    }
    Ok(())
}

/// `cargo`, without the variables `cargo run` set for xtask itself. ring's build script reruns
/// when `CARGO_MANIFEST_DIR` changes, so a build started with xtask's would rebuild ring and
/// all that depends on it (most of the workspace) on every call, and the next plain `cargo
/// build` would rebuild it back.
fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let per_package = name.starts_with("CARGO_PKG_")
            || matches!(
                &*name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if per_package {
            command.env_remove(&*name);
        }
    }
    command
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds the release binary the benchmarks run, and returns its path.
pub(crate) fn build_plumb() -> Result<PathBuf> {
    let root = workspace_root();
    let status = cargo().args(["build", "--release", "-q", "-p", "plumb"]).current_dir(&root).status()?;
    if !status.success() {
        bail!("cargo build --release -p plumb failed");
    }
    Ok(root.join("target/release/plumb"))
}

pub(crate) fn flag<'a>(rest: &[&'a str], name: &str) -> Option<&'a str> {
    rest.windows(2).find(|w| w[0] == name).map(|w| w[1])
}

fn bench_apply(rest: &[&str]) -> Result<()> {
    let root = workspace_root();
    let corpus = flag(rest, "--corpus").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/corpora/cratesio"));
    let rounds: usize = flag(rest, "--rounds").unwrap_or("5").parse()?;
    if !corpus.is_dir() {
        bail!("corpus {} not found", corpus.display());
    }
    let plumb = build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let psql = if psql.exists() { psql } else { PathBuf::from("psql") };

    // Cluster start-up: initdb + start until ready.
    let mut starts = Vec::new();
    for _ in 0..rounds {
        let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
        starts.push(cluster.started_in());
    }
    println!("PostgreSQL {} ({}), {} rounds, medians:", binaries.version, binaries.bin_dir.display(), rounds);
    println!("  cluster start-up (data folder + ready){:>9.1} ms", ms(median(&mut starts)));

    let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
    let files = sql_files(&corpus)?;
    let script = concatenated(&files)?;
    let script_path = std::env::temp_dir().join(format!("plumb-bench-{}.sql", std::process::id()));
    std::fs::write(&script_path, script)?;

    let mut psql_times = Vec::new();
    let mut plumb_times = Vec::new();
    for round in 0..rounds {
        let ref_db = format!("bench_psql_{round}");
        let plumb_db = format!("bench_plumb_{round}");
        create_db(&psql, &cluster, &ref_db)?;
        create_db(&psql, &cluster, &plumb_db)?;

        psql_times.push(psql_one_session(&psql, &script_path, &cluster.url(&ref_db))?);

        let started = Instant::now();
        let out = Command::new(&plumb)
            .args(["apply", "--dir"])
            .arg(&corpus)
            .env("DATABASE_URL", cluster.url(&plumb_db))
            .output()?;
        plumb_times.push(started.elapsed());
        if !out.status.success() {
            bail!("plumb apply failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let _ = std::fs::remove_file(&script_path);
    let psql_median = median(&mut psql_times);
    let plumb_median = median(&mut plumb_times);
    println!("  {} migrations from {}", files.len(), corpus.display());
    println!("  psql, one session (-f all files)    {:>9.1} ms", ms(psql_median));
    println!("  plumb apply (fresh database)        {:>9.1} ms", ms(plumb_median));
    println!("  ratio plumb / psql                  {:>9.2}x", plumb_median.as_secs_f64() / psql_median.as_secs_f64());
    Ok(())
}

pub(crate) fn sql_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|x| x == "sql"));
    files.sort();
    Ok(files)
}

/// All files in order, each closed with a semicolon, as psql would read them in one session.
pub(crate) fn concatenated(files: &[PathBuf]) -> Result<String> {
    let mut script = String::new();
    for f in files {
        script.push_str(&std::fs::read_to_string(f).with_context(|| f.display().to_string())?);
        script.push_str("\n;\n");
    }
    Ok(script)
}

/// Runs a script in one psql session (the reference the benchmarks compare with) and times it.
pub(crate) fn psql_one_session(psql: &Path, script: &Path, url: &str) -> Result<Duration> {
    let started = Instant::now();
    let out = Command::new(psql).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"]).arg(script).arg(url).output()?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(elapsed)
}

pub(crate) fn create_db(psql: &Path, cluster: &Cluster, name: &str) -> Result<()> {
    let out = Command::new(psql)
        .args(["-X", "-q", "-c", &format!("CREATE DATABASE {name}")])
        .arg(cluster.url("postgres"))
        .output()?;
    if !out.status.success() {
        bail!("CREATE DATABASE {name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// A project folder whose cluster (`plumb pg start`, of `major`) runs: plumb's warm shadow.
/// Dropping it stops the cluster.
pub(crate) struct WarmFolder {
    plumb: PathBuf,
    dir: tempfile::TempDir,
}

impl WarmFolder {
    pub(crate) fn start(plumb: &Path, major: u32) -> Result<WarmFolder> {
        let folder = WarmFolder { plumb: plumb.to_owned(), dir: tempfile::tempdir()? };
        if !folder.pg("start", &["--pg-version", &major.to_string()])?.success() {
            bail!("plumb pg start failed");
        }
        Ok(folder)
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn pg(&self, command: &str, args: &[&str]) -> Result<std::process::ExitStatus> {
        Ok(Command::new(&self.plumb)
            .args(["pg", command])
            .args(args)
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?)
    }
}

impl Drop for WarmFolder {
    fn drop(&mut self) {
        let _ = self.pg("stop", &[]);
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::workspace_root;

    /// The plumb crates a manifest's `[dependencies]` names.
    fn plumb_dependencies(manifest: &str) -> Vec<String> {
        let mut in_dependencies = false;
        let mut out = Vec::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_dependencies = line == "[dependencies]";
            } else if in_dependencies && line.starts_with("plumb") {
                out.push(line.split(['.', ' ', '=']).next().unwrap_or_default().to_owned());
            }
        }
        out.sort();
        out
    }

    /// ARCHITECTURE.md's `deps` block says every arrow of the crate graph; the manifests agree.
    #[test]
    fn architecture_names_every_arrow_of_the_crate_graph() {
        let root = workspace_root();
        let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
        let block = architecture.split("```deps\n").nth(1).and_then(|b| b.split("```").next()).expect("a deps block");
        let stated: BTreeMap<String, Vec<String>> = block
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(name, deps)| {
                let mut deps: Vec<String> = deps.split_whitespace().map(str::to_owned).collect();
                deps.sort();
                (name.trim().to_owned(), deps)
            })
            .collect();
        let mut actual = BTreeMap::new();
        let mut manifests: Vec<std::path::PathBuf> =
            std::fs::read_dir(root.join("crates")).unwrap().map(|e| e.unwrap().path().join("Cargo.toml")).collect();
        manifests.push(root.join("xtask/Cargo.toml"));
        for path in manifests {
            let manifest = std::fs::read_to_string(&path).unwrap();
            let name = manifest
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .map(|n| n.trim_matches('"').to_owned())
                .unwrap();
            actual.insert(name, plumb_dependencies(&manifest));
        }
        assert_eq!(stated, actual, "ARCHITECTURE.md's deps block and the Cargo.toml files disagree");
    }
}
