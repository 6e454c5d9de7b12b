//! Every object kind, inspected and recreated.

use plumb_catalog::Schema;

use crate::support::*;

#[test]
fn fixture_snapshots() {
    block_on(async {
        for (name, sql) in fixtures() {
            let db = new_db("snap").await;
            run(&db, &sql, &name).await;
            let schema = inspect(&db).await;
            let json = serde_json::to_string_pretty(&schema).unwrap();
            // Same database, same bytes.
            assert_eq!(json, serde_json::to_string_pretty(&inspect(&db).await).unwrap(), "{name}: not deterministic");
            insta::with_settings!({ snapshot_suffix => format!("pg{}", major()), prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(name.clone(), json);
            });
        }
    });
}

#[test]
fn every_fixture_round_trips_through_its_own_script() {
    block_on(async {
        for (name, sql) in fixtures() {
            let original_db = new_db("orig").await;
            run(&original_db, &sql, &name).await;
            let original = inspect(&original_db).await;
            let script = plumb_diff::create_script(&original, major());
            assert!(plumb_sql_has_no_meta_commands(&script));
            let copy_db = new_db("copy").await;
            run(&copy_db, &script, &format!("{name}: the --sql script")).await;
            assert_same(&original, &inspect(&copy_db).await, &format!("{name} round trip"));
        }
    });
}

#[test]
fn an_empty_database_is_the_baseline() {
    block_on(async {
        let db = new_db("empty").await;
        assert_same(&Schema::new_database(major()), &inspect(&db).await, "fresh database");
    });
}

#[test]
fn inspect_reads_only_what_it_is_asked_for() {
    block_on(async {
        let db = new_db("filter").await;
        let (_, sql) = fixtures().into_iter().find(|(n, _)| n == "03_views_security").unwrap();
        run(&db, &sql, "fixture").await;
        run(&db, "CREATE SCHEMA plumb; CREATE TABLE plumb.migrations (version text);", "history").await;
        let conn = connect(&db).await;
        let only_reporting = plumb_catalog::inspect(
            &conn,
            &plumb_catalog::InspectOptions { schemas: Some(vec!["reporting".into()]), ..Default::default() },
        )
        .await
        .unwrap();
        assert_eq!(only_reporting.schemas.keys().collect::<Vec<_>>(), ["reporting"]);
        assert!(only_reporting.tables.is_empty());
        assert_eq!(only_reporting.views.len(), 3);
        let all = inspect(&db).await;
        assert!(!all.schemas.contains_key("plumb"), "plumb's history schema is left out by default");
        // Extension members are the extension's: pg_trgm's functions do not show up as the user's.
        run(&db, "CREATE EXTENSION pg_trgm", "extension").await;
        let with_ext = inspect(&db).await;
        assert!(with_ext.extensions.contains_key("pg_trgm"));
        assert_eq!(with_ext.functions.len(), all.functions.len());
        assert_eq!(with_ext.types.len(), all.types.len());
    });
}

fn plumb_sql_has_no_meta_commands(script: &str) -> bool {
    !script.lines().any(|l| l.trim_start().starts_with('\\'))
}
