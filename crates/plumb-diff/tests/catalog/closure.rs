//! diff(A, B) applied to a database holding A gives B; diff(X, X) is empty.

use plumb_catalog::Schema;
use proptest::prelude::*;

use crate::support::*;

/// Applies `a`, then diff(a, b); the result must inspect equal to `b`.
async fn check_closure(a_sql: &str, b_sql: &str, context: &str) -> String {
    let a_db = new_db("a").await;
    let b_db = new_db("b").await;
    run(&a_db, a_sql, &format!("{context}: A")).await;
    run(&b_db, b_sql, &format!("{context}: B")).await;
    let a = inspect(&a_db).await;
    let b = inspect(&b_db).await;
    assert!(plumb_diff::diff(&a, &a).is_empty(), "{context}: diff(A, A) is not empty");
    assert!(plumb_diff::diff(&b, &b).is_empty(), "{context}: diff(B, B) is not empty");
    let script = plumb_diff::diff(&a, &b).script();
    run_statements(&a_db, &script, &format!("{context}: diff(A, B)")).await;
    assert_same(&b, &inspect(&a_db).await, context);
    script
}

fn pair(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog/pairs").join(name))
        .unwrap()
}

#[test]
fn evolution_with_key_type_change_and_dependents() {
    let script = block_on(check_closure(&pair("evolve_before.sql"), &pair("evolve_after.sql"), "evolve"));
    // The plan handles every dependent of the changed key columns itself.
    for expected in [
        "DROP CONSTRAINT users_organization_id_fkey",
        "DROP VIEW public.org_user_count",
        "DROP POLICY users_org ON public.users",
        "ALTER COLUMN id TYPE character varying(36) USING id::character varying(36)",
        "ALTER TYPE public.status ADD VALUE 'review' BEFORE 'live'",
        "ALTER TYPE public.status ADD VALUE 'archived'",
        "ALTER TABLE public.users DROP COLUMN legacy",
        "CREATE OR REPLACE FUNCTION public.answer()",
        "DROP TABLE public.gone",
    ] {
        assert!(script.contains(expected), "missing {expected:?} in\n{script}");
    }
    // Views are dropped dependents-first and created in dependency order.
    let drop_count = script.find("DROP VIEW public.org_user_count").unwrap();
    let drop_org_users = script.find("DROP VIEW public.org_users").unwrap();
    assert!(drop_count < drop_org_users);
    let create_org_users = script.find("CREATE VIEW public.org_users").unwrap();
    let create_count = script.find("CREATE VIEW public.org_user_count").unwrap();
    assert!(create_org_users < create_count);
}

#[test]
fn each_fixture_from_nothing_and_back_to_nothing() {
    block_on(async {
        for (name, sql) in fixtures() {
            check_closure("", &sql, &format!("nothing → {name}")).await;
            check_closure(&sql, "", &format!("{name} → nothing")).await;
        }
    });
}

#[test]
fn fixtures_into_each_other() {
    block_on(async {
        let all = fixtures();
        for pair in all.windows(2) {
            let (a_name, a) = &pair[0];
            let (b_name, b) = &pair[1];
            check_closure(a, b, &format!("{a_name} → {b_name}")).await;
        }
    });
}

#[test]
fn changes_say_what_they_risk() {
    let a = block_on(async {
        let db = new_db("risk").await;
        run(&db, &pair("evolve_before.sql"), "before").await;
        inspect(&db).await
    });
    let b = block_on(async {
        let db = new_db("risk").await;
        run(&db, &pair("evolve_after.sql"), "after").await;
        inspect(&db).await
    });
    let diff = plumb_diff::diff(&a, &b);
    let find = |object: &str, action: plumb_diff::Action| {
        diff.changes
            .iter()
            .find(|c| c.object == object && c.action == action)
            .unwrap_or_else(|| panic!("no {action:?} {object}"))
    };
    assert!(find("table public.gone", plumb_diff::Action::Drop).data_loss);
    assert!(find("column public.users.legacy", plumb_diff::Action::Drop).data_loss);
    let widen = find("column public.users.age", plumb_diff::Action::Alter);
    assert!(!widen.data_loss, "integer → bigint keeps every value");
    assert_eq!(widen.lock.as_deref(), Some("ACCESS EXCLUSIVE on public.users"));
    assert!(find("column public.users.id", plumb_diff::Action::Alter).data_loss, "uuid → varchar(36) can fail");
    let index = find("index public.users_email", plumb_diff::Action::Create);
    assert_eq!(index.lock.as_deref(), Some("SHARE on public.users"));
    let enum_values = find("type public.status", plumb_diff::Action::Alter);
    assert!(!enum_values.transactional, "new enum values must commit before use: {enum_values:?}");
    assert!(diff.changes.iter().filter(|c| c.object != "type public.status").all(|c| c.transactional));
    let _: &Schema = &a;
}

/// A small random schema: tables with columns of a few types, keys, foreign keys
/// to earlier tables, unique constraints, checks and indexes.
#[derive(Debug, Clone)]
struct GenTable {
    columns: Vec<(String, &'static str, bool)>,
    unique: Option<usize>,
    index: Option<usize>,
    check: bool,
    references: Option<usize>,
}

const TYPES: [&str; 6] = ["integer", "bigint", "text", "boolean", "varchar(20)", "timestamptz"];

fn gen_table() -> impl Strategy<Value = GenTable> {
    (
        proptest::collection::vec((0..TYPES.len(), any::<bool>()), 1..5),
        proptest::option::of(0usize..4),
        proptest::option::of(0usize..4),
        any::<bool>(),
        proptest::option::of(0usize..4),
    )
        .prop_map(|(cols, unique, index, check, references)| GenTable {
            columns: cols.into_iter().enumerate().map(|(i, (t, nn))| (format!("c{i}"), TYPES[t], nn)).collect(),
            unique,
            index,
            check,
            references,
        })
}

fn render(tables: &[GenTable]) -> String {
    let mut sql = String::new();
    for (i, t) in tables.iter().enumerate() {
        let mut cols = vec!["id bigint PRIMARY KEY".to_owned()];
        // The reference column comes first, so columns added later stay after it.
        if let Some(r) = t.references.filter(|r| *r < i) {
            cols.push(format!("ref_{r} bigint REFERENCES t{r} (id)"));
        }
        for (name, ty, nn) in &t.columns {
            cols.push(format!("{name} {ty}{}", if *nn { " NOT NULL" } else { "" }));
        }
        sql.push_str(&format!("CREATE TABLE t{i} ({});\n", cols.join(", ")));
        if let Some(u) = t.unique.filter(|u| *u < t.columns.len()) {
            sql.push_str(&format!("ALTER TABLE t{i} ADD CONSTRAINT t{i}_u UNIQUE ({});\n", t.columns[u].0));
        }
        if let Some(x) = t.index.filter(|x| *x < t.columns.len()) {
            sql.push_str(&format!("CREATE INDEX t{i}_x ON t{i} ({});\n", t.columns[x].0));
        }
        if t.check {
            sql.push_str(&format!("ALTER TABLE t{i} ADD CONSTRAINT t{i}_id_positive CHECK (id > 0);\n"));
        }
    }
    sql
}

/// B keeps A's surviving columns in order and appends new ones, as ALTER TABLE can.
fn mutate(a: &[GenTable], b: &[GenTable]) -> Vec<GenTable> {
    b.iter()
        .enumerate()
        .map(|(i, new)| match a.get(i) {
            Some(old) => {
                let mut t = new.clone();
                t.references = old.references;
                let kept: Vec<_> =
                    old.columns.iter().filter(|(n, _, _)| n.as_str() != "c0" || new.check).cloned().collect();
                let mut columns = kept.clone();
                for (j, (_, ty, nn)) in new.columns.iter().enumerate() {
                    if j >= old.columns.len() {
                        columns.push((format!("c{j}"), ty, *nn));
                    }
                }
                // Some kept columns change type or nullability.
                for (j, col) in columns.iter_mut().enumerate() {
                    if let Some((_, ty, nn)) = new.columns.get(j)
                        && j % 2 == 1
                    {
                        col.1 = if compatible(col.1, ty) { ty } else { col.1 };
                        col.2 = *nn;
                    }
                }
                t.columns = columns;
                t
            }
            None => new.clone(),
        })
        .collect()
}

/// Type changes PostgreSQL can make on an empty table with a plain cast.
fn compatible(from: &str, to: &str) -> bool {
    let numeric = ["integer", "bigint"];
    let textual = ["text", "varchar(20)"];
    (numeric.contains(&from) && numeric.contains(&to)) || (textual.contains(&from) && textual.contains(&to))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_schemas_close_under_diff(
        a in proptest::collection::vec(gen_table(), 1..5),
        b in proptest::collection::vec(gen_table(), 1..5),
    ) {
        let b = mutate(&a, &b);
        block_on(check_closure(&render(&a), &render(&b), "generated"));
    }
}
