//! The drift model v2: effects held against the live schema, the frontier, and a
//! status per migration. Pure.
//!
//! - An effect `(id, before, after)` is *there* when the live schema has `after`, *not
//!   there* when it has `before`, and *drift* when it has neither.
//! - The frontier `F` is the number of migrations whose snapshot `S(F)` the live schema is
//!   closest to: `d(F)` counts the managed ids (those some migration changed) where the
//!   live schema differs from `S(F)`, computed for every `F` in one pass over the effects
//!   (`d(F) = d(F-1) + Σ [L ≠ after] − [L ≠ before]`). Ties go to the position that agrees
//!   best with the history (with no history at all: the latest).
//! - A migration at or before the frontier is judged by its surviving effects (those no
//!   later migration up to the frontier changed again): all there → verified (recorded) or
//!   unrecorded; none → a hole (phantom if recorded); some → partial; none to judge →
//!   unverifiable, applied by order, never pending.
//! - A migration after the frontier is not applied, unless its own after-states, distinct
//!   from `S(F)`, say otherwise (applied out of order, or partial at the frontier).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use plumb_migrate::{HistoryRow, HistoryStatus, Migration, MigrationSet};

use crate::objects::{Effect, ObjectId, ObjectKind, Objects, Part, Value};
use crate::replay::Replay;

/// What is true of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Recorded, and every surviving effect is there.
    Verified,
    /// Recorded, and not there: after the frontier, or a hole before it.
    Phantom,
    /// Some of its effects there, some not.
    Partial,
    /// There, but not recorded.
    Unrecorded,
    /// Recorded from a file that has changed since.
    Modified,
    /// At or before the frontier with nothing left to observe (created then dropped, or only
    /// changed what later migrations changed again): applied by order.
    Unverifiable,
    /// Not there and not recorded.
    Pending,
    /// A no-transaction migration that stopped on an error.
    Failed,
    /// A no-transaction migration that did not finish.
    InProgress,
    /// Not replayed: an earlier migration failed in the shadow.
    Unknown,
}

/// One object whose live value is not the one expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The object.
    pub id: ObjectId,
    /// The value expected (`None`: expected absent).
    pub expected: Option<String>,
    /// The value found (`None`: absent).
    pub found: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.expected, &self.found) {
            (Some(_), None) => write!(f, "missing {}", self.id),
            (None, Some(_)) => write!(f, "unexpected {}", self.id),
            (Some(e), Some(found)) => write!(f, "{}: expected {e}, found {found}", self.id),
            (None, None) => write!(f, "{}", self.id),
        }
    }
}

/// The verdict on one migration.
#[derive(Debug, Clone)]
pub struct MigrationDiagnosis {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Whether the history records it as applied.
    pub recorded: bool,
    /// What is true.
    pub status: Status,
    /// Whether the live schema holds it, by the model: at or before the frontier and not a
    /// hole, or after it with evidence of its own.
    pub applied: bool,
    /// Effects found in the live schema.
    pub present: Vec<ObjectId>,
    /// Effects not found.
    pub missing: Vec<ObjectId>,
    /// Missing effects whose object exists with another value.
    pub drift: Vec<Difference>,
    /// Share of its judged effects that are there (none: nothing to judge).
    pub confidence: Option<f64>,
    /// Tables its missing foreign keys reference that the live schema lacks: what blocks
    /// the rest of a partial run.
    pub blocked_by: Vec<ObjectId>,
}

/// Where the live schema stands among the snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    /// How many migrations the live schema is closest to having run (0: none).
    pub position: usize,
    /// `distances[k]`: managed objects where the live schema differs from `S(k)`, for every
    /// replayed `k`.
    pub distances: Vec<usize>,
}

impl Frontier {
    /// The distance at the frontier.
    pub fn distance(&self) -> usize {
        self.distances[self.position]
    }
}

/// A history row whose version no migration file has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// The recorded version.
    pub version: String,
    /// The recorded name.
    pub name: String,
}

/// Every migration's verdict, the frontier, and what no migration explains.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// In version order.
    pub migrations: Vec<MigrationDiagnosis>,
    /// Where the live schema stands.
    pub frontier: Frontier,
    /// Live objects that no migration creates.
    pub unexplained: Vec<ObjectId>,
    /// History rows without a file.
    pub missing_files: Vec<MissingFile>,
}

impl Diagnosis {
    /// Whether history and schema agree.
    pub fn is_clean(&self) -> bool {
        self.agrees(false)
    }

    /// Whether history and schema agree; without `strict`, grants made outside the migrations
    /// (unexplained access, [`ObjectId::is_access`]) are listed but do not count.
    pub fn agrees(&self, strict: bool) -> bool {
        self.unexplained.iter().all(|id| !strict && id.is_access())
            && self.missing_files.is_empty()
            && self.migrations.iter().all(|m| {
                matches!(m.status, Status::Verified | Status::Pending)
                    || (m.status == Status::Unverifiable && m.recorded)
            })
    }

    /// How many migrations a repair converges to: the frontier, or further when a migration
    /// after it is partly or wholly there (its objects are kept and the rest completed, never
    /// dropped).
    pub fn converge_to(&self) -> usize {
        self.migrations
            .iter()
            .enumerate()
            .skip(self.frontier.position)
            .filter(|(_, m)| m.applied)
            .map(|(i, _)| i + 1)
            .max()
            .unwrap_or(self.frontier.position)
    }
}

/// How an effect speaks for its migration.
enum Judge {
    /// The live value must be the effect's after-state (it set it last).
    Value,
    /// The object must exist (it created it; a later migration changed it).
    Exists,
}

/// Whether `live` holds `value` at `id` (`None`: absent).
fn holds(live: &Objects, id: &ObjectId, value: Option<&Value>) -> bool {
    live.get(id) == value
}

/// `d(k)` for every replayed `k`, in one pass over the effects.
fn distances(replay: &Replay, live: &Objects) -> Vec<usize> {
    let managed = replay.managed();
    let mut d = managed.iter().filter(|id| !holds(live, id, replay.empty.get(id))).count() as i64;
    let mut out = vec![d as usize];
    for footprint in &replay.footprints {
        for e in footprint {
            d += i64::from(!holds(live, &e.id, e.after.as_ref())) - i64::from(!holds(live, &e.id, e.before.as_ref()));
        }
        out.push(d as usize);
    }
    out
}

/// The position minimising the distance; ties go to the one the history agrees with most,
/// and among those to the latest. With no history the earliest wins: an absence is no
/// evidence, so migrations that leave no trace at the end are not assumed to have run.
fn frontier(replay: &Replay, live: &Objects, recorded: &[bool]) -> Frontier {
    let distances = distances(replay, live);
    // disagreement(k) = recorded migrations at or after k + unrecorded ones before k.
    let mut disagreement: usize = recorded.iter().filter(|r| **r).count();
    let mut best = (usize::MAX, usize::MAX, 0);
    for (k, d) in distances.iter().enumerate() {
        if k > 0 {
            if recorded[k - 1] {
                disagreement -= 1;
            } else {
                disagreement += 1;
            }
        }
        if (*d, disagreement) <= (best.0, best.1) {
            best = (*d, disagreement, k);
        }
    }
    Frontier { position: best.2, distances }
}

/// What the frontier fixes for judging each migration: who last changed and who last
/// created each id up to it, its snapshot, and the ids that migrations after it explain.
struct Judging<'a> {
    f: usize,
    last_writer: BTreeMap<&'a ObjectId, usize>,
    last_creator: BTreeMap<&'a ObjectId, usize>,
    at_frontier: Objects,
    explained_later: BTreeSet<&'a ObjectId>,
    live: &'a Objects,
}

impl<'a> Judging<'a> {
    fn new(replay: &'a Replay, live: &'a Objects, f: usize) -> Judging<'a> {
        let mut last_writer = BTreeMap::new();
        let mut last_creator = BTreeMap::new();
        for (i, footprint) in replay.footprints[..f].iter().enumerate() {
            for e in footprint {
                last_writer.insert(&e.id, i);
                if e.before.is_none() {
                    last_creator.insert(&e.id, i);
                }
            }
        }
        let at_frontier = replay.snapshot(f);
        // What migrations after the frontier show of themselves: an id whose live value is such
        // a migration's own after-state is explained by it, not held against the ones before.
        let explained_later = replay.footprints[f..]
            .iter()
            .flatten()
            .filter(|e| !holds(&at_frontier, &e.id, e.after.as_ref()) && holds(live, &e.id, e.after.as_ref()))
            .map(|e| &e.id)
            .collect();
        Judging { f, last_writer, last_creator, at_frontier, explained_later, live }
    }

    /// The effects that speak for migration `i`: before the frontier, the values it set last
    /// and the existence of what it created that still exists (whatever later migrations
    /// changed about it); after it, those that would move the schema away from `S(F)`.
    fn judged<'e>(&self, i: usize, footprint: &'e [Effect]) -> Vec<(&'e Effect, Judge)> {
        if i >= self.f {
            return footprint
                .iter()
                .filter(|e| !holds(&self.at_frontier, &e.id, e.after.as_ref()))
                .map(|e| (e, Judge::Value))
                .collect();
        }
        footprint
            .iter()
            .filter(|e| !self.explained_later.contains(&e.id))
            .filter_map(|e| {
                if self.last_writer.get(&e.id) == Some(&i) {
                    Some((e, Judge::Value))
                } else if self.last_creator.get(&e.id) == Some(&i) && self.at_frontier.get(&e.id).is_some() {
                    Some((e, Judge::Exists))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Fills `d`'s evidence (present, missing, drift, confidence, applied) for migration `i`;
    /// returns what it says: `None` for nothing to judge before the frontier, else (some
    /// there, all there).
    fn evidence(&self, d: &mut MigrationDiagnosis, i: usize, footprint: &[Effect]) -> Option<(bool, bool)> {
        let judged = self.judged(i, footprint);
        for (e, judge) in &judged {
            let there = match judge {
                Judge::Value => holds(self.live, &e.id, e.after.as_ref()),
                Judge::Exists => self.live.get(&e.id).is_some(),
            };
            if there {
                d.present.push(e.id.clone());
                continue;
            }
            d.missing.push(e.id.clone());
            if let Some(found) = self.live.get(&e.id) {
                d.drift.push(Difference {
                    id: e.id.clone(),
                    expected: e.after.as_ref().map(|v| v.text.clone()),
                    found: Some(found.text.clone()),
                });
            }
        }
        d.confidence = (!judged.is_empty()).then(|| d.present.len() as f64 / judged.len() as f64);
        let some = !d.present.is_empty();
        d.applied = if i < self.f { judged.is_empty() || some } else { some };
        (i >= self.f || !judged.is_empty()).then_some((some, d.missing.is_empty()))
    }
}

/// A migration's status from its history row and its evidence.
fn status(row: Option<&HistoryRow>, m: &Migration, recorded: bool, evidence: Option<(bool, bool)>) -> Status {
    match row.map(|r| r.status) {
        Some(HistoryStatus::InProgress) => Status::InProgress,
        Some(HistoryStatus::Failed) => Status::Failed,
        // An empty recorded checksum: the history format keeps none (Supabase).
        _ if recorded && row.is_some_and(|r| !m.checksum_matches(&r.checksum)) => Status::Modified,
        _ => match evidence {
            None => Status::Unverifiable,
            Some((true, true)) if recorded => Status::Verified,
            Some((true, true)) => Status::Unrecorded,
            Some((true, false)) => Status::Partial,
            Some((false, _)) if recorded => Status::Phantom,
            Some((false, _)) => Status::Pending,
        },
    }
}

/// Holds every migration's effects against the live schema and the history.
pub fn diagnose(set: &MigrationSet, replay: &Replay, history: &[HistoryRow], live: &Objects) -> Diagnosis {
    let migrations = set.migrations();
    let rows: Vec<Option<&HistoryRow>> =
        migrations.iter().map(|m| history.iter().find(|r| r.version.same_number(&m.version))).collect();
    let recorded: Vec<bool> = rows.iter().map(|r| r.is_some_and(|r| r.status == HistoryStatus::Applied)).collect();
    let frontier = frontier(replay, live, &recorded[..replay.replayed()]);
    let judging = Judging::new(replay, live, frontier.position);

    let mut out = Vec::with_capacity(migrations.len());
    for (i, m) in migrations.iter().enumerate() {
        let mut d = MigrationDiagnosis {
            version: m.version.to_string(),
            name: m.name.clone(),
            recorded: recorded[i],
            status: Status::Unknown,
            applied: false,
            present: Vec::new(),
            missing: Vec::new(),
            drift: Vec::new(),
            confidence: None,
            blocked_by: Vec::new(),
        };
        if let Some(footprint) = replay.footprints.get(i) {
            let evidence = judging.evidence(&mut d, i, footprint);
            d.status = status(rows[i], m, d.recorded, evidence);
            if matches!(d.status, Status::Partial | Status::Phantom) {
                d.blocked_by = blockers(&d.missing, footprint, replay, live);
            }
        }
        out.push(d);
    }

    let managed = replay.managed();
    let unexplained =
        live.0.keys().filter(|id| !managed.contains(id) && replay.empty.get(id).is_none()).cloned().collect();
    let missing_files = history
        .iter()
        .filter(|r| !migrations.iter().any(|m| m.version.same_number(&r.version)))
        .map(|r| MissingFile { version: r.version.to_string(), name: r.name.clone() })
        .collect();
    Diagnosis { migrations: out, frontier, unexplained, missing_files }
}

/// The tables that the `missing` foreign keys of a migration reference and `live` lacks
/// (a table the migration itself creates is missing because the run stopped, not a cause).
fn blockers(missing: &[ObjectId], footprint: &[Effect], replay: &Replay, live: &Objects) -> Vec<ObjectId> {
    let tables: BTreeSet<&ObjectId> =
        replay.footprints.iter().flatten().map(|e| &e.id).filter(|id| id.kind == ObjectKind::Table).collect();
    let mut out = BTreeSet::new();
    for e in footprint.iter().filter(|e| e.id.kind == ObjectKind::Constraint && missing.contains(&e.id)) {
        let Some(Part::Constraint(c)) = e.after.as_ref().map(|v| &v.part) else { continue };
        let Some((target, _)) = &c.references else { continue };
        let Some(table) = tables.iter().find(|id| id.qualified() == *target) else { continue };
        let creates_it = footprint.iter().any(|x| x.id == **table);
        if !creates_it && live.get(table).is_none() {
            out.insert((*table).clone());
        }
    }
    out.into_iter().collect()
}

/// Which migrations the live schema really contains.
#[derive(Debug, Clone)]
pub struct Locate {
    /// Versions the live schema holds, by the model.
    pub applied: Vec<String>,
    /// Where the live schema stands.
    pub frontier: Frontier,
    /// The version at the frontier (`None`: closest to none applied).
    pub best_version: Option<String>,
    /// Per migration: the verdict.
    pub migrations: Vec<MigrationDiagnosis>,
    /// What separates the live schema from the schema at the frontier, every object included.
    pub residual: Vec<Difference>,
}

/// Finds the best explanation of the live schema, whatever the history says.
pub fn locate(set: &MigrationSet, replay: &Replay, history: &[HistoryRow], live: &Objects) -> Locate {
    let diagnosis = diagnose(set, replay, history, live);
    let f = diagnosis.frontier.position;
    let applied = diagnosis.migrations.iter().filter(|m| m.applied).map(|m| m.version.clone()).collect();
    let best_version = (f > 0).then(|| set.migrations()[f - 1].version.to_string());
    Locate {
        applied,
        best_version,
        residual: residual(&replay.snapshot(f), live),
        frontier: diagnosis.frontier,
        migrations: diagnosis.migrations,
    }
}

/// The managed objects where `live` differs from `S(g)`: empty when a repair's phase 1
/// converged. Pure; the executor checks it inside the transaction.
pub fn unconverged(replay: &Replay, g: usize, live: &Objects) -> Vec<Difference> {
    let managed = replay.managed();
    residual(&replay.snapshot(g), live).into_iter().filter(|d| managed.contains(&d.id)).collect()
}

/// Differences between an expected schema and the live one.
fn residual(expected: &Objects, live: &Objects) -> Vec<Difference> {
    let mut out = Vec::new();
    for (id, value) in &expected.0 {
        match live.get(id) {
            Some(found) if found == value => {}
            found => out.push(Difference {
                id: id.clone(),
                expected: Some(value.text.clone()),
                found: found.map(|v| v.text.clone()),
            }),
        }
    }
    for (id, value) in &live.0 {
        if expected.get(id).is_none() {
            out.push(Difference { id: id.clone(), expected: None, found: Some(value.text.clone()) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{objects_of as live, recorded, replay_of, table};

    fn statuses(d: &Diagnosis) -> Vec<Status> {
        d.migrations.iter().map(|m| m.status).collect()
    }

    /// 1 creates a and b; 2 creates c and retypes a; 3 creates d; 4 drops d; 5 creates e.
    fn fixture() -> (MigrationSet, Replay) {
        replay_of(&[
            &[table("a", "1"), table("b", "1")],
            &[table("a", "2"), table("b", "1"), table("c", "1")],
            &[table("a", "2"), table("b", "1"), table("c", "1"), table("d", "1")],
            &[table("a", "2"), table("b", "1"), table("c", "1")],
            &[table("a", "2"), table("b", "1"), table("c", "1"), table("e", "1")],
        ])
    }

    const ALL: [&str; 5] = ["1", "2", "3", "4", "5"];

    #[test]
    fn all_present_and_recorded_is_verified_and_created_then_dropped_is_unverifiable() {
        let (set, replay) = fixture();
        let d = diagnose(&set, &replay, &recorded(&set, &ALL), &replay.expected());
        use Status::*;
        assert_eq!(statuses(&d), [Verified, Verified, Unverifiable, Verified, Verified]);
        assert_eq!(d.frontier.position, 5);
        assert_eq!(d.frontier.distance(), 0);
        assert!(d.is_clean());
    }

    #[test]
    fn without_history_created_then_dropped_is_applied_by_order_not_pending() {
        let (set, replay) = fixture();
        let d = diagnose(&set, &replay, &[], &replay.expected());
        assert_eq!(d.frontier.position, 5);
        use Status::*;
        assert_eq!(statuses(&d), [Unrecorded, Unrecorded, Unverifiable, Unrecorded, Unrecorded]);
        assert!(d.migrations.iter().all(|m| m.applied && !m.recorded));
        assert!(!d.is_clean(), "migrations applied but not recorded");
    }

    #[test]
    fn stamped_history_is_phantom_after_the_frontier_with_the_retype_shown() {
        let (set, replay) = fixture();
        let l = live(&[table("a", "1"), table("b", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &ALL), &l);
        assert_eq!(d.frontier.position, 1);
        use Status::*;
        assert_eq!(statuses(&d), [Verified, Phantom, Phantom, Phantom, Phantom]);
        assert_eq!(
            d.migrations[1].drift[0].to_string(),
            "table public.a: expected ordinary partition by 2, found ordinary partition by 1"
        );
        let located = locate(&set, &replay, &recorded(&set, &ALL), &l);
        assert_eq!(located.best_version.as_deref(), Some("1"));
        assert_eq!(located.applied, ["1"]);
        assert!(located.residual.is_empty());
        assert_eq!(located.frontier.distances, [2, 0, 2, 3, 2, 3]);
    }

    #[test]
    fn a_hole_in_the_middle_is_found_whatever_later_migrations_changed() {
        let (set, replay) = fixture();
        // c (from 2) is gone; everything else is there.
        let l = live(&[table("a", "2"), table("b", "1"), table("e", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &ALL), &l);
        assert_eq!(d.frontier.position, 5);
        use Status::*;
        assert_eq!(statuses(&d), [Verified, Partial, Unverifiable, Verified, Verified]);
        assert_eq!(d.migrations[1].missing[0].to_string(), "table public.c");
        // 3 is there (d exists) but 2 is not: the frontier stays at 1, 3 is applied out of order.
        let l = live(&[table("a", "1"), table("b", "1"), table("d", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &["1", "2", "3"]), &l);
        assert_eq!(d.frontier.position, 1);
        assert_eq!(d.migrations[1].status, Phantom);
        assert!(d.migrations[2].applied);
        assert_eq!(d.converge_to(), 3);
    }

    #[test]
    fn partial_at_the_frontier_and_pending_after_it() {
        let (set, replay) = replay_of(&[
            &[table("a", "1")],
            &[table("a", "1"), table("b", "1"), table("c", "1"), table("x", "1")],
            &[table("a", "1"), table("b", "1"), table("c", "1"), table("x", "1"), table("e", "1")],
        ]);
        use Status::*;
        // Most of 2 by hand (b, c but not x), nothing recorded after 1.
        let l = live(&[table("a", "1"), table("b", "1"), table("c", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &["1"]), &l);
        assert_eq!(d.frontier.position, 2);
        assert_eq!(statuses(&d), [Verified, Partial, Pending]);
        assert_eq!(d.converge_to(), 2);
        // Less than half there: the frontier stays before it, the evidence still says partial.
        let l = live(&[table("a", "1"), table("b", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &["1"]), &l);
        assert_eq!(d.frontier.position, 1);
        assert_eq!(statuses(&d), [Verified, Partial, Pending]);
        assert_eq!(d.converge_to(), 2, "repair completes the partial migration rather than dropping its part");
    }

    #[test]
    fn a_drop_of_something_never_created_is_not_evidence() {
        // 1 creates a; 2 drops a; 3 creates b. Live: empty and nothing recorded.
        let (set, replay) = replay_of(&[&[table("a", "1")], &[], &[table("b", "1")]]);
        let d = diagnose(&set, &replay, &[], &live(&[]));
        assert_eq!(d.frontier.position, 0);
        assert_eq!(statuses(&d), [Status::Pending, Status::Pending, Status::Pending]);
        assert!(d.is_clean());
    }

    #[test]
    fn rename_is_two_effects_and_if_not_exists_over_an_existing_object_has_none() {
        // 1 creates a; 2 renames a to b; 3 is IF NOT EXISTS over b (no effect); 4 creates c.
        let (set, replay) = replay_of(&[
            &[table("a", "1")],
            &[table("b", "1")],
            &[table("b", "1")],
            &[table("b", "1"), table("c", "1")],
        ]);
        assert_eq!(replay.footprints[1].len(), 2);
        assert!(replay.footprints[2].is_empty());
        use Status::*;
        let all = ["1", "2", "3", "4"];
        let d = diagnose(&set, &replay, &recorded(&set, &all), &live(&[table("b", "1"), table("c", "1")]));
        assert_eq!(statuses(&d), [Unverifiable, Verified, Unverifiable, Verified]);
        let d = diagnose(&set, &replay, &recorded(&set, &all), &live(&[table("a", "1")]));
        assert_eq!(d.frontier.position, 1);
        assert_eq!(statuses(&d), [Verified, Phantom, Phantom, Phantom]);
    }

    #[test]
    fn a_dropped_and_recreated_object_is_credited_to_its_last_creator() {
        // 1 creates x; 2 drops it; 3 creates it again, alike; 4 creates y.
        let (set, replay) =
            replay_of(&[&[table("x", "1")], &[], &[table("x", "1")], &[table("x", "1"), table("y", "1")]]);
        let all = ["1", "2", "3", "4"];
        use Status::*;
        let d = diagnose(&set, &replay, &recorded(&set, &all), &live(&[table("x", "1"), table("y", "1")]));
        assert_eq!(statuses(&d), [Unverifiable, Unverifiable, Verified, Verified]);
        // x gone: 3's re-creation is the hole, not 1's creation.
        let d = diagnose(&set, &replay, &recorded(&set, &all), &live(&[table("y", "1")]));
        assert_eq!(d.frontier.position, 4);
        assert_eq!(statuses(&d), [Unverifiable, Unverifiable, Phantom, Verified]);
    }

    #[test]
    fn a_retype_by_hand_is_drift_of_the_migration_that_set_it_last() {
        let (set, replay) = fixture();
        let l = live(&[table("a", "9"), table("b", "1"), table("c", "1"), table("e", "1")]);
        let d = diagnose(&set, &replay, &recorded(&set, &ALL), &l);
        assert_eq!(d.frontier.position, 5);
        assert_eq!(d.migrations[1].status, Status::Partial);
        assert_eq!(
            d.migrations[1].drift[0].to_string(),
            "table public.a: expected ordinary partition by 2, found ordinary partition by 9"
        );
        assert_eq!(
            d.migrations[0].status,
            Status::Verified,
            "1 is judged by b's value and a's existence: 2 set a last"
        );
    }

    #[test]
    fn extra_objects_are_unexplained_and_missing_files_are_reported() {
        let (set, replay) = fixture();
        let mut l = replay.expected();
        l.0.extend(live(&[table("hotfix", "x")]).0);
        let mut history = recorded(&set, &ALL);
        let mut gone = history[0].clone();
        gone.version = plumb_migrate::Version::parse("99").unwrap();
        history.push(gone);
        let d = diagnose(&set, &replay, &history, &l);
        assert_eq!(d.unexplained.iter().map(ToString::to_string).collect::<Vec<_>>(), ["table public.hotfix"]);
        assert_eq!(d.missing_files[0].version, "99");
        assert!(!d.is_clean());
    }
}
