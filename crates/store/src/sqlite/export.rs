//! Whole-table reads and writes of the SQLite store, for `physconn export`
//! and `physconn import` (`export.rs`).

use crate::export::{ColType, Table};
use crate::sql::text::{placeholders, statements};
use crate::sqlite::lite::Lite;
use crate::OpResult;
use rusqlite::types::ToSql;
use serde_json::Value;

impl Lite {
    /// Every row of `table`; refuses a table with columns the export does not
    /// know (a migration without its export entry) rather than drop them.
    pub(crate) fn dump(&self, table: &Table) -> OpResult<Vec<Vec<Value>>> {
        let probe = self
            .conn
            .prepare_cached(&format!("SELECT * FROM {} LIMIT 1", table.name))?;
        let actual: Vec<String> = probe.column_names().iter().map(|c| c.to_string()).collect();
        drop(probe);
        table.check_columns(&actual)?;
        let q = format!("SELECT {} FROM {}", table.column_list(), table.name);
        self.all(&q, &[], |r| {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (_, ty)) in table.columns.iter().enumerate() {
                let v = match ty {
                    ColType::Text => r.get::<_, Option<String>>(i)?.map(Value::from),
                    ColType::Int => r.get::<_, Option<i64>>(i)?.map(Value::from),
                    ColType::Bool => r.get::<_, Option<bool>>(i)?.map(Value::from),
                };
                values.push(v.unwrap_or(Value::Null));
            }
            Ok(values)
        })
    }

    /// Inserts rows already checked against the table's column types.
    pub(crate) fn load(&self, table: &Table, rows: &[Vec<Value>]) -> OpResult<()> {
        let q = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            table.column_list(),
            placeholders(table.columns.len())
        );
        for row in rows {
            let owned: Vec<Box<dyn ToSql>> = table
                .columns
                .iter()
                .zip(row)
                .map(|((_, ty), v)| -> Box<dyn ToSql> {
                    match ty {
                        ColType::Text => Box::new(v.as_str().map(str::to_string)),
                        ColType::Int => Box::new(v.as_i64()),
                        ColType::Bool => Box::new(v.as_bool()),
                    }
                })
                .collect();
            let args: Vec<&dyn ToSql> = owned.iter().map(|b| b.as_ref()).collect();
            self.exec(&q, &args)?;
        }
        if table.name == "circuits" {
            // Derived from the rows, so not exported: rebuilt here.
            let s = statements();
            self.exec(s.clear_counts, &[])?;
            self.exec(&s.rebuild_counts, &[])?;
        }
        Ok(())
    }
}
