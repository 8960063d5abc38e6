//! The RAM and audit half of the storage trait (`SecurityOps`, reached
//! through `TxOps::security`): RAM users and their policies, the keys bound
//! to them, the audit log, and the reset that clears them.

use super::{permanent_key as key, r, w, T0};
use physconn_domain::*;
use physconn_store::security::{AuditEntry, AuditQuery, RamUser};
use physconn_store::*;
use std::sync::Arc;

fn user(id: &str, account: &str, name: &str, at: Time) -> RamUser {
    RamUser {
        id: id.into(),
        account_id: account.into(),
        name: name.into(),
        policy: r#"{"Version":"1","Statement":[]}"#.into(),
        created_at: at,
    }
}

fn entry(id: &str, minute: i64, account: Option<&str>, channel: &str) -> AuditEntry {
    AuditEntry {
        id: id.into(),
        at: T0 + time::Duration::minutes(minute),
        actor: "LTAIroot".into(),
        channel: channel.into(),
        action: "CreatePhysicalConnection".into(),
        account_id: account.map(str::to_string),
        request_id: format!("RID-{id}"),
        outcome: "200".into(),
        detail: "pc-1".into(),
    }
}

pub async fn ram_users_keys_and_policies(s: DynStore) {
    let later = T0 + time::Duration::seconds(1);
    w(&s, move |tx| {
        Box::pin(async move {
            tx.insert_access_key(&key("LTAIuser", "1")).await?;
            tx.insert_access_key(&key("LTAIuser2", "1")).await?;
            tx.insert_access_key(&key("LTAIroot", "1")).await?;
            let sec = tx.security();
            sec.insert_ram_user(&user("u-2", "1", "dev", later)).await?;
            sec.insert_ram_user(&user("u-1", "1", "ops", T0)).await?;
            sec.insert_ram_user(&user("u-3", "2", "ops", T0)).await?;
            sec.bind_key_to_user("LTAIuser", "u-1").await?;
            sec.bind_key_to_user("LTAIuser2", "u-1").await
        })
    })
    .await;
    let got = r(&s, |tx| tx.security().get_ram_user("u-1")).await;
    assert_eq!(got, Some(user("u-1", "1", "ops", T0)));
    assert_eq!(r(&s, |tx| tx.security().get_ram_user("u-9")).await, None);
    let ids: Vec<String> = r(&s, |tx| tx.security().list_ram_users("1"))
        .await
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, ["u-1", "u-2"], "one account's users, oldest first");

    // A user name is unique within its account.
    let twin = write(&*s, |tx| {
        Box::pin(async move {
            tx.security()
                .insert_ram_user(&user("u-4", "1", "ops", T0))
                .await
        })
    })
    .await;
    assert!(twin.is_err(), "{twin:?}");

    // Keys act as their user; other keys as the account itself.
    let of = |k: &'static str| {
        let s = s.clone();
        async move { r(&s, move |tx| tx.security().user_of_key(k)).await }
    };
    assert_eq!(of("LTAIuser").await.map(|u| u.id), Some("u-1".into()));
    assert_eq!(of("LTAIroot").await, None);

    let policy = Arc::new(r#"{"Version":"1","Statement":[{"Effect":"Allow"}]}"#.to_string());
    let p = policy.clone();
    assert!(
        w(&s, move |tx| {
            let p = p.clone();
            Box::pin(async move { tx.security().set_ram_user_policy("u-1", &p).await })
        })
        .await
    );
    assert_eq!(
        of("LTAIuser").await.map(|u| u.policy),
        Some(policy.to_string())
    );
    assert!(
        !w(&s, |tx| tx.security().set_ram_user_policy("u-9", "{}")).await,
        "no such user"
    );

    // Deleting a user deletes its keys and bindings, nothing else.
    assert!(w(&s, |tx| tx.security().delete_ram_user("u-1")).await);
    assert!(!w(&s, |tx| tx.security().delete_ram_user("u-1")).await);
    assert_eq!(r(&s, |tx| tx.get_access_key("LTAIuser")).await, None);
    assert_eq!(r(&s, |tx| tx.get_access_key("LTAIuser2")).await, None);
    assert!(r(&s, |tx| tx.get_access_key("LTAIroot")).await.is_some());
    assert_eq!(of("LTAIuser").await, None);
    assert_eq!(r(&s, |tx| tx.security().list_ram_users("1")).await.len(), 1);
    assert_eq!(r(&s, |tx| tx.security().list_ram_users("2")).await.len(), 1);
}

pub async fn audit_log_lists_newest_first_with_filters(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            let sec = tx.security();
            // One entry, then a batch of several in one statement.
            sec.insert_audits(&[entry("a1", 0, Some("1"), "api")])
                .await?;
            sec.insert_audits(&[
                entry("a2", 1, Some("2"), "api"),
                entry("a3", 2, None, "admin"),
                entry("a4", 3, Some("1"), "admin"),
            ])
            .await
        })
    })
    .await;
    let list = |q: AuditQuery| {
        let s = s.clone();
        let q = Arc::new(q);
        async move {
            r(&s, move |tx| {
                let q = q.clone();
                Box::pin(async move { tx.security().list_audit(&q).await })
            })
            .await
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
        }
    };
    let all = AuditQuery {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(list(all.clone()).await, ["a4", "a3", "a2", "a1"]);
    let got = r(&s, |tx| {
        Box::pin(async move {
            let q = AuditQuery {
                limit: 1,
                ..Default::default()
            };
            tx.security().list_audit(&q).await
        })
    })
    .await;
    assert_eq!(got, [entry("a4", 3, Some("1"), "admin")], "round trip");
    let account = AuditQuery {
        account_id: Some("1".into()),
        ..all.clone()
    };
    assert_eq!(list(account).await, ["a4", "a1"]);
    let channel = AuditQuery {
        channel: Some("admin".into()),
        ..all.clone()
    };
    assert_eq!(list(channel).await, ["a4", "a3"]);
    let since = AuditQuery {
        since: Some(T0 + time::Duration::minutes(2)),
        ..all.clone()
    };
    assert_eq!(list(since).await, ["a4", "a3"]);
    let two = AuditQuery { limit: 2, ..all };
    assert_eq!(list(two).await, ["a4", "a3"]);
}

pub async fn reset_security_clears_users_their_keys_and_the_log(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_access_key(&key("LTAIuser", "1")).await?;
            tx.insert_access_key(&key("LTAIroot", "1")).await?;
            let sec = tx.security();
            sec.insert_ram_user(&user("u-1", "1", "ops", T0)).await?;
            sec.bind_key_to_user("LTAIuser", "u-1").await?;
            sec.insert_audits(&[entry("a1", 0, Some("1"), "api")])
                .await?;
            sec.reset_security().await
        })
    })
    .await;
    assert_eq!(r(&s, |tx| tx.security().get_ram_user("u-1")).await, None);
    assert_eq!(r(&s, |tx| tx.get_access_key("LTAIuser")).await, None);
    assert!(r(&s, |tx| tx.get_access_key("LTAIroot")).await.is_some());
    let log = r(&s, |tx| {
        Box::pin(async move {
            let q = AuditQuery {
                limit: 10,
                ..Default::default()
            };
            tx.security().list_audit(&q).await
        })
    })
    .await;
    assert!(log.is_empty(), "{log:?}");
}
