//! Moving all state between stores (`physconn export` / `physconn import`),
//! e.g. from the embedded SQLite store to PostgreSQL and back.
//!
//! The file is JSON lines, a pure function of the data (no timestamps, no
//! backend name), so two exports of equal stores are byte-equal:
//!
//! ```text
//! {"format":"physconn-export","version":1}
//! {"table":"accounts","columns":["id","name",…],"rows":2}
//! ["1000000000000001","default",…]
//! …
//! {"end":true,"tables":15,"rows":345}
//! ```
//!
//! Rows are sorted by primary key in the application (database collations
//! differ), values are JSON strings, integers, booleans or null. The export
//! is one read snapshot; the import is one write transaction into a store
//! whose tables are all empty, so an import either happens whole or not at
//! all. Migration bookkeeping (`_sqlx_migrations`, `schema_migrations`) is not
//! state and is not carried.

use crate::{read, write, OpError, Store, StoreError};
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::io::{BufRead, Write};
use std::sync::Arc;

pub const FORMAT: &str = "physconn-export";
/// Bumped when the file layout (not the schema) changes incompatibly.
pub const VERSION: u64 = 1;

/// How a column is stored: both backends decode these three alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Bool,
}

/// One table as the export sees it. The primary key is the first `key`
/// columns.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColType)],
    pub key: usize,
}

impl Table {
    /// Refuses a table whose columns (`actual`, as the database names them)
    /// are not the ones the export knows: one the table spec does not know
    /// (a migration without its export entry) fails the export instead of
    /// being silently dropped.
    pub(crate) fn check_columns<S: AsRef<str>>(&self, actual: &[S]) -> Result<(), StoreError> {
        let mut actual: Vec<&str> = actual.iter().map(AsRef::as_ref).collect();
        let mut known: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        actual.sort_unstable();
        known.sort_unstable();
        if actual == known {
            return Ok(());
        }
        Err(StoreError::Corrupt(format!(
            "table {} has columns {actual:?}; the export knows {known:?}",
            self.name
        )))
    }

    pub(crate) fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        names.join(", ")
    }
}

use ColType::{Bool as B, Int as I, Text as T};

/// Every table of the schema, in an order that loads without surprises.
/// A migration that adds a table or column must add it here too (the
/// export refuses a table, or a column, it does not know). Secrets are
/// carried as stored: access-key secrets stay encrypted under the master
/// key of the store they came from, so the importing server needs the same
/// key.
#[rustfmt::skip]
pub static TABLES: &[Table] = &[
    Table {
        name: "accounts",
        key: 1,
        columns: &[
            ("id", T), ("name", T), ("balance_fen", I), ("credit_limit_fen", I),
            ("bypass_sp", B), ("ledger_seq", I), ("created_at", I),
            ("provisioning_mode", T), ("overdue_since", I),
        ],
    },
    Table {
        name: "access_keys",
        key: 1,
        columns: &[
            ("id", T), ("account_id", T), ("secret", T), ("status", T),
            ("security_token", T), ("expires_at", I), ("created_at", I),
        ],
    },
    Table {
        name: "circuits",
        key: 1,
        columns: &[
            ("id", T), ("account_id", T), ("region_id", T), ("access_point_id", T),
            ("status", T), ("business_status", T), ("loa_status", T), ("name", T),
            ("description", T), ("line_operator", T), ("port_type", T), ("bandwidth", I),
            ("port_number", T), ("circuit_code", T), ("peer_location", T), ("ad_location", T),
            ("ad_detail_location", T), ("redundant_id", T), ("resource_group_id", T),
            ("created_at", I), ("enabled_at", I), ("end_at", I), ("charge_type", T),
            ("pending_order_id", T), ("auto_renew", B), ("auto_renew_duration", I),
            ("deleted_at", I), ("loa", T), ("provisioning_mode", T), ("metered_until", I),
        ],
    },
    Table {
        name: "circuit_tags",
        key: 2,
        columns: &[("circuit_id", T), ("tag_key", T), ("tag_value", T), ("position", I)],
    },
    Table {
        name: "circuit_events",
        key: 1,
        columns: &[
            ("id", T), ("circuit_id", T), ("at", I), ("from_status", T), ("to_status", T),
            ("cause", T),
        ],
    },
    Table {
        name: "orders",
        key: 1,
        columns: &[
            ("id", T), ("account_id", T), ("circuit_id", T), ("region_id", T), ("kind", T),
            ("status", T), ("abnormal_reason", T), ("charge_type", T), ("period", I),
            ("pricing_cycle", T), ("auto_renew", B), ("auto_renew_duration", I),
            ("port_type", T), ("amount_fen", I), ("currency", T), ("created_at", I),
            ("paid_at", I), ("cancelled_at", I), ("related_order_id", T),
        ],
    },
    Table {
        name: "ledger",
        key: 1,
        columns: &[
            ("id", T), ("account_id", T), ("seq", I), ("amount_fen", I),
            ("balance_after_fen", I), ("kind", T), ("order_id", T), ("note", T),
            ("created_at", I),
        ],
    },
    Table {
        name: "idempotency",
        key: 3,
        columns: &[
            ("account_id", T), ("action", T), ("token", T), ("fingerprint", T),
            ("response", T), ("created_at", I),
        ],
    },
    Table {
        name: "timers",
        key: 1,
        columns: &[
            ("id", T), ("circuit_id", T), ("kind", T), ("expect_status", T), ("due_at", I),
            ("created_at", I),
        ],
    },
    Table {
        name: "faults",
        key: 1,
        columns: &[
            ("id", T), ("scope", T), ("target", T), ("outcome", T), ("remaining", I),
            ("share_ppm", I), ("created_at", I),
        ],
    },
    Table {
        name: "vbrs",
        key: 1,
        columns: &[
            ("id", T), ("account_id", T), ("circuit_owner_id", T), ("region_id", T),
            ("circuit_id", T), ("status", T), ("created_at", I), ("doc", T),
        ],
    },
    Table {
        name: "account_services",
        key: 2,
        columns: &[("account_id", T), ("service", T), ("opened_at", I)],
    },
    Table {
        name: "bgp_objects",
        key: 1,
        columns: &[
            ("id", T), ("kind", T), ("account_id", T), ("vbr_id", T), ("group_id", T),
            ("status", T), ("created_at", I), ("doc", T),
        ],
    },
    Table {
        name: "meta",
        key: 1,
        columns: &[("key", T), ("value", T)],
    },
    Table {
        name: "nonces",
        key: 2,
        columns: &[("access_key_id", T), ("nonce", T), ("expires_at", I)],
    },
    Table {
        name: "ram_users",
        key: 1,
        columns: &[("id", T), ("account_id", T), ("name", T), ("policy", T), ("created_at", I)],
    },
    Table {
        name: "ram_user_keys",
        key: 1,
        columns: &[("access_key_id", T), ("user_id", T)],
    },
    Table {
        name: "audit_log",
        key: 1,
        columns: &[
            ("id", T), ("at", I), ("actor", T), ("channel", T), ("action", T),
            ("account_id", T), ("request_id", T), ("outcome", T), ("detail", T),
        ],
    },
];

/// Tables of the schema that are not state and so not carried: migration
/// bookkeeping, and `circuit_counts`, derived from `circuits` and rebuilt
/// when they are loaded. Any other table missing from [`TABLES`] fails the
/// export rather than being silently dropped.
pub const NOT_STATE: &[&str] = &["_sqlx_migrations", "schema_migrations", "circuit_counts"];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a physconn export: {0}")]
    Format(String),
    #[error("the target store is not empty ({0}); import needs an empty store")]
    NotEmpty(String),
    #[error("after import the store differs from the file: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Op(e.into())
    }
}

/// All state: every table's rows, sorted by primary key.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// In [`TABLES`] order, one entry per table.
    pub tables: Vec<(&'static str, Vec<Vec<Value>>)>,
}

impl Snapshot {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, r)| r.len()).sum()
    }

    pub fn table(&self, name: &str) -> &[Vec<Value>] {
        self.tables
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    }
}

fn cmp_value(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn sort_rows(table: &Table, rows: &mut [Vec<Value>]) {
    rows.sort_by(|a, b| {
        let key = a[..table.key]
            .iter()
            .zip(&b[..table.key])
            .map(|(x, y)| cmp_value(x, y))
            .find(|o| o.is_ne());
        key.unwrap_or_else(|| {
            a.iter()
                .zip(b)
                .map(|(x, y)| cmp_value(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    });
}

/// Reads every table in one consistent snapshot.
pub async fn snapshot(store: &dyn Store) -> Result<Snapshot, ExportError> {
    let tables = read(store, |tx| {
        Box::pin(async move {
            let unknown: Vec<String> = tx
                .table_names()
                .await?
                .into_iter()
                .filter(|n| !NOT_STATE.contains(&n.as_str()) && !TABLES.iter().any(|t| t.name == n))
                .collect();
            if !unknown.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "the export does not know the tables {unknown:?}"
                ))
                .into());
            }
            let mut out = Vec::with_capacity(TABLES.len());
            for t in TABLES {
                out.push(tx.dump_table(t).await?);
            }
            Ok(out)
        })
    })
    .await?;
    let tables = TABLES
        .iter()
        .zip(tables)
        .map(|(t, mut rows)| {
            sort_rows(t, &mut rows);
            (t.name, rows)
        })
        .collect();
    Ok(Snapshot { tables })
}

/// Writes a snapshot as JSON lines.
pub fn write_snapshot(s: &Snapshot, mut w: impl Write) -> Result<(), ExportError> {
    writeln!(w, "{}", json!({"format": FORMAT, "version": VERSION}))?;
    for (t, (name, rows)) in TABLES.iter().zip(&s.tables) {
        let columns: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
        writeln!(
            w,
            "{}",
            json!({"table": name, "columns": columns, "rows": rows.len()})
        )?;
        for r in rows {
            writeln!(w, "{}", Value::Array(r.clone()))?;
        }
    }
    writeln!(
        w,
        "{}",
        json!({"end": true, "tables": s.tables.len(), "rows": s.rows()})
    )?;
    w.flush()?;
    Ok(())
}

/// Exports a store to `w`; returns what was written.
pub async fn export(store: &dyn Store, w: impl Write) -> Result<Snapshot, ExportError> {
    let s = snapshot(store).await?;
    write_snapshot(&s, w)?;
    Ok(s)
}

fn bad(line: usize, what: impl std::fmt::Display) -> ExportError {
    ExportError::Format(format!("line {line}: {what}"))
}

fn type_ok(ty: ColType, v: &Value) -> bool {
    match (ty, v) {
        (_, Value::Null) => true,
        (ColType::Text, Value::String(_)) | (ColType::Bool, Value::Bool(_)) => true,
        (ColType::Int, Value::Number(n)) => n.is_i64(),
        _ => false,
    }
}

/// Parses and checks a file: its format and version, every table known and
/// present once, every column known, every value of its column's type, row
/// counts as announced, and the end line (a truncated file is refused).
pub fn read_snapshot(r: impl BufRead) -> Result<Snapshot, ExportError> {
    let mut lines = r.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut next = |what: &str| -> Result<(usize, Value), ExportError> {
        let (n, line) = lines
            .next()
            .ok_or_else(|| ExportError::Format(format!("file ends before {what}")))?;
        let v = serde_json::from_str(&line?).map_err(|e| bad(n, e))?;
        Ok((n, v))
    };
    let (n, head) = next("the header")?;
    if head["format"] != FORMAT {
        return Err(bad(n, "no physconn-export header"));
    }
    if head["version"] != VERSION {
        return Err(bad(
            n,
            format!("version {} (this build reads {VERSION})", head["version"]),
        ));
    }
    let mut found: Vec<Option<Vec<Vec<Value>>>> = vec![None; TABLES.len()];
    loop {
        let (n, v) = next("the end line")?;
        if v["end"] == true {
            let total: usize = found.iter().flatten().map(Vec::len).sum();
            if v["rows"].as_u64() != Some(total as u64) {
                return Err(bad(n, "row total does not match"));
            }
            break;
        }
        let name = v["table"]
            .as_str()
            .ok_or_else(|| bad(n, "expected a table line"))?;
        let idx = TABLES
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| bad(n, format!("unknown table {name}")))?;
        let t = &TABLES[idx];
        if found[idx].is_some() {
            return Err(bad(n, format!("table {name} appears twice")));
        }
        let cols: Vec<&str> = v["columns"]
            .as_array()
            .ok_or_else(|| bad(n, "columns missing"))?
            .iter()
            .map(|c| c.as_str().unwrap_or(""))
            .collect();
        // The file's column i is the spec's column order[i].
        let order: Vec<usize> = cols
            .iter()
            .map(|c| {
                t.columns
                    .iter()
                    .position(|(k, _)| k == c)
                    .ok_or_else(|| bad(n, format!("unknown column {name}.{c}")))
            })
            .collect::<Result<_, _>>()?;
        if order.len() != t.columns.len() {
            return Err(bad(n, format!("table {name} lacks columns")));
        }
        let count = v["rows"].as_u64().ok_or_else(|| bad(n, "rows missing"))?;
        let mut rows = Vec::new();
        for _ in 0..count {
            let (n, row) = next("the announced rows")?;
            let Value::Array(values) = row else {
                return Err(bad(n, "expected a row"));
            };
            if values.len() != order.len() {
                return Err(bad(n, "wrong number of values"));
            }
            let mut out = vec![Value::Null; order.len()];
            for (v, &to) in values.into_iter().zip(&order) {
                let (col, ty) = t.columns[to];
                if !type_ok(ty, &v) {
                    return Err(bad(n, format!("{name}.{col}: {v} is not {ty:?}")));
                }
                out[to] = v;
            }
            rows.push(out);
        }
        sort_rows(t, &mut rows);
        found[idx] = Some(rows);
    }
    let tables = TABLES
        .iter()
        .zip(found)
        .map(|(t, rows)| (t.name, rows.unwrap_or_default()))
        .collect();
    Ok(Snapshot { tables })
}

/// Loads a snapshot into an empty store in one transaction, then reads the
/// store back and checks it holds exactly the snapshot.
pub async fn import(store: &dyn Store, s: Snapshot) -> Result<(), ExportError> {
    let data = Arc::new(s);
    let d = data.clone();
    let occupied = write(store, move |tx| {
        let d = d.clone();
        Box::pin(async move {
            let mut occupied = Vec::new();
            for t in TABLES {
                let n = tx.count_rows(t).await?;
                if n > 0 {
                    occupied.push(format!("{}: {n} rows", t.name));
                }
            }
            if !occupied.is_empty() {
                return Ok(occupied);
            }
            for t in TABLES {
                tx.load_rows(t, d.table(t.name)).await?;
            }
            Ok(occupied)
        })
    })
    .await?;
    if !occupied.is_empty() {
        return Err(ExportError::NotEmpty(occupied.join(", ")));
    }
    let back = snapshot(store).await?;
    for ((name, want), (_, got)) in data.tables.iter().zip(&back.tables) {
        if want != got {
            return Err(ExportError::Mismatch(format!(
                "table {name}: {} rows in the file, {} in the store, contents differ",
                want.len(),
                got.len()
            )));
        }
    }
    Ok(())
}
