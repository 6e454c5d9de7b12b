//! Django, a code-first tool: its migrations are Python classes spread over the project's apps
//! (and Django's own), ordered by their dependencies. plumb asks Django for the plan, without
//! touching any database (`MigrationLoader(None)`: the graph from the files alone), and has
//! Django run each migration (`manage.py migrate <app> <name>`, [`crate::Runner::Django`]).
//!
//! Each migration gets the version of its place in the plan (`0001`, …) and the name
//! `<app>.<name>`, as `showmigrations` spells it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::LoadError;
use crate::migration::{Layout, Migration, MigrationSet, Version, hex_sha256};
use crate::runner::{DjangoStep, Runner, python};
use crate::source::MigrationSource;

/// A Django project: the folder with `manage.py`.
#[derive(Debug, Clone)]
pub struct DjangoDir {
    dir: PathBuf,
}

/// Run inside the project (`manage.py shell -c`): every migration in the order `migrate`
/// would apply them to an empty database, with its file.
const PLAN: &str = r#"
import inspect, json
from django.db.migrations.loader import MigrationLoader
loader = MigrationLoader(None, ignore_no_migrations=True)
seen, plan = set(), []
for leaf in sorted(loader.graph.leaf_nodes()):
    for node in loader.graph.forwards_plan(leaf):
        if node not in seen:
            seen.add(node)
            migration = loader.graph.nodes[node]
            plan.append({"app": node[0], "name": node[1], "file": inspect.getsourcefile(type(migration)) or ""})
print("PLUMB-PLAN " + json.dumps(plan))
"#;

impl DjangoDir {
    /// The project at `dir`.
    pub fn new(dir: &Path) -> Self {
        DjangoDir { dir: dir.to_path_buf() }
    }

    /// Whether `dir` looks like a Django project (for detection).
    pub fn looks_like(dir: &Path) -> bool {
        dir.join("manage.py").is_file()
    }
}

impl MigrationSource for DjangoDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let manage = self.dir.join("manage.py");
        // Absolute: Django runs in the project's folder, whatever folder plumb was started from.
        let manage =
            manage.canonicalize().map_err(|e| LoadError::Unreadable { path: manage.clone(), reason: e.to_string() })?;
        let project = manage.parent().unwrap_or(Path::new("/")).to_path_buf();
        let layout = |reason: String| LoadError::Layout { path: manage.clone(), reason };
        let python = python();
        let output =
            Command::new(&python).current_dir(&project).arg(&manage).args(["shell", "-c", PLAN]).output().map_err(
                |e| {
                    layout(format!(
                        "cannot start {}: {e}; install Python 3 and Django, or set PLUMB_PYTHON",
                        python.display()
                    ))
                },
            )?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(json) = stdout.lines().find_map(|l| l.strip_prefix("PLUMB-PLAN ")) else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let hint = if stderr.contains("No module named 'django'") {
                format!("{} has no Django: pip install django, or set PLUMB_PYTHON", python.display())
            } else {
                "fix the project so that `python manage.py showmigrations` runs".to_owned()
            };
            return Err(layout(format!(
                "Django could not list the migrations: {}\n{hint}",
                plumb_pg::redact(stderr.trim())
            )));
        };
        let plan: Vec<serde_json::Value> =
            serde_json::from_str(json).map_err(|e| layout(format!("Django's plan did not read: {e}")))?;
        let width = plan.len().to_string().len().max(4);
        let mut migrations = Vec::new();
        for (i, entry) in plan.iter().enumerate() {
            let field = |k: &str| entry[k].as_str().unwrap_or_default().to_owned();
            let (app, name, file) = (field("app"), field("name"), PathBuf::from(field("file")));
            let version = Version::parse_digits(&format!("{:0width$}", i + 1)).expect("digits");
            let mut m = Migration::new(version, format!("{app}.{name}"), file.clone(), String::new())?;
            // Cached replays and `modified` follow the migration file's content.
            m.checksum = hex_sha256(&std::fs::read(&file).unwrap_or_default());
            m.runner = Some(Runner::Django(DjangoStep { app, name, manage: manage.clone() }));
            migrations.push(m);
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Django))
    }
}
