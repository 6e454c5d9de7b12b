//! Stand-ins: when a pending statement fails on the clone because the target lacks a
//! relation, schema, type or function, `check` creates a stand-in for it (an empty table, a
//! schema, a text domain, a function returning NULL), with the columns and types the statement
//! turns out to need, and runs the statement again, until it runs or fails for another reason.
//! So one statement names everything it needs, not only the first thing, and the rest of the
//! migration is checked against the stand-ins. Every stand-in is recorded as missing; a later
//! statement that names one is reported as failing too (it would, on the target).

use plumb_pg::ServerError;

/// One change to the clone that stands in for something missing.
#[derive(Debug)]
pub struct Fix {
    /// The SQL that makes it.
    pub sql: String,
    /// What is missing from the target, in the report's words (`relation organization`), when
    /// the fix creates an object rather than adjusting a stand-in.
    pub missing: Option<String>,
}

/// A stand-in table and the columns given to it so far (name, type).
#[derive(Debug)]
struct Table {
    /// As the server names it: `organization`, `auth.users_extended`.
    name: String,
    columns: Vec<(String, String)>,
}

/// A stand-in function: its name as written, its arguments, what it returns.
#[derive(Debug)]
struct Function {
    name: String,
    arguments: String,
    returns: String,
}

/// Every stand-in created in the clone so far, and what each stands for.
#[derive(Debug, Default)]
pub struct StandIns {
    tables: Vec<Table>,
    functions: Vec<Function>,
    /// (what is missing, its name as statements write it, lower-case).
    named: Vec<(String, String)>,
}

/// `"a.b"` → `"a"."b"`: a name from a server message, quoted part by part.
fn quoted(name: &str) -> String {
    name.split('.').map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect::<Vec<_>>().join(".")
}

/// The first `"..."` of a message.
fn first_quoted(message: &str) -> Option<&str> {
    message.split('"').nth(1)
}

impl StandIns {
    /// The fix that lets the statement that failed with `e` get further, if plumb knows one.
    /// `mentions` says whether the statement names a (lower-case) name.
    pub fn fix(&mut self, e: &ServerError, mentions: &dyn Fn(&str) -> bool) -> Option<Fix> {
        let missing = |kind: &str, name: &str| Some(format!("{kind} {name}"));
        match e.code.as_str() {
            "3F000" => {
                let name = first_quoted(&e.message)?.to_owned();
                self.named.push((format!("schema {name}"), name.to_lowercase()));
                Some(Fix { sql: format!("CREATE SCHEMA {}", quoted(&name)), missing: missing("schema", &name) })
            }
            "42P01" => {
                let name = first_quoted(&e.message)?.to_owned();
                self.tables.push(Table { name: name.clone(), columns: Vec::new() });
                self.named.push((format!("relation {name}"), name.to_lowercase()));
                Some(Fix { sql: format!("CREATE TABLE {} ()", quoted(&name)), missing: missing("relation", &name) })
            }
            "42704" if e.message.starts_with("type ") => {
                let name = first_quoted(&e.message)?.to_owned();
                self.named.push((format!("type {name}"), name.to_lowercase()));
                Some(Fix { sql: format!("CREATE DOMAIN {} AS text", quoted(&name)), missing: missing("type", &name) })
            }
            "42883" if e.message.starts_with("function ") => {
                let signature = e.message.trim_start_matches("function ").split(" does not exist").next()?;
                let (name, arguments) = signature.split_once('(')?;
                let arguments = arguments.trim_end_matches(')').replace("unknown", "text");
                self.functions.push(Function {
                    name: name.to_owned(),
                    arguments: arguments.clone(),
                    returns: "text".into(),
                });
                self.named.push((format!("function {name}"), name.to_lowercase()));
                Some(Fix {
                    sql: format!(
                        "CREATE FUNCTION {}({arguments}) RETURNS text LANGUAGE sql AS 'SELECT NULL::text'",
                        quoted(name)
                    ),
                    missing: missing("function", name),
                })
            }
            // `operator does not exist: uuid = text`: a stand-in of the wrong type on one side.
            "42883" if e.message.starts_with("operator does not exist: ") => {
                let sides = e.message.trim_start_matches("operator does not exist: ");
                let mut words = sides.split(' ');
                let (left, right) = (words.next()?, words.next_back()?);
                self.retype(left, right).or_else(|| self.retype(right, left))
            }
            "42703" => {
                let column = first_quoted(&e.message)?.to_owned();
                let table = self
                    .tables
                    .iter_mut()
                    .rev()
                    .find(|t| mentions(&t.name.to_lowercase()) && !t.columns.iter().any(|(c, _)| *c == column))?;
                table.columns.push((column.clone(), "text".into()));
                Some(Fix {
                    sql: format!("ALTER TABLE {} ADD COLUMN {} text UNIQUE", quoted(&table.name), quoted(&column)),
                    missing: None,
                })
            }
            // `Key columns "organization_id" and "id" are of incompatible types: uuid and text.`
            "42804" => {
                let detail = e.detail.as_deref()?;
                let referenced = detail.split('"').nth(3)?.to_owned();
                let types = detail.split("incompatible types: ").nth(1)?.trim_end_matches('.');
                let (wanted, had) = types.split_once(" and ")?;
                let table = self
                    .tables
                    .iter_mut()
                    .rev()
                    .find(|t| t.columns.iter().any(|(c, ty)| *c == referenced && ty == had))?;
                let column = table.columns.iter_mut().find(|(c, _)| *c == referenced)?;
                column.1 = wanted.to_owned();
                Some(Fix {
                    sql: format!(
                        "ALTER TABLE {} ALTER COLUMN {} TYPE {wanted} USING NULL",
                        quoted(&table.name),
                        quoted(&referenced)
                    ),
                    missing: None,
                })
            }
            _ => None,
        }
    }

    /// Changes a stand-in of type `had` (a function's result, or a column) to `wanted`.
    fn retype(&mut self, wanted: &str, had: &str) -> Option<Fix> {
        if let Some(f) = self.functions.iter_mut().rev().find(|f| f.returns == had) {
            f.returns = wanted.to_owned();
            let name = quoted(&f.name);
            return Some(Fix {
                sql: format!(
                    "DROP FUNCTION {name}({args}); CREATE FUNCTION {name}({args}) RETURNS {wanted} LANGUAGE sql AS 'SELECT NULL::{wanted}'",
                    args = f.arguments
                ),
                missing: None,
            });
        }
        for t in self.tables.iter_mut().rev() {
            if let Some(column) = t.columns.iter_mut().find(|(_, ty)| ty == had) {
                column.1 = wanted.to_owned();
                return Some(Fix {
                    sql: format!(
                        "ALTER TABLE {} ALTER COLUMN {} TYPE {wanted} USING NULL",
                        quoted(&t.name),
                        quoted(&column.0)
                    ),
                    missing: None,
                });
            }
        }
        None
    }

    /// What a statement needs of the stand-ins, by the names it mentions.
    pub fn needed_by(&self, mentions: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.named.iter().filter(|(_, name)| mentions(name)).map(|(what, _)| what.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, message: &str, detail: Option<&str>) -> ServerError {
        ServerError {
            severity: "ERROR".into(),
            code: code.into(),
            message: message.into(),
            detail: detail.map(str::to_owned),
            hint: None,
            context: None,
            position: None,
        }
    }

    #[test]
    fn a_foreign_key_to_a_missing_table_gets_a_table_a_column_and_its_type() {
        let mut s = StandIns::default();
        let all = |_: &str| true;
        let fix = s.fix(&error("42P01", "relation \"auth.users_extended\" does not exist", None), &all).unwrap();
        assert_eq!(fix.sql, "CREATE TABLE \"auth\".\"users_extended\" ()");
        assert_eq!(fix.missing.as_deref(), Some("relation auth.users_extended"));
        let fix = s
            .fix(&error("42703", "column \"id\" referenced in foreign key constraint does not exist", None), &all)
            .unwrap();
        assert_eq!(fix.sql, "ALTER TABLE \"auth\".\"users_extended\" ADD COLUMN \"id\" text UNIQUE");
        let detail = "Key columns \"created_by\" and \"id\" are of incompatible types: uuid and text.";
        let fix = s.fix(&error("42804", "foreign key constraint cannot be implemented", Some(detail)), &all).unwrap();
        assert_eq!(fix.sql, "ALTER TABLE \"auth\".\"users_extended\" ALTER COLUMN \"id\" TYPE uuid USING NULL");
        assert!(fix.missing.is_none());
        assert_eq!(s.needed_by(&|n| n == "auth.users_extended"), ["relation auth.users_extended"]);
    }

    #[test]
    fn a_missing_function_returns_the_type_its_caller_compares_it_with() {
        let mut s = StandIns::default();
        let all = |_: &str| true;
        let fix = s.fix(&error("42883", "function auth.uid() does not exist", None), &all).unwrap();
        assert_eq!(fix.missing.as_deref(), Some("function auth.uid"));
        let fix = s.fix(&error("42883", "operator does not exist: uuid = text", None), &all).unwrap();
        assert!(fix.sql.contains("RETURNS uuid"), "{}", fix.sql);
        assert!(s.fix(&error("23505", "duplicate key", None), &all).is_none());
    }
}
