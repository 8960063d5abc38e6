//! Account-wide services (docs/design/decisions.md#account-services): opened
//! once per account, carried by export/import, removed by the test reset.

use super::{account, w, T0};
use physconn_store::*;

/// The first opening wins, also among concurrent twins; a second is seen.
pub async fn services_open_once_per_account(s: DynStore) {
    assert!(
        w(&s, |tx| tx.open_service(
            "1000000000000001",
            "pconn_traffic",
            T0
        ))
        .await
    );
    assert!(
        !w(&s, |tx| tx.open_service(
            "1000000000000001",
            "pconn_traffic",
            T0
        ))
        .await
    );
    assert!(
        w(&s, |tx| tx.open_service(
            "1000000000000002",
            "pconn_traffic",
            T0
        ))
        .await,
        "services are per account"
    );
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            write(&*s, |tx| {
                tx.open_service("1000000000000003", "pconn_traffic", T0)
            })
            .await
            .expect("open")
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.expect("task"));
    }
    assert_eq!(won, 1);
}

/// Export carries the opened services; the test reset forgets them even for
/// the account it keeps (a reset account starts as new).
pub async fn services_export_and_reset(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            tx.insert_account(&account("1000000000000001", "alice"))
                .await?;
            tx.open_service("1000000000000001", "pconn_traffic", T0)
                .await
        })
    })
    .await;
    let mut file = Vec::new();
    let snap = export::export(&*s, &mut file).await.expect("export");
    assert_eq!(snap.table("account_services").len(), 1);
    w(&s, |tx| tx.reset_except("1000000000000001")).await;
    assert!(
        w(&s, |tx| tx.open_service(
            "1000000000000001",
            "pconn_traffic",
            T0
        ))
        .await,
        "reset forgot the service"
    );
    w(&s, |tx| tx.reset_except("none")).await;
    export::import(&*s, snap).await.expect("import");
    assert!(
        !w(&s, |tx| tx.open_service(
            "1000000000000001",
            "pconn_traffic",
            T0
        ))
        .await
    );
}
