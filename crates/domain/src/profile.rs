//! Which vintage of the API to serve (docs/design/decisions.md#api-profiles)
//! and the shape of the occupancy order's answer
//! (docs/design/decisions.md#response-styles).

use serde::{Deserialize, Serialize};

/// `seed` follows the 2019 reference (AutoPay defaults to true,
/// InstanceChargeType to PostPaid); `current` follows today's cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ApiProfile {
    #[default]
    Seed,
    Current,
}

impl ApiProfile {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "seed" => Some(Self::Seed),
            "current" => Some(Self::Current),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seed => "seed",
            Self::Current => "current",
        }
    }
}

/// Shape of the CreatePhysicalConnectionOccupancyOrder response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ResponseStyle {
    /// Both the SDK keys and the seed's lower-case envelope in one object.
    #[default]
    Union,
    /// `{"RequestId", "Data": {"OrderId": "..."}}` only.
    Sdk,
    /// Exactly the seed's envelope.
    Seed,
}

impl ResponseStyle {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "union" => Some(Self::Union),
            "sdk" => Some(Self::Sdk),
            "seed" => Some(Self::Seed),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Union => "union",
            Self::Sdk => "sdk",
            Self::Seed => "seed",
        }
    }
}
