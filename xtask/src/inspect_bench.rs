//! `bench inspect`: `plumb inspect --json` against `pg_dump --schema-only` and a
//! reference script of plain set-based catalog queries, on synthetic schemas.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use plumb_pg::{Cluster, ClusterConfig};

use crate::{create_db, flag, ms};

/// What the reference does: every definition rendered by PostgreSQL's own functions.
const REFERENCE_QUERIES: &str = "
SELECT c.oid, n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
SELECT conrelid, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace NOT IN
       (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'));
SELECT indexrelid, pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast'));
SELECT oid, pg_get_functiondef(oid) FROM pg_proc WHERE prokind IN ('f', 'p') AND pronamespace NOT IN
       (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'));
SELECT oid, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal;
SELECT c.oid, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema');
SELECT t.oid, t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid;
";

pub fn run(rest: &[&str]) -> Result<()> {
    let sizes: Vec<usize> = flag(rest, "--tables")
        .unwrap_or("1000,10000")
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let plumb = crate::build_plumb()?;
    let binaries = plumb_pg::discover(None)?;
    let psql = binaries.program("psql");
    let pg_dump = binaries.program("pg_dump");
    let cluster = Cluster::start(
        &binaries,
        &ClusterConfig {
            settings: vec![("max_locks_per_transaction".into(), "1024".into())],
            ..ClusterConfig::default()
        },
    )?;
    let reference_path = std::env::temp_dir().join(format!("plumb-bench-reference-{}.sql", std::process::id()));
    std::fs::write(&reference_path, REFERENCE_QUERIES)?;
    println!(
        "PostgreSQL {} ({}); wall time and peak memory (max RSS) of one run each",
        binaries.version,
        binaries.bin_dir.display()
    );
    for n in sizes {
        let db = format!("bench_inspect_{n}");
        create_db(&psql, &cluster, &db)?;
        let started = Instant::now();
        populate(&psql, &cluster.url(&db), n)?;
        println!(
            "\n{n} tables (10 columns, PK, FK, CHECK, btree + partial index, comment each; enums, functions, views, triggers), built in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let url = cluster.url(&db);
        let (plumb_time, plumb_rss) =
            measure(Command::new(&plumb).args(["inspect", "--json"]).env("DATABASE_URL", &url))?;
        let (dump_time, dump_rss) = measure(Command::new(&pg_dump).args(["--schema-only", "-d", &url]))?;
        let (ref_time, ref_rss) =
            measure(Command::new(&psql).args(["-X", "-A", "-t", "-q", "-f"]).arg(&reference_path).arg(&url))?;
        // The same reference without JIT, which the server otherwise spends on big catalog queries
        // (plumb turns it off for its own).
        let (ref_nojit_time, _) = measure(
            Command::new(&psql)
                .args(["-X", "-A", "-t", "-q", "-f"])
                .arg(&reference_path)
                .arg(&url)
                .env("PGOPTIONS", "-c jit=off"),
        )?;
        println!("  plumb inspect --json            {:>8.0} ms {:>7.1} MB", ms(plumb_time), rss_mb(plumb_rss));
        println!("  pg_dump --schema-only           {:>8.0} ms {:>7.1} MB", ms(dump_time), rss_mb(dump_rss));
        println!("  reference queries (psql -A -t)  {:>8.0} ms {:>7.1} MB", ms(ref_time), rss_mb(ref_rss));
        println!("  reference queries, jit=off      {:>8.0} ms", ms(ref_nojit_time));
        println!("  plumb / reference               {:>8.2}x", plumb_time.as_secs_f64() / ref_time.as_secs_f64());
        println!("  plumb / reference (jit=off)     {:>8.2}x", plumb_time.as_secs_f64() / ref_nojit_time.as_secs_f64());
        println!("  pg_dump / plumb                 {:>8.2}x", dump_time.as_secs_f64() / plumb_time.as_secs_f64());
        let diff_time = time_diff(&cluster, &db)?;
        println!("  diff of two {n}-table schemas    {:>8.1} ms (in process)", ms(diff_time));
    }
    let _ = std::fs::remove_file(&reference_path);
    Ok(())
}

/// Builds `n` tables plus one enum, function, view and trigger per 100 tables.
fn populate(psql: &Path, url: &str, n: usize) -> Result<()> {
    let mut sql = String::from("CREATE TYPE bench_state AS ENUM ('new', 'active', 'done');\n");
    sql.push_str("CREATE FUNCTION bench_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.c9 := now(); RETURN NEW; END $$;\n");
    for i in 0..n {
        let fk = if i > 0 {
            format!(", parent_id bigint REFERENCES t{} (id)", i - 1)
        } else {
            ", parent_id bigint".to_owned()
        };
        sql.push_str(&format!(
            "BEGIN;\nCREATE TABLE t{i} (id bigint PRIMARY KEY, c1 text NOT NULL, c2 integer DEFAULT 0, c3 numeric(10,2), \
             c4 boolean NOT NULL DEFAULT false, c5 timestamptz DEFAULT now(), c6 varchar(64), c7 bench_state DEFAULT 'new', \
             c8 jsonb{fk}, c9 timestamptz, CONSTRAINT t{i}_c2_positive CHECK (c2 >= 0));\n\
             CREATE INDEX t{i}_c1 ON t{i} (c1);\nCREATE INDEX t{i}_live ON t{i} (c5) WHERE NOT c4;\n\
             COMMENT ON TABLE t{i} IS 'bench table {i}';\n"
        ));
        if i % 100 == 0 {
            sql.push_str(&format!(
                "CREATE TYPE bench_kind_{i} AS ENUM ('a', 'b', 'c');\n\
                 CREATE FUNCTION bench_f{i}(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x + {i} $$;\n\
                 CREATE VIEW v{i} AS SELECT id, c1, c2 FROM t{i} WHERE c4;\n\
                 CREATE TRIGGER t{i}_touch BEFORE UPDATE ON t{i} FOR EACH ROW EXECUTE FUNCTION bench_touch();\n"
            ));
        }
        sql.push_str("COMMIT;\n");
    }
    let mut child = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    std::io::Write::write_all(child.stdin.as_mut().expect("piped"), sql.as_bytes())?;
    drop(child.stdin.take());
    if !child.wait()?.success() {
        bail!("building the synthetic schema failed");
    }
    Ok(())
}

/// Wall time and peak resident memory (KiB) of one child run, output discarded.
fn measure(cmd: &mut Command) -> Result<(Duration, i64)> {
    let started = Instant::now();
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let mut status = 0;
    // SAFETY: rusage is plain data filled in by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for the child we just spawned; std's Child is not used to wait afterwards.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    if rc != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed");
    }
    Ok((elapsed, usage.ru_maxrss))
}

fn rss_mb(kib: i64) -> f64 {
    kib as f64 / 1024.0
}

/// Inspects the database once, changes a copy in memory, and times the diff between them.
fn time_diff(cluster: &Cluster, db: &str) -> Result<Duration> {
    let info = cluster.conninfo(db);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let schema = runtime.block_on(async {
        let conn = plumb_pg::connect(&info, None).await?;
        anyhow::Ok(plumb_catalog::inspect(&conn, &Default::default()).await?)
    })?;
    let mut changed = schema.clone();
    for (i, table) in changed.tables.values_mut().enumerate() {
        if i % 10 == 0 {
            table.comment = Some("changed".into());
            table.columns[2].data_type = "bigint".into();
        }
    }
    let started = Instant::now();
    let diff = plumb_diff::diff(&schema, &changed);
    let elapsed = started.elapsed();
    assert!(!diff.is_empty());
    Ok(elapsed)
}
