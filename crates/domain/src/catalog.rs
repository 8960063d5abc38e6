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
    #[serde(rename = "Name_zh", default)]
    name_zh: Option<String>,
    #[serde(rename = "Name_en", default)]
    name_en: Option<String>,
    #[serde(rename = "HostOperator", default)]
    host_operator: Option<String>,
    #[serde(rename = "HostOperator_en", default)]
    host_operator_en: Option<String>,
    #[serde(rename = "Location", default)]
    location: Option<String>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
}

/// An access point as served by DescribeAccessPoints.
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
    pub description: String,
    pub kind: String,
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

/// The documentation's own mapping of carriers' names.
fn operator_zh(en: &str) -> Option<&'static str> {
    match en {
        "China Telecom" => Some("中国电信"),
        "China Unicom" => Some("中国联通"),
        "China Mobile" => Some("中国移动"),
        _ => None,
    }
}

impl From<RawAccessPoint> for AccessPoint {
    fn from(r: RawAccessPoint) -> Self {
        let en_op = non_empty(&r.host_operator_en).unwrap_or("").to_string();
        let zh_op = non_empty(&r.host_operator)
            .map(str::to_string)
            .or_else(|| operator_zh(&en_op).map(str::to_string))
            .unwrap_or_else(|| en_op.clone());
        // A name known in one language only is served in both rather than
        // invented; where no source gives a name it stays empty.
        let name_zh = non_empty(&r.name_zh)
            .or(non_empty(&r.name_en))
            .unwrap_or("")
            .to_string();
        let name_en = non_empty(&r.name_en)
            .or(non_empty(&r.name_zh))
            .unwrap_or("")
            .to_string();
        AccessPoint {
            id: r.id,
            region_id: r.region_id,
            name_zh,
            name_en,
            host_operator_zh: zh_op,
            host_operator_en: en_op,
            location: r.location.unwrap_or_default(),
            status: non_empty(&r.status).unwrap_or("recommended").to_string(),
            description: r.description.unwrap_or_default(),
            kind: non_empty(&r.kind).unwrap_or("VPC").to_string(),
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
        assert_eq!(ft.status, "recommended");
        assert!(c.region("cn-hangzhou").is_some());
        assert!(c.access_points_in("cn-hangzhou").count() >= 5);
    }
}
