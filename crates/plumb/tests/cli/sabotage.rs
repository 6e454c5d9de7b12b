//! The sabotage harness: for a migrations folder, every way a history goes wrong in the
//! incidents, built on a real database with rows in it, then `verify`, `locate` and
//! `repair --execute` scored against the truth the harness knows because it did the damage.
//!
//! Scenarios: phantom (what some migrations left is dropped), partial (the first half of
//! migration k run by hand), stamped (schema at k, history at n), unrecorded (every file run
//! by psql, no history), drift (a column retyped by hand), hotfix (an index and a column by
//! hand), missing file (the last file deleted after it ran). Values of k sit just before and
//! after a no-transaction migration, an enum addition, a rename and a drop.
//!
//! The truth of a prefix is what `verify` says of a database honestly applied up to it
//! (verified or unverifiable per migration); every sabotage then says exactly which
//! statuses change. After `repair --execute`, `verify` must exit 0, `apply` must find
//! nothing to do, and every row that existed before must be there, unchanged.
//!
//! Runs on the reference set and every corpus in `../shared/corpora`, each in its own layout
//! (plumb's, Prisma's, Diesel's: the history written is that tool's);
//! `PLUMB_SABOTAGE_DIRS=dir1:dir2` runs it on other folders instead (`cargo run -p xtask --
//! sabotage DIR...`). Prints one score table per folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plumb_migrate::MigrationSet;

use crate::support::{TestDb, binaries, cluster, copy_dir, corpora, plumb, rows, user_table};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/reference");

/// A folder under test, with what an honest database tells about it.
struct Folder {
    name: String,
    dir: PathBuf,
    set: MigrationSet,
    /// `verify` on a database with every migration applied.
    baseline: serde_json::Value,
    /// Kept alive: the folder's copy lives here.
    _work: tempfile::TempDir,
}

/// How one scenario scored.
struct Score {
    scenario: String,
    verify: Result<(), String>,
    locate: Result<(), String>,
    repair: Result<(), String>,
    rows: Result<(), String>,
}

impl Score {
    fn passed(&self) -> bool {
        self.verify.is_ok() && self.locate.is_ok() && self.repair.is_ok() && self.rows.is_ok()
    }
}

fn run_json(db: &TestDb, args: &[&str]) -> (i32, serde_json::Value) {
    let shadow = cluster().url("postgres");
    let mut all = args.to_vec();
    all.extend(["--shadow-url", &shadow, "--json"]);
    let run = plumb(&db.url(), &all);
    let json = serde_json::from_str(&run.stdout).unwrap_or_else(|_| serde_json::json!({"error": run.stderr}));
    (run.code, json)
}

fn statuses(json: &serde_json::Value) -> BTreeMap<String, String> {
    json["migrations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| (m["version"].as_str().unwrap().to_owned(), m["status"].as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

impl Folder {
    fn new(name: &str, source: &Path) -> Folder {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("migrations");
        copy_dir(source, &dir);
        let set = plumb_migrate::load_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let db = TestDb::new();
        let run = crate::support::apply(&db, &dir, &[]);
        assert_eq!(run.code, 0, "{name} does not apply: {run:?}");
        let (code, baseline) = run_json(&db, &["verify", "--dir", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: an honest database does not verify clean: {baseline:#}");
        Folder { name: name.to_owned(), dir, set, baseline, _work: work }
    }

    fn dir(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    fn versions(&self) -> Vec<String> {
        self.set.migrations().iter().map(|m| m.version.to_string()).collect()
    }

    /// A database with the first `k` migrations applied by plumb.
    fn applied_to(&self, k: usize) -> TestDb {
        let db = TestDb::new();
        if k > 0 {
            let to = self.set.migrations()[k - 1].version.to_string();
            let run = crate::support::apply(&db, &self.dir, &["--to", &to]);
            assert_eq!(run.code, 0, "{}: apply --to {to}: {run:?}", self.name);
        }
        db
    }

    /// The truth at prefix `k`: each migration's status on an honest database applied to `k`.
    fn truth_at(&self, k: usize) -> BTreeMap<String, String> {
        let db = self.applied_to(k);
        statuses(&run_json(&db, &["verify", "--dir", self.dir()]).1)
    }

    /// Values of k next to migrations of each interesting kind (no-transaction, enum value
    /// added, rename, drop), each once, in order.
    fn interesting(&self) -> Vec<(usize, &'static str)> {
        let mut out: Vec<(usize, &'static str)> = Vec::new();
        let kinds: [(&str, Is); 4] = [
            ("no-transaction", |sql| sql.contains("plumb:no-transaction")),
            ("enum value added", |sql| sql.to_uppercase().contains("ADD VALUE")),
            ("rename", |sql| sql.to_uppercase().contains(" RENAME ")),
            ("drop", |sql| {
                let up = sql.to_uppercase();
                up.contains("DROP TABLE") || up.contains("DROP COLUMN") || up.contains("DROP INDEX")
            }),
        ];
        for (label, is) in kinds {
            if let Some(i) = self.set.migrations().iter().position(|m| is(&m.sql)) {
                out.push((i + 1, label));
            }
        }
        out
    }
}

/// Whether a migration's text is of a kind.
type Is = fn(&str) -> bool;

/// Rows in as many tables as a generic value per type allows (two rounds, so that a
/// foreign key to id 1 finds its row), except in the tables listed in `plumb_seed_skip`.
const SEED: &str = r#"
DO $plumb_seed$
DECLARE
  r record; cols text; vals text; round int;
BEGIN
  -- Deferred foreign keys are checked at each insert, where a failure is caught.
  SET CONSTRAINTS ALL IMMEDIATE;
  FOR round IN 1..2 LOOP
    FOR r IN SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND {USER_TABLE}
                AND format('%I.%I', n.nspname, c.relname) NOT IN (SELECT name FROM plumb_seed_skip)
              ORDER BY 2 LOOP
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
             string_agg(CASE
                 WHEN t.typtype = 'e' THEN quote_literal((SELECT e.enumlabel FROM pg_enum e
                                                           WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder LIMIT 1))
                 WHEN t.typcategory = 'N' THEN '1'
                 WHEN t.typcategory = 'S' THEN quote_literal('plumb ' || round)
                 WHEN t.typcategory = 'B' THEN 'true'
                 WHEN t.typcategory = 'D' THEN 'now()'
                 WHEN t.typname = 'uuid' THEN 'gen_random_uuid()'
                 WHEN t.typname IN ('json', 'jsonb') THEN quote_literal('{}')
                 WHEN t.typcategory = 'A' THEN quote_literal('{}')
                 ELSE 'NULL' END || '::' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
        INTO cols, vals
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
         AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '';
      BEGIN
        IF cols IS NULL THEN
          EXECUTE format('INSERT INTO %s DEFAULT VALUES', r.name);
        ELSE
          EXECUTE format('INSERT INTO %s (%s) VALUES (%s)', r.name, cols, vals);
        END IF;
      EXCEPTION WHEN others THEN NULL;
      END;
    END LOOP;
  END LOOP;
END
$plumb_seed$;
"#;

/// What the harness expects `verify` to say.
struct Expected {
    /// Per version, the statuses accepted (usually one).
    statuses: BTreeMap<String, Vec<String>>,
    /// Exactly these unexplained objects (`None`: not checked).
    unexplained: Option<Vec<String>>,
    /// Exactly these missing files.
    missing_files: Vec<String>,
    /// The version `locate` must name (`None`: not checked; `Some(None)`: none applied).
    best: Option<Option<String>>,
}

impl Expected {
    fn from(truth: &BTreeMap<String, String>) -> Expected {
        Expected {
            statuses: truth.iter().map(|(v, s)| (v.clone(), vec![s.clone()])).collect(),
            unexplained: Some(Vec::new()),
            missing_files: Vec::new(),
            best: None,
        }
    }

    fn set(&mut self, version: &str, status: &str) {
        self.statuses.insert(version.to_owned(), vec![status.to_owned()]);
    }

    fn check(&self, verify: &serde_json::Value) -> Result<(), String> {
        let got = statuses(verify);
        let wrong: Vec<String> = self
            .statuses
            .iter()
            .filter(|(v, ok)| !got.get(*v).is_some_and(|s| ok.contains(s)))
            .map(|(v, ok)| format!("{v}: {} (want {})", got.get(v).map_or("-", String::as_str), ok.join("|")))
            .collect();
        if !wrong.is_empty() {
            return Err(format!(
                "{} misjudged: {}",
                wrong.len(),
                wrong.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let list = |key: &str| -> Vec<String> {
            verify[key]
                .as_array()
                .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        if let Some(unexplained) = &self.unexplained {
            let found = list("unexplained");
            if &found != unexplained {
                return Err(format!("unexplained {found:?}, want {unexplained:?}"));
            }
        }
        let missing: Vec<String> = verify["missing_files"]
            .as_array()
            .map(|a| a.iter().map(|m| m["version"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        // By number: a tool that keeps integers records 30 for the file 030.
        let number = |v: &String| v.trim_start_matches('0').to_owned();
        if missing.iter().map(number).collect::<Vec<_>>() != self.missing_files.iter().map(number).collect::<Vec<_>>() {
            return Err(format!("missing files {missing:?}, want {:?}", self.missing_files));
        }
        Ok(())
    }
}

/// Rows for the sabotaged database, except in tables a migration from index `from` on
/// changes: those the roll-forward may rightly refuse rows in (a column made NOT NULL), or
/// change (an UPDATE). The tables are the ones the honest `verify` names in their objects.
fn seed(folder: &Folder, db: &TestDb, from: usize) -> Vec<String> {
    let tables: Vec<String> = db
        .query(&format!(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE {}",
            user_table("schemaname", "tablename")
        ))
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    let later: Vec<String> = folder.baseline["migrations"].as_array().unwrap()
        [from.min(folder.set.migrations().len())..]
        .iter()
        .flat_map(|m| m["present"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let written: Vec<String> = folder.set.migrations()[from.min(folder.set.migrations().len())..]
        .iter()
        .flat_map(|m| (0..m.script.statements.len()).filter_map(|i| written_table(m.statement_sql(i))))
        .collect();
    let bare = |t: &str| t.rsplit('.').next().unwrap_or(t).trim_matches('"').to_lowercase();
    let skip: Vec<String> = tables
        .iter()
        .filter(|t| {
            later.iter().any(|id| id.ends_with(&format!(" {t}")) || id.contains(&format!(" {t}.")))
                || written.iter().any(|w| bare(w) == bare(t))
        })
        .cloned()
        .collect();
    let values: Vec<String> = skip.iter().map(|t| format!("('{}')", t.replace('\'', "''"))).collect();
    let values = if values.is_empty() { "(NULL)".to_owned() } else { values.join(", ") };
    db.query(&format!(
        "CREATE TEMP TABLE plumb_seed_skip (name text); INSERT INTO plumb_seed_skip VALUES {values}; {} DROP TABLE plumb_seed_skip;", SEED.replace("{USER_TABLE}", &user_table("n.nspname", "c.relname"))
    ));
    skip
}

/// The table a data statement writes (`INSERT INTO x`, `UPDATE x`, `DELETE FROM x`, `TRUNCATE x`).
fn written_table(sql: &str) -> Option<String> {
    let code: String = sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = code.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let at = match upper.as_slice() {
        [a, b, ..] if a == "INSERT" && b == "INTO" => 2,
        [a, b, ..] if a == "DELETE" && b == "FROM" => 2,
        [a, b, ..] if a == "TRUNCATE" && b == "TABLE" => 2,
        [a, ..] if a == "UPDATE" || a == "TRUNCATE" => 1,
        _ => return None,
    };
    words.get(at).map(|w| w.split(['(', ';']).next().unwrap_or_default().to_owned())
}

/// Scores one sabotaged database (seeded already): verify and locate against `expected`, then repair.
/// `rolled_forward`: tables the migrations after the sabotage point change (their rows may
/// rightly change when the repair applies them); every other table must keep its rows exactly.
fn score(
    scenario: String,
    db: &TestDb,
    dir: &str,
    expected: &Expected,
    repair: &[&str],
    rolled_forward: &[String],
) -> Score {
    let before = rows(db);
    let (_, verify) = run_json(db, &["verify", "--dir", dir]);
    let verify_score = expected.check(&verify);
    let locate_score = match &expected.best {
        None => Ok(()),
        Some(best) => {
            let (_, located) = run_json(db, &["locate", "--dir", dir]);
            let found = located["best_version"].as_str().map(str::to_owned);
            if &found == best { Ok(()) } else { Err(format!("closest to {found:?}, want {best:?}")) }
        }
    };
    let mut args = vec!["repair", "--dir", dir, "--execute", "--yes"];
    args.extend_from_slice(repair);
    let (code, repaired) = run_json(db, &args);
    let repair_score = if code != 0 {
        let reasons = &repaired["executed"]["reasons"];
        let error = &repaired["error"]["message"];
        Err(format!("exit {code}: {}", if reasons.is_null() { error.to_string() } else { reasons.to_string() }))
    } else {
        let (code, after) = run_json(db, &["verify", "--dir", dir]);
        let applied = plumb(&db.url(), &["apply", "--dir", dir, "--json"]);
        let nothing_left = serde_json::from_str::<serde_json::Value>(&applied.stdout)
            .is_ok_and(|j| j["applied"].as_array().is_some_and(|a| a.is_empty()));
        if code != 0 {
            let bad: Vec<String> = statuses(&after)
                .into_iter()
                .filter(|(_, s)| s != "verified" && s != "unverifiable" && s != "pending")
                .map(|(v, s)| format!("{v} {s}"))
                .take(4)
                .collect();
            Err(format!("verify after: exit {code}: {bad:?} unexplained {}", after["unexplained"]))
        } else if !nothing_left {
            Err(format!("apply after repair: {}", applied.all_output().lines().take(3).collect::<Vec<_>>().join(" ")))
        } else {
            Ok(())
        }
    };
    let after = rows(db);
    let changed: Vec<&String> = before
        .iter()
        .filter(|(t, d)| !rolled_forward.contains(t) && after.get(*t) != Some(d))
        .map(|(t, _)| t)
        .collect();
    let seeded = before.values().filter(|(n, _)| n != "0").count();
    let rows_score = if changed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {} tables changed ({seeded} with rows): {changed:?}", changed.len(), before.len()))
    };
    Score { scenario, verify: verify_score, locate: locate_score, repair: repair_score, rows: rows_score }
}

fn phantom(folder: &Folder, truth: &BTreeMap<String, String>) -> Option<Score> {
    // Victims: verified migrations whose judged objects are existing indexes only (droppable
    // alone; a drop's absence is judged too), the first, the middle and the last of them.
    let db = folder.applied_to(folder.set.migrations().len());
    let exists = |index: &str| {
        db.value(&format!(
            "SELECT to_regclass('{}') IS NOT NULL",
            index.trim_start_matches("index ").replace('\'', "''")
        ))
        .as_deref()
            == Some("t")
    };
    let candidates: Vec<(String, Vec<String>)> = folder.baseline["migrations"]
        .as_array()?
        .iter()
        .filter(|m| m["status"] == "verified")
        .filter_map(|m| {
            let present: Vec<String> =
                m["present"].as_array()?.iter().map(|p| p.as_str().unwrap().to_owned()).collect();
            (!present.is_empty() && present.iter().all(|p| p.starts_with("index ") && exists(p)))
                .then(|| (m["version"].as_str().unwrap().to_owned(), present))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let mut victims = vec![&candidates[0], &candidates[candidates.len() / 2], &candidates[candidates.len() - 1]];
    victims.dedup_by_key(|v| v.0.clone());
    let mut expected = Expected::from(truth);
    for (version, indexes) in &victims {
        for index in indexes {
            db.query(&format!("DROP INDEX {}", index.trim_start_matches("index ")));
        }
        expected.set(version, "phantom");
    }
    // Closest to the last migration that is not a victim (a phantom last one is a stamp by one).
    expected.best = Some(folder.versions().iter().rev().find(|v| !victims.iter().any(|x| &x.0 == *v)).cloned());
    let changed = seed(folder, &db, usize::MAX);
    let names: Vec<&str> = victims.iter().map(|v| v.0.as_str()).collect();
    Some(score(format!("phantom {}", names.join(",")), &db, folder.dir(), &expected, &[], &changed))
}

fn partial(folder: &Folder, k: usize, label: &str) -> Option<Score> {
    let m = &folder.set.migrations()[k - 1];
    let n = m.script.statements.len();
    if !m.is_transactional() || n < 2 {
        return None;
    }
    let db = folder.applied_to(k - 1);
    for i in 0..n / 2 {
        db.query(m.statement_sql(i));
    }
    // What golang-migrate leaves when a migration fails part-way: its version, dirty.
    if folder.set.layout().history().single_row() {
        db.query(&format!("UPDATE schema_migrations SET version = {}, dirty = true", m.version.significant_or_zero()));
    }
    let changed = seed(folder, &db, k - 1);
    let before = folder.truth_at(k - 1);
    let at = folder.truth_at(k);
    let versions = folder.versions();
    let mut expected = Expected::from(&before);
    for (i, v) in versions.iter().enumerate() {
        if i + 1 < k {
            let mut ok = vec![before[v].clone(), at[v].clone()];
            ok.dedup();
            expected.statuses.insert(v.clone(), ok);
        } else if i + 1 == k {
            // Half of its statements ran: partial, unless that half left nothing to see.
            expected.statuses.insert(v.clone(), vec!["partial".into(), "pending".into()]);
        } else {
            expected.set(v, "pending");
        }
    }
    Some(score(format!("partial {} ({label})", m.version), &db, folder.dir(), &expected, &[], &changed))
}

fn stamped(folder: &Folder, k: usize, label: &str) -> Score {
    let db = folder.applied_to(k);
    for m in &folder.set.migrations()[k..] {
        db.query(&folder.set.layout().history().record_sql(m, "stamped"));
    }
    let changed = seed(folder, &db, k);
    let mut expected = Expected::from(&folder.truth_at(k));
    for v in &folder.versions()[k..] {
        expected.set(v, "phantom");
    }
    expected.best = Some((k > 0).then(|| folder.versions()[k - 1].clone()));
    let at = if k > 0 { folder.versions()[k - 1].clone() } else { "0".into() };
    score(format!("stamped at {at} ({label})"), &db, folder.dir(), &expected, &[], &changed)
}

fn unrecorded(folder: &Folder, truth: &BTreeMap<String, String>) -> Score {
    let db = TestDb::new();
    let mut psql = std::process::Command::new(binaries().program("psql"));
    psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url()]);
    for m in folder.set.migrations() {
        psql.arg("-f").arg(&m.path);
    }
    let out = psql.output().unwrap();
    assert!(out.status.success(), "{}: psql: {}", folder.name, String::from_utf8_lossy(&out.stderr));
    let changed = seed(folder, &db, usize::MAX);
    let mut expected = Expected::from(truth);
    for ok in expected.statuses.values_mut() {
        if ok[0] == "verified" {
            ok[0] = "unrecorded".into();
        }
    }
    expected.best = Some(folder.versions().last().cloned());
    score("unrecorded (psql, no history)".into(), &db, folder.dir(), &expected, &[], &changed)
}

fn drift(folder: &Folder, truth: &BTreeMap<String, String>) -> Option<Score> {
    // A text column of a table whose creator set the column last: retyped to varchar(4000).
    let migrations = folder.baseline["migrations"].as_array()?;
    let db = folder.applied_to(folder.set.migrations().len());
    let text_columns = db.query(
        "SELECT format('%I.%I', c.table_schema, c.table_name), format('%I', c.column_name)
           FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.data_type = 'text' AND t.table_type = 'BASE TABLE'
            AND c.table_schema NOT IN ('pg_catalog', 'information_schema', 'plumb')
            AND NOT EXISTS (SELECT FROM information_schema.view_column_usage u
                             WHERE u.table_schema = c.table_schema AND u.table_name = c.table_name)
          ORDER BY 1, 2",
    );
    for row in text_columns {
        let (table, column) = (row[0].clone()?, row[1].clone()?);
        let id = format!("column {table}.{column}");
        let holders: Vec<&serde_json::Value> =
            migrations.iter().filter(|m| m["present"].as_array().is_some_and(|p| p.iter().any(|x| x == &id))).collect();
        let [creator] = holders.as_slice() else { continue };
        let creates_table = creator["present"].as_array()?.iter().any(|x| x == &format!("table {table}"));
        if !creates_table || creator["status"] != "verified" {
            continue;
        }
        db.query(&format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(4000)"));
        let changed = seed(folder, &db, usize::MAX);
        let mut expected = Expected::from(truth);
        expected.set(creator["version"].as_str()?, "partial");
        expected.best = Some(folder.versions().last().cloned());
        return Some(score(format!("drift {table}.{column}"), &db, folder.dir(), &expected, &[], &changed));
    }
    None
}

fn hotfix(folder: &Folder, truth: &BTreeMap<String, String>) -> Option<Score> {
    let db = folder.applied_to(folder.set.migrations().len());
    let table = db.value(&format!(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE {} ORDER BY 1 LIMIT 1",
        user_table("schemaname", "tablename")
    ))?;
    let schema = table.split('.').next()?.to_owned();
    db.query(&format!(
        "CREATE INDEX plumb_hotfix_idx ON {table} ((1)); ALTER TABLE {table} ADD COLUMN plumb_hotfix_col integer"
    ));
    let changed = seed(folder, &db, usize::MAX);
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&folder.dir, copy.path());
    let mut expected = Expected::from(truth);
    expected.unexplained =
        Some(vec![format!("column {table}.plumb_hotfix_col"), format!("index {schema}.plumb_hotfix_idx")]);
    expected.best = Some(folder.versions().last().cloned());
    let dir = copy.path().to_str().unwrap().to_owned();
    Some(score("hotfix (index, column; --adopt)".into(), &db, &dir, &expected, &["--adopt"], &changed))
}

fn missing_file(folder: &Folder, truth: &BTreeMap<String, String>) -> Score {
    let db = folder.applied_to(folder.set.migrations().len());
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&folder.dir, copy.path());
    let last = folder.set.migrations().last().unwrap();
    // The file, or the migration's own folder (Prisma, Diesel).
    let relative = last.path.strip_prefix(&folder.dir).unwrap();
    match relative.components().count() {
        1 => std::fs::remove_file(copy.path().join(relative)).unwrap(),
        _ => std::fs::remove_dir_all(copy.path().join(relative.parent().unwrap())).unwrap(),
    }
    // Drizzle's journal forgets it too, as `drizzle-kit drop` does.
    let journal = copy.path().join("meta/_journal.json");
    if let Ok(text) = std::fs::read_to_string(&journal) {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let tag = relative.to_string_lossy().trim_end_matches(".sql").to_owned();
        value["entries"].as_array_mut().unwrap().retain(|e| e["tag"] != tag.as_str());
        std::fs::write(&journal, value.to_string()).unwrap();
    }
    // Atlas refuses a folder whose sum is stale: its user runs `atlas migrate hash`.
    if copy.path().join("atlas.sum").exists() {
        write_atlas_sum(copy.path());
    }
    let changed = seed(folder, &db, usize::MAX);
    let mut expected = Expected::from(truth);
    expected.statuses.remove(last.version.as_str());
    // What the history can name it by: its version, or Drizzle's `when`.
    expected.missing_files = vec![last.stamp.map_or_else(|| last.version.to_string(), |s| s.to_string())];
    // What it created is now unexplained: not checked here, adopted by the repair.
    expected.unexplained = None;
    let dir = copy.path().to_str().unwrap().to_owned();
    score(format!("missing file {} (--adopt)", last.version), &db, &dir, &expected, &["--adopt"], &changed)
}

/// Every scenario on one folder.
fn sabotage(folder: &Folder) -> Vec<Score> {
    let truth = statuses(&folder.baseline);
    let n = folder.set.migrations().len();
    let mut scores = Vec::new();
    scores.extend(phantom(folder, &truth));
    let mut ks: Vec<(usize, String)> = folder
        .interesting()
        .into_iter()
        .flat_map(|(k, label)| [(k - 1, format!("before {label}")), (k, format!("after {label}"))])
        .filter(|(k, _)| *k < n)
        .collect();
    ks.push((n / 2, "middle".into()));
    ks.dedup_by_key(|(k, _)| *k);
    for (k, label) in &ks {
        scores.push(stamped(folder, *k, label));
    }
    for (k, label) in folder.interesting() {
        scores.extend(partial(folder, k, label));
    }
    scores.extend(partial(folder, n / 2 + 1, "middle"));
    scores.push(unrecorded(folder, &truth));
    scores.extend(drift(folder, &truth));
    scores.extend(hotfix(folder, &truth));
    scores.push(missing_file(folder, &truth));
    scores
}

fn cell(r: &Result<(), String>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => format!("FAIL: {e}"),
    }
}

fn report(folder: &Folder, scores: &[Score]) -> String {
    let mut out = format!("\n== {} ({} migrations) ==\n", folder.name, folder.set.migrations().len());
    out.push_str(&format!("{:<44} {:<8} {:<8} {:<8} {:<8}\n", "scenario", "verify", "locate", "repair", "rows"));
    for s in scores {
        let short = |r: &Result<(), String>| if r.is_ok() { "ok" } else { "FAIL" };
        out.push_str(&format!(
            "{:<44} {:<8} {:<8} {:<8} {:<8}\n",
            s.scenario,
            short(&s.verify),
            short(&s.locate),
            short(&s.repair),
            short(&s.rows)
        ));
    }
    let passed = scores.iter().filter(|s| s.passed()).count();
    out.push_str(&format!("score: {passed}/{} scenarios exact and repaired clean\n", scores.len()));
    for s in scores.iter().filter(|s| !s.passed()) {
        out.push_str(&format!("  {}:\n", s.scenario));
        for (what, r) in [("verify", &s.verify), ("locate", &s.locate), ("repair", &s.repair), ("rows", &s.rows)] {
            if r.is_err() {
                out.push_str(&format!("    {what}: {}\n", cell(r)));
            }
        }
    }
    out
}

/// The reference set in another tool's layout, each file renamed and rewritten by `to`.
fn reference_as(scratch: &Path, tool: &str, to: fn(&str, &str) -> (String, String)) -> PathBuf {
    let dir = scratch.join(format!("reference-{tool}"));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(REFERENCE).unwrap() {
        let path = entry.unwrap().path();
        let (name, sql) = to(&path.file_name().unwrap().to_string_lossy(), &std::fs::read_to_string(&path).unwrap());
        std::fs::write(dir.join(name), sql).unwrap();
    }
    dir
}

/// The reference set in Drizzle Kit's layout: the files as they are, and a journal listing
/// them with a `when` each.
fn drizzle_reference(scratch: &Path) -> PathBuf {
    let dir = reference_as(scratch, "drizzle", |name, sql| (name.to_owned(), sql.to_owned()));
    let mut tags: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".sql").map(str::to_owned))
        .collect();
    tags.sort();
    let entries: Vec<serde_json::Value> = tags
        .iter()
        .enumerate()
        .map(|(idx, tag)| {
            serde_json::json!({"idx": idx, "version": "7", "when": 1_700_000_000_000_i64 + idx as i64 * 1000, "tag": tag, "breakpoints": true})
        })
        .collect();
    std::fs::create_dir_all(dir.join("meta")).unwrap();
    let journal = serde_json::json!({"version": "7", "dialect": "postgresql", "entries": entries});
    std::fs::write(dir.join("meta/_journal.json"), serde_json::to_string_pretty(&journal).unwrap()).unwrap();
    dir
}

/// The reference set in Atlas's layout: the files as they are, and the `atlas.sum` Atlas would
/// write for them.
fn atlas_reference(scratch: &Path) -> PathBuf {
    let dir = reference_as(scratch, "atlas", |name, sql| (name.to_owned(), sql.to_owned()));
    write_atlas_sum(&dir);
    dir
}

/// What `atlas migrate hash` writes for the `.sql` files of `dir`.
fn write_atlas_sum(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let texts: Vec<Vec<u8>> = names.iter().map(|n| std::fs::read(dir.join(n)).unwrap()).collect();
    let hashes = plumb_migrate::atlas_hashes(names.iter().map(String::as_str).zip(texts.iter().map(Vec::as_slice)));
    let sum = plumb_migrate::atlas_sum(names.iter().map(String::as_str).zip(hashes.iter().map(String::as_str)));
    let mut text = format!("h1:{sum}\n");
    for (name, hash) in names.iter().zip(&hashes) {
        text.push_str(&format!("{name} h1:{hash}\n"));
    }
    std::fs::write(dir.join("atlas.sum"), text).unwrap();
}

/// The folders to sabotage: `PLUMB_SABOTAGE_DIRS`, else the reference set and the corpora.
/// (Folders written for the run go into `scratch`, removed with it.)
fn folders(scratch: &Path) -> Vec<(String, PathBuf)> {
    if let Ok(dirs) = std::env::var("PLUMB_SABOTAGE_DIRS") {
        return std::env::split_paths(&dirs).map(|p| (p.display().to_string(), p)).collect();
    }
    let golang_migrate = |name: &str, sql: &str| (name.replace(".sql", ".up.sql"), sql.to_owned());
    let dbmate = |name: &str, sql: &str| (name.to_owned(), format!("-- migrate:up\n{sql}\n-- migrate:down\n"));
    let goose = |name: &str, sql: &str| (name.to_owned(), format!("-- +goose Up\n{sql}\n-- +goose Down\n"));
    // `0007_x.sql` → `V1_7__x.sql`: dotted versions, so 1.10 must come after 1.9.
    let flyway = |name: &str, sql: &str| {
        let (version, rest) = name.split_once('_').unwrap();
        (format!("V1_{}__{rest}", version.trim_start_matches('0')), sql.to_owned())
    };
    let mut out = vec![
        ("reference".to_owned(), PathBuf::from(REFERENCE)),
        ("reference, golang-migrate".to_owned(), reference_as(scratch, "golang-migrate", golang_migrate)),
        ("reference, dbmate".to_owned(), reference_as(scratch, "dbmate", dbmate)),
        ("reference, goose".to_owned(), reference_as(scratch, "goose", goose)),
        ("reference, Drizzle".to_owned(), drizzle_reference(scratch)),
        ("reference, Flyway".to_owned(), reference_as(scratch, "flyway", flyway)),
        ("reference, Atlas".to_owned(), atlas_reference(scratch)),
    ];
    let corpora = corpora();
    if corpora.is_empty() {
        eprintln!("NOTICE: ../shared/corpora is absent or empty; no corpus was sabotaged");
    }
    out.extend(corpora);
    out
}

#[test]
fn every_sabotage_is_diagnosed_exactly_and_repaired_clean() {
    let mut failed = Vec::new();
    let mut text = String::new();
    let scratch = tempfile::tempdir().unwrap();
    for (name, dir) in folders(scratch.path()) {
        let folder = Folder::new(&name, &dir);
        let scores = sabotage(&folder);
        let report = report(&folder, &scores);
        eprintln!("{report}");
        text.push_str(&report);
        failed.extend(scores.iter().filter(|s| !s.passed()).map(|s| format!("{name}: {}", s.scenario)));
    }
    if let Ok(path) = std::env::var("PLUMB_SABOTAGE_REPORT") {
        std::fs::write(path, &text).unwrap();
    }
    assert!(failed.is_empty(), "{} scenario(s) failed:\n{}\n{text}", failed.len(), failed.join("\n"));
}
