//! RAM-style authorization: a sub-user's policy document allows or denies
//! actions on resources. Explicit Deny wins; without a matching Allow the
//! answer is an implicit deny (as Alibaba RAM evaluates).
//!
//! ```json
//! {"Version": "1", "Statement": [
//!   {"Effect": "Allow", "Action": ["vpc:Describe*", "vpc:CreatePhysicalConnection"], "Resource": "*"},
//!   {"Effect": "Deny", "Action": "vpc:*", "Resource": "acs:vpc:*:*:physicalconnection/pc-prod*"}
//! ]}
//! ```

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// The outcome, named as `AccessDeniedDetail.NoPermissionType` names denials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error("statement {0}: Effect must be Allow or Deny")]
    Effect(usize),
    #[error("statement {0}: Action and Resource must be non-empty")]
    Empty(usize),
}

#[derive(Deserialize)]
struct RawPolicy {
    #[serde(rename = "Statement")]
    statement: Vec<RawStatement>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawStatement {
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Action")]
    action: OneOrMany,
    #[serde(rename = "Resource")]
    resource: OneOrMany,
}

impl Policy {
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy =
            serde_json::from_str(json).map_err(|e| PolicyError::Json(e.to_string()))?;
        let mut statements = Vec::new();
        for (i, s) in raw.statement.into_iter().enumerate() {
            let effect = match s.effect.as_str() {
                "Allow" => Effect::Allow,
                "Deny" => Effect::Deny,
                _ => return Err(PolicyError::Effect(i + 1)),
            };
            let (actions, resources) = (s.action.into_vec(), s.resource.into_vec());
            if actions.is_empty() || resources.is_empty() {
                return Err(PolicyError::Empty(i + 1));
            }
            statements.push(Statement {
                effect,
                actions,
                resources,
            });
        }
        Ok(Policy { statements })
    }

    /// `action` like `vpc:CreatePhysicalConnection` (matched without regard
    /// to case, as RAM does); `resource` an ARN like
    /// `acs:vpc:cn-hangzhou:1234567890123456:physicalconnection/pc-…`.
    pub fn evaluate(&self, action: &str, resource: &str) -> Decision {
        let matches = |s: &Statement| {
            s.actions
                .iter()
                .any(|p| wildcard(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
                && s.resources.iter().any(|p| wildcard(p, resource))
        };
        if self
            .statements
            .iter()
            .any(|s| s.effect == Effect::Deny && matches(s))
        {
            Decision::ExplicitDeny
        } else if self
            .statements
            .iter()
            .any(|s| s.effect == Effect::Allow && matches(s))
        {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// `*` matches any run of characters, `?` one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The kinds of resource a RAM policy can name, with their ARN type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    PhysicalConnection,
    VirtualBorderRouter,
}

impl ResourceType {
    pub fn arn_name(self) -> &'static str {
        match self {
            ResourceType::PhysicalConnection => "physicalconnection",
            ResourceType::VirtualBorderRouter => "virtualborderrouter",
        }
    }
}

/// The ARN of one resource. Lines and VBRs are VPC resources whichever API
/// names them (a BSS call on a line's order names the line as `acs:vpc:…`).
pub fn resource_arn(region: &str, account_id: &str, ty: ResourceType, id: &str) -> String {
    let region = if region.is_empty() { "*" } else { region };
    format!("acs:vpc:{region}:{account_id}:{}/{id}", ty.arn_name())
}

/// The ARN of a call that names no resource: the account in the region.
pub fn region_arn(product: &str, region: &str, account_id: &str) -> String {
    let region = if region.is_empty() { "*" } else { region };
    format!("acs:{product}:{region}:{account_id}:*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("vpc:describe*", "vpc:describephysicalconnections"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("vpc:create*", "vpc:describeregions"));
        assert!(wildcard(
            "acs:vpc:*:*:physicalconnection/pc-*",
            "acs:vpc:cn-hangzhou:1:physicalconnection/pc-x"
        ));
    }

    #[test]
    fn deny_wins_and_nothing_is_implicit_deny() {
        let p = Policy::parse(
            r#"{"Version":"1","Statement":[
                {"Effect":"Allow","Action":["vpc:Describe*","vpc:Create*"],"Resource":"*"},
                {"Effect":"Deny","Action":"vpc:CreatePhysicalConnectionOccupancyOrder","Resource":"acs:vpc:*:*:physicalconnection/pc-prod*"}]}"#,
        )
        .unwrap();
        let arn = |id| resource_arn("cn-hangzhou", "1", ResourceType::PhysicalConnection, id);
        assert_eq!(
            p.evaluate("vpc:DescribePhysicalConnections", "acs:vpc:cn-hangzhou:1:*"),
            Decision::Allow
        );
        assert_eq!(
            p.evaluate(
                "vpc:CreatePhysicalConnectionOccupancyOrder",
                &arn("pc-dev1")
            ),
            Decision::Allow
        );
        assert_eq!(
            p.evaluate(
                "vpc:CreatePhysicalConnectionOccupancyOrder",
                &arn("pc-prod1")
            ),
            Decision::ExplicitDeny
        );
        assert_eq!(
            p.evaluate("vpc:DeletePhysicalConnection", &arn("pc-dev1")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            p.evaluate("VPC:describeregions", "acs:vpc:*:1:*"),
            Decision::Allow,
            "actions ignore case"
        );
    }

    #[test]
    fn malformed_policies() {
        assert!(matches!(Policy::parse("{"), Err(PolicyError::Json(_))));
        assert_eq!(
            Policy::parse(r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#),
            Err(PolicyError::Effect(1))
        );
        assert_eq!(
            Policy::parse(r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#),
            Err(PolicyError::Empty(1))
        );
    }
}
