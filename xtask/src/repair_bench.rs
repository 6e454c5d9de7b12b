//! `bench repair`: `plumb repair --execute` on incident 5 grown to `--rows N` rows (default
//! 1,000,000 in a table the plan does not name, as many in one it alters), against the same
//! plan's script run by `psql -1` on an identical database (the fix without plumb's guards)
//! and a full `pg_dump` (the backup the team took by hand before their fix).

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

use crate::{create_db, flag, ms};

pub fn run(rest: &[&str]) -> Result<()> {
    let rows: u64 = flag(rest, "--rows").unwrap_or("1000000").parse()?;
    let plumb = crate::build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let cluster = Cluster::start(&binaries, &ClusterConfig::default())?;
    let shadow = cluster.url("postgres");
    println!("PostgreSQL {}; incident 5 with {rows} rows in each of two tables; one run each", binaries.version);

    let mut urls = Vec::new();
    for name in ["br_plumb", "br_psql"] {
        create_db(&psql, &cluster, name)?;
        let url = cluster.url(name);
        let work = tempfile::tempdir()?;
        let dir = work.path().join("migrations");
        run_ok(Command::new(&plumb).args(["demo", "--build", "5", "--dir"]).arg(&dir).env("DATABASE_URL", &url))?;
        let grow = format!(
            "INSERT INTO user_consents SELECT gen_random_uuid(), 'purpose ' || g, now() FROM generate_series(1, {rows}) g;
             INSERT INTO collections (title) SELECT 'collection ' || g FROM generate_series(1, {rows}) g;
             ANALYZE;"
        );
        run_ok(Command::new(&psql).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &grow]).arg(&url))?;
        urls.push((url, work, dir));
    }

    let (url, work, dir) = &urls[0];
    let repair = timed(
        Command::new(&plumb)
            .args(["repair", "--execute", "--yes", "--shadow-url", &shadow, "--dir"])
            .arg(dir)
            .env("DATABASE_URL", url)
            .current_dir(work.path()),
    )?;

    let (url, work, dir) = &urls[1];
    let script = work.path().join("repair.sql");
    let out = Command::new(&plumb)
        .args(["repair", "--shadow-url", &shadow, "--dir"])
        .arg(dir)
        .env("DATABASE_URL", url)
        .current_dir(work.path())
        .output()?;
    std::fs::write(&script, &out.stdout)?;
    let dump = timed(Command::new(binaries.program("pg_dump")).args(["-f", "/dev/null", "-d", url]))?;
    let psql_time =
        timed(Command::new(&psql).args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"]).arg(&script).arg(url))?;

    println!("  psql -1 -f <the printed plan>          {:>8.0} ms", ms(psql_time));
    println!("  pg_dump of the whole database          {:>8.0} ms", ms(dump));
    println!(
        "  plumb repair --execute                 {:>8.0} ms  ({:.1}x psql, {:.1}x psql + pg_dump)",
        ms(repair),
        ms(repair) / ms(psql_time),
        ms(repair) / (ms(psql_time) + ms(dump))
    );
    println!("  (repair replays the migrations, backs up the touched tables, and hashes every table twice)");
    Ok(())
}

fn run_ok(cmd: &mut Command) -> Result<()> {
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("{:?} failed: {}", cmd.get_program(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn timed(cmd: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    run_ok(cmd)?;
    Ok(started.elapsed())
}
