//! The business rules of physconn, free of I/O.
//!
//! Everything here is a plain type or a function over an injected [`Clock`] and
//! [`IdGen`], so the same rules run in the server, in the store's conformance
//! tests and in the randomized simulations without a database or a runtime.

pub mod account;
pub mod bgp;
pub mod catalog;
pub mod circuit;
pub mod clock;
pub mod error;
pub mod fault;
pub mod idempotency;
pub mod ids;
pub mod money;
pub mod order;
pub mod price;
pub mod profile;
pub mod ram;
pub mod validate;
pub mod vbr;
pub mod vbr_error;

pub use account::{AccessKey, Account, KeyKind, KeyStatus, LedgerEntry, LedgerKind};
pub use bgp::{BgpError, BgpGroup, BgpNetwork, BgpObject, BgpObjectStatus, BgpPeer};
pub use circuit::{
    BusinessStatus, ChargeType, Circuit, LineOperator, Loa, LoaStatus, PmInfo, PortType,
    ProvisioningMode, Status, TimerKind,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::DomainError;
pub use fault::{FaultOutcome, FaultScope};
pub use ids::{IdGen, RandomIds};
pub use money::Fen;
pub use order::{InstanceChargeType, Order, OrderKind, PaymentStatus, PricingCycle};
pub use price::{PortPrice, PriceTable};
pub use profile::{ApiProfile, ResponseStyle};
pub use vbr::{Vbr, VbrAction, VbrStatus};
pub use vbr_error::VbrError;

/// The time type used throughout: UTC `OffsetDateTime`.
pub type Time = time::OffsetDateTime;
