//! Where each table lives in a national deployment on Citus, declared by the room that owns it,
//! and the key rules a commune-owned table must follow so that it can be sharded by commune.
//!
//! Three places (docs/architecture.md, "One commune, one shard"):
//! - [`Placement::Commune`]: rows belong to one commune. Sharded by `commune_code`, all such
//!   tables co-located, so a commune's dossiers, their events and documents live on one node.
//!   Its primary key and every unique index start with `commune_code`; a foreign key to another
//!   commune-owned table goes by (`commune_code`, id). Every query names the commune.
//! - [`Placement::Reference`]: small, country-wide, rarely written (units, the calendar): copied
//!   to every node, so any commune's rows can join them locally.
//! - [`Placement::Coordinator`]: a person's or the platform's rows, not a commune's (accounts,
//!   sessions, tokens, the job queue, the audit log): plain tables on the coordinator. A person
//!   acts in several communes, and jobs are claimed with `FOR UPDATE SKIP LOCKED` across
//!   communes, which only one node can do. Commune-owned rows point to them by id, checked by the
//!   application: Citus refuses a foreign key from a sharded table to a coordinator table.
//!
//! On SQLite and plain PostgreSQL the declarations change nothing but are checked all the same
//! (`rules` below, run by a test over the whole schema), so that a room cannot add a table the
//! national deployment could not shard.

use std::collections::BTreeMap;

/// Where a table lives on a Citus cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    Commune,
    Reference,
    Coordinator,
}

/// One table and where it lives.
pub type Table = (&'static str, Placement);

/// The column every commune-owned table is sharded by.
pub const SHARD_COLUMN: &str = "commune_code";

/// The kernel's own tables.
pub const KERNEL: &[Table] = &[
    ("district", Placement::Reference),
    ("commune", Placement::Reference),
    ("holiday_override", Placement::Reference),
    ("village", Placement::Commune),
    ("attachment", Placement::Commune),
    ("bank_account", Placement::Commune),
    ("payment", Placement::Commune),
    ("commune_area", Placement::Commune),
    ("village_area", Placement::Commune),
    ("file_blob", Placement::Commune),
    ("system_setting", Placement::Coordinator),
    ("app_user", Placement::Coordinator),
    ("session", Placement::Coordinator),
    ("api_token", Placement::Coordinator),
    ("role_grant", Placement::Coordinator),
    ("otp_code", Placement::Coordinator),
    ("notify_pref", Placement::Coordinator),
    ("push_subscription", Placement::Coordinator),
    ("audit_log", Placement::Coordinator),
    ("job", Placement::Coordinator),
    ("rate_counter", Placement::Coordinator),
    ("rate_bucket", Placement::Coordinator),
    // The delivery queue and the inbox grow by a row per resident with every notice, so they
    // live with their commune. A person's inbox is read in the communes `inbox_commune` names
    // besides their home commune; the dispatcher claims due messages commune by commune.
    ("outbox", Placement::Commune),
    ("inbox_item", Placement::Commune),
    ("inbox_commune", Placement::Coordinator),
    // SeaORM's record of applied migrations.
    ("seaql_migrations", Placement::Coordinator),
];

/// The commune a code people read out carries (a dossier receipt `17071-261124-K7Q2X`, a
/// feedback receipt `PA17071-…`): such codes start, after their room's `prefix`, with the
/// commune's five-digit code and a dash. That is the rule that keeps them unique in the whole
/// country while unique indexes are per commune, and that lets a look-up by code alone go to
/// the one shard holding it.
pub fn commune_in_code<'a>(code: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = code.strip_prefix(prefix)?;
    let commune = rest.get(..5)?;
    (commune.bytes().all(|b| b.is_ascii_digit()) && rest[5..].starts_with('-')).then_some(commune)
}

/// The schema as the rules need it: per table, its columns, primary key, unique indexes and
/// foreign keys (each as the referencing columns, the referenced table and its columns).
#[derive(Debug, Default, Clone)]
pub struct Schema {
    pub tables: BTreeMap<String, TableShape>,
}

#[derive(Debug, Default, Clone)]
pub struct TableShape {
    pub columns: Vec<String>,
    pub primary_key: Vec<String>,
    /// (index name, columns)
    pub unique: Vec<(String, Vec<String>)>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// PostgreSQL's `confdeltype`: c cascade, r restrict, n set null, d set default, a none.
    pub on_delete: char,
}

impl ForeignKey {
    /// Whether Citus keeps this key between tables placed `from` and `to`: sharded to sharded
    /// by the shard column in the same position on both sides, anything to a reference table,
    /// and coordinator to coordinator. Any other key is dropped before distributing.
    pub fn kept_on_citus(&self, from: Placement, to: Placement) -> bool {
        use Placement::*;
        match (from, to) {
            // Citus refuses SET NULL and SET DEFAULT on a key that includes the shard column.
            (Commune, Commune) => {
                self.columns.first().map(String::as_str) == Some(SHARD_COLUMN)
                    && self.referenced_columns.first().map(String::as_str) == Some(SHARD_COLUMN)
                    && !matches!(self.on_delete, 'n' | 'd')
            }
            (Commune | Reference, Reference) => true,
            (Coordinator, Coordinator) => true,
            _ => false,
        }
    }
}

/// What breaks the rules: one line per problem, empty when the schema can be sharded.
pub fn rules(schema: &Schema, declared: &[Table]) -> Vec<String> {
    let placement: BTreeMap<&str, Placement> = declared.iter().copied().collect();
    let mut problems = Vec::new();
    for (name, _) in declared {
        if !schema.tables.contains_key(*name) {
            problems.push(format!("{name}: declared but not in the schema"));
        }
    }
    for (name, t) in &schema.tables {
        let Some(&here) = placement.get(name.as_str()) else {
            problems.push(format!(
                "{name}: not declared; add it to its room's `tables()` (Commune, Reference or Coordinator)"
            ));
            continue;
        };
        if here != Placement::Commune {
            continue;
        }
        let starts = |cols: &[String]| cols.first().map(String::as_str) == Some(SHARD_COLUMN);
        if !t.columns.iter().any(|c| c == SHARD_COLUMN) {
            problems.push(format!(
                "{name}: commune-owned without a {SHARD_COLUMN} column"
            ));
            continue;
        }
        if !starts(&t.primary_key) {
            problems.push(format!(
                "{name}: primary key ({}) does not start with {SHARD_COLUMN}",
                t.primary_key.join(", ")
            ));
        }
        for (index, cols) in &t.unique {
            if !starts(cols) {
                problems.push(format!(
                    "{name}: unique index {index} ({}) does not start with {SHARD_COLUMN}",
                    cols.join(", ")
                ));
            }
        }
        for fk in &t.foreign_keys {
            let to = placement
                .get(fk.references.as_str())
                .copied()
                .unwrap_or(Placement::Coordinator);
            if to == Placement::Commune && !fk.kept_on_citus(here, to) {
                problems.push(format!(
                    "{name}: foreign key {} ({}) to {} must go by ({SHARD_COLUMN}, …)",
                    fk.name,
                    fk.columns.join(", "),
                    fk.references
                ));
            }
        }
    }
    problems
}

/// The declared tables of one placement in the order to distribute them: every table after
/// the tables of the same placement it references (Citus needs those placed first).
pub fn order(schema: &Schema, declared: &[Table], kind: Placement) -> Vec<&'static str> {
    let mine: Vec<&'static str> = declared
        .iter()
        .filter(|(_, p)| *p == kind)
        .map(|(t, _)| *t)
        .collect();
    let mut done: Vec<&'static str> = Vec::new();
    while done.len() < mine.len() {
        let before = done.len();
        for &t in &mine {
            let ready = schema.tables.get(t).is_none_or(|shape| {
                shape.foreign_keys.iter().all(|fk| {
                    fk.references == t
                        || !mine.contains(&fk.references.as_str())
                        || done.contains(&fk.references.as_str())
                })
            });
            if ready && !done.contains(&t) {
                done.push(t);
            }
        }
        if done.len() == before {
            // A cycle: keep the declared order for the rest; Citus will say which key.
            done.extend(
                mine.iter()
                    .filter(|t| !done.contains(t))
                    .collect::<Vec<_>>(),
            );
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(cols: &[&str], pk: &[&str]) -> TableShape {
        TableShape {
            columns: cols.iter().map(|c| c.to_string()).collect(),
            primary_key: pk.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }
    }

    fn fk(name: &str, cols: &[&str], to: &str, to_cols: &[&str]) -> ForeignKey {
        ForeignKey {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            references: to.into(),
            referenced_columns: to_cols.iter().map(|c| c.to_string()).collect(),
            on_delete: 'c',
        }
    }

    #[test]
    fn commune_tables_need_the_shard_column_first_in_every_key() {
        let mut schema = Schema::default();
        schema.tables.insert(
            "dossier".into(),
            shape(&["commune_code", "id", "receipt_code"], &["id"]),
        );
        let mut event = shape(
            &["commune_code", "id", "dossier_id"],
            &["commune_code", "id"],
        );
        event
            .foreign_keys
            .push(fk("fk_event", &["dossier_id"], "dossier", &["id"]));
        schema.tables.insert("dossier_event".into(), event);
        schema
            .tables
            .get_mut("dossier")
            .unwrap()
            .unique
            .push(("ux_dossier_receipt".into(), vec!["receipt_code".into()]));
        schema
            .tables
            .insert("stray".into(), shape(&["id"], &["id"]));
        let declared = [
            ("dossier", Placement::Commune),
            ("dossier_event", Placement::Commune),
            ("gone", Placement::Reference),
        ];
        let problems = rules(&schema, &declared);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("gone: declared but not"));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("dossier: primary key (id)"))
        );
        assert!(problems.iter().any(|p| p.contains("ux_dossier_receipt")));
        assert!(problems.iter().any(|p| p.contains("fk_event")));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("stray: not declared"))
        );
    }

    #[test]
    fn codes_people_read_out_carry_their_commune() {
        assert_eq!(commune_in_code("17071-261124-K7Q2X", ""), Some("17071"));
        assert_eq!(
            commune_in_code("PA17071-250101-000001", "PA"),
            Some("17071")
        );
        assert_eq!(commune_in_code("PA17071-250101-000001", ""), None);
        assert_eq!(commune_in_code("1707-261124", ""), None);
        assert_eq!(commune_in_code("17071X261124", ""), None);
        assert_eq!(commune_in_code("", ""), None);
        assert_eq!(commune_in_code("1707١-1", ""), None);
    }

    #[test]
    fn citus_keeps_only_the_keys_it_can_enforce() {
        use Placement::*;
        let by_commune = fk(
            "a",
            &["commune_code", "dossier_id"],
            "d",
            &["commune_code", "id"],
        );
        let by_id = fk("b", &["dossier_id"], "d", &["id"]);
        assert!(by_commune.kept_on_citus(Commune, Commune));
        let set_null = ForeignKey {
            on_delete: 'n',
            ..by_commune.clone()
        };
        assert!(!set_null.kept_on_citus(Commune, Commune));
        assert!(!by_id.kept_on_citus(Commune, Commune));
        assert!(by_id.kept_on_citus(Commune, Reference));
        assert!(by_id.kept_on_citus(Reference, Reference));
        assert!(!by_id.kept_on_citus(Commune, Coordinator));
        assert!(!by_id.kept_on_citus(Coordinator, Commune));
        assert!(!by_id.kept_on_citus(Coordinator, Reference));
        assert!(by_id.kept_on_citus(Coordinator, Coordinator));
    }

    #[test]
    fn referenced_commune_tables_are_distributed_first() {
        let mut schema = Schema::default();
        let mut event = shape(&["commune_code"], &["commune_code", "id"]);
        event.foreign_keys.push(fk(
            "e",
            &["commune_code", "dossier_id"],
            "dossier",
            &["commune_code", "id"],
        ));
        let mut dossier = shape(&["commune_code"], &["commune_code", "id"]);
        dossier.foreign_keys.push(fk(
            "p",
            &["commune_code", "procedure_id"],
            "procedure",
            &["commune_code", "id"],
        ));
        dossier
            .foreign_keys
            .push(fk("c", &["commune_code"], "commune", &["code"]));
        schema.tables.insert("dossier_event".into(), event);
        schema.tables.insert("dossier".into(), dossier);
        schema.tables.insert(
            "procedure".into(),
            shape(&["commune_code"], &["commune_code", "id"]),
        );
        let declared = [
            ("dossier_event", Placement::Commune),
            ("dossier", Placement::Commune),
            ("procedure", Placement::Commune),
            ("commune", Placement::Reference),
        ];
        assert_eq!(
            order(&schema, &declared, Placement::Commune),
            ["procedure", "dossier", "dossier_event"]
        );
        assert_eq!(order(&schema, &declared, Placement::Reference), ["commune"]);
    }
}
