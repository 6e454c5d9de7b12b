//! `bench verify`: `plumb verify` (replay with footprints, then from the cache) against
//! `psql` applying the same files in one session, on the crates.io corpus and on a
//! generated 300-migration set.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

use crate::{concatenated, create_db, flag, ms, sql_files, workspace_root};

pub fn run(rest: &[&str]) -> Result<()> {
    let root = workspace_root();
    let plumb = crate::build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
    let generated = tempfile::tempdir()?;
    generate(generated.path(), 300)?;
    let corpus = flag(rest, "--corpus").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/corpora/cratesio"));
    println!("PostgreSQL {}; one run each", binaries.version);
    for (label, dir) in [("crates.io corpus", corpus.as_path()), ("generated set", generated.path())] {
        if !dir.is_dir() {
            println!("{label}: {} not found, skipped", dir.display());
            continue;
        }
        let files = sql_files(dir)?;
        let script_path = std::env::temp_dir().join(format!("plumb-bench-verify-{}.sql", std::process::id()));
        std::fs::write(&script_path, concatenated(&files)?)?;
        let tag = label.split_whitespace().next().unwrap_or("x").replace('.', "");
        let (ref_db, target_db) = (format!("bv_psql_{tag}"), format!("bv_target_{tag}"));
        create_db(&psql, &cluster, &ref_db)?;
        create_db(&psql, &cluster, &target_db)?;
        let psql_time = crate::psql_one_session(&psql, &script_path, &cluster.url(&ref_db))?;
        let url = cluster.url(&target_db);
        let out = Command::new(&plumb).args(["apply", "--dir"]).arg(dir).env("DATABASE_URL", &url).output()?;
        if !out.status.success() {
            bail!("plumb apply failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let workdir = tempfile::tempdir()?;
        let first = timed(
            Command::new(&plumb)
                .args(["verify", "--dir"])
                .arg(dir)
                .env("DATABASE_URL", &url)
                .current_dir(workdir.path()),
        )?;
        let second = timed(
            Command::new(&plumb)
                .args(["verify", "--dir"])
                .arg(dir)
                .env("DATABASE_URL", &url)
                .current_dir(workdir.path()),
        )?;
        println!("\n{label}: {} migrations", files.len());
        println!("  psql, one session (-f all files)      {:>8.0} ms", ms(psql_time));
        println!(
            "  plumb verify, first run (replay)      {:>8.0} ms  ({:.1}x psql)",
            ms(first),
            first.as_secs_f64() / psql_time.as_secs_f64()
        );
        println!("  plumb verify, second run (cache)      {:>8.0} ms", ms(second));
        let _ = std::fs::remove_file(&script_path);
    }
    Ok(())
}

fn timed(cmd: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    if status.code() != Some(0) {
        bail!("{cmd:?} exited with {status}");
    }
    Ok(started.elapsed())
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
