//! plumb's own local clusters: the project cluster, throwaway clean-up, missing binaries.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{binaries, plumb_command};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/migrations");

#[test]
fn project_cluster_is_used_when_no_url_is_given() {
    let project = tempfile::tempdir().unwrap();
    let pg_bin = binaries().bin_dir;
    let run = |args: &[&str]| {
        let out = plumb_command(args).current_dir(project.path()).env("PLUMB_PG_BIN", &pg_bin).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run(&["pg", "status", "--json"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"state\": \"absent\""), "{stdout}");

    let (code, stdout, stderr) = run(&["apply", "--dir", QUICKSTART]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("starting the project cluster"), "says so on stderr: {stderr}");
    assert!(stdout.contains("applied 4 migration(s)"), "{stdout}");

    let (code, stdout, stderr) = run(&["status", "--dir", QUICKSTART]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("using the project cluster"), "{stderr}");
    assert!(stdout.contains("4 applied, 0 pending"), "{stdout}");

    let (code, url, _) = run(&["pg", "url"]);
    assert_eq!(code, 0);
    let (code, stdout, stderr) = {
        let out =
            plumb_command(&["status", "--dir", QUICKSTART, "--json"]).env("DATABASE_URL", url.trim()).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 0, "the printed URL works: {stderr}");
    assert!(stdout.contains("\"applied\": 4"), "{stdout}");

    let (code, _, _) = run(&["pg", "stop"]);
    assert_eq!(code, 0);
    let (_, stdout, _) = run(&["pg", "status"]);
    assert!(stdout.starts_with("stopped"), "{stdout}");
    let (code, _, stderr) = run(&["pg", "url"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("plumb pg start"), "{stderr}");
}

/// The warm shadow: with a project cluster of the target's major in the folder, verify replays
/// in a temporary database there (no initdb per run), starting it first when it is stopped.
#[test]
fn the_project_cluster_is_the_shadow_server_when_it_is_of_the_target_s_major() {
    let project = tempfile::tempdir().unwrap();
    let pg_bin = binaries().bin_dir;
    let target = crate::support::TestDb::new();
    let run = |args: &[&str], url: Option<&str>| {
        let mut command = plumb_command(args);
        command.current_dir(project.path()).env("PLUMB_PG_BIN", &pg_bin);
        if let Some(url) = url {
            command.env("DATABASE_URL", url);
        }
        let out = command.output().unwrap();
        (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run(&["pg", "start"], None);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = run(&["apply", "--dir", QUICKSTART], Some(&target.url()));
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = run(&["verify", "--dir", QUICKSTART], Some(&target.url()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("of the project cluster"), "{stderr}");
    assert!(!stderr.contains("throwaway"), "{stderr}");
    // The run left an empty database ready for the next (made as it worked, maybe finished by
    // the server after plumb exited); the next run takes it and leaves another.
    let cluster = crate::support::TestDb {
        name: "postgres".into(),
        info: plumb_pg::ProjectCluster::in_project(project.path()).conninfo("postgres"),
    };
    let databases = |pattern: &str| -> Vec<String> {
        let sql = format!("SELECT datname FROM pg_database WHERE datname LIKE '{pattern}' ORDER BY datname");
        cluster.query(&sql).into_iter().filter_map(|row| row.into_iter().next().flatten()).collect()
    };
    let spare_after = |before: &[String]| -> Vec<String> {
        for _ in 0..200 {
            let now = databases("plumb\\_spare\\_%");
            if now.iter().any(|s| !before.contains(s)) {
                return now;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("no new spare database after 10 s; before: {before:?}, now: {:?}", databases("plumb%"));
    };
    let first = spare_after(&[]);
    std::fs::remove_dir_all(project.path().join(".plumb/cache")).unwrap();
    let (code, stderr) = run(&["verify", "--dir", QUICKSTART], Some(&target.url()));
    assert_eq!(code, 0, "{stderr}");
    let second = spare_after(&first);
    assert!(first.iter().all(|s| !second.contains(s)), "the spare was taken: {first:?} then {second:?}");
    assert_eq!(second.len(), 1, "one spare is kept, not one per run: {second:?}");
    assert!(databases("plumb\\_shadow\\_%").is_empty(), "the shadow is dropped: {:?}", databases("plumb%"));
    // Stopped: started again for the shadow (and left running, as plumb pg start leaves it).
    let (code, stderr) = run(&["pg", "stop"], None);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(project.path().join(".plumb/cache")).unwrap();
    let (code, stderr) = run(&["verify", "--dir", QUICKSTART], Some(&target.url()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("starting the project cluster"), "{stderr}");
    let (code, stderr) = run(&["pg", "stop"], None);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn ctrl_c_stops_and_removes_a_throwaway_cluster() {
    let mut child = plumb_command(&["demo"])
        .env("PLUMB_PG_BIN", binaries().bin_dir)
        .env("PLUMB_FAILPOINT", "before:002")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held open until plumb exits: Child::wait would close it, and plumb would resume.
    let _stdin = child.stdin.take();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut socket_dir = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(host) = line.split("host=").nth(1) {
            socket_dir = Some(host.split('&').next().unwrap().trim().to_owned());
        }
        if line.contains("plumb-failpoint: before:002") {
            break;
        }
        line.clear();
    }
    let dir = socket_dir.expect("demo names its cluster");
    assert!(std::path::Path::new(&dir).join("data/postmaster.pid").exists(), "cluster running in {dir}");
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!std::path::Path::new(&dir).exists(), "the cluster folder {dir} is left behind");
}

#[test]
fn missing_binaries_say_how_to_install_them() {
    let out = plumb_command(&["demo"]).env("PLUMB_PG_BIN", "/nonexistent/bin").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PLUMB_PG_BIN=/nonexistent/bin does not hold"), "{stderr}");
    for hint in ["apt-get install postgresql", "dnf install", "brew install", "winget install"] {
        assert!(stderr.contains(hint), "missing {hint}: {stderr}");
    }
}

/// The five incidents, and incident 2 again on Alembic (the demo runs it when a Python with
/// Alembic is there: the test gives it the interop tests' virtualenv).
#[test]
fn demo_runs_the_five_incidents_end_to_end_and_repairs_them() {
    let report = tempfile::tempdir().unwrap();
    let venv = crate::support::python_tools(&crate::support::ALEMBIC);
    let out = plumb_command(&["demo", "--report", report.path().to_str().unwrap()])
        .env("PLUMB_PG_BIN", binaries().bin_dir)
        .env("PLUMB_PYTHON", venv.join("python"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // The summary reads well at 100 columns (its cells wrap).
    let summary = stdout.split("== summary ==").nth(1).unwrap_or_default();
    assert!(summary.lines().all(|l| l.chars().count() <= 100), "{summary}");
    // What each incident is diagnosed as, and how it ends (the report's rows are not wrapped).
    let markdown = std::fs::read_to_string(report.path().join("demo.md")).unwrap();
    for expected in [
        "003 pending, 006 partial",
        "004 partial, 005 phantom, 006 phantom, 007 phantom",
        "002 partial, 1 unexplained",
        "FAIL: needs function auth.uid, relation auth.users_extended, relation organization, schema auth",
        "20250413093000 phantom, 20251001211923 phantom, 20251101000000 pending",
        "0004 partial, 0005 phantom, 0006 phantom, 0007 phantom",
    ] {
        assert!(markdown.contains(expected), "missing {expected:?} in:\n{markdown}");
    }
    let rows: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| incident")).collect();
    assert_eq!(rows.len(), 6, "{markdown}");
    for row in &rows {
        assert!(row.contains("| clean |") || row.contains("| untouched: check refuses it |"), "{row}");
        assert!(row.contains("rows intact"), "{row}");
    }
    assert!(std::fs::read_to_string(report.path().join("demo.html")).unwrap().contains("<table>"));
    // The backups the repairs took outlive the demo in the report folder, as it says.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("backups are kept in"), "{stderr}");
    let kept = std::fs::read_dir(report.path().join("backups")).map(|d| d.count()).unwrap_or(0);
    assert!(kept > 0, "no backup kept in {}", report.path().display());
}

/// Throwaway clusters start from a copy of one `initdb` kept as a template: each copy is a
/// cluster of its own, and the template stays as `initdb` left it.
#[test]
fn throwaway_clusters_from_the_initdb_template_are_separate_and_leave_it_untouched() {
    use crate::support::TestDb;
    use plumb_pg::{Cluster, ClusterConfig};

    let b = binaries();
    let first = Cluster::start(&b, &ClusterConfig::default()).unwrap();
    let template = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("plumb-templates-"))
        .flat_map(|store| std::fs::read_dir(store.path()).unwrap().flatten())
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("pg{}-", b.version)))
        .expect("a throwaway start keeps its initdb as a template");
    let listing = |dir: &std::path::Path| {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let meta = e.metadata().unwrap();
                if meta.is_dir() {
                    stack.push(e.path());
                } else {
                    files.push((e.path(), meta.len(), meta.modified().unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let before = listing(&template);
    let second = Cluster::start(&b, &ClusterConfig::default()).unwrap();
    let (one, two) = (TestDb::new_on(&first), TestDb::new_on(&second));
    one.query("CREATE TABLE only_here (id int); CHECKPOINT");
    two.query("CHECKPOINT");
    assert_eq!(one.value("SELECT count(*) FROM pg_class WHERE relname = 'only_here'").as_deref(), Some("1"));
    assert_eq!(two.value("SELECT count(*) FROM pg_class WHERE relname = 'only_here'").as_deref(), Some("0"));
    drop((first, second));
    assert!(!template.join("postmaster.pid").exists(), "a server ran on the template");
    assert_eq!(listing(&template), before, "the template {} changed", template.display());

    // A template that lost a file (temporary-folder cleaners age files out one by one) is made
    // again, never copied short.
    let manifest = std::fs::read_to_string(template.join("plumb-template.manifest")).unwrap();
    let lost = "global/pg_control";
    assert!(manifest.lines().any(|l| l.ends_with(&format!(" {lost}"))), "{manifest}");
    std::fs::remove_file(template.join(lost)).unwrap();
    let third = Cluster::start(&b, &ClusterConfig::default()).unwrap();
    assert_eq!(TestDb::new_on(&third).value("SELECT count(*) > 0 FROM pg_class").as_deref(), Some("t"));
    assert!(template.join(lost).exists(), "the template was not made again without {lost}");
}
