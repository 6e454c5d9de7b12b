//! Progress of an apply on stderr: a bar on a terminal, one line per migration otherwise.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use plumb_migrate::{ApplyObserver, Migration, PlannedMigration};

use crate::output::Output;
use crate::target::Notices;

/// Progress on stderr: a bar on a terminal, one line per migration otherwise.
pub struct Progress {
    output: Output,
    notices: Notices,
    bar: std::cell::RefCell<Option<ProgressBar>>,
}

impl Progress {
    pub fn new(output: Output, notices: Notices) -> Self {
        Progress { output, notices, bar: std::cell::RefCell::new(None) }
    }

    pub fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
        self.notices.attach(None);
    }

    fn line(&self, text: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(|| self.output.info(text)),
            None => self.output.info(text),
        }
    }
}

impl ApplyObserver for Progress {
    fn planned(&self, planned: &[PlannedMigration<'_>]) {
        if self.output.settings.interactive && !planned.is_empty() {
            let bar = ProgressBar::new(planned.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            self.notices.attach(Some(bar.clone()));
            *self.bar.borrow_mut() = Some(bar);
        }
    }

    fn migration_started(&self, m: &Migration, resume_from: usize) {
        let file = m.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.set_message(file.clone()),
            None if resume_from > 0 => self.output.info(&format!(
                "resuming {file} at statement {} of {}",
                resume_from + 1,
                m.script.statements.len()
            )),
            None => self.output.info(&format!("applying {file}")),
        }
        if resume_from > 0 && self.bar.borrow().is_some() {
            self.line(&format!("resuming {file} at statement {}", resume_from + 1));
        }
    }

    fn statement_done(&self, m: &Migration, index: usize) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            let file = m.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            bar.set_message(format!("{file} ({}/{} statements)", index + 1, m.script.statements.len()));
        }
    }

    fn migration_done(&self, _m: &Migration, _elapsed: Duration) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(1);
        }
    }

    fn warning(&self, message: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(|| self.output.warn(message)),
            None => self.output.warn(message),
        }
    }
}
