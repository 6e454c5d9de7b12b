//! One Python per Alembic project and database, kept for every revision plumb has Alembic run
//! there: starting Python and importing Alembic and SQLAlchemy costs about half a second, more
//! than most revisions take. The worker reads a revision id per line and answers `PLUMB-OK` or
//! `PLUMB-ERR`; Alembic's own log goes to a file, read back when a revision fails.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use plumb_pg::ConnInfo;

use crate::error::ApplyError;
use crate::runner::{connect_env, failure_hint, python};

/// Upgrades to one revision per line of stdin, the URL from the environment set as
/// `sqlalchemy.url` (which the standard `env.py` reads); `env.py` runs again for each, as it
/// does for every `alembic upgrade`.
const WORKER: &str = r#"
import os, sys, traceback
from alembic import command
from alembic.config import Config
config = Config(sys.argv[1])
config.set_main_option("sqlalchemy.url", os.environ["PLUMB_ALEMBIC_URL"].replace("%", "%%"))
print("PLUMB-READY", flush=True)
for line in sys.stdin:
    revision = line.strip()
    try:
        command.upgrade(config, revision)
        print("PLUMB-OK", flush=True)
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        print("PLUMB-ERR", flush=True)
"#;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    log: std::fs::File,
    program: String,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workers, by project ini and database: the replay's (on the shadow) and a repair's (on the
/// target) are two. They end with plumb (stdin closed, then killed).
static WORKERS: Mutex<Option<HashMap<(PathBuf, String), Worker>>> = Mutex::new(None);

/// Has Alembic upgrade the database of `info` to `revision` (its parents already there: then
/// exactly this one runs, in its own transaction, and Alembic writes `alembic_version`).
pub fn upgrade(ini: &Path, revision: &str, info: &ConnInfo) -> Result<(), ApplyError> {
    let key = (ini.to_path_buf(), info.to_url_with_password());
    let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    let workers = workers.get_or_insert_with(HashMap::new);
    if !workers.contains_key(&key) {
        workers.insert(key.clone(), start(ini, revision, info)?);
    }
    let worker = workers.get_mut(&key).expect("just inserted");
    let answer = ask(worker, revision);
    match answer {
        Some(line) if line == "PLUMB-OK" => Ok(()),
        answer => {
            let worker = workers.remove(&key).expect("present");
            Err(failed(worker, revision, answer.is_none()))
        }
    }
}

fn start(ini: &Path, revision: &str, info: &ConnInfo) -> Result<Worker, ApplyError> {
    let python = python();
    let program = python.display().to_string();
    let log =
        tempfile::tempfile().map_err(|e| tool_error(revision, format!("cannot create a log file: {e}"), "", true))?;
    let mut command = Command::new(&python);
    command
        .current_dir(ini.parent().unwrap_or(Path::new(".")))
        .arg("-c")
        .arg(WORKER)
        .arg(ini)
        .env("PLUMB_ALEMBIC_URL", info.to_url_with_password())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log.try_clone().map_err(|e| tool_error(revision, e.to_string(), "", true))?);
    connect_env(&mut command, info);
    let mut child = command.spawn().map_err(|e| {
        tool_error(
            revision,
            format!("cannot start {program}: {e}"),
            "install Python 3 and Alembic (pip install alembic), or set PLUMB_PYTHON to the Python that has it",
            true,
        )
    })?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut worker = Worker { child, stdin, stdout, log, program };
    match read_line(&mut worker) {
        Some(line) if line == "PLUMB-READY" => Ok(worker),
        // Python is there, Alembic or the project is not: it printed why and stopped.
        _ => Err(failed(worker, revision, true)),
    }
}

fn ask(worker: &mut Worker, revision: &str) -> Option<String> {
    writeln!(worker.stdin, "{revision}").ok()?;
    worker.stdin.flush().ok()?;
    read_line(worker)
}

/// The next line the worker printed, skipping what `env.py` or a revision prints itself.
fn read_line(worker: &mut Worker) -> Option<String> {
    loop {
        let mut line = String::new();
        if worker.stdout.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.starts_with("PLUMB-") {
            return Some(line.to_owned());
        }
    }
}

/// The error for a revision that failed (or a worker that stopped), with the end of Alembic's log.
fn failed(mut worker: Worker, revision: &str, stopped: bool) -> ApplyError {
    let _ = worker.stdin.flush();
    if stopped {
        let _ = worker.child.wait();
    }
    let mut text = String::new();
    let _ = worker.log.rewind();
    let _ = worker.log.read_to_string(&mut text);
    // The last traceback is the one that matters; the log may hold every earlier revision's lines.
    let tail: String = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    let code = if stopped { worker.child.try_wait().ok().flatten().and_then(|s| s.code()) } else { None };
    let (hint, missing) = failure_hint("Alembic", &worker.program, revision, &text, code);
    ApplyError::Tool {
        tool: "Alembic",
        step: revision.to_owned(),
        output: plumb_pg::redact(tail.trim()),
        hint,
        missing,
    }
}

fn tool_error(revision: &str, output: String, hint: &str, missing: bool) -> ApplyError {
    ApplyError::Tool { tool: "Alembic", step: revision.to_owned(), output, hint: hint.to_owned(), missing }
}
