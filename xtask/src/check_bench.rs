//! `bench check`: `plumb check` with one pending migration against a target holding the
//! crates.io schema, cold (a throwaway cluster per run) and warm (the project cluster as the
//! shadow), against psql running that one migration on the target itself (what check
//! rehearses). Interleaved rounds, medians.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

use crate::{create_db, flag, ms, sql_files, workspace_root};

pub fn run(rest: &[&str]) -> Result<()> {
    let root = workspace_root();
    let corpus = flag(rest, "--corpus").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/corpora/cratesio"));
    let rounds: usize = flag(rest, "--rounds").unwrap_or("5").parse()?;
    let plumb = crate::build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
    let files = sql_files(&corpus)?;
    let Some((last, _)) = files.split_last() else { bail!("{} holds no migrations", corpus.display()) };
    let before = files[files.len() - 2].file_name().and_then(|n| n.to_str()).and_then(|n| n.split('_').next());
    let before = before.unwrap_or_default().to_owned();

    // The target: everything but the last migration applied.
    create_db(&psql, &cluster, "bc_target")?;
    let url = cluster.url("bc_target");
    let out = Command::new(&plumb)
        .args(["apply", "--to", &before, "--dir"])
        .arg(&corpus)
        .env("DATABASE_URL", &url)
        .output()?;
    if !out.status.success() {
        bail!("plumb apply failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Warm: a project folder whose cluster (of the same major) is started once.
    let warm_dir = crate::WarmFolder::start(&plumb, binaries.major)?;
    let cold_dir = tempfile::tempdir()?;
    let (mut cold, mut warm, mut reference) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let check = |dir: &std::path::Path| {
            timed(Command::new(&plumb).args(["check", "--dir"]).arg(&corpus).env("DATABASE_URL", &url).current_dir(dir))
        };
        warm.push(check(warm_dir.path())?);
        cold.push(check(cold_dir.path())?);
        // psql runs the pending file as it is (it may not run in a transaction), on a copy.
        let copy = format!("bc_copy_{round}");
        let admin = cluster.url("postgres");
        run_quiet(Command::new(&psql).arg(&admin).args(["-c", &format!("CREATE DATABASE {copy} TEMPLATE bc_target")]))?;
        let started = Instant::now();
        run_quiet(Command::new(&psql).arg(cluster.url(&copy)).args(["-q", "-v", "ON_ERROR_STOP=1", "-f"]).arg(last))?;
        reference.push(started.elapsed());
    }
    drop(warm_dir);
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (cold, warm, reference) = (median(&mut cold), median(&mut warm), median(&mut reference));
    println!("PostgreSQL {}; {} migrations, the last one pending; medians of {rounds}", binaries.version, files.len());
    println!("  psql running the pending file             {:>8.0} ms", ms(reference));
    println!(
        "  plumb check, warm (project cluster)       {:>8.0} ms  ({:.1}x psql)",
        ms(warm),
        warm.as_secs_f64() / reference.as_secs_f64()
    );
    println!(
        "  plumb check, cold (throwaway cluster)     {:>8.0} ms  ({:.1}x psql)",
        ms(cold),
        cold.as_secs_f64() / reference.as_secs_f64()
    );
    Ok(())
}

fn timed(cmd: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    // 1: findings (lint warnings); the check itself ran.
    if !matches!(status.code(), Some(0 | 1)) {
        bail!("{cmd:?} exited with {status}");
    }
    Ok(started.elapsed())
}

fn run_quiet(cmd: &mut Command) -> Result<()> {
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
