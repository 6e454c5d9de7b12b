//! The replay's targeted reading (only what each migration changed, found by the catalog rows it
//! wrote) held to the whole reading, migration by migration: on the reference set, the
//! incidents, every corpus, and a folder of every statement kind the inspector models,
//! including those that leave no row behind (drops by CASCADE, comments removed) and those
//! that change how other objects render (renames of tables, columns, types, functions, schemas
//! and roles).

use std::path::{Path, PathBuf};

use plumb_doctor::{Inspection, Replay};

use crate::support::{TestDb, block_on, corpora};

/// Every statement kind the inspector models, one migration each (or a few together), so that
/// a difference points at the statement. Those a server may lack (ICU, contrib's pgcrypto) come
/// last: where one fails, it fails in both readings, and what came before is still compared.
const KINDS: &[(&str, &str)] = &[
    ("001_base.sql", "CREATE SCHEMA app;
        CREATE TYPE app.mood AS ENUM ('sad', 'ok');
        CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
        CREATE SEQUENCE app.counter;
        CREATE TABLE app.orgs (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
        CREATE TABLE app.users (id bigserial PRIMARY KEY, org bigint REFERENCES app.orgs (id), email app.email,
                                mood app.mood DEFAULT 'ok', n int DEFAULT nextval('app.counter'));
        CREATE FUNCTION app.tenant() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 1::bigint $$;
        CREATE VIEW app.active AS SELECT id, org FROM app.users WHERE mood = 'ok';"),
    ("002_index.sql", "CREATE INDEX users_org ON app.users (org); CREATE UNIQUE INDEX users_email ON app.users (lower(email::text));"),
    ("003_rename_column.sql", "ALTER TABLE app.orgs RENAME COLUMN id TO org_id;"),
    ("004_rename_table.sql", "ALTER TABLE app.orgs RENAME TO organizations;"),
    ("005_comments.sql", "COMMENT ON TABLE app.users IS 'people'; COMMENT ON COLUMN app.users.email IS 'login';
        COMMENT ON INDEX app.users_org IS 'by org'; COMMENT ON FUNCTION app.tenant() IS 'current tenant';
        COMMENT ON CONSTRAINT users_org_fkey ON app.users IS 'owner';"),
    ("006_uncomment.sql", "COMMENT ON TABLE app.users IS NULL; COMMENT ON INDEX app.users_org IS NULL;
        COMMENT ON CONSTRAINT users_org_fkey ON app.users IS NULL; COMMENT ON FUNCTION app.tenant() IS NULL;"),
    ("007_roles_grants.sql", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replay_reader') THEN
            CREATE ROLE replay_reader; END IF; END $$;
        GRANT USAGE ON SCHEMA app TO replay_reader; GRANT SELECT ON app.users TO replay_reader;
        GRANT SELECT (name) ON app.organizations TO replay_reader; GRANT EXECUTE ON FUNCTION app.tenant() TO replay_reader;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO replay_reader;"),
    ("008_revoke.sql", "REVOKE SELECT ON app.users FROM replay_reader;"),
    ("009_rls.sql", "ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON app.users USING (org = app.tenant());"),
    ("010_rename_function.sql", "ALTER FUNCTION app.tenant() RENAME TO current_tenant;"),
    ("011_rename_type.sql", "ALTER TYPE app.mood RENAME TO feeling; ALTER TYPE app.feeling ADD VALUE 'glad';"),
    ("012_trigger.sql", "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();"),
    ("013_disable_trigger.sql", "ALTER TABLE app.users DISABLE TRIGGER users_touch;"),
    ("014_drop_function_cascade.sql", "DROP FUNCTION app.touch() CASCADE;"),
    ("015_owned_by.sql", "ALTER SEQUENCE app.counter OWNED BY app.users.n;"),
    ("016_rename_sequence.sql", "ALTER SEQUENCE app.counter RENAME TO ticket;"),
    ("017_matview.sql", "CREATE MATERIALIZED VIEW app.counts AS SELECT org, count(*) AS n FROM app.users GROUP BY org;
        CREATE INDEX counts_org ON app.counts (org);"),
    ("018_partitions.sql", "CREATE TABLE app.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
        CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE INDEX events_at ON app.events (at);"),
    ("019_inherit.sql", "CREATE TABLE app.base (id int); CREATE TABLE app.child (extra text) INHERITS (app.base);
        ALTER TABLE app.child NO INHERIT app.base;"),
    ("020_drop_column_cascade.sql", "ALTER TABLE app.users DROP COLUMN mood CASCADE;"),
    ("021_alter_column.sql", "ALTER TABLE app.users ALTER COLUMN n TYPE bigint, ALTER COLUMN n DROP DEFAULT;
        ALTER TABLE app.organizations ALTER COLUMN name SET DEFAULT 'x', ADD CONSTRAINT name_len CHECK (length(name) < 100) NOT VALID;"),
    ("022_validate.sql", "ALTER TABLE app.organizations VALIDATE CONSTRAINT name_len;"),
    ("023_drop_table_cascade.sql", "DROP TABLE app.organizations CASCADE;"),
    ("024_set_schema.sql", "CREATE SCHEMA other; ALTER TABLE app.base SET SCHEMA other;"),
    ("025_rename_schema.sql", "ALTER SCHEMA other RENAME TO elsewhere;"),
    ("026_rename_role.sql", "ALTER ROLE replay_reader RENAME TO replay_reader2;"),
    ("027_concurrently.sql", "-- plumb:no-transaction\nCREATE INDEX CONCURRENTLY users_n ON app.users (n);"),
    ("028_composite_domain.sql", "CREATE TYPE app.pair AS (a int, b text); ALTER TYPE app.pair ADD ATTRIBUTE c date;
        ALTER DOMAIN app.email SET DEFAULT 'x@y.z'; ALTER DOMAIN app.email ADD CONSTRAINT has_dot CHECK (VALUE LIKE '%.%') NOT VALID;"),
    ("029_drop_small_and_comment.sql", "DROP TYPE app.pair; ALTER DOMAIN app.email DROP CONSTRAINT has_dot;
        COMMENT ON SCHEMA app IS 'the app'; COMMENT ON TYPE app.feeling IS 'how it feels';"),
    ("030_uncomment_small.sql", "COMMENT ON SCHEMA app IS NULL; COMMENT ON TYPE app.feeling IS NULL;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM replay_reader2;"),
    ("031_range.sql", "CREATE TYPE app.span AS RANGE (subtype = int4);"),
    ("032_replace_view.sql", "CREATE OR REPLACE VIEW app.active AS SELECT id, org, email FROM app.users;
        ALTER ROLE replay_reader2 RENAME TO replay_reader;"),
    ("033_publication_event_trigger.sql", "CREATE PUBLICATION replay_pub FOR TABLE app.users;
        CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
        CREATE EVENT TRIGGER replay_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();"),
    ("034_renames_under_publication.sql", "ALTER TABLE app.users RENAME TO members;
        ALTER FUNCTION app.on_ddl() RENAME TO on_ddl2; DROP TYPE app.span;"),
    ("035_attach_detach.sql", "CREATE TABLE app.events_2027 (at date NOT NULL, what text);
        ALTER TABLE app.events ATTACH PARTITION app.events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
        ALTER TABLE app.events DETACH PARTITION app.events_2026;"),
    ("036_renames_of_parts.sql", "ALTER INDEX app.users_org RENAME TO members_org;
        ALTER TABLE app.members RENAME CONSTRAINT users_pkey TO members_pkey;
        ALTER POLICY by_tenant ON app.members RENAME TO by_org;
        ALTER TYPE app.feeling RENAME VALUE 'glad' TO 'happy';"),
    ("037_trigger_rename_function_options.sql", "CREATE FUNCTION app.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER members_stamp BEFORE INSERT ON app.members FOR EACH ROW EXECUTE FUNCTION app.stamp();
        ALTER TRIGGER members_stamp ON app.members RENAME TO members_stamp2;
        ALTER FUNCTION app.stamp() SECURITY DEFINER SET search_path = pg_catalog;"),
    ("038_identity_generated.sql", "CREATE TABLE app.things (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, a int,
            b int GENERATED ALWAYS AS (a * 2) STORED);
        ALTER TABLE app.things ALTER COLUMN id SET GENERATED ALWAYS, ALTER COLUMN id RESTART WITH 100;"),
    ("039_table_options.sql", "ALTER TABLE app.things ADD COLUMN m bigint REFERENCES app.members (id);
        ALTER TABLE app.things ALTER CONSTRAINT things_m_fkey DEFERRABLE INITIALLY DEFERRED;
        ALTER TABLE app.things ADD CONSTRAINT no_twins EXCLUDE USING btree (b WITH =);
        ALTER TABLE app.things REPLICA IDENTITY USING INDEX things_pkey;
        ALTER TABLE app.things CLUSTER ON things_pkey; ALTER TABLE app.things SET (fillfactor = 70);
        ALTER TABLE app.things ALTER COLUMN a SET STATISTICS 500;"),
    ("040_sequence_and_column_grants.sql", "ALTER SEQUENCE app.ticket INCREMENT BY 5 RESTART WITH 10;
        GRANT USAGE ON SEQUENCE app.ticket TO replay_reader;
        GRANT SELECT (email), UPDATE (email) ON app.members TO replay_reader;
        REVOKE UPDATE (email) ON app.members FROM replay_reader;"),
    ("041_view_options_rule.sql", "ALTER VIEW app.active RENAME COLUMN email TO mail;
        ALTER VIEW app.active SET (security_barrier = true);
        CREATE RULE members_no_delete AS ON DELETE TO app.members DO INSTEAD NOTHING;"),
    ("042_like_as_owner.sql", "CREATE TABLE app.copy (LIKE app.things INCLUDING ALL);
        CREATE TABLE app.snapshot AS SELECT id, org FROM app.members;
        DROP INDEX app.members_org; ALTER TABLE app.members OWNER TO replay_reader;"),
    ("043_scratch_schema.sql", "CREATE SCHEMA scratch; CREATE TABLE scratch.t (id int PRIMARY KEY);
        CREATE VIEW scratch.v AS SELECT id FROM scratch.t;
        CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
        COMMENT ON TABLE scratch.t IS 'gone soon';"),
    ("044_drop_schema_cascade.sql", "DROP SCHEMA scratch CASCADE; DROP SCHEMA elsewhere CASCADE;"),
    ("045_cross_references.sql", "CREATE FUNCTION app.positive(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x > 0 $$;
        CREATE TABLE app.scores (id int PRIMARY KEY, points int CHECK (app.positive(points)), who bigint);
        CREATE FUNCTION app.all_things() RETURNS SETOF app.things LANGUAGE sql STABLE AS $$ SELECT * FROM app.things $$;
        CREATE TRIGGER scores_when BEFORE UPDATE ON app.scores FOR EACH ROW WHEN (NEW.points IS DISTINCT FROM OLD.points)
            EXECUTE FUNCTION app.stamp();"),
    ("046_cross_renames.sql", "ALTER FUNCTION app.positive(int) RENAME TO is_positive; ALTER TABLE app.things RENAME TO items;
        ALTER TABLE app.scores RENAME COLUMN points TO score; ALTER FUNCTION app.stamp() RENAME TO stamped;"),
    ("047_set_schema.sql", "CREATE SCHEMA moved; CREATE TABLE app.boxes (id serial PRIMARY KEY, label text);
        CREATE VIEW app.box_labels AS SELECT label FROM app.boxes;
        ALTER TABLE app.boxes SET SCHEMA moved; ALTER TYPE app.feeling SET SCHEMA moved;
        ALTER FUNCTION app.is_positive(int) SET SCHEMA moved;"),
    ("048_typed_table.sql", "CREATE TYPE app.point3 AS (x int, y int, z int); CREATE TABLE app.points OF app.point3 (PRIMARY KEY (x));
        ALTER TYPE app.point3 RENAME ATTRIBUTE z TO depth CASCADE; ALTER TYPE app.point3 RENAME TO point3d;"),
    ("049_routines.sql", "CREATE PROCEDURE app.tidy(days int) LANGUAGE sql AS $$ DELETE FROM app.scores WHERE id < days $$;
        CREATE AGGREGATE app.total(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
        ALTER PROCEDURE app.tidy(int) RENAME TO tidy_up; ALTER AGGREGATE app.total(int) RENAME TO grand_total;"),
    ("050_domains_enums_sequences.sql", "CREATE DOMAIN app.short_email AS app.email CHECK (length(VALUE) < 50);
        ALTER DOMAIN app.short_email RENAME CONSTRAINT short_email_check TO short_enough;
        ALTER TYPE moved.feeling ADD VALUE 'meh' BEFORE 'ok'; ALTER SEQUENCE app.ticket AS integer;
        ALTER TABLE app.scores ADD COLUMN contact app.short_email;"),
    ("051_views_and_matviews.sql", "ALTER VIEW app.active ALTER COLUMN org SET DEFAULT 0;
        ALTER MATERIALIZED VIEW app.counts RENAME TO org_counts; REFRESH MATERIALIZED VIEW app.org_counts;
        CREATE INDEX counts_more ON app.org_counts ((n + 1)); ALTER INDEX app.counts_more ALTER COLUMN 1 SET STATISTICS 100;"),
    ("052_constraint_using_index.sql", "CREATE UNIQUE INDEX scores_who ON app.scores (who);
        ALTER TABLE app.scores ADD CONSTRAINT scores_who_key UNIQUE USING INDEX scores_who;
        CREATE TABLE app.plain (id int, extra text); ALTER TABLE app.plain INHERIT app.child;
        CREATE STATISTICS app.scores_stats ON id, who FROM app.scores;"),
    ("053_owners_and_drop_owned.sql", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replay_owner') THEN
            CREATE ROLE replay_owner; END IF; END $$;
        CREATE SCHEMA owned AUTHORIZATION replay_owner; CREATE TABLE owned.t (id int);
        ALTER TABLE owned.t OWNER TO replay_owner; ALTER SCHEMA moved OWNER TO replay_owner;
        REASSIGN OWNED BY replay_owner TO CURRENT_USER; GRANT SELECT ON app.scores TO replay_owner;
        DROP OWNED BY replay_owner;"),
    // What a migration wrote is known from the server's counts of its transaction (a replay
    // looks only at the catalogs they name): with counting off, a write is not counted, and
    // this turns it off and on around one. A function made to do it is called later.
    ("054_uncounted.sql", "SET LOCAL track_counts = off;
        CREATE TABLE app.uncounted (id int);
        RESET track_counts;
        CREATE FUNCTION app.quietly() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN
          PERFORM set_config('track_' || 'counts', 'off', true);
          CREATE TABLE app.quiet (id int);
          PERFORM set_config('track_' || 'counts', 'on', true);
        END $f$;"),
    ("055_counted_again.sql", "DROP TABLE app.uncounted; SELECT app.quietly();"),
    ("056_extension_and_collation.sql", "CREATE EXTENSION IF NOT EXISTS pgcrypto;
        CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
        ALTER TABLE app.users ADD COLUMN handle text COLLATE app.ci;"),
];

/// Replays `dir` twice, each in a database of its own, reading the shadow whole and targeted:
/// how many migrations were replayed, and where the readings differ (nothing when they agree).
fn differences(dir: &Path) -> (usize, usize, Vec<String>) {
    let set = plumb_migrate::load_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let (whole_db, targeted_db) = (TestDb::new(), TestDb::new());
    let (whole, targeted): (Replay, Replay) = block_on(async {
        let whole_conn = plumb_pg::connect(&whole_db.info, None).await.unwrap();
        let targeted_conn = plumb_pg::connect(&targeted_db.info, None).await.unwrap();
        let whole = plumb_doctor::replay_with(&whole_conn, &set, Inspection::Whole).await.unwrap();
        let targeted = plumb_doctor::replay_with(&targeted_conn, &set, Inspection::Targeted).await.unwrap();
        (whole, targeted)
    });
    let mut out = Vec::new();
    // Incident 4's migration never applies, in a shadow as on the target: both must stop there.
    if whole.failure != targeted.failure {
        out.push(format!("they stop apart: whole {:?}, targeted {:?}", whole.failure, targeted.failure));
    }
    for (i, m) in set.migrations().iter().enumerate().take(whole.footprints.len().max(targeted.footprints.len())) {
        let (w, t) = (whole.footprints.get(i), targeted.footprints.get(i));
        if w != t {
            out.push(format!("{}: {}", m.path.display(), effects_apart(w, t)));
        }
    }
    if out.is_empty() && whole.schema != targeted.schema {
        out.push("the final schemas differ".to_owned());
    }
    (whole.replayed(), set.migrations().len(), out)
}

/// The objects whose effect the two footprints tell differently, each with both tellings.
fn effects_apart(whole: Option<&plumb_doctor::Footprint>, targeted: Option<&plumb_doctor::Footprint>) -> String {
    let empty = Vec::new();
    let (whole, targeted) = (whole.unwrap_or(&empty), targeted.unwrap_or(&empty));
    let mut ids: Vec<&plumb_doctor::ObjectId> = whole.iter().chain(targeted).map(|e| &e.id).collect();
    ids.sort();
    ids.dedup();
    let tell = |f: &[plumb_doctor::Effect], id: &plumb_doctor::ObjectId| {
        f.iter().find(|e| &e.id == id).map(|e| format!("{:?} → {:?}", e.before, e.after))
    };
    ids.into_iter()
        .filter(|id| tell(whole, id) != tell(targeted, id))
        .map(|id| format!("\n  {id}\n    whole:    {:?}\n    targeted: {:?}", tell(whole, id), tell(targeted, id)))
        .collect()
}

/// Asserts both readings agree; returns how many migrations were replayed.
fn assert_same(name: &str, dir: &Path) -> usize {
    let (replayed, _, found) = differences(dir);
    assert!(found.is_empty(), "{name}: the targeted replay differs from the whole one:\n{}", found.join("\n"));
    replayed
}

/// As [`assert_same`], for a folder whose every migration applies: all of them were compared.
fn assert_same_throughout(name: &str, dir: &Path) {
    let (replayed, total, found) = differences(dir);
    assert!(found.is_empty(), "{name}: the targeted replay differs from the whole one:\n{}", found.join("\n"));
    assert_eq!(replayed, total, "{name}: the replay stopped early");
}

#[test]
fn targeted_replay_equals_whole_on_every_statement_kind() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in KINDS {
        std::fs::write(dir.path().join(name), sql).unwrap();
    }
    let replayed = assert_same("statement kinds", dir.path());
    // Only the last may fail, on a server without ICU or pgcrypto: the rest were compared.
    assert!(replayed >= KINDS.len() - 1, "the replay stopped at {}", KINDS[replayed].0);
}

#[test]
fn targeted_replay_equals_whole_on_the_reference_set_and_the_incidents() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert_same_throughout("reference", &root.join("tests/cli/reference"));
    for incident in ["1-half-applied", "2-stamped-ahead", "3-if-not-exists", "4-never-applies", "5-phantom-supabase"] {
        let dir = root.join("../../examples/incidents").join(incident).join("migrations");
        assert_same(incident, &dir);
    }
}

#[test]
fn targeted_replay_equals_whole_on_every_corpus() {
    let corpora = corpora();
    let names: Vec<&str> = corpora.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["cratesio", "cratesio-diesel", "documenso-prisma"] {
        assert!(
            names.contains(&expected),
            "../shared/corpora/{expected} is missing (found {names:?}): this test needs the shared corpora beside the repository"
        );
    }
    for (name, dir) in &corpora {
        assert_same_throughout(name, dir);
    }
}

/// The catalogs whose writes a replay counts are listed by OID and name: the server agrees on
/// every pair (the OIDs are fixed, but a wrong one would be a catalog never counted).
#[test]
fn the_counted_catalogs_are_the_server_s_own_by_name_and_oid() {
    let db = TestDb::new();
    for (name, oid) in plumb_pg::SCHEMA_CATALOGS {
        let found = db.value(&format!("SELECT relname FROM pg_class WHERE oid = {oid} AND relkind = 'r'"));
        assert_eq!(found.as_deref(), Some(name), "OID {oid}");
    }
}
