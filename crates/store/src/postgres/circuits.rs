//! The circuit operations of [`TxOps`](crate::TxOps) on PostgreSQL (the
//! counterpart of `sqlite/circuits.rs`): rows with their tags, listings, and
//! the per-(account, region) counts (`circuit_counts`, migration 0004) kept
//! in the same transaction as every circuit write.

use super::bind::{args, bind_circuit, bind_event, bind_timer};
use crate::ops::{CircuitQuery, NewCircuit};
use crate::sql::query::{self as dynamic, Built};
use crate::sql::rows::{with_tags, CircuitRow, TagRow};
use crate::sql::text::{
    count_delta, counted, placeholders_after, statements, CIRCUIT_COLS, EVENT_COLS, TIMER_COLS,
};
use crate::{OpResult, StoreError};
use physconn_domain::{Circuit, Status};
use sqlx::PgConnection;
use std::sync::OnceLock;
async fn tags(conn: &mut PgConnection, b: Built<'_>) -> OpResult<Vec<TagRow>> {
    let rows = sqlx::query_as_with::<_, TagRow, _>(&b.sql, args(&b.args)?)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows)
}

async fn count(conn: &mut PgConnection, b: Built<'_>) -> OpResult<i64> {
    let (n,): (i64,) = sqlx::query_as_with(&b.sql, args(&b.args)?)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

async fn add_counts(
    conn: &mut PgConnection,
    c: &Circuit,
    (live, pending): (i64, i64),
) -> OpResult<()> {
    sqlx::query(statements().add_counts)
        .bind(&c.account_id)
        .bind(&c.region_id)
        .bind(live)
        .bind(pending)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A circuit's row joined with one of its tags (none: the tag columns are
/// NULL), so that a circuit and its tags come in one statement.
#[derive(sqlx::FromRow)]
struct TaggedRow {
    #[sqlx(flatten)]
    row: CircuitRow,
    tag_key: Option<String>,
    tag_value: Option<String>,
}

/// The circuits of `ids` with their tags, one row per tag, a circuit's rows
/// together in tag order. PostgreSQL only: the embedded store reads the row
/// and its tags in-process, where a second statement costs no round trip.
fn tagged_by_ids(n: usize) -> String {
    let cols: Vec<String> = crate::sql::text::CIRCUIT_COLS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect();
    format!(
        "SELECT {}, t.tag_key, t.tag_value FROM circuits c \
         LEFT JOIN circuit_tags t ON t.circuit_id = c.id \
         WHERE c.id IN ({}) ORDER BY c.id, t.position",
        cols.join(", "),
        crate::sql::text::placeholders(n)
    )
}

/// The circuits of `ids` that exist (each once), in one statement.
async fn circuits_by_ids(conn: &mut PgConnection, ids: &[&str]) -> OpResult<Vec<Circuit>> {
    static ONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let many;
    let sql = if ids.len() == 1 {
        ONE.get_or_init(|| tagged_by_ids(1))
    } else {
        many = tagged_by_ids(ids.len());
        &many
    };
    let mut q = sqlx::query_as::<_, TaggedRow>(sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out: Vec<Circuit> = Vec::with_capacity(ids.len());
    let mut current: Option<(CircuitRow, Vec<(String, String)>)> = None;
    for r in rows {
        let tag = r.tag_key.zip(r.tag_value);
        match &mut current {
            Some((row, tags)) if row.id == r.row.id => tags.extend(tag),
            _ => {
                if let Some((row, tags)) = current.take() {
                    out.push(row.into_circuit(tags)?);
                }
                current = Some((r.row, tag.into_iter().collect()));
            }
        }
    }
    if let Some((row, tags)) = current {
        out.push(row.into_circuit(tags)?);
    }
    Ok(out)
}

pub(super) async fn get_circuit(conn: &mut PgConnection, id: &str) -> OpResult<Option<Circuit>> {
    Ok(circuits_by_ids(conn, &[id]).await?.pop())
}

pub(super) async fn insert_circuit(conn: &mut PgConnection, c: &Circuit) -> OpResult<()> {
    insert_circuit_uncounted(conn, c).await?;
    let counts = counted(c.status, c.deleted_at.is_some());
    if counts != (0, 0) {
        add_counts(conn, c, counts).await?;
    }
    Ok(())
}

/// [`insert_new_circuit`]'s statement: the circuit's, the event's and the
/// timer's inserts, then the account's lock, in one round trip. PostgreSQL
/// only (SQLite runs the inserts one by one and needs no lock), so the text
/// lives here rather than in `sql/text.rs`.
fn insert_new_circuit_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let count = |cols: &str| cols.split(',').count();
        let (nc, ne, nt) = (count(CIRCUIT_COLS), count(EVENT_COLS), count(TIMER_COLS));
        format!(
            "WITH c AS (INSERT INTO circuits ({CIRCUIT_COLS}) VALUES ({})), \
             e AS (INSERT INTO circuit_events ({EVENT_COLS}) VALUES ({})), \
             t AS (INSERT INTO timers ({TIMER_COLS}) VALUES ({})) \
             SELECT id FROM accounts WHERE id = ${} FOR UPDATE",
            placeholders_after(0, nc),
            placeholders_after(nc, ne),
            placeholders_after(nc + ne, nt),
            nc + ne + nt + 1,
        )
    })
}

pub(super) async fn insert_new_circuit(
    conn: &mut PgConnection,
    new: NewCircuit<'_>,
) -> OpResult<()> {
    let (c, e, t) = (new.circuit, new.event, new.timer);
    // Tags are rare on a create: their own statements, before the rest.
    insert_tags(conn, &c.id, &c.tags).await?;
    let q = bind_circuit(sqlx::query(insert_new_circuit_text()), c);
    bind_timer(bind_event(q, e), t)
        .bind(&c.account_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_circuit_uncounted(conn: &mut PgConnection, c: &Circuit) -> OpResult<()> {
    bind_circuit(sqlx::query(&statements().insert_circuit), c)
        .execute(&mut *conn)
        .await?;
    // A new id has no tags to delete (circuits are never removed but by a
    // reset, which empties the tags too).
    insert_tags(conn, &c.id, &c.tags).await
}

pub(super) async fn count_new_circuit(
    conn: &mut PgConnection,
    c: &Circuit,
    max_pending: i64,
) -> OpResult<bool> {
    let (live, pending) = counted(c.status, c.deleted_at.is_some());
    let done = sqlx::query(statements().add_counts_within_quota)
        .bind(&c.account_id)
        .bind(&c.region_id)
        .bind(live)
        .bind(pending)
        .bind(max_pending)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn update_circuit(conn: &mut PgConnection, c: &Circuit) -> OpResult<()> {
    // Usually neither an index nor the counts move: one
    // statement. Otherwise (a delete, recover, lock, or
    // leaving the pending statuses) the old row says how
    // the counts move.
    let s = statements();
    let same = bind_circuit(sqlx::query(&s.update_circuit_in_place), c)
        .execute(&mut *conn)
        .await?;
    if same.rows_affected() > 0 {
        return Ok(());
    }
    let old: Option<(String, Option<i64>)> = sqlx::query_as(s.circuit_counted)
        .bind(&c.id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((status, deleted)) = old else {
        return Ok(());
    };
    let status = Status::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
    bind_circuit(sqlx::query(&s.update_circuit), c)
        .execute(&mut *conn)
        .await?;
    let new = (c.status, c.deleted_at.is_some());
    if let Some(delta) = count_delta((status, deleted.is_some()), new) {
        add_counts(conn, c, delta).await?;
    }
    Ok(())
}

pub(super) async fn replace_tags(
    conn: &mut PgConnection,
    circuit_id: &str,
    tags: &[(String, String)],
) -> OpResult<()> {
    sqlx::query(statements().delete_tags)
        .bind(circuit_id)
        .execute(&mut *conn)
        .await?;
    insert_tags(conn, circuit_id, tags).await
}

async fn insert_tags(
    conn: &mut PgConnection,
    circuit_id: &str,
    tags: &[(String, String)],
) -> OpResult<()> {
    for (i, (k, v)) in tags.iter().enumerate() {
        sqlx::query(statements().insert_tag)
            .bind(circuit_id)
            .bind(k)
            .bind(v)
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn list_circuits(
    conn: &mut PgConnection,
    q: &CircuitQuery,
) -> OpResult<(Vec<Circuit>, i64)> {
    if let Some(ids) = dynamic::only_ids(q) {
        // By key: one statement, the circuits with their tags, instead of a
        // count, a page and the page's tags.
        let mut distinct: Vec<&str> = ids.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let found = circuits_by_ids(conn, &distinct).await?;
        return Ok(dynamic::page_of_found(q, found));
    }
    let total = if q.match_nothing {
        0
    } else if dynamic::unfiltered(q) {
        let r: Option<(i64,)> = sqlx::query_as(statements().live_count)
            .bind(&q.account_id)
            .bind(&q.region_id)
            .fetch_optional(&mut *conn)
            .await?;
        r.map_or(0, |(n,)| n)
    } else {
        count(conn, dynamic::count_matching(q)).await?
    };
    if total == 0 || q.offset >= total {
        return Ok((Vec::new(), total));
    }
    let page = dynamic::page(q, total);
    let rows: Vec<CircuitRow> = sqlx::query_as_with(&page.sql, args(&page.args)?)
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok((Vec::new(), total));
    }
    let tags = tags(conn, dynamic::tags_of(rows.iter().map(|r| r.id.as_str()))).await?;
    Ok((with_tags(rows, tags)?, total))
}

pub(super) async fn list_account_circuits(
    conn: &mut PgConnection,
    account_id: &str,
) -> OpResult<Vec<Circuit>> {
    let s = statements();
    let rows = sqlx::query_as::<_, CircuitRow>(&s.list_account_circuits)
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    let tags: Vec<TagRow> = sqlx::query_as(s.account_circuit_tags)
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(with_tags(rows, tags)?)
}

pub(super) async fn count_circuits(
    conn: &mut PgConnection,
    account_id: &str,
    statuses: &[Status],
) -> OpResult<i64> {
    count(conn, dynamic::count_statuses(account_id, statuses)).await
}

pub(super) async fn count_pending_circuits(
    conn: &mut PgConnection,
    account_id: &str,
) -> OpResult<i64> {
    let r: Vec<(i64,)> = sqlx::query_as(statements().pending_counts)
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(r.iter().map(|(n,)| *n).sum())
}

pub(super) async fn count_business_status(
    conn: &mut PgConnection,
    account_id: &str,
    business_status: &str,
) -> OpResult<i64> {
    let s = statements();
    let q = if business_status == "FinancialLocked" {
        sqlx::query_as(s.count_locked).bind(account_id)
    } else {
        sqlx::query_as(s.count_business_status)
            .bind(account_id)
            .bind(business_status)
    };
    let (n,): (i64,) = q.fetch_one(&mut *conn).await?;
    Ok(n)
}
