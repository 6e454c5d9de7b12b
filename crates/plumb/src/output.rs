//! Everything plumb prints goes through here, and through redaction.
//!
//! stdout carries results (tables, JSON, SQL); stderr carries progress,
//! notices, warnings and errors. No text reaches either without passing
//! [`plumb_pg::redact`].

use std::io::Write;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report};
use plumb_migrate::SourceLocation;
use plumb_pg::redact;
use serde::Serialize;

use crate::settings::OutputSettings;

/// The printer commands write through.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub settings: OutputSettings,
}

impl Output {
    /// A result line on stdout.
    pub fn result(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", redact(text));
    }

    /// A progress or context line on stderr.
    pub fn info(&self, text: &str) {
        eprintln!("{}", redact(text));
    }

    /// A warning on stderr.
    pub fn warn(&self, text: &str) {
        eprintln!("{} {}", self.paint("warning:", Style::Warn), redact(text));
    }

    /// A JSON document on stdout (one line per document would break pretty-printing; pretty it is).
    pub fn json<T: Serialize>(&self, value: &T) {
        let text = serde_json::to_string_pretty(value).expect("report types always serialize");
        self.result(&text);
    }

    /// An error on stderr, pointing into the migration file when there is a location.
    pub fn error(&self, message: &str, location: Option<&SourceLocation>, help: Option<&str>) {
        let Some(location) = location else {
            eprintln!("{} {}", self.paint("error:", Style::Error), redact(message));
            if let Some(help) = help {
                eprintln!("{} {}", self.paint("hint:", Style::Dim), redact(help));
            }
            return;
        };
        let label = LabeledSpan::at(location.span.clone(), "here");
        let mut diagnostic = MietteDiagnostic::new(message.to_owned()).with_label(label);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help.to_owned());
        }
        let report = Report::new(diagnostic)
            .with_source_code(NamedSource::new(location.path.display().to_string(), location.text.to_string()));
        let theme = if self.settings.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let mut rendered = String::new();
        match GraphicalReportHandler::new_themed(theme)
            .with_width(120)
            .with_wrap_lines(false)
            .render_report(&mut rendered, report.as_ref())
        {
            Ok(()) => eprint!("{}", redact(&rendered)),
            Err(_) => eprintln!("error: {}", redact(message)),
        }
    }

    /// `text` in a color, when colors are on.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.settings.color {
            return text.to_owned();
        }
        let code = match style {
            Style::Ok => "32",
            Style::Warn => "33",
            Style::Error => "31;1",
            Style::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// The few colors plumb uses.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Ok,
    Warn,
    Error,
    Dim,
}
