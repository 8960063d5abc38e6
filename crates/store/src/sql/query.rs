//! The statements whose text depends on the request (DescribePhysicalConnections
//! filters, `IN` lists), built as text plus arguments so both backends run the
//! same SQL: sqlx binds the arguments in order, rusqlite by their `$N` names.

use crate::sql::text::CIRCUIT_COLS;
use crate::CircuitQuery;
use physconn_domain::{Circuit, Status};

/// One bound value of a built statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

/// A statement text with `$1…$n` placeholders and its arguments in order.
#[derive(Debug, Default)]
pub(crate) struct Built<'a> {
    pub sql: String,
    pub args: Vec<Arg<'a>>,
}

impl<'a> Built<'a> {
    fn new(sql: impl Into<String>) -> Self {
        Built {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends `$N` for a new argument.
    fn bind(&mut self, a: Arg<'a>) -> &mut Self {
        self.args.push(a);
        let n = self.args.len();
        self.sql.push('$');
        self.sql.push_str(&n.to_string());
        self
    }

    fn bind_list(&mut self, values: impl IntoIterator<Item = Arg<'a>>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }
}

/// Whether a listing has no filter beyond account and region, so its total
/// is the maintained `circuit_counts.live` instead of a `COUNT(*)`.
pub(crate) fn unfiltered(q: &CircuitQuery) -> bool {
    q.columns.is_empty() && q.tags.is_empty() && q.resource_group_id.is_none() && !q.match_nothing
}

/// ` WHERE …` of a listing over `circuits c`. Column names come from a fixed
/// list in the server, never from the request.
fn push_where<'a>(b: &mut Built<'a>, q: &'a CircuitQuery) {
    b.push(" WHERE c.account_id = ")
        .bind(Arg::Text(&q.account_id))
        .push(" AND c.region_id = ")
        .bind(Arg::Text(&q.region_id))
        .push(" AND c.deleted_at IS NULL");
    if q.match_nothing {
        b.push(" AND 1 = 0");
    }
    for (col, values) in &q.columns {
        b.push(" AND c.").push(col).push(" IN ");
        if values.is_empty() {
            b.push("(NULL)");
        } else {
            b.bind_list(values.iter().map(|v| Arg::Text(v)));
        }
    }
    if let Some(rg) = &q.resource_group_id {
        b.push(" AND c.resource_group_id = ").bind(Arg::Text(rg));
    }
    for (k, v) in &q.tags {
        b.push(
            " AND EXISTS (SELECT 1 FROM circuit_tags t WHERE t.circuit_id = c.id AND t.tag_key = ",
        )
        .bind(Arg::Text(k));
        if let Some(v) = v {
            b.push(" AND t.tag_value = ").bind(Arg::Text(v));
        }
        b.push(")");
    }
}

/// The number of circuits a filtered listing matches.
pub(crate) fn count_matching(q: &CircuitQuery) -> Built<'_> {
    let mut b = Built::new("SELECT COUNT(*) FROM circuits c");
    push_where(&mut b, q);
    b
}

/// One page, newest first, of a listing matching `total` circuits. The
/// page's ids are picked by a subquery that the partial index
/// `circuits_live` (0004) answers alone, so `OFFSET` skips index entries
/// instead of whole rows; only the page's rows are read. A page nearer the
/// end than the start is read from the end (the index backwards, the same
/// total order reversed), so the last page skips as few entries as the
/// first: both cost the same with 10 or 100,000 circuits.
pub(crate) fn page(q: &CircuitQuery, total: i64) -> Built<'_> {
    static HEAD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let head = HEAD.get_or_init(|| {
        let cols = CIRCUIT_COLS
            .split(',')
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        format!("SELECT {cols} FROM circuits p WHERE p.id IN (SELECT c.id FROM circuits c")
    });
    let mut b = Built::new(String::with_capacity(head.len() + 256));
    b.push(head);
    push_where(&mut b, q);
    let end = q.offset.saturating_add(q.limit).min(total);
    let (order, limit, offset) = if total - end < q.offset {
        ("c.created_at ASC, c.id DESC", end - q.offset, total - end)
    } else {
        ("c.created_at DESC, c.id ASC", q.limit, q.offset)
    };
    b.push(" ORDER BY ")
        .push(order)
        .push(" LIMIT ")
        .bind(Arg::Int(limit.max(0)))
        .push(" OFFSET ")
        .bind(Arg::Int(offset.max(0)))
        .push(") ORDER BY p.created_at DESC, p.id ASC");
    b
}

/// The tags of a page of circuits, grouped by circuit in tag order.
pub(crate) fn tags_of<'a>(ids: impl IntoIterator<Item = &'a str>) -> Built<'a> {
    let mut b =
        Built::new("SELECT circuit_id, tag_key, tag_value FROM circuit_tags WHERE circuit_id IN ");
    b.bind_list(ids.into_iter().map(Arg::Text));
    b.push(" ORDER BY circuit_id, position");
    b
}

/// Live circuits of an account in any of `statuses` (a range of the
/// account in `circuits_live`; the creation quota reads `circuit_counts`).
pub(crate) fn count_statuses<'a>(account_id: &'a str, statuses: &'a [Status]) -> Built<'a> {
    let mut b = Built::new("SELECT COUNT(*) FROM circuits");
    b.push(" WHERE deleted_at IS NULL AND account_id = ")
        .bind(Arg::Text(account_id))
        .push(" AND status IN ");
    if statuses.is_empty() {
        b.push("(NULL)");
    } else {
        b.bind_list(statuses.iter().map(|s| Arg::Text(s.as_str())));
    }
    b
}

/// The ids of a listing whose only filter is `PhysicalConnectionId`: such a
/// listing reads those circuits by key ([`page_of_found`]) instead of
/// counting and paging through the account's index.
pub(crate) fn only_ids(q: &CircuitQuery) -> Option<&[String]> {
    match q.columns.as_slice() {
        [("id", ids)] if q.tags.is_empty() && q.resource_group_id.is_none() && !q.match_nothing => {
            Some(ids)
        }
        _ => None,
    }
}

/// The page and total of a by-id listing ([`only_ids`]) from the circuits
/// found under its ids (each once): those of the query's account and region
/// not deleted, in the listing's order (newest first, then by id).
pub(crate) fn page_of_found(q: &CircuitQuery, found: Vec<Circuit>) -> (Vec<Circuit>, i64) {
    let mut found: Vec<Circuit> = found
        .into_iter()
        .filter(|c| {
            c.account_id == q.account_id && c.region_id == q.region_id && c.deleted_at.is_none()
        })
        .collect();
    found.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = found.len() as i64;
    let page = found
        .into_iter()
        .skip(usize::try_from(q.offset).unwrap_or(0))
        .take(usize::try_from(q.limit).unwrap_or(0))
        .collect();
    (page, total)
}
