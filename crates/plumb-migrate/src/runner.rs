//! Migrations a tool runs itself. Code-first tools (Alembic, Django) and any tool given by
//! command (`--replay-with`) cannot be replayed by plumb statement by statement: plumb points
//! the tool at a database (the shadow while replaying, the target while applying) and has it
//! run one step. Everything after (inspection, effects, diagnosis, plans) is the same as for
//! SQL files.

use std::path::{Path, PathBuf};
use std::process::Command;

use plumb_pg::{ConnInfo, Host};

use crate::error::ApplyError;

/// How one migration is run by its tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// Alembic upgrades to `revision`, with the project's `alembic.ini`.
    Alembic {
        /// The `alembic.ini` Alembic is run with.
        ini: PathBuf,
        /// The revision id.
        revision: String,
    },
    /// Django migrates `app` to `name`.
    Django(DjangoStep),
    /// The user's command (`--replay-with`), `{version}` replaced, run by `sh -c`.
    Command(CommandStep),
}

/// One Django migration, `manage.py migrate <app> <name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjangoStep {
    /// The app label.
    pub app: String,
    /// The migration's name (`0002_add_email`).
    pub name: String,
    /// The project's `manage.py`.
    pub manage: PathBuf,
}

/// One step of a tool plumb knows only by command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandStep {
    /// The command, `{version}` already replaced.
    pub command: String,
    /// The folder it runs in.
    pub cwd: PathBuf,
}

impl Runner {
    /// The tool, as people call it.
    pub fn tool(&self) -> &'static str {
        match self {
            Runner::Alembic { .. } => "Alembic",
            Runner::Django(_) => "Django",
            Runner::Command(_) => "the --replay-with command",
        }
    }

    /// Django's migration, when it is one.
    pub fn django(&self) -> Option<&DjangoStep> {
        match self {
            Runner::Django(d) => Some(d),
            _ => None,
        }
    }

    /// As [`Runner::run`], off the async runtime's thread (the tool's process takes seconds).
    pub async fn run_async(&self, info: &ConnInfo) -> Result<(), ApplyError> {
        let (runner, info) = (self.clone(), info.clone());
        tokio::task::spawn_blocking(move || runner.run(&info))
            .await
            .map_err(|e| ApplyError::Refused { problems: vec![format!("the tool's runner stopped: {e}")] })?
    }

    /// Has the tool run this step against the database of `info`.
    pub fn run(&self, info: &ConnInfo) -> Result<(), ApplyError> {
        match self {
            Runner::Alembic { ini, revision } => {
                crate::worker::run(crate::worker::Kind::Alembic(ini), revision, revision, info)
            }
            // A project whose settings module plumb can read from manage.py gets one Python for
            // all its migrations; others, `manage.py migrate` per migration.
            Runner::Django(step) if django_settings(&step.manage).is_some() => {
                let settings = django_settings(&step.manage).expect("checked");
                let shown = format!("{}.{}", step.app, step.name);
                let kind = crate::worker::Kind::Django(&step.manage, &settings);
                crate::worker::run(kind, &format!("{} {}", step.app, step.name), &shown, info)
            }
            Runner::Django(step) => {
                let mut command = Command::new(python());
                command.current_dir(step.manage.parent().unwrap_or(Path::new("."))).arg(&step.manage).args([
                    "migrate",
                    "--no-input",
                    &step.app,
                    &step.name,
                ]);
                run("Django", &format!("{}.{}", step.app, step.name), command, info)
            }
            Runner::Command(step) => {
                let mut command = Command::new("sh");
                command.current_dir(&step.cwd).arg("-c").arg(&step.command);
                run("the --replay-with command", &step.command, command, info)
            }
        }
    }
}

/// The settings module `manage.py` sets (`os.environ.setdefault("DJANGO_SETTINGS_MODULE",
/// "shop.settings")`), which a Django worker is started with.
fn django_settings(manage: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manage).ok()?;
    let after = text.split("DJANGO_SETTINGS_MODULE").nth(1)?;
    let value = after.split(['"', '\'']).nth(2)?;
    (!value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')).then(|| value.to_owned())
}

/// The Python that has the project's tool: `PLUMB_PYTHON`, else the interpreter of the
/// `alembic` command on `PATH` (its shebang), else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PLUMB_PYTHON") {
        return PathBuf::from(p);
    }
    let from_alembic = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|d| d.join("alembic")).find(|p| p.is_file()).and_then(|script| {
            let text = std::fs::read(&script).ok()?;
            let first = text.split(|b| *b == b'\n').next()?;
            let shebang = String::from_utf8_lossy(first.strip_prefix(b"#!")?).trim().to_owned();
            (!shebang.contains(' ')).then(|| PathBuf::from(shebang))
        })
    });
    from_alembic.unwrap_or_else(|| PathBuf::from("python3"))
}

/// Whether the Python plumb would use has Alembic, SQLAlchemy and a PostgreSQL driver; if
/// not, what to install.
pub fn alembic_ready() -> Result<(), String> {
    let python = python();
    let check = "import alembic, sqlalchemy; sqlalchemy.create_engine('postgresql:///plumb')";
    match Command::new(&python).args(["-c", check]).output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(format!(
            "{} has no Alembic with a PostgreSQL driver: pip install alembic sqlalchemy 'psycopg[binary]', \
             or set PLUMB_PYTHON to a Python that has them",
            python.display()
        )),
    }
}

/// Points a tool's process at `info`'s database the ways tools read it: `DATABASE_URL`, and
/// libpq's `PG*` variables (what psycopg and psql fall back on). Through the environment, never
/// the command line, where `ps` would show the password.
pub fn connect_env(command: &mut Command, info: &ConnInfo) {
    command.env("DATABASE_URL", info.to_url_with_password());
    let (host, port) = &info.hosts[0];
    let host = match host {
        Host::Tcp(h) => h.clone(),
        Host::Socket(p) => p.display().to_string(),
    };
    command
        .env("PGHOST", host)
        .env("PGPORT", port.to_string())
        .env("PGUSER", &info.user)
        .env("PGDATABASE", &info.dbname)
        .env("PGSSLMODE", info.sslmode.as_str());
    match &info.password {
        Some(p) => command.env("PGPASSWORD", p),
        None => command.env_remove("PGPASSWORD"),
    };
}

/// What to do after a tool's process failed with `text`: the hint, and whether the tool itself
/// could not run (`missing`), as opposed to the step failing.
pub(crate) fn failure_hint(tool: &str, program: &str, step: &str, text: &str, code: Option<i32>) -> (String, bool) {
    let no_module = |module: &str| text.contains(&format!("No module named '{module}'"));
    match tool {
        "Alembic" if no_module("alembic") => (
            format!("{program} has no Alembic: pip install alembic (and the driver env.py uses), or set PLUMB_PYTHON"),
            true,
        ),
        "Django" if no_module("django") => (
            format!("{program} has no Django: pip install django (and its PostgreSQL driver), or set PLUMB_PYTHON"),
            true,
        ),
        // The shell could not find the command.
        _ if code == Some(127) => (format!("the command was not found: {step}"), true),
        _ => (format!("fix {step} (or the tool's setup) and run again; the step that failed was not recorded"), false),
    }
}

/// Runs a tool's process to completion: its output (passwords masked) and what to do when it
/// fails or cannot start.
fn run(tool: &'static str, step: &str, mut command: Command, info: &ConnInfo) -> Result<(), ApplyError> {
    connect_env(&mut command, info);
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| ApplyError::Tool {
        tool,
        step: step.to_owned(),
        output: format!("cannot start {program}: {e}"),
        hint: match tool {
            "Alembic" | "Django" => format!(
                "install Python 3 and {tool} (pip install {}), or set PLUMB_PYTHON to the Python that has it",
                tool.to_lowercase()
            ),
            _ => "check the --replay-with command".into(),
        },
        missing: true,
    })?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let (hint, missing) = failure_hint(tool, &program, step, &text, output.status.code());
    Err(ApplyError::Tool { tool, step: step.to_owned(), output: plumb_pg::redact(text.trim()), hint, missing })
}
