//! The schema's migrations: one list for both engines, each migration in
//! the two dialects (`migrations/postgres`, `migrations/sqlite`), and one
//! way to apply them. A migration runs in one transaction that first
//! *claims* its version in `schema_migrations` with
//! `INSERT … ON CONFLICT (version) DO NOTHING`: the claim that inserts a row
//! applies the migration, one that inserts nothing finds it applied. The
//! engines differ only in who may race for the claim: many servers on one
//! PostgreSQL database (`postgres/migrate.rs`), one process on an SQLite file
//! (`sqlite/migrate.rs`).

pub(crate) struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

macro_rules! migration {
    ($version:literal, $description:literal, $file:literal) => {
        Migration {
            version: $version,
            description: $description,
            postgres: include_str!(concat!("../migrations/postgres/", $file)),
            sqlite: include_str!(concat!("../migrations/sqlite/", $file)),
        }
    };
}

/// Every migration, oldest first. Append only. The descriptions are the
/// ones sqlx recorded for the same files (their names without the version),
/// which SQLite data directories made before this list carry in
/// `_sqlx_migrations`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    migration!(1, "init", "0001_init.sql"),
    migration!(2, "lifecycle", "0002_lifecycle.sql"),
    migration!(3, "nonces", "0003_nonces.sql"),
    migration!(4, "live circuits", "0004_live_circuits.sql"),
    migration!(5, "security", "0005_security.sql"),
    migration!(6, "vbrs", "0006_vbrs.sql"),
    migration!(7, "account services", "0007_account_services.sql"),
    migration!(8, "bgp", "0008_bgp.sql"),
    migration!(9, "account counts", "0009_account_counts.sql"),
];

/// The bookkeeping table, the same on both engines.
pub(crate) const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// The claim: inserts one row if the version is not recorded yet.
pub(crate) const CLAIM: &str =
    "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3) \
    ON CONFLICT (version) DO NOTHING";

/// The versions recorded as applied.
pub(crate) const APPLIED: &str = "SELECT version FROM schema_migrations ORDER BY version";

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_ascend_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
    }
}
