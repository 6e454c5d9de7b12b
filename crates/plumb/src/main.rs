//! The `plumb` binary: parse arguments, resolve settings, run one command,
//! render its outcome, exit with 0 (ok), 1 (findings) or 2 (error).

mod cli;
mod commands;
mod doctor;
mod incidents;
mod output;
mod report;
mod settings;
mod target;
mod views;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::Exit;
use crate::output::Output;
use crate::settings::{GlobalSettings, OutputSettings};

const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Ctrl-C: stop throwaway clusters in order (their destructors will not run), then leave.
    let _ = ctrlc::set_handler(|| {
        plumb_pg::cluster::stop_all_throwaway();
        eprintln!("interrupted");
        std::process::exit(130);
    });
    let fallback = Output {
        settings: OutputSettings { json: cli.global.json, color: false, color_stdout: false, interactive: false },
    };
    let settings = match GlobalSettings::resolve(&cli.global) {
        Ok(s) => s,
        Err(e) => return fail(&e, fallback, None),
    };
    let output = Output { settings: settings.output };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime starts");
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Apply(args) => commands::apply::run(&settings, args, output).await,
            Command::Status(args) => commands::status::run(&settings, args, output).await,
            Command::Inspect(args) => commands::inspect::run(&settings, args, output).await,
            Command::Diff(args) => commands::diff::run(&settings, args, output).await,
            Command::Check(args) => commands::check::run(&settings, args, output).await,
            Command::Lint(args) => commands::lint::run(args, output),
            Command::Verify(args) => commands::verify::verify(&settings, args, output).await,
            Command::Locate(args) => commands::verify::locate(&settings, args, output).await,
            Command::Pg(command) => commands::pg::run(&settings, command, output),
            Command::Repair(args) => commands::repair::run(&settings, args, output).await,
            Command::Demo(args) => commands::demo::run(&settings, args, output).await,
        }
    });
    match result {
        Ok(Exit::Ok) => ExitCode::SUCCESS,
        Ok(Exit::Findings) => ExitCode::from(1),
        Err(e) => fail(&e, output, role(&settings)),
    }
}

/// The role plumb connects as, for advice about privileges.
fn role(settings: &GlobalSettings) -> Option<String> {
    match &settings.target {
        settings::Target::Url(url) => {
            plumb_pg::ConnInfo::parse(url, &plumb_pg::Environment::process()).ok().map(|info| info.user)
        }
        settings::Target::ProjectCluster { .. } => None,
    }
}

/// What to do about `permission denied for <kind> <name>` (SQLSTATE 42501): the privilege the
/// role lacks, and the GRANT that gives it.
fn privilege_help(message: &str, role: Option<&str>) -> Option<String> {
    let role = role.unwrap_or("<the role plumb connects as>");
    if let Some(rest) = message.split("must be owner of ").nth(1) {
        let object = rest.split(['\n', ':']).next()?.trim();
        return Some(format!(
            "role {role} does not own {object}: changing it needs its owner. Run plumb as the owner, or (as the owner or a superuser) ALTER … {object} OWNER TO {role}"
        ));
    }
    let rest = message.split("permission denied for ").nth(1)?;
    let mut words = rest.split_whitespace();
    let kind = words.next()?;
    let name = words.next()?.trim_end_matches([',', '.', ':']);
    let (privileges, on) = match kind {
        "schema" => ("USAGE, CREATE", format!("SCHEMA {name}")),
        "table" | "relation" => ("SELECT, INSERT, UPDATE, DELETE", format!("TABLE {name}")),
        "sequence" => ("USAGE, SELECT, UPDATE", format!("SEQUENCE {name}")),
        "database" => ("CONNECT, CREATE", format!("DATABASE {name}")),
        "function" => ("EXECUTE", format!("FUNCTION {name}")),
        _ => return None,
    };
    Some(format!(
        "role {role} lacks a privilege on {kind} {name}; as its owner or a superuser: GRANT {privileges} ON {on} TO {role};"
    ))
}

/// Renders an error (pointing into the file when there is a place) and returns exit code 2.
/// What it says beyond the message comes from the error's [`miette::Diagnostic`]: the SQLSTATE
/// is its code, the place its label, the advice its help (the libraries' errors forward those of
/// the errors they wrap), and for a missing privilege, the GRANT that would fix it.
fn fail(error: &miette::Report, output: Output, role: Option<String>) -> ExitCode {
    let diagnostic: &dyn miette::Diagnostic = error.as_ref();
    let message = plumb_pg::error_chain(diagnostic);
    let sqlstate = diagnostic.code().map(|code| code.to_string());
    let help = diagnostic.help().map(|help| help.to_string()).or_else(|| match sqlstate.as_deref() {
        Some("42501") => privilege_help(&message, role.as_deref()),
        _ => None,
    });
    if output.settings.json {
        let place = output::Place::of(diagnostic);
        output.json(&report::ErrorReport {
            format: report::FORMAT,
            error: report::ErrorBody {
                message: plumb_pg::redact(&message),
                sqlstate,
                file: place.as_ref().map(|p| p.path.clone()),
                line: place.as_ref().map(|p| p.line),
                column: place.as_ref().map(|p| p.column),
            },
        });
    }
    output.error(&message, diagnostic, help.as_deref());
    ExitCode::from(EXIT_ERROR)
}

#[cfg(test)]
mod tests {
    use super::privilege_help;

    #[test]
    fn permission_errors_name_the_role_the_privilege_and_the_grant() {
        let help = privilege_help("ERROR 42501: permission denied for schema plumb", Some("deployer")).unwrap();
        assert_eq!(
            help,
            "role deployer lacks a privilege on schema plumb; as its owner or a superuser: GRANT USAGE, CREATE ON SCHEMA plumb TO deployer;"
        );
        let help = privilege_help("permission denied for table migrations", Some("ro")).unwrap();
        assert!(help.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE migrations TO ro;"), "{help}");
        let help = privilege_help("ERROR 42501: must be owner of table users", Some("app")).unwrap();
        assert!(help.contains("does not own table users"), "{help}");
        assert_eq!(privilege_help("relation \"x\" does not exist", Some("app")), None);
    }
}
