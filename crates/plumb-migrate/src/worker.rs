//! One Python per project and database, kept for every step plumb has a code-first tool run
//! there (Alembic's revisions, Django's migrations): starting Python and importing the tool
//! costs about half a second, more than most migrations take. The worker reads a step per line
//! and answers `PLUMB-OK` or `PLUMB-ERR`; the tool's own log goes to a file, read back when a
//! step fails.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use plumb_pg::ConnInfo;

use crate::error::ApplyError;
use crate::runner::{connect_env, failure_hint, python};

/// Alembic: upgrades to one revision per line of stdin, the URL from the environment set as
/// `sqlalchemy.url` (which the standard `env.py` reads); `env.py` runs again for each, as it
/// does for every `alembic upgrade`.
const ALEMBIC: &str = r#"
import os, sys
from alembic import command
from alembic.config import Config
config = Config(sys.argv[1])
config.set_main_option("sqlalchemy.url", os.environ["PLUMB_ALEMBIC_URL"].replace("%", "%%"))
def step(line):
    command.upgrade(config, line)
"#;

/// Django: `migrate <app> <name>` per line (`app name`), as `manage.py migrate` does it, in a
/// process set up once with the project's settings module.
const DJANGO: &str = r#"
import os, sys
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", sys.argv[1])
import django
django.setup()
from django.core.management import call_command
def step(line):
    app, name = line.split(" ", 1)
    call_command("migrate", app, name, interactive=False, verbosity=1)
"#;

/// The loop both share: a step per line, an answer per step.
const LOOP: &str = r#"
import traceback
print("PLUMB-READY", flush=True)
for line in sys.stdin:
    try:
        step(line.strip())
        print("PLUMB-OK", flush=True)
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        print("PLUMB-ERR", flush=True)
"#;

/// Which tool a worker runs, with what it is started with.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// Alembic, with the project's `alembic.ini`.
    Alembic(&'a Path),
    /// Django, in the project of this `manage.py`, with this settings module.
    Django(&'a Path, &'a str),
}

impl Kind<'_> {
    fn tool(self) -> &'static str {
        match self {
            Kind::Alembic(_) => "Alembic",
            Kind::Django(..) => "Django",
        }
    }

    /// The project file that names the worker (with the database).
    fn file(self) -> PathBuf {
        match self {
            Kind::Alembic(ini) => ini.to_path_buf(),
            Kind::Django(manage, _) => manage.to_path_buf(),
        }
    }
}

struct Worker {
    tool: &'static str,
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

/// The workers, by project file and database: the replay's (on the shadow) and a repair's (on
/// the target) are two. They end with plumb (killed when dropped).
static WORKERS: Mutex<Option<HashMap<(PathBuf, String), Worker>>> = Mutex::new(None);

/// Has the tool run `step` (an Alembic revision id, or Django's `app name`) against the
/// database of `info`; `shown` names it in errors.
pub fn run(kind: Kind<'_>, step: &str, shown: &str, info: &ConnInfo) -> Result<(), ApplyError> {
    let key = (kind.file(), info.to_url_with_password());
    let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    let workers = workers.get_or_insert_with(HashMap::new);
    if !workers.contains_key(&key) {
        workers.insert(key.clone(), start(kind, shown, info)?);
    }
    let worker = workers.get_mut(&key).expect("just inserted");
    let answer = ask(worker, step);
    match answer {
        Some(line) if line == "PLUMB-OK" => Ok(()),
        answer => {
            let worker = workers.remove(&key).expect("present");
            Err(failed(worker, shown, answer.is_none()))
        }
    }
}

/// Ends the workers connected to the database of `info` (it is about to be dropped: a worker
/// kept for a database of the same name later would hold a dead connection).
pub fn end_workers(info: &ConnInfo) {
    let url = info.to_url_with_password();
    let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(workers) = workers.as_mut() {
        workers.retain(|(_, key), _| *key != url);
    }
}

fn start(kind: Kind<'_>, shown: &str, info: &ConnInfo) -> Result<Worker, ApplyError> {
    let tool = kind.tool();
    let python = python();
    let program = python.display().to_string();
    let log = tempfile::tempfile()
        .map_err(|e| tool_error(tool, shown, format!("cannot create a log file: {e}"), "", true))?;
    let mut command = Command::new(&python);
    let file = kind.file();
    command.current_dir(file.parent().unwrap_or(Path::new("."))).arg("-c");
    match kind {
        Kind::Alembic(ini) => {
            command.arg(format!("{ALEMBIC}{LOOP}")).arg(ini).env("PLUMB_ALEMBIC_URL", info.to_url_with_password())
        }
        Kind::Django(_, settings) => command.arg(format!("{DJANGO}{LOOP}")).arg(settings),
    };
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log.try_clone().map_err(|e| tool_error(tool, shown, e.to_string(), "", true))?);
    connect_env(&mut command, info);
    let mut child = command.spawn().map_err(|e| {
        tool_error(
            tool,
            shown,
            format!("cannot start {program}: {e}"),
            &format!(
                "install Python 3 and {tool} (pip install {}), or set PLUMB_PYTHON to the Python that has it",
                tool.to_lowercase()
            ),
            true,
        )
    })?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut worker = Worker { tool, child, stdin, stdout, log, program };
    match read_line(&mut worker) {
        Some(line) if line == "PLUMB-READY" => Ok(worker),
        // Python is there, the tool or the project is not: it printed why and stopped.
        _ => Err(failed(worker, shown, true)),
    }
}

fn ask(worker: &mut Worker, step: &str) -> Option<String> {
    writeln!(worker.stdin, "{step}").ok()?;
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

/// The error for a step that failed (or a worker that stopped), with the end of the tool's log.
fn failed(mut worker: Worker, shown: &str, stopped: bool) -> ApplyError {
    if stopped {
        let _ = worker.child.wait();
    }
    let mut text = String::new();
    let _ = worker.log.rewind();
    let _ = worker.log.read_to_string(&mut text);
    // The last traceback is the one that matters; the log may hold every earlier revision's lines.
    let tail: String = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    let code = if stopped { worker.child.try_wait().ok().flatten().and_then(|s| s.code()) } else { None };
    let (hint, missing) = failure_hint(worker.tool, &worker.program, shown, &text, code);
    ApplyError::Tool { tool: worker.tool, step: shown.to_owned(), output: plumb_pg::redact(tail.trim()), hint, missing }
}

fn tool_error(tool: &'static str, shown: &str, output: String, hint: &str, missing: bool) -> ApplyError {
    ApplyError::Tool { tool, step: shown.to_owned(), output, hint: hint.to_owned(), missing }
}
