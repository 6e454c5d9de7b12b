//! Small SQL-writing helpers shared by every object kind.

use plumb_model::Grant;

/// A string as a SQL literal (`standard_conforming_strings` on, as it is by default).
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `COMMENT ON <target> IS '...'` (or `IS NULL`).
pub(crate) fn comment(target: &str, comment: Option<&str>) -> String {
    format!("COMMENT ON {target} IS {};", comment.map_or("NULL".to_owned(), literal))
}

/// Statements that turn the grants `from` into `to` on `target` (e.g. `TABLE public.t`),
/// or on one column of it when `column` is given.
pub(crate) fn grant_changes(target: &str, column: Option<&str>, from: &[Grant], to: &[Grant]) -> Vec<String> {
    let cols = column.map(|c| format!(" ({c})")).unwrap_or_default();
    let mut statements = Vec::new();
    for old in from {
        match to.iter().find(|g| g.grantee == old.grantee) {
            Some(new) if new == old => {}
            _ => statements.push(format!("REVOKE ALL{cols} ON {target} FROM {};", old.grantee)),
        }
    }
    for new in to {
        if from.iter().any(|g| g == new) {
            continue;
        }
        let plain: Vec<&str> =
            new.privileges.iter().filter(|p| !new.grantable.contains(p)).map(String::as_str).collect();
        if !plain.is_empty() {
            statements.push(format!("GRANT {}{cols} ON {target} TO {};", plain.join(", "), new.grantee));
        }
        if !new.grantable.is_empty() {
            let grantable: Vec<&str> = new.grantable.iter().map(String::as_str).collect();
            statements.push(format!(
                "GRANT {}{cols} ON {target} TO {} WITH GRANT OPTION;",
                grantable.join(", "),
                new.grantee
            ));
        }
    }
    statements
}

/// The default grants a new object of this kind gets (owner's own left out, as in the model).
pub(crate) fn default_grants(kind: DefaultAcl) -> Vec<Grant> {
    let public = |privilege: &str| {
        vec![Grant { grantee: "PUBLIC".into(), privileges: vec![privilege.into()], grantable: Vec::new() }]
    };
    match kind {
        DefaultAcl::Function => public("EXECUTE"),
        DefaultAcl::Type => public("USAGE"),
    }
}

/// Which PUBLIC privileges PostgreSQL grants on a newly created object (other kinds: none).
#[derive(Clone, Copy)]
pub(crate) enum DefaultAcl {
    /// Functions and procedures: EXECUTE to PUBLIC.
    Function,
    /// Types and domains: USAGE to PUBLIC.
    Type,
}
