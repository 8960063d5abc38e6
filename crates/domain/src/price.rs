//! The price table (docs/design/billing.md#price-table): integer fen per port
//! type, overridable in the
//! config file. Illustrative list prices, not the vendor's.

use crate::circuit::PortType;
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prices of one port type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortPrice {
    /// Occupancy fee per month.
    pub month: Fen,
    /// Occupancy fee per year.
    pub year: Fen,
    /// Pay-as-you-go fee per hour.
    pub hour: Fen,
    /// One-time installation fee (setup order).
    pub setup: Fen,
}

/// Prices keyed by the port type's wire name (`"10GBase-LR"`). A port type
/// absent from the table has no price (`InvalidPrice.NotFound`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTable(pub BTreeMap<String, PortPrice>);

const fn yuan(y: i64) -> Fen {
    Fen(y * 100)
}

impl Default for PriceTable {
    fn default() -> Self {
        let g1 = PortPrice {
            month: yuan(1_000),
            year: yuan(10_000),
            hour: yuan(2),
            setup: yuan(2_000),
        };
        let g10 = PortPrice {
            month: yuan(4_000),
            year: yuan(40_000),
            hour: yuan(8),
            setup: yuan(5_000),
        };
        let g40 = PortPrice {
            month: yuan(12_000),
            year: yuan(120_000),
            hour: yuan(24),
            setup: yuan(10_000),
        };
        let g100 = PortPrice {
            month: yuan(24_000),
            year: yuan(240_000),
            hour: yuan(48),
            setup: yuan(20_000),
        };
        let mut m = BTreeMap::new();
        for p in PortType::ALL {
            let price = match p.spec() {
                "1G" => g1,
                "10G" => g10,
                "40G" => g40,
                _ => g100,
            };
            m.insert(p.as_str().to_string(), price);
        }
        Self(m)
    }
}

impl PriceTable {
    pub fn empty() -> Self {
        Self(BTreeMap::new())
    }

    pub fn get(&self, port: PortType) -> Option<&PortPrice> {
        self.0.get(port.as_str())
    }
}
