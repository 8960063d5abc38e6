//! The circuit operations of the SQLite backend ([`Lite`]): rows with their
//! tags, listings, and the per-(account, region) counts (`circuit_counts`,
//! migration 0004) kept in the same transaction as every circuit write.

use crate::ops::CircuitQuery;
use crate::sql::query as dynamic;
use crate::sql::rows::{ous, us, with_tags};
use crate::sql::text::{count_delta, counted, statements};
use crate::sqlite::lite::Lite;
use crate::sqlite::rows as row;
use crate::{OpResult, StoreError};
use physconn_domain::{Circuit, Status};
use rusqlite::types::ToSql;

impl Lite {
    /// Writes a circuit's columns in `CIRCUIT_COLS` order with `sql`.
    pub(crate) fn write_circuit(&self, sql: &str, c: &Circuit) -> OpResult<usize> {
        let loa = c.loa.as_ref().and_then(|l| serde_json::to_string(l).ok());
        let args: [&dyn ToSql; 30] = [
            &c.id,
            &c.account_id,
            &c.region_id,
            &c.access_point_id,
            &c.status.as_str(),
            &c.business_status.as_str(),
            &c.loa_status.map(|s| s.as_str()),
            &c.name,
            &c.description,
            &c.line_operator.as_str(),
            &c.port_type.as_str(),
            &c.bandwidth,
            &c.port_number,
            &c.circuit_code,
            &c.peer_location,
            &c.ad_location,
            &c.ad_detail_location,
            &c.redundant_id,
            &c.resource_group_id,
            &us(c.created_at),
            &ous(c.enabled_at),
            &ous(c.end_at),
            &c.charge_type.map(|s| s.as_str()),
            &c.pending_order_id,
            &c.auto_renew,
            &c.auto_renew_duration,
            &ous(c.deleted_at),
            &loa,
            &c.provisioning_mode.map(|m| m.as_str()),
            &ous(c.metered_until),
        ];
        self.exec(sql, &args)
    }

    pub(crate) fn add_counts(&self, c: &Circuit, (live, pending): (i64, i64)) -> OpResult<()> {
        self.exec(
            statements().add_counts,
            &[&c.account_id, &c.region_id, &live, &pending],
        )?;
        Ok(())
    }

    pub(crate) fn get_circuit(&self, id: &str) -> OpResult<Option<Circuit>> {
        let s = statements();
        let Some(r) = self.one(&s.select_circuit, &[&id], row::circuit)? else {
            return Ok(None);
        };
        let tags = self.all(s.tags_of_circuit, &[&id], |r| Ok((r.get(1)?, r.get(2)?)))?;
        Ok(Some(r.into_circuit(tags)?))
    }

    pub(crate) fn insert_circuit(&self, c: &Circuit) -> OpResult<()> {
        self.insert_circuit_uncounted(c)?;
        let counts = counted(c.status, c.deleted_at.is_some());
        if counts != (0, 0) {
            self.add_counts(c, counts)?;
        }
        Ok(())
    }

    pub(crate) fn insert_circuit_uncounted(&self, c: &Circuit) -> OpResult<()> {
        self.write_circuit(&statements().insert_circuit, c)?;
        // A new id has no tags to delete (circuits are never removed but by
        // a reset, which empties the tags too).
        self.insert_tags(&c.id, &c.tags)
    }

    pub(crate) fn count_new_circuit(&self, c: &Circuit, max_pending: i64) -> OpResult<bool> {
        let (live, pending) = counted(c.status, c.deleted_at.is_some());
        let s = statements();
        let args: [&dyn rusqlite::ToSql; 4] = [&c.account_id, &live, &pending, &max_pending];
        // One writer: nothing can come between the two.
        if self.exec(s.count_account_update, &args)? == 0
            && self.exec(s.count_account_first, &args)? == 0
        {
            return Ok(false);
        }
        self.exec(
            s.count_region,
            &[&c.account_id, &c.region_id, &live, &pending],
        )?;
        Ok(true)
    }

    pub(crate) fn update_circuit(&self, c: &Circuit) -> OpResult<()> {
        // Usually neither an index nor the counts move: one statement.
        // Otherwise (a delete, recover, lock, or leaving the pending
        // statuses) the old row says how the counts move.
        let s = statements();
        if self.write_circuit(&s.update_circuit_in_place, c)? > 0 {
            return Ok(());
        }
        let old = self.one(s.circuit_counted, &[&c.id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let Some((status, deleted)) = old else {
            return Ok(());
        };
        let status = Status::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
        self.write_circuit(&s.update_circuit, c)?;
        let new = (c.status, c.deleted_at.is_some());
        if let Some(delta) = count_delta((status, deleted.is_some()), new) {
            self.add_counts(c, delta)?;
        }
        Ok(())
    }

    pub(crate) fn replace_tags(&self, circuit_id: &str, tags: &[(String, String)]) -> OpResult<()> {
        let s = statements();
        self.exec(s.delete_tags, &[&circuit_id])?;
        self.insert_tags(circuit_id, tags)
    }

    fn insert_tags(&self, circuit_id: &str, tags: &[(String, String)]) -> OpResult<()> {
        let s = statements();
        for (i, (k, v)) in tags.iter().enumerate() {
            self.exec(s.insert_tag, &[&circuit_id, k, v, &(i as i64)])?;
        }
        Ok(())
    }

    pub(crate) fn list_circuits(&self, q: &CircuitQuery) -> OpResult<(Vec<Circuit>, i64)> {
        if let Some(ids) = dynamic::only_ids(q) {
            return self.circuits_by_id(q, ids);
        }
        let total = if q.match_nothing {
            0
        } else if dynamic::unfiltered(q) {
            self.one(
                statements().live_count,
                &[&q.account_id, &q.region_id],
                |r| r.get::<_, i64>(0),
            )?
            .unwrap_or(0)
        } else {
            self.count(&dynamic::count_matching(q))?
        };
        if total == 0 || q.offset >= total {
            return Ok((Vec::new(), total));
        }
        let rows = self.built(&dynamic::page(q, total), row::circuit)?;
        if rows.is_empty() {
            return Ok((Vec::new(), total));
        }
        let tags = self.built(
            &dynamic::tags_of(rows.iter().map(|r| r.id.as_str())),
            row::tag,
        )?;
        Ok((with_tags(rows, tags)?, total))
    }

    /// A listing filtered by `PhysicalConnectionId` alone (what Terraform
    /// and most scripts send): the rows by primary key, then the listing's
    /// scope, order and page applied here, instead of a count and a page
    /// statement built for the request (BENCHMARKS.md, finding 1).
    fn circuits_by_id(&self, q: &CircuitQuery, ids: &[String]) -> OpResult<(Vec<Circuit>, i64)> {
        let mut found: Vec<Circuit> = Vec::with_capacity(ids.len());
        for id in ids {
            if found.iter().any(|c| &c.id == id) {
                continue;
            }
            if let Some(c) = self.get_circuit(id)? {
                found.push(c);
            }
        }
        Ok(dynamic::page_of_found(q, found))
    }

    pub(crate) fn list_account_circuits(&self, account_id: &str) -> OpResult<Vec<Circuit>> {
        let s = statements();
        let rows = self.all(&s.list_account_circuits, &[&account_id], row::circuit)?;
        let tags = self.all(s.account_circuit_tags, &[&account_id], row::tag)?;
        Ok(with_tags(rows, tags)?)
    }
}
