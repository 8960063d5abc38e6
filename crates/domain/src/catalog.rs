//! The built-in catalogue of regions and access points, from
//! `catalog.json` (every id seen in a public source; see its `sources`).

use serde::Deserialize;
use std::sync::OnceLock;

static CATALOG_JSON: &str = include_str!("../catalog.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    #[serde(rename = "RegionId")]
    pub region_id: String,
    #[serde(rename = "LocalName_zh")]
    pub local_name_zh: String,
    #[serde(rename = "LocalName_en")]
    pub local_name_en: String,
    #[serde(rename = "RegionEndpoint")]
    pub endpoint: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawAccessPoint {
    #[serde(rename = "AccessPointId")]
    id: String,
    #[serde(rename = "AttachedRegionNo")]
    region_id: String,
    #[serde(rename = "Name_zh")]
    name_zh: String,
    #[serde(rename = "Name_en")]
    name_en: String,
    #[serde(rename = "HostOperator")]
    host_operator_zh: String,
    #[serde(rename = "HostOperator_en")]
    host_operator_en: String,
    #[serde(rename = "Location", default)]
    location: Option<String>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
    #[serde(rename = "Description")]
    description_zh: String,
    #[serde(rename = "Description_en")]
    description_en: String,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
}

/// An access point as served by DescribeAccessPoints. Names, host operator
/// and description exist in both languages for every access point (the
/// catalogue marks the ones no source gives as invented or translated), so
/// a client matching names in either language finds each one
/// (docs/design/decisions.md#catalogue).
#[derive(Debug, Clone)]
pub struct AccessPoint {
    pub id: String,
    pub region_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub host_operator_zh: String,
    pub host_operator_en: String,
    pub location: String,
    /// `recommended`, `hot`, `full` or `disabled`.
    pub status: String,
    pub description_zh: String,
    pub description_en: String,
    pub kind: String,
}

impl AccessPoint {
    /// What a line records as its `PeerLocation` when its create names none:
    /// the access point's location, or, where the catalogue has none, its
    /// name in the cloud's default language. The cloud fills the field in
    /// (the Terraform provider's acceptance test expects it set after such
    /// a create) but no source says with what (docs/design/circuits.md#peer-location).
    pub fn default_peer_location(&self) -> &str {
        if self.location.is_empty() {
            &self.name_zh
        } else {
            &self.location
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    regions: Vec<Region>,
    access_points: Vec<RawAccessPoint>,
}

/// Regions and access points, loaded once.
#[derive(Debug)]
pub struct Catalog {
    pub regions: Vec<Region>,
    pub access_points: Vec<AccessPoint>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

impl From<RawAccessPoint> for AccessPoint {
    fn from(r: RawAccessPoint) -> Self {
        AccessPoint {
            status: non_empty(&r.status).unwrap_or("recommended").to_string(),
            kind: non_empty(&r.kind).unwrap_or("VPC").to_string(),
            id: r.id,
            region_id: r.region_id,
            name_zh: r.name_zh,
            name_en: r.name_en,
            host_operator_zh: r.host_operator_zh,
            host_operator_en: r.host_operator_en,
            location: r.location.unwrap_or_default(),
            description_zh: r.description_zh,
            description_en: r.description_en,
        }
    }
}

/// The catalogue compiled into the binary.
pub fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        // The file is part of the source tree and checked by a unit test, so a
        // parse failure here is a build defect, not an input error.
        let raw: RawCatalog = serde_json::from_str(CATALOG_JSON).unwrap_or(RawCatalog {
            regions: Vec::new(),
            access_points: Vec::new(),
        });
        Catalog {
            regions: raw.regions,
            access_points: raw
                .access_points
                .into_iter()
                .map(AccessPoint::from)
                .collect(),
        }
    })
}

impl Catalog {
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.region_id == id)
    }

    pub fn access_point(&self, id: &str) -> Option<&AccessPoint> {
        self.access_points.iter().find(|a| a.id == id)
    }

    pub fn access_points_in<'a>(
        &'a self,
        region_id: &'a str,
    ) -> impl Iterator<Item = &'a AccessPoint> + 'a {
        self.access_points
            .iter()
            .filter(move |a| a.region_id == region_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_has_the_ids_tests_need() {
        let c = catalog();
        assert_eq!(c.regions.len(), 30);
        assert!(c.access_points.len() >= 28);
        for id in [
            "ap-cn-beijing-ft-A",
            "ap-cn-hangzhou-yh-B",
            "ap-cn-hangzhou-yh-C",
            "ap-cn-hangzhou-jg-B",
            "ap-cn-shanghai-pd-D",
            "ap-sg-singpore-A",
            "ap-eu-frankfurt-B",
        ] {
            assert!(c.access_point(id).is_some(), "{id}");
        }
        let ft = c.access_point("ap-cn-beijing-ft-A").unwrap();
        assert_eq!(ft.host_operator_zh, "皓宽");
        for a in &c.access_points {
            for v in [
                &a.name_zh,
                &a.name_en,
                &a.host_operator_zh,
                &a.host_operator_en,
                &a.description_zh,
                &a.description_en,
            ] {
                assert!(!v.is_empty(), "{a:?}");
            }
        }
        // The Terraform provider's access-point data-source test looks these
        // up by their Chinese names without AcceptLanguage.
        for (id, zh) in [
            ("ap-cn-hangzhou-yh-B", "杭州-余杭-B"),
            ("ap-cn-beijing-cy-A", "北京-朝阳-A"),
            ("ap-sg-singpore-A", "新加坡-A"),
            ("ap-eu-frankfurt-B", "欧洲-法兰克福-B"),
        ] {
            let ap = c.access_point(id).unwrap();
            assert_eq!(
                (ap.name_zh.as_str(), ap.status.as_str()),
                (zh, "recommended")
            );
            assert_eq!(ap.location, "");
        }
        assert_eq!(ft.status, "recommended");
        assert!(c.region("cn-hangzhou").is_some());
        assert!(c.access_points_in("cn-hangzhou").count() >= 5);
    }
}
