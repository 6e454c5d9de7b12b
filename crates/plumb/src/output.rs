//! Everything plumb prints goes through here, and through redaction.
//!
//! stdout carries results (tables, JSON, SQL); stderr carries progress,
//! notices, warnings and errors. No text reaches either without passing
//! [`plumb_pg::redact`].

use std::io::Write;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use plumb_pg::redact;
use serde::Serialize;

use crate::settings::OutputSettings;

/// The printer commands write through.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub settings: OutputSettings,
}

impl Output {
    /// A result line on stdout; colors only when stdout is a terminal too.
    pub fn result(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let text = redact(text);
        if self.settings.color && !self.settings.color_stdout {
            let _ = writeln!(stdout, "{}", without_colors(&text));
        } else {
            let _ = writeln!(stdout, "{text}");
        }
    }

    /// A SQL script meant to run: exact or not printed. To `file` (created with mode 0600,
    /// since it may hold secrets from the migration files) when given; else on stdout, unless
    /// it holds something secret-looking, which plumb would have to mask, corrupting it.
    pub fn script(&self, text: &str, file: Option<&std::path::Path>) -> miette::Result<()> {
        if let Some(path) = file {
            write_private(path, text)?;
            self.info(&format!("wrote the script to {} (mode 0600)", path.display()));
            return Ok(());
        }
        if let Some(line) = secret_line(text) {
            miette::bail!(
                "the script holds a secret-looking value (line {line}); plumb does not print it masked, since a masked script builds something else. Write it with --output FILE (mode 0600), or run it with --execute"
            );
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
        Ok(())
    }

    /// A progress or context line on stderr.
    pub fn info(&self, text: &str) {
        eprintln!("{}", redact(text));
    }

    /// A warning on stderr.
    pub fn warn(&self, text: &str) {
        eprintln!("{} {}", self.paint("warning:", Style::Warn), redact(text));
    }

    /// A JSON document on stdout, pretty-printed and streamed: redacted a chunk of whole
    /// lines at a time (pretty JSON escapes newlines inside strings, so no value spans two
    /// lines), so a whole catalog never has to sit in memory as one string.
    pub fn json<T: Serialize>(&self, value: &T) {
        let mut writer = RedactingLines { out: std::io::BufWriter::new(std::io::stdout().lock()), line: Vec::new() };
        if serde_json::to_writer_pretty(&mut writer, value).is_ok() {
            let _ = writer.write_all(b"\n");
        }
        let _ = writer.flush();
    }

    /// An error on stderr: `message` (the whole chain) and `help`, pointing into the file when
    /// `diagnostic` has a place (its labels and source code).
    pub fn error(&self, message: &str, diagnostic: &dyn Diagnostic, help: Option<&str>) {
        let (Some(labels), Some(source)) = (diagnostic.labels(), diagnostic.source_code()) else {
            eprintln!("{} {}", self.paint("error:", Style::Error), redact(message));
            if let Some(help) = help {
                eprintln!("{} {}", self.paint("hint:", Style::Dim), redact(help));
            }
            return;
        };
        let pointed = Pointed { message, help, labels: labels.collect(), source };
        let theme = if self.settings.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let mut rendered = String::new();
        match GraphicalReportHandler::new_themed(theme)
            .with_width(120)
            .with_wrap_lines(false)
            .render_report(&mut rendered, &pointed)
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

/// A writer that redacts whole lines before passing them on, in chunks of many lines
/// (one redaction pass per chunk, not per line: a big catalog has millions of lines).
struct RedactingLines<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> RedactingLines<W> {
    const CHUNK: usize = 256 * 1024;

    /// Redacts and writes everything up to and including the last newline
    /// (or everything, at the end), keeping the unfinished line.
    fn emit(&mut self, everything: bool) -> std::io::Result<()> {
        let cut = if everything {
            self.line.len()
        } else {
            match self.line.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        let text = String::from_utf8_lossy(&self.line[..cut]);
        self.out.write_all(plumb_pg::redact_cow(&text).as_bytes())?;
        self.line.drain(..cut);
        Ok(())
    }
}

impl<W: Write> Write for RedactingLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        if self.line.len() >= Self::CHUNK {
            self.emit(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.emit(true)?;
        self.out.flush()
    }
}

/// The doctor's progress (replaying, cloning) goes to stderr like every other notice.
impl plumb_doctor::Progress for Output {
    fn info(&self, message: &str) {
        Output::info(self, message);
    }
    fn warn(&self, message: &str) {
        Output::warn(self, message);
    }
}

/// The first line (1-based) of `text` that redaction would change, if any.
pub fn secret_line(text: &str) -> Option<usize> {
    if redact(text) == text {
        return None;
    }
    text.lines().position(|l| redact(l) != l).map(|i| i + 1).or(Some(1))
}

/// Writes `text` to `path`, readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> miette::Result<()> {
    use miette::{Context, IntoDiagnostic};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file =
        options.open(path).into_diagnostic().with_context(|| format!("could not write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode on open: make it private too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .into_diagnostic()
            .with_context(|| format!("could not make {} private", path.display()))?;
    }
    file.write_all(text.as_bytes()).into_diagnostic().with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// `text` without the color codes `paint` adds (`ESC [ … m`).
fn without_colors(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match rest.find('m') {
            Some(end) => rest = &rest[end + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_written_to_a_file_lose_their_colors_and_nothing_else() {
        let painted = "\x1b[32mverified\x1b[0m  \x1b[31;1mphantom\x1b[0m ┆ 3";
        assert_eq!(super::without_colors(painted), "verified  phantom ┆ 3");
        assert_eq!(super::without_colors("no colors [32m here"), "no colors [32m here");
    }
}

/// Where in a file an error points: the first label of a diagnostic that has source code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file, as the source code names it.
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in the units the source code counts (characters for migration files).
    pub column: usize,
}

impl Place {
    /// The place `diagnostic` points at, when it points at one.
    pub fn of(diagnostic: &dyn Diagnostic) -> Option<Place> {
        let label = diagnostic.labels()?.next()?;
        let contents = diagnostic.source_code()?.read_span(label.inner(), 0, 0).ok()?;
        Some(Place { path: contents.name()?.to_owned(), line: contents.line() + 1, column: contents.column() + 1 })
    }
}

/// An error as plumb renders it: the whole chain as one message, the help plumb chose, and the
/// place the error's own diagnostic points at (borrowed: nothing of the file is copied).
struct Pointed<'a> {
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<LabeledSpan>,
    source: &'a dyn SourceCode,
}

impl std::fmt::Debug for Pointed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl std::fmt::Display for Pointed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for Pointed<'_> {}

impl Diagnostic for Pointed<'_> {
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.help.map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }
}
