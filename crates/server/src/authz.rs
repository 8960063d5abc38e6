//! RAM authorization of a call (docs/security.md): a RAM user's key acts
//! only where its policy allows the action on every resource the call
//! names ([`crate::actions::resources`]); an account's own keys act with
//! the account's full rights.

use crate::actions::Action;
use crate::keycache::Principal;
use physconn_domain::ram::{self, Decision, ResourceType};
use physconn_wire::{ApiError, ErrorCode};
use std::sync::Arc;

/// Who is calling, as far as RAM is concerned: nobody (an account key,
/// which may do anything in its account) or a RAM user with its policy.
#[derive(Clone, Default)]
pub struct Gate {
    user: Option<Arc<Principal>>,
}

impl Gate {
    pub fn new(p: &Arc<Principal>) -> Gate {
        Gate {
            user: p.user.is_some().then(|| p.clone()),
        }
    }

    /// Whether the caller is a RAM user (whose calls are authorized).
    pub fn restricted(&self) -> bool {
        self.user.is_some()
    }

    fn decide(&self, action: Action, arn: &str) -> Decision {
        let Some(p) = &self.user else {
            return Decision::Allow;
        };
        match &p.policy {
            Some(policy) => policy.evaluate(&auth_action(action), arn),
            // A policy that no longer parses allows nothing.
            None => Decision::ImplicitDeny,
        }
    }

    /// The call may go on only if the policy allows the action on every
    /// ARN; an explicit deny on any of them is reported before an implicit
    /// one. A denial is 403 `Forbidden.RAM` with `AccessDeniedDetail`
    /// (docs/design/protocol.md#error-body).
    pub fn check(&self, action: Action, arns: &[String]) -> Result<(), ApiError> {
        let Some(p) = &self.user else {
            return Ok(());
        };
        let decisions: Vec<(Decision, &String)> =
            arns.iter().map(|a| (self.decide(action, a), a)).collect();
        let denied = decisions
            .iter()
            .find(|(d, _)| *d == Decision::ExplicitDeny)
            .or_else(|| decisions.iter().find(|(d, _)| *d != Decision::Allow));
        match (denied, &p.user) {
            (Some((d, arn)), Some(user)) => {
                Err(refusal(action, arn, *d, &user.account_id, &user.name))
            }
            _ => Ok(()),
        }
    }

    /// Whether a listing may show the resource: a RAM user sees only what
    /// its policy allows the listing action on (docs/design/decisions.md#ram-listings).
    pub fn sees(
        &self,
        action: Action,
        region: &str,
        account_id: &str,
        ty: ResourceType,
        id: &str,
    ) -> bool {
        self.user.is_none()
            || self.decide(action, &ram::resource_arn(region, account_id, ty, id))
                == Decision::Allow
    }
}

fn auth_action(action: Action) -> String {
    format!("{}:{}", action.ram_product(), action.name())
}

fn refusal(
    action: Action,
    arn: &str,
    decision: Decision,
    account_id: &str,
    user_name: &str,
) -> ApiError {
    let auth_action = auth_action(action);
    let kind = match decision {
        Decision::ExplicitDeny => "ExplicitDeny",
        _ => "ImplicitDeny",
    };
    let diagnostic =
        serde_json::json!({"AuthAction": auth_action, "Resource": arn, "NoPermissionType": kind});
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        diagnostic.to_string(),
    );
    ApiError::new(ErrorCode::ForbiddenRam).with_access_denied_detail(serde_json::json!({
        "PolicyType": "AccountLevelIdentityBasedPolicy",
        "NoPermissionType": kind,
        "AuthAction": auth_action,
        "AuthPrincipalType": "SubUser",
        "AuthPrincipalOwnerId": account_id,
        "AuthPrincipalDisplayName": user_name,
        "EncodedDiagnosticMessage": encoded,
    }))
}
