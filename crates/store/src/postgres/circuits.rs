//! The circuit operations of [`TxOps`](crate::TxOps) on PostgreSQL (the
//! counterpart of `sqlite/circuits.rs`): rows with their tags, listings, and
//! the per-(account, region) counts (`circuit_counts`, migration 0004) kept
//! in the same transaction as every circuit write.

use super::bind::{args, bind_circuit, bind_event, bind_idempotency, bind_timer};
use crate::ops::{CircuitQuery, NewCircuit};
use crate::sql::query::{self as dynamic, Built};
use crate::sql::rows::{with_tags, CircuitRow, TagRow};
use crate::sql::text::{
    count_delta, counted, placeholders_after, statements, CIRCUIT_COLS, EVENT_COLS, IDEM_COLS,
    TIMER_COLS,
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

/// [`create_circuit`]'s statement, in one round trip: the account's counts
/// row checked and counted (`count_account_update`, or `count_account_first`
/// for an account with no row yet; their parameters come first); then, only
/// if that let the circuit in, its region's row and the circuit's, the
/// event's and the timer's inserts. A refused create thus writes nothing, so
/// the statement stands on its own also outside a transaction.
///
/// `a` makes its transaction commit without waiting for the log flush
/// (`synchronous_commit = off` for that transaction only): its callers run
/// it in jobs that wait for the flush before they answer
/// ([`crate::write_released_one`], [`crate::write_locked`];
/// docs/design/decisions.md#early-release), and when it commits on its own
/// the account's row is held only while the statement runs.
///
/// PostgreSQL only (SQLite runs the statements one by one), so the text
/// lives here rather than in `sql/text.rs`.
/// With `record`, the `ClientToken` record's insert too (`i`), after the
/// timer's parameters.
/// Without the early release (`super::early_release`), `a` sets nothing.
fn create_circuit_text(record: bool) -> &'static str {
    static TEXTS: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let early = super::early_release();
    TEXTS[usize::from(record) * 2 + usize::from(early)].get_or_init(|| {
        let commit = if early {
            "SELECT set_config('synchronous_commit', 'off', true)"
        } else {
            "SELECT 1"
        };
        // $1 account, $2 live, $3 pending, $4 quota, $5 region.
        const COUNT_PARAMS: usize = 5;
        let count = |cols: &str| cols.split(',').count();
        let (nc, ne, nt) = (count(CIRCUIT_COLS), count(EVENT_COLS), count(TIMER_COLS));
        let n = COUNT_PARAMS;
        let s = statements();
        format!(
            "WITH a AS ({commit}), \
             u AS ({} RETURNING 1), \
             f AS ({} RETURNING 1), \
             q AS (SELECT 1 FROM u UNION ALL SELECT 1 FROM f), \
             r AS (INSERT INTO circuit_counts (account_id, region_id, live, pending) \
             SELECT $1, $5, $2, $3 FROM q ON CONFLICT (account_id, region_id) DO UPDATE SET \
             live = circuit_counts.live + excluded.live, \
             pending = circuit_counts.pending + excluded.pending), \
             c AS (INSERT INTO circuits ({CIRCUIT_COLS}) SELECT {} FROM q), \
             e AS (INSERT INTO circuit_events ({EVENT_COLS}) SELECT {} FROM q), \
             t AS (INSERT INTO timers ({TIMER_COLS}) SELECT {} FROM q){} \
             SELECT (SELECT COUNT(*) FROM q), (SELECT COUNT(*) FROM a)",
            s.count_account_update,
            s.count_account_first,
            placeholders_after(n, nc),
            placeholders_after(n + nc, ne),
            placeholders_after(n + nc + ne, nt),
            if record {
                format!(
                    ", i AS (INSERT INTO idempotency ({IDEM_COLS}) SELECT {} FROM q)",
                    placeholders_after(n + nc + ne + nt, IDEM_COLS.split(',').count())
                )
            } else {
                String::new()
            },
        )
    })
}

pub(super) async fn create_circuit(
    conn: &mut PgConnection,
    new: NewCircuit<'_>,
    max_pending: i64,
) -> OpResult<bool> {
    let (c, e, t) = (new.circuit, new.event, new.timer);
    // Tags are rare on a create: their own statements, before the rest, in
    // the transaction that a create with tags runs in.
    insert_tags(conn, &c.id, &c.tags).await?;
    let (live, pending) = counted(c.status, c.deleted_at.is_some());
    let q = sqlx::query(create_circuit_text(new.idempotency.is_some()))
        .bind(&c.account_id)
        .bind(live)
        .bind(pending)
        .bind(max_pending)
        .bind(&c.region_id);
    let mut q = bind_timer(bind_event(bind_circuit(q, c), e), t);
    if let Some(r) = new.idempotency {
        q = bind_idempotency(q, r);
    }
    let admitted: i64 = sqlx::Row::try_get(&q.fetch_one(&mut *conn).await?, 0)?;
    Ok(admitted > 0)
}

async fn insert_circuit_uncounted(conn: &mut PgConnection, c: &Circuit) -> OpResult<()> {
    bind_circuit(sqlx::query(&statements().insert_circuit), c)
        .execute(&mut *conn)
        .await?;
    // A new id has no tags to delete (circuits are never removed but by a
    // reset, which empties the tags too).
    insert_tags(conn, &c.id, &c.tags).await
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
    let r: Option<(i64,)> = sqlx::query_as(statements().pending_counts)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(r.map_or(0, |(n,)| n))
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
