//! `bench verify`: `plumb verify` (replay with footprints, then from the cache) against
//! `psql` applying the same migrations in one session, on every corpus in
//! `../shared/corpora` (each in its own layout) and on generated sets of 50, 100, 300 and
//! 1,000 migrations: first run cold (a throwaway shadow cluster) and warm (the project
//! cluster, already running, as psql's server is), time per migration, peak memory, cached run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

use crate::{create_db, flag, ms, workspace_root};

pub fn run(rest: &[&str]) -> Result<()> {
    let root = workspace_root();
    let plumb = crate::build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
    let scratch = tempfile::tempdir()?;
    let mut sets: Vec<(String, PathBuf)> = Vec::new();
    match flag(rest, "--corpus") {
        Some(dir) => sets.push((dir.to_owned(), PathBuf::from(dir))),
        None => {
            for name in ["cratesio", "cratesio-diesel", "documenso-prisma"] {
                let dir = root.join("../shared/corpora").join(name);
                let dir = if dir.join("migrations").is_dir() { dir.join("migrations") } else { dir };
                if dir.is_dir() {
                    sets.push((name.to_owned(), dir));
                } else {
                    println!("{name}: {} not found, skipped", dir.display());
                }
            }
        }
    }
    let sizes: Vec<usize> = flag(rest, "--sizes")
        .unwrap_or("50,100,300,1000")
        .split(',')
        .map(|n| n.trim().parse().context("--sizes takes numbers: 50,100"))
        .collect::<Result<_>>()?;
    for n in sizes {
        let dir = scratch.path().join(format!("generated-{n}"));
        std::fs::create_dir_all(&dir)?;
        generate(&dir, n)?;
        sets.push((format!("generated {n}"), dir));
    }
    // Warm: a project folder whose cluster (of the same major) is started once and is the
    // shadow of every warm run, as psql's server is already running.
    let warm_dir = crate::WarmFolder::start(&plumb, binaries.major)?;
    print_table(&plumb, &psql, &cluster, scratch.path(), warm_dir.path(), &sets, &binaries.version)
}

/// Measures every set and prints one row each.
fn print_table(
    plumb: &Path,
    psql: &Path,
    cluster: &Cluster,
    scratch: &Path,
    warm_dir: &Path,
    sets: &[(String, PathBuf)],
    version: &str,
) -> Result<()> {
    println!("PostgreSQL {version}; one run each; per migration = warm first run / migrations");
    println!(
        "{:<17} {:>5} {:>7} {:>8} {:>6} {:>8} {:>6} {:>8} {:>8} {:>6}",
        "set", "migr.", "psql ms", "cold ms", "x psql", "warm ms", "x psql", "ms/migr.", "peak MiB", "cached"
    );
    for (i, (label, dir)) in sets.iter().enumerate() {
        let set = plumb_migrate::load_dir(dir).with_context(|| format!("{label}: {}", dir.display()))?;
        let script: String = set.migrations().iter().map(|m| format!("{}\n;\n", m.sql)).collect();
        let script_path = scratch.join(format!("script-{i}.sql"));
        std::fs::write(&script_path, script)?;
        let (ref_db, target_db) = (format!("bv_psql_{i}"), format!("bv_target_{i}"));
        create_db(psql, cluster, &ref_db)?;
        create_db(psql, cluster, &target_db)?;
        let psql_time = crate::psql_one_session(psql, &script_path, &cluster.url(&ref_db))?;
        let url = cluster.url(&target_db);
        let out = Command::new(plumb).args(["apply", "--dir"]).arg(dir).env("DATABASE_URL", &url).output()?;
        if !out.status.success() {
            bail!("plumb apply failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let cold_dir = tempfile::tempdir()?;
        let verify = |workdir: &Path| {
            let mut command = Command::new(plumb);
            command.args(["verify", "--dir"]).arg(dir).env("DATABASE_URL", &url).current_dir(workdir);
            command
        };
        let (cold, _) = measure(&mut verify(cold_dir.path()))?;
        // The warm folder's cache holds the last set's replay: a first run starts without one.
        let _ = std::fs::remove_dir_all(warm_dir.join(".plumb/cache"));
        let (warm, peak_kib) = measure(&mut verify(warm_dir))?;
        let (cached, _) = measure(&mut verify(warm_dir))?;
        let migrations = set.migrations().len();
        let ratio = |d: Duration| d.as_secs_f64() / psql_time.as_secs_f64();
        println!(
            "{:<17} {:>5} {:>7.0} {:>8.0} {:>6.1} {:>8.0} {:>6.1} {:>8.1} {:>8.0} {:>6.0}",
            label,
            migrations,
            ms(psql_time),
            ms(cold),
            ratio(cold),
            ms(warm),
            ratio(warm),
            ms(warm) / migrations as f64,
            peak_kib as f64 / 1024.0,
            ms(cached)
        );
    }
    Ok(())
}

/// Runs `cmd` to the end (exit 0 or 1: verify's findings are not a failure here), and returns
/// how long it took and plumb's own peak resident memory in KiB (`VmHWM`, read while it runs:
/// the servers it starts are not counted).
fn measure(cmd: &mut Command) -> Result<(Duration, i64)> {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(line) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|text| text.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        {
            peak = peak.max(line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    if status.code().is_none_or(|code| code > 1) {
        bail!("{cmd:?} failed: {status}");
    }
    Ok((elapsed, peak))
}

/// `n` small migrations: tables, columns, indexes, foreign keys, functions and views in turn.
fn generate(dir: &Path, n: usize) -> Result<()> {
    for i in 1..=n {
        let sql = match i % 5 {
            1 => format!(
                "CREATE TABLE g{i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now());"
            ),
            2 => format!(
                "ALTER TABLE g{} ADD COLUMN note text;\nCREATE INDEX g{}_name ON g{} (name);",
                i - 1,
                i - 1,
                i - 1
            ),
            3 => format!("CREATE TABLE g{i} (id bigint PRIMARY KEY, parent bigint REFERENCES g{} (id));", i - 2),
            4 => format!(
                "CREATE FUNCTION g{i}_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM g{} $$;",
                i - 3
            ),
            _ => format!("CREATE VIEW g{i}_v AS SELECT id, name FROM g{} WHERE note IS NOT NULL;", i - 4),
        };
        std::fs::write(dir.join(format!("{i:04}_step.sql")), sql)?;
    }
    Ok(())
}
