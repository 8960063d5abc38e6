//! What both engines share: the statement texts (fixed ones in `text.rs`,
//! the request-dependent ones in `query.rs`, those of RAM users and the audit
//! log in `security.rs`), the row shapes with their conversion to domain
//! types (`rows.rs`), and the document tables' operations, written once for
//! both engines (`documents.rs`). Both engines run the same SQL: `$N`
//! placeholders and the subset PostgreSQL, SQLite, CockroachDB and
//! YugabyteDB all accept.

pub(crate) mod decoded;
pub(crate) mod documents;
pub(crate) mod query;
pub(crate) mod rows;
pub(crate) mod security;
pub(crate) mod text;
