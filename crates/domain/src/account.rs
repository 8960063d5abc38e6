//! Accounts, access keys and the ledger (docs/design/decisions.md#accounts,
//! docs/design/billing.md#money-rules).

use crate::circuit::wire_enum;
use crate::error::DomainError;
use crate::money::Fen;
use crate::Time;
use serde::{Deserialize, Serialize};

/// An Alibaba-style account (AliUid) with its money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 16-digit AliUid.
    pub id: String,
    pub name: String,
    pub balance: Fen,
    /// How far below zero the balance may go.
    pub credit_limit: Fen,
    /// May enable circuits directly without an order (`ByPassSp`) under the
    /// `current` profile (docs/design/decisions.md#api-profiles).
    pub bypass_sp: bool,
    /// Number of ledger entries so far; the next entry gets `ledger_seq + 1`.
    pub ledger_seq: i64,
    pub created_at: Time,
    /// Per-account override of the provisioning mode
    /// (docs/design/decisions.md#provider-simulator).
    pub provisioning_mode: Option<crate::circuit::ProvisioningMode>,
    /// Since when the available money has been below zero (pay-as-you-go).
    pub overdue_since: Option<Time>,
}

wire_enum!(
    KeyStatus {
        Active => "Active",
        Inactive => "Inactive",
    }
);

/// A permanent key, or a temporary (STS-style) one with its token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyKind {
    Permanent,
    Temporary {
        security_token: String,
        expires_at: Time,
    },
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub account_id: String,
    pub secret: String,
    pub status: KeyStatus,
    pub kind: KeyKind,
    pub created_at: Time,
}

// Secrets must never reach logs, so `Debug` leaves them out.
impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("secret", &"<redacted>")
            .field("status", &self.status)
            .field("temporary", &matches!(self.kind, KeyKind::Temporary { .. }))
            .finish()
    }
}

impl std::fmt::Debug for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Permanent => f.write_str("Permanent"),
            KeyKind::Temporary { expires_at, .. } => write!(f, "Temporary(expires {expires_at})"),
        }
    }
}

wire_enum!(
    /// What a ledger entry records.
    LedgerKind {
        OrderPayment => "OrderPayment",
        Adjustment => "Adjustment",
        TopUp => "TopUp",
        Metering => "Metering",
        Opening => "Opening",
    }
);

/// One append-only movement of money. `balance_after` is the running balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: String,
    pub account_id: String,
    pub seq: i64,
    /// Signed: negative for a debit.
    pub amount: Fen,
    pub balance_after: Fen,
    pub kind: LedgerKind,
    pub order_id: Option<String>,
    pub note: String,
    pub created_at: Time,
}

impl Account {
    /// Balance plus credit line: what may still be spent.
    pub fn available(&self) -> Fen {
        Fen(self.balance.0.saturating_add(self.credit_limit.0))
    }

    /// Posts `amount` (signed) and returns the ledger entry that records it.
    /// The caller stores both in one transaction.
    pub fn post(
        &mut self,
        amount: Fen,
        kind: LedgerKind,
        order_id: Option<String>,
        note: impl Into<String>,
        entry_id: String,
        now: Time,
    ) -> Result<LedgerEntry, DomainError> {
        let balance = self.balance.checked_add(amount)?;
        self.balance = balance;
        self.ledger_seq += 1;
        Ok(LedgerEntry {
            id: entry_id,
            account_id: self.id.clone(),
            seq: self.ledger_seq,
            amount,
            balance_after: balance,
            kind,
            order_id,
            note: note.into(),
            created_at: now,
        })
    }

    /// A payment: refused when it would take the balance below minus the
    /// credit line.
    pub fn debit_for_order(
        &mut self,
        amount: Fen,
        order_id: &str,
        entry_id: String,
        now: Time,
    ) -> Result<LedgerEntry, DomainError> {
        if amount > self.available() {
            return Err(DomainError::InsufficientBalance);
        }
        self.post(
            Fen(-amount.0),
            LedgerKind::OrderPayment,
            Some(order_id.to_string()),
            "order payment",
            entry_id,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(balance: i64, credit: i64) -> Account {
        Account {
            id: "1000000000000001".into(),
            name: "t".into(),
            balance: Fen(balance),
            credit_limit: Fen(credit),
            bypass_sp: false,
            ledger_seq: 0,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            provisioning_mode: None,
            overdue_since: None,
        }
    }

    #[test]
    fn debit_respects_credit_line() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut a = acct(100, 50);
        let e = a.debit_for_order(Fen(150), "1", "e1".into(), now).unwrap();
        assert_eq!((e.amount, e.balance_after, e.seq), (Fen(-150), Fen(-50), 1));
        assert_eq!(
            a.debit_for_order(Fen(1), "2", "e2".into(), now)
                .unwrap_err(),
            DomainError::InsufficientBalance
        );
        assert_eq!(a.balance, Fen(-50));
    }

    #[test]
    fn debug_hides_secret() {
        let k = AccessKey {
            id: "LTAIx".into(),
            account_id: "1".into(),
            secret: "supersecret".into(),
            status: KeyStatus::Active,
            kind: KeyKind::Temporary {
                security_token: "tok".into(),
                expires_at: time::OffsetDateTime::UNIX_EPOCH,
            },
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let s = format!("{k:?}");
        assert!(!s.contains("supersecret") && !s.contains("tok\""));
    }
}
