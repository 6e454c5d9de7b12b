//! Footprints held against the live schema and the history. Pure.

use std::collections::{BTreeMap, BTreeSet};

use plumb_migrate::{HistoryRow, HistoryStatus, MigrationSet};
use serde::Serialize;

use crate::objects::Objects;
use crate::replay::Replay;

/// What is true of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, and every surviving effect is present.
    Verified,
    /// Recorded, and none of its surviving effects is present.
    Phantom,
    /// Some surviving effects present, some not.
    Partial,
    /// Every surviving effect present, but not recorded.
    Unrecorded,
    /// Recorded from a file that has changed since.
    Modified,
    /// Recorded, but nothing it did survives later migrations: the catalog cannot tell.
    Unverifiable,
    /// Not recorded, and nothing of it present.
    Pending,
    /// A no-transaction migration that stopped on an error.
    Failed,
    /// A no-transaction migration that did not finish.
    InProgress,
    /// Not replayed: an earlier migration failed in the shadow.
    Unknown,
}

/// The verdict on one migration.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationDiagnosis {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Whether the history records it as applied.
    pub recorded: bool,
    /// What is true.
    pub status: Status,
    /// Surviving effects found in the live schema.
    pub present: Vec<String>,
    /// Surviving effects not found.
    pub missing: Vec<String>,
    /// Missing effects whose object exists with another value: `object: expected X, found Y`.
    pub drift: Vec<String>,
    /// Share of its surviving effects that are present (none: nothing to check).
    pub confidence: Option<f64>,
    /// Tables its missing foreign keys reference that the live schema lacks: what blocks
    /// the rest of a partial run (`table public.organizations`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
}

/// Every migration's verdict, and what no migration explains.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// In version order.
    pub migrations: Vec<MigrationDiagnosis>,
    /// Live objects that no migration creates.
    pub unexplained: Vec<String>,
}

impl Diagnosis {
    /// Whether history and schema agree.
    pub fn is_clean(&self) -> bool {
        self.unexplained.is_empty()
            && self
                .migrations
                .iter()
                .all(|m| matches!(m.status, Status::Verified | Status::Unverifiable | Status::Pending))
    }
}

/// What one surviving effect expects of the live schema.
enum Expect<'a> {
    /// The object with exactly this value (this migration set it last).
    Value(&'a str),
    /// The object, whatever its value: this migration created it, later ones changed it.
    Exists,
    /// No such object: this migration dropped it last.
    Absent,
}

/// A migration's surviving effects: the values it set last, the objects it created that
/// still exist at the end (whoever changed them since), and the objects it dropped last.
fn surviving_effects(replay: &Replay) -> Vec<Vec<(&str, Expect<'_>)>> {
    let mut last_value: BTreeMap<&str, usize> = BTreeMap::new();
    let mut created_by: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, footprint) in replay.footprints.iter().enumerate() {
        for e in footprint {
            last_value.insert(&e.object, i);
            match (&e.before, &e.after) {
                (None, Some(_)) => {
                    created_by.insert(&e.object, i);
                }
                (_, None) => {
                    created_by.remove(e.object.as_str());
                }
                _ => {}
            }
        }
    }
    replay
        .footprints
        .iter()
        .enumerate()
        .map(|(i, footprint)| {
            footprint
                .iter()
                .filter_map(|e| {
                    let object = e.object.as_str();
                    if last_value.get(object) == Some(&i) {
                        Some((object, e.after.as_deref().map_or(Expect::Absent, Expect::Value)))
                    } else if created_by.get(object) == Some(&i) {
                        Some((object, Expect::Exists))
                    } else {
                        None
                    }
                })
                .collect()
        })
        .collect()
}

/// Whether an effect holds in `live`; on a mismatch, the drift.
fn check(object: &str, expect: &Expect<'_>, live: &Objects) -> Result<(), Option<String>> {
    match (expect, live.get(object)) {
        (Expect::Value(expected), Some(found)) if expected == &found => Ok(()),
        (Expect::Value(expected), Some(found)) => Err(Some(format!("{object}: expected {expected}, found {found}"))),
        (Expect::Exists, Some(_)) | (Expect::Absent, None) => Ok(()),
        _ => Err(None),
    }
}

/// Holds every migration's surviving effects against the live schema and the history.
pub fn diagnose(set: &MigrationSet, replay: &Replay, history: &[HistoryRow], live: &Objects) -> Diagnosis {
    let surviving = surviving_effects(replay);
    let mut migrations = Vec::new();
    for (i, m) in set.migrations().iter().enumerate() {
        let row = history.iter().find(|r| r.version.same_number(&m.version));
        let recorded = row.is_some_and(|r| r.status == HistoryStatus::Applied);
        let (mut present, mut missing, mut drift) = (Vec::new(), Vec::new(), Vec::new());
        let effects = surviving.get(i);
        for (object, expect) in effects.into_iter().flatten() {
            match check(object, expect, live) {
                Ok(()) => present.push(object.to_string()),
                Err(d) => {
                    missing.push(object.to_string());
                    drift.extend(d);
                }
            }
        }
        // An absence proves nothing on its own: a table a migration drops is just as absent
        // when the migration that created it never ran. Only migrations that leave something
        // behind can be verified.
        let evidence = effects.into_iter().flatten().any(|(_, expect)| !matches!(expect, Expect::Absent));
        let checked = if evidence { present.len() + missing.len() } else { 0 };
        let confidence = (checked > 0).then(|| present.len() as f64 / checked as f64);
        let status = match (row.map(|r| r.status), effects) {
            (Some(HistoryStatus::InProgress), _) => Status::InProgress,
            (Some(HistoryStatus::Failed), _) => Status::Failed,
            (_, None) => Status::Unknown,
            // An empty recorded checksum: the history format keeps none (Supabase).
            _ if recorded && row.is_some_and(|r| !r.checksum.is_empty() && r.checksum != m.checksum) => {
                Status::Modified
            }
            _ if checked == 0 => {
                if recorded {
                    Status::Unverifiable
                } else {
                    Status::Pending
                }
            }
            _ if missing.is_empty() => {
                if recorded {
                    Status::Verified
                } else {
                    Status::Unrecorded
                }
            }
            _ if present.is_empty() => {
                if recorded {
                    Status::Phantom
                } else {
                    Status::Pending
                }
            }
            _ => Status::Partial,
        };
        let blocked_by = if matches!(status, Status::Partial | Status::Phantom) {
            blockers(&missing, replay, live)
        } else {
            Vec::new()
        };
        migrations.push(MigrationDiagnosis {
            blocked_by,
            version: m.version.to_string(),
            name: m.name.clone(),
            recorded,
            status,
            present,
            missing,
            drift,
            confidence,
        });
    }
    let dropped: BTreeSet<&str> =
        surviving.iter().flatten().filter(|(_, expect)| matches!(expect, Expect::Absent)).map(|(o, _)| *o).collect();
    let expected = replay.expected();
    let unexplained =
        live.0.keys().filter(|id| expected.get(id).is_none() && !dropped.contains(id.as_str())).cloned().collect();
    Diagnosis { migrations, unexplained }
}

/// The tables that `missing` foreign keys reference and `live` lacks.
fn blockers(missing: &[String], replay: &Replay, live: &Objects) -> Vec<String> {
    let mut out = BTreeSet::new();
    for id in missing {
        let Some((table, name)) = id.strip_prefix("constraint ").and_then(|rest| rest.rsplit_once('.')) else {
            continue;
        };
        let references =
            replay.schema.tables.get(table).and_then(|t| t.constraints.get(name)).and_then(|c| c.references.as_ref());
        if let Some((target, _)) = references {
            // A table the migration itself creates is missing because the run stopped, not a cause.
            let target = format!("table {target}");
            if live.get(&target).is_none() && !missing.contains(&target) {
                out.insert(target);
            }
        }
    }
    out.into_iter().collect()
}

/// Which migrations the live schema really contains.
#[derive(Debug, Clone, Serialize)]
pub struct Locate {
    /// Versions whose surviving effects are (mostly) present.
    pub applied: Vec<String>,
    /// The version whose expected schema is closest to the live one (`None`: closest to none applied).
    pub best_version: Option<String>,
    /// Per migration: status and confidence.
    pub migrations: Vec<MigrationDiagnosis>,
    /// What separates the live schema from the schema at `best_version`.
    pub residual: Vec<String>,
}

/// Finds the best explanation of the live schema, whatever the history says.
pub fn locate(set: &MigrationSet, replay: &Replay, history: &[HistoryRow], live: &Objects) -> Locate {
    let diagnosis = diagnose(set, replay, history, live);
    let applied = diagnosis
        .migrations
        .iter()
        .filter(|m| m.confidence.is_some_and(|c| c >= 0.5))
        .map(|m| m.version.clone())
        .collect();
    // The prefix whose schema differs least from the live one; on a tie, the later one
    // (migrations that leave no trace cannot be told apart).
    let mut best = (usize::MAX, 0);
    for (k, snapshot) in replay.snapshots.iter().enumerate() {
        let distance = residual(snapshot, live).len();
        if distance <= best.0 {
            best = (distance, k);
        }
    }
    let best_version = (best.1 > 0).then(|| set.migrations()[best.1 - 1].version.to_string());
    Locate {
        applied,
        best_version,
        residual: residual(&replay.snapshots[best.1], live),
        migrations: diagnosis.migrations,
    }
}

/// Differences between an expected schema and the live one, in words.
fn residual(expected: &Objects, live: &Objects) -> Vec<String> {
    let mut out = Vec::new();
    for (id, value) in &expected.0 {
        match live.get(id) {
            None => out.push(format!("missing {id}")),
            Some(found) if found != value => out.push(format!("{id}: expected {value}, found {found}")),
            Some(_) => {}
        }
    }
    for id in live.0.keys() {
        if expected.get(id).is_none() {
            out.push(format!("unexpected {id}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::footprint;
    use crate::test_support::recorded;
    use plumb_migrate::{Migration, Version};

    fn objs(items: &[(&str, &str)]) -> Objects {
        Objects(items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// Three migrations: 1 creates a and b, 2 creates c and changes a, 3 creates and drops d.
    fn fixture() -> (MigrationSet, Replay) {
        let s0 = objs(&[]);
        let s1 = objs(&[("table a", "1"), ("table b", "1")]);
        let s2 = objs(&[("table a", "2"), ("table b", "1"), ("table c", "1")]);
        let s3 = objs(&[("table a", "2"), ("table b", "1"), ("table c", "1")]);
        let snapshots = vec![s0, s1, s2, s3];
        let footprints = snapshots.windows(2).map(|w| footprint(&w[0], &w[1])).collect();
        let set = MigrationSet::new(
            (1..=3)
                .map(|v| {
                    Migration::new(
                        Version::parse(&v.to_string()).unwrap(),
                        format!("m{v}"),
                        format!("{v}.sql").into(),
                        format!("SELECT {v};"),
                    )
                    .unwrap()
                })
                .collect(),
        )
        .unwrap();
        (set, Replay { snapshots, footprints, failure: None, schema: Default::default() })
    }

    fn statuses(d: &Diagnosis) -> Vec<Status> {
        d.migrations.iter().map(|m| m.status).collect()
    }

    #[test]
    fn all_present_and_recorded_is_verified() {
        let (set, replay) = fixture();
        let live = replay.expected().clone();
        let d = diagnose(&set, &replay, &recorded(&set, &["1", "2", "3"]), &live);
        assert_eq!(statuses(&d), [Status::Verified, Status::Verified, Status::Unverifiable]);
        assert!(d.is_clean());
    }

    #[test]
    fn recorded_but_absent_is_phantom_and_half_is_partial() {
        let (set, replay) = fixture();
        let live = objs(&[("table a", "1"), ("table b", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &["1", "2", "3"]), &live);
        // 2's surviving effects: a changed to "2", c created: both missing; a is drift.
        assert_eq!(statuses(&d), [Status::Verified, Status::Phantom, Status::Unverifiable]);
        assert_eq!(d.migrations[1].drift, ["table a: expected 2, found 1"]);
        let live = objs(&[("table a", "2"), ("table b", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &["1", "2"]), &live);
        assert_eq!(d.migrations[1].status, Status::Partial);
        assert_eq!(d.migrations[1].missing, ["table c"]);
    }

    #[test]
    fn present_but_not_recorded_is_unrecorded_and_extra_objects_are_unexplained() {
        let (set, replay) = fixture();
        let mut live = replay.expected().clone();
        live.0.insert("index public.hotfix".into(), "x".into());
        let d = diagnose(&set, &replay, &recorded(&set, &["1"]), &live);
        assert_eq!(statuses(&d), [Status::Verified, Status::Unrecorded, Status::Pending]);
        assert_eq!(d.unexplained, ["index public.hotfix"]);
        assert!(!d.is_clean());
    }

    #[test]
    fn locate_finds_the_prefix_the_schema_matches() {
        let (set, replay) = fixture();
        let live = objs(&[("table a", "1"), ("table b", "1")]);
        let l = locate(&set, &replay, &recorded(&set, &["1", "2", "3"]), &live);
        assert_eq!(l.best_version.as_deref(), Some("1"));
        assert_eq!(l.applied, ["1"]);
        assert!(l.residual.is_empty(), "{:?}", l.residual);
    }
}
