//! The statements of [`SecurityOps`](crate::security::SecurityOps) (RAM
//! users, their keys, the audit log), run by both engines.

pub const INSERT_USER: &str = "INSERT INTO ram_users (id, account_id, name, policy, created_at) \
    VALUES ($1, $2, $3, $4, $5)";
pub const GET_USER: &str =
    "SELECT id, account_id, name, policy, created_at FROM ram_users WHERE id = $1";
pub const LIST_USERS: &str = "SELECT id, account_id, name, policy, created_at FROM ram_users \
    WHERE account_id = $1 ORDER BY created_at, id";
pub const SET_POLICY: &str = "UPDATE ram_users SET policy = $2 WHERE id = $1";
/// Deleting a user deletes its keys first, then the bindings, then it.
pub const DELETE_USER: [&str; 3] = [
    "DELETE FROM access_keys WHERE id IN \
     (SELECT access_key_id FROM ram_user_keys WHERE user_id = $1)",
    "DELETE FROM ram_user_keys WHERE user_id = $1",
    "DELETE FROM ram_users WHERE id = $1",
];
pub const BIND_KEY: &str = "INSERT INTO ram_user_keys (access_key_id, user_id) VALUES ($1, $2)";
pub const USER_OF_KEY: &str = "SELECT u.id, u.account_id, u.name, u.policy, u.created_at \
    FROM ram_user_keys k JOIN ram_users u ON u.id = k.user_id WHERE k.access_key_id = $1";
pub const RESET: [&str; 4] = [
    "DELETE FROM access_keys WHERE id IN (SELECT access_key_id FROM ram_user_keys)",
    "DELETE FROM ram_user_keys",
    "DELETE FROM ram_users",
    "DELETE FROM audit_log",
];
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, at, actor, channel, action, \
    account_id, request_id, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Entries per multi-row insert at most (9 parameters each, well under
/// PostgreSQL's 65,535).
pub const AUDITS_PER_STATEMENT: usize = 1000;
/// The insert of `n` entries in one statement (`$1..$9n`, nine per entry in
/// the columns' order of [`INSERT_AUDIT`]).
pub fn insert_audits(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let first = 9 * i + 1;
            let params: Vec<String> = (first..first + 9).map(|p| format!("${p}")).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO audit_log (id, at, actor, channel, action, account_id, request_id, \
         outcome, detail) VALUES {}",
        rows.join(", ")
    )
}
/// Followed by the optional conditions, the order and the limit.
pub const LIST_AUDIT: &str = "SELECT id, at, actor, channel, action, account_id, request_id, \
    outcome, detail FROM audit_log WHERE 1 = 1";
