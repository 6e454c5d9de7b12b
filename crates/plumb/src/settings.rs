//! Arguments + environment, resolved once into the values commands take.

use std::path::PathBuf;
use std::time::Duration;

use miette::{Context, IntoDiagnostic, Result, bail};
use plumb_migrate::{ApplyOptions, Version};

use crate::cli::{ApplyArgs, ColorChoice, DirArgs, GlobalArgs};

/// Where output goes and how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSettings {
    /// JSON on stdout instead of tables.
    pub json: bool,
    /// Colors on stderr (and on stdout, when `color_stdout` too).
    pub color: bool,
    /// Colors on stdout: only when it is a terminal too (`plumb status > file` keeps none).
    pub color_stdout: bool,
    /// Whether stderr is a terminal (progress bars).
    pub interactive: bool,
}

/// Which database a command talks to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A connection string given by flag or DATABASE_URL.
    Url(String),
    /// The project's own cluster under `.plumb/pg`.
    ProjectCluster { project_dir: PathBuf },
}

/// What every command needs.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    pub target: Target,
    pub pg_version: Option<u32>,
    pub output: OutputSettings,
}

impl GlobalSettings {
    pub fn resolve(args: &GlobalArgs) -> Result<GlobalSettings> {
        use std::io::IsTerminal;
        let interactive = std::io::stderr().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => interactive && std::env::var_os("NO_COLOR").is_none(),
        };
        let color_stdout = match args.color {
            ColorChoice::Auto => color && std::io::stdout().is_terminal(),
            choice => choice == ColorChoice::Always,
        };
        let target = match args.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Target::Url(url.to_owned()),
            None => Target::ProjectCluster { project_dir: crate::settings::current_dir()? },
        };
        Ok(GlobalSettings {
            target,
            pg_version: args.pg_version,
            output: OutputSettings { json: args.json, color, color_stdout, interactive },
        })
    }
}

/// Where the migrations are and whose they are: flags and environment first, then the
/// project's `plumb.toml`, then `./migrations` read in the layout its shape says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationsSource {
    pub dir: PathBuf,
    pub tool: Option<plumb_migrate::Layout>,
    /// `--replay-with`: a tool known only by command.
    pub replay_with: Option<String>,
    /// `--versions-from`: the command listing its versions.
    pub versions_from: Option<String>,
}

/// The project file, `plumb.toml` in the current folder: a few `key = "value"` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProjectFile {
    /// `migrations = "db/migration"`: the folder.
    pub migrations: Option<PathBuf>,
    /// `tool = "flyway"`: the tool, as `--tool` takes it.
    pub tool: Option<String>,
    /// `replay_with = "bin/rails db:migrate VERSION={version}"`: as `--replay-with`.
    pub replay_with: Option<String>,
    /// `versions_from = "..."`: as `--versions-from`.
    pub versions_from: Option<String>,
}

impl ProjectFile {
    /// The keys plumb reads.
    const KEYS: [&'static str; 4] = ["migrations", "tool", "replay_with", "versions_from"];

    /// Reads `plumb.toml` in `dir`; none is an empty file.
    pub fn read(dir: &std::path::Path) -> Result<ProjectFile> {
        let path = dir.join("plumb.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => ProjectFile::parse(&text).with_context(|| format!("{}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProjectFile::default()),
            Err(e) => Err(e).into_diagnostic().with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The TOML plumb needs, strictly: `key = "string"` lines, `#` comments, nothing else
    /// (a table or an unknown key is an error that says so, never ignored).
    fn parse(text: &str) -> Result<ProjectFile> {
        let mut file = ProjectFile::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("line {}", i + 1);
            let Some((key, value)) = line.split_once('=') else {
                bail!("{}: expected `key = \"value\"`, found `{line}`", at());
            };
            let key = key.trim();
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.split_once('"'))
                .filter(|(_, rest)| rest.trim().is_empty() || rest.trim().starts_with('#'))
                .map(|(v, _)| v.to_owned())
                .with_context(|| format!("{}: the value of `{key}` must be a \"quoted string\"", at()))?;
            match key {
                "migrations" => file.migrations = Some(PathBuf::from(value)),
                "tool" => file.tool = Some(value),
                "replay_with" => file.replay_with = Some(value),
                "versions_from" => file.versions_from = Some(value),
                _ => bail!("{}: unknown key `{key}`; plumb.toml takes {}", at(), ProjectFile::KEYS.join(", ")),
            }
        }
        Ok(file)
    }
}

/// The migrations folder and tool, resolved once: `--dir`/`--tool` (or their environment
/// variables), else `plumb.toml`, else `./migrations` as its shape says.
pub fn migrations_source(args: &DirArgs) -> Result<MigrationsSource> {
    let project = ProjectFile::read(&crate::settings::current_dir()?)?;
    let dir = args.dir.clone().or(project.migrations).unwrap_or_else(|| PathBuf::from("migrations"));
    let tool = match args.tool.as_deref().or(project.tool.as_deref()) {
        None => None,
        Some(name) => Some(plumb_migrate::Layout::named(name).with_context(|| {
            let names: Vec<&str> = plumb_migrate::Layout::NAMES.iter().map(|(n, _)| *n).collect();
            format!("tool {name}: plumb knows {}", names.join(", "))
        })?),
    };
    Ok(MigrationsSource {
        dir,
        tool,
        replay_with: args.replay_with.clone().or(project.replay_with),
        versions_from: args.versions_from.clone().or(project.versions_from),
    })
}

/// `apply`'s flags, checked and converted.
pub fn apply_options(args: &ApplyArgs) -> Result<ApplyOptions> {
    let to = match &args.to {
        Some(v) => Some(Version::parse(v).with_context(|| {
            format!("--to {v}: a version is digits only, or digit groups joined by dots (Flyway's 1.2)")
        })?),
        None => None,
    };
    Ok(ApplyOptions {
        to,
        lock_timeout: optional_duration("--lock-timeout", args.lock_timeout.as_deref())?,
        statement_timeout: optional_duration("--statement-timeout", args.statement_timeout.as_deref())?,
        lock_wait: duration("--lock-wait", &args.lock_wait)?,
        allow_modified: args.allow_modified,
        plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
        // Set from the migrations' layout once they are read.
        create_history: plumb_migrate::HistoryFormat::Plumb,
    })
}

fn optional_duration(flag: &str, value: Option<&str>) -> Result<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(v) => Ok(Some(duration(flag, v)?).filter(|d| !d.is_zero())),
    }
}

fn duration(flag: &str, value: &str) -> Result<Duration> {
    if value.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    match humantime::parse_duration(value.trim()) {
        Ok(d) => Ok(d),
        Err(e) => bail!("{flag} {value}: {e} (examples: 500ms, 5s, 2min, 1h)"),
    }
}

/// The folder plumb runs in (the project), or an error saying it cannot be read.
pub fn current_dir() -> Result<std::path::PathBuf> {
    std::env::current_dir().into_diagnostic().context("cannot read the current folder")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn resolve(args: &[&str]) -> (GlobalSettings, ApplyOptions) {
        let cli = Cli::try_parse_from(args).unwrap();
        let global = GlobalSettings::resolve(&cli.global).unwrap();
        let crate::cli::Command::Apply(apply) = &cli.command else { panic!("not apply") };
        (global, apply_options(apply).unwrap())
    }

    #[test]
    fn resolved_apply_settings() {
        let (global, options) = resolve(&[
            "plumb",
            "apply",
            "--database-url",
            "postgres://u@h/db",
            "--to",
            "0003",
            "--lock-timeout",
            "5s",
            "--lock-wait",
            "2min",
            "--color",
            "never",
        ]);
        assert!(matches!(&global.target, Target::Url(u) if u == "postgres://u@h/db"));
        assert!(!global.output.color);
        assert_eq!(options.to, Version::parse("0003"));
        assert_eq!(options.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(options.statement_timeout, None);
        assert_eq!(options.lock_wait, Duration::from_secs(120));
        assert!(!options.allow_modified);
    }

    #[test]
    fn bad_durations_and_versions_say_why() {
        let cli = Cli::try_parse_from(["plumb", "apply", "--lock-timeout", "soon"]).unwrap();
        let crate::cli::Command::Apply(a) = &cli.command else { panic!() };
        let err = apply_options(a).unwrap_err().to_string();
        assert!(err.contains("--lock-timeout soon"), "{err}");
        let cli = Cli::try_parse_from(["plumb", "apply", "--to", "v2"]).unwrap();
        let crate::cli::Command::Apply(a) = &cli.command else { panic!() };
        assert!(apply_options(a).unwrap_err().to_string().contains("digits only"));
    }

    #[test]
    fn plumb_toml_pins_the_folder_and_tool_and_refuses_what_it_does_not_know() {
        let file =
            ProjectFile::parse("# project\nmigrations = \"db/migration\"  # Flyway's\ntool = \"flyway\"\n").unwrap();
        assert_eq!(file.migrations, Some(PathBuf::from("db/migration")));
        assert_eq!(file.tool.as_deref(), Some("flyway"));
        let err = format!("{:#}", ProjectFile::parse("tol = \"flyway\"").unwrap_err());
        assert!(err.contains("line 1") && err.contains("unknown key `tol`"), "{err}");
        let err = format!("{:#}", ProjectFile::parse("[plumb]\ntool = \"x\"").unwrap_err());
        assert!(err.contains("line 1"), "{err}");
        let err = format!("{:#}", ProjectFile::parse("tool = flyway").unwrap_err());
        assert!(err.contains("quoted string"), "{err}");
    }
}
