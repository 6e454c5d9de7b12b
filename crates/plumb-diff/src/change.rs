//! One change, and an ordered list of them.

/// What a change does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The object is created.
    Create,
    /// The object is altered in place.
    Alter,
    /// The object is dropped.
    Drop,
}

impl Action {
    /// `create`, `alter` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Alter => "alter",
            Action::Drop => "drop",
        }
    }
}

/// One step from one schema towards another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The object, in plumb's notation: `table public.users`, `column public.users.id`,
    /// `index public.idx_x`, `constraint public.users.users_pkey`, ...
    pub object: String,
    /// Create, alter or drop.
    pub action: Action,
    /// The statements, each ending with `;`.
    pub sql: String,
    /// Whether running it can destroy data (dropping a table or column, a rewriting type change).
    pub data_loss: bool,
    /// The strongest lock it takes on an existing object, e.g. `ACCESS EXCLUSIVE on public.users`.
    pub lock: Option<String>,
    /// Whether it can run inside a transaction block.
    pub transactional: bool,
    /// What a reader should know (e.g. an object recreated because something it depends on changed).
    pub note: Option<String>,
    /// Ordering key: phase, then position within the phase.
    pub(crate) order: (crate::diff::Phase, usize),
}

/// The changes between two schemas, in the order they must run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// The changes, ordered.
    pub changes: Vec<Change>,
}

impl Diff {
    /// No differences.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// All statements as one script that runs unchanged in psql and in a web SQL editor.
    pub fn script(&self) -> String {
        let mut out = String::new();
        if self
            .changes
            .iter()
            .any(|c| c.sql.contains("CREATE OR REPLACE FUNCTION") || c.sql.contains("CREATE OR REPLACE PROCEDURE"))
        {
            // As pg_dump does: function bodies may name tables created further down.
            out.push_str("SET check_function_bodies = false;\n\n");
        }
        for change in &self.changes {
            out.push_str(&format!("-- {} {}\n", change.action.as_str(), change.object));
            if let Some(note) = &change.note {
                out.push_str(&format!("-- note: {note}\n"));
            }
            out.push_str(&change.sql);
            if !change.sql.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }
}
