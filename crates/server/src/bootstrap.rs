//! First-start set-up (docs/design/decisions.md#accounts): the `default`
//! account with its opening balance
//! and one access key, and the admin token. Generated secrets are returned
//! to the caller to print once; only the admin token's hash is stored.

use crate::admin::{create_account_in, token_hash, AdminError};
use crate::secrets::SecretBox;
use crate::state::AppState;
use physconn_domain::{AccessKey, Fen, KeyKind, KeyStatus};
use std::sync::Arc;

pub const DEFAULT_ACCOUNT: &str = "default";
const META_ADMIN_TOKEN: &str = "admin_token_sha256";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("storage: {0}")]
    Store(#[from] physconn_store::OpError),
    #[error("creating the default account failed: {0}")]
    Account(String),
    #[error(
        "the stored secret of access key {key_id} cannot be decrypted {with} (was the \
         database moved or imported from a server with another master key?); start with \
         the master key the data was written with (PHYSCONN_MASTER_KEY, `master_key` in the \
         config, or the old data directory's master.key)"
    )]
    MasterKey {
        key_id: String,
        /// "with this master key", or "without a master key" when none is set.
        with: &'static str,
    },
}

impl From<AdminError> for BootstrapError {
    fn from(e: AdminError) -> Self {
        let AdminError(_, code, msg) = e;
        BootstrapError::Account(format!("{code}: {msg}"))
    }
}

/// How many stored access keys [`check_master_key`] tries at most.
pub const MASTER_KEY_SAMPLE: usize = 16;

/// Refuses to start when the master key cannot open the stored secrets, so
/// that a database moved (export/import, a copied data directory) without
/// its master key fails here, once, with what to do, rather than answering
/// every request signed with a moved key with 500 `InternalError`.
///
/// Only a bounded sample is tried: the keys of the oldest accounts first
/// (the order of `list_accounts`, then of `list_access_keys`), at most
/// [`MASTER_KEY_SAMPLE`] keys from at most as many accounts. One master key
/// seals every secret of a database, so a wrong key fails on the first
/// sealed secret it meets; reading every key would make the start of a
/// store with many keys slow for no further information. (The store has no
/// bounded listing of keys across accounts; `list_accounts` reads the
/// accounts' rows, which an operator creates one by one, not the keys.)
/// Secrets stored in plaintext before encryption was configured
/// (`SecretBox::open` passes them through) are accepted with any key. On
/// refusal the store is closed.
pub async fn check_master_key(
    store: &physconn_store::DynStore,
    secrets: &SecretBox,
) -> Result<(), BootstrapError> {
    let sample = physconn_store::read(&**store, |tx| {
        Box::pin(async move {
            let accounts = tx.list_accounts().await?;
            let mut keys = Vec::new();
            for account in accounts.iter().take(MASTER_KEY_SAMPLE) {
                let room = MASTER_KEY_SAMPLE - keys.len();
                keys.extend(
                    tx.list_access_keys(&account.id)
                        .await?
                        .into_iter()
                        .take(room),
                );
                if keys.len() >= MASTER_KEY_SAMPLE {
                    break;
                }
            }
            Ok(keys)
        })
    })
    .await?;
    let Some(k) = sample.iter().find(|k| secrets.open(&k.secret).is_err()) else {
        return Ok(());
    };
    // The server will not start: let go of the database (the embedded
    // store's threads) so that a retry in the same process opens it afresh.
    store.close().await;
    Err(BootstrapError::MasterKey {
        key_id: k.id.clone(),
        with: if secrets.encrypting() {
            "with this master key"
        } else {
            "without a master key"
        },
    })
}

/// Ensures the default account and key exist. `env_key` is
/// `PHYSCONN_ACCESS_KEY_ID`/`_SECRET`: when given, that key exists and is
/// active for `default`. Returns lines to print once.
pub async fn ensure_default_account(
    state: &AppState,
    env_key: Option<(String, String)>,
    balance: Fen,
) -> Result<Vec<String>, BootstrapError> {
    let mut notices = Vec::new();
    let existing =
        physconn_store::read(&*state.store, |tx| tx.get_account_by_name(DEFAULT_ACCOUNT)).await?;
    let account = match existing {
        Some(a) => a,
        None => {
            let generated = env_key.is_none();
            let created =
                create_account_in(state, DEFAULT_ACCOUNT, balance, Fen::ZERO, env_key.clone())
                    .await;
            match created {
                Ok((a, k)) => {
                    if generated {
                        notices.push(format!(
                            "created account default ({}) with access key: AccessKeyId={} AccessKeySecret={} (shown once)",
                            a.id, k.id, k.secret
                        ));
                    }
                    return Ok(notices);
                }
                // Another server on the same database created it first
                // (servers starting at once): carry on with theirs.
                Err(e) if e.0 == axum::http::StatusCode::CONFLICT => {
                    physconn_store::read(&*state.store, |tx| {
                        tx.get_account_by_name(DEFAULT_ACCOUNT)
                    })
                    .await?
                    .ok_or_else(|| BootstrapError::Account("default account vanished".into()))?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if let Some((id, secret)) = env_key {
        let now = state.now();
        let plain = Arc::new(secret.clone());
        let key = Arc::new(state.sealed(&AccessKey {
            id,
            account_id: account.id.clone(),
            secret,
            status: KeyStatus::Active,
            kind: KeyKind::Permanent,
            created_at: now,
        }));
        let secrets = state.secrets.clone();
        physconn_store::write(&*state.store, move |tx| {
            let (key, plain, secrets) = (key.clone(), plain.clone(), secrets.clone());
            Box::pin(async move {
                match tx.get_access_key(&key.id).await? {
                    None => tx.insert_access_key(&key).await,
                    Some(old) => {
                        let same = old.account_id == key.account_id
                            && secrets.open(&old.secret).ok().as_deref() == Some(plain.as_str())
                            && old.status == KeyStatus::Active
                            && old.kind == KeyKind::Permanent;
                        if same {
                            Ok(())
                        } else {
                            tx.update_access_key(&AccessKey {
                                created_at: old.created_at,
                                ..(*key).clone()
                            })
                            .await
                        }
                    }
                }
            })
        })
        .await?;
        state.keys.clear();
    }
    Ok(notices)
}

/// The SHA-256 of the admin token: from `PHYSCONN_ADMIN_TOKEN` when set,
/// else the stored one, else a new token that is returned to print once.
pub async fn admin_token(
    state_store: &physconn_store::DynStore,
    ids: &dyn physconn_domain::IdGen,
    env_token: Option<String>,
) -> Result<(String, Option<String>), BootstrapError> {
    if let Some(t) = env_token.filter(|t| !t.is_empty()) {
        return Ok((token_hash(&t), None));
    }
    if let Some(h) =
        physconn_store::read(&**state_store, |tx| tx.get_meta(META_ADMIN_TOKEN)).await?
    {
        return Ok((h, None));
    }
    let token = ids.token(40);
    let hash = Arc::new(token_hash(&token));
    let h2 = hash.clone();
    // Set only if still unset: of servers starting at once on one database,
    // one token wins and only its server prints it.
    let earlier = physconn_store::write(&**state_store, move |tx| {
        let h = h2.clone();
        Box::pin(async move {
            if let Some(earlier) = tx.get_meta(META_ADMIN_TOKEN).await? {
                return Ok(Some(earlier));
            }
            tx.set_meta(META_ADMIN_TOKEN, &h).await?;
            Ok(None)
        })
    })
    .await?;
    if let Some(h) = earlier {
        return Ok((h, None));
    }
    Ok(((*hash).clone(), Some(token)))
}
