//! Which resources each action names, in one table (docs/design/decisions.md#ram-resources).
//!
//! The table serves both sides of a call: [`Params`] keeps, of the
//! id-bearing parameters, only those the action takes (the others are
//! dropped as the cloud drops unknown parameters), and the pipeline
//! authorizes every resource those parameters name. A handler therefore
//! reads its ids from the same parsed parameters the authorization read,
//! and cannot act on a resource the authorization did not see.

use super::params::Params;
use super::Action;
use physconn_domain::ram::{self, ResourceType};
use physconn_domain::Order;

/// What an id-bearing parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A physical connection.
    Line,
    /// A virtual border router.
    Vbr,
    /// A BSS order: authorized as the line it was placed for.
    Order,
    /// `ResourceId` of the Express Connect tag actions: a line or a VBR,
    /// as `ResourceType` says.
    Tagged,
}

/// `Name` (one value) or `Name.N` (a list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    One,
    List,
}

/// How the action uses the ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The action reads or changes the resource: every id is authorized
    /// before the handler runs, and a denied one refuses the call.
    Acts,
    /// The ids only narrow a listing: the handler leaves out the ones the
    /// caller may not see ([`crate::authz::Gate::sees`]).
    Narrows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdParam {
    pub name: &'static str,
    pub kind: IdKind,
    pub arity: Arity,
    pub role: Role,
}

/// Every parameter name that carries a resource id in some action; an
/// action that does not declare one of them never sees it.
pub const ID_NAMES: &[&str] = &[
    "PhysicalConnectionId",
    "InstanceId",
    "RedundantPhysicalConnectionId",
    "OrderId",
    "VbrId",
    "ResourceId",
];

const fn acts(name: &'static str, kind: IdKind) -> IdParam {
    IdParam {
        name,
        kind,
        arity: Arity::One,
        role: Role::Acts,
    }
}

const LINE: &[IdParam] = &[acts("PhysicalConnectionId", IdKind::Line)];
const INSTANCE: &[IdParam] = &[acts("InstanceId", IdKind::Line)];
const REDUNDANT: &[IdParam] = &[acts("RedundantPhysicalConnectionId", IdKind::Line)];
const LINE_AND_REDUNDANT: &[IdParam] = &[
    acts("PhysicalConnectionId", IdKind::Line),
    acts("RedundantPhysicalConnectionId", IdKind::Line),
];
const ORDER: &[IdParam] = &[acts("OrderId", IdKind::Order)];
const VBR: &[IdParam] = &[acts("VbrId", IdKind::Vbr)];
const TAGGED_LIST: &[IdParam] = &[IdParam {
    name: "ResourceId",
    kind: IdKind::Tagged,
    arity: Arity::List,
    role: Role::Acts,
}];
const TAGGED_ONE: &[IdParam] = &[acts("ResourceId", IdKind::Tagged)];
const TAGGED_FILTER: &[IdParam] = &[IdParam {
    name: "ResourceId",
    kind: IdKind::Tagged,
    arity: Arity::List,
    role: Role::Narrows,
}];

impl Action {
    /// The id-bearing parameters the action takes (docs/design/decisions.md#ram-resources).
    pub fn id_params(self) -> &'static [IdParam] {
        use Action::*;
        match self {
            CreatePhysicalConnection | CreatePhysicalConnectionSetupOrder => REDUNDANT,
            ConfirmPhysicalConnection
            | CreatePhysicalConnectionOccupancyOrder
            | EnablePhysicalConnection
            | CancelPhysicalConnection
            | TerminatePhysicalConnection
            | DeletePhysicalConnection
            | CreateVirtualBorderRouter
            | DescribeVirtualBorderRoutersForPhysicalConnection => LINE,
            ModifyPhysicalConnectionAttribute => LINE_AND_REDUNDANT,
            RecoverPhysicalConnection
            | ApplyPhysicalConnectionLOA
            | SecondApplyPhysicalConnectionLOA
            | DescribePhysicalConnectionLOA
            | CompletePhysicalConnectionLOA => INSTANCE,
            GetOrderDetail | CancelOrder | PayOrder => ORDER,
            ModifyVirtualBorderRouterAttribute
            | TerminateVirtualBorderRouter
            | RecoverVirtualBorderRouter
            | DeleteVirtualBorderRouter => VBR,
            TagResourcesForExpressConnect | UntagResourcesForExpressConnect => TAGGED_LIST,
            ChangeResourceGroup => TAGGED_ONE,
            ListTagResourcesForExpressConnect => TAGGED_FILTER,
            // Listings narrowed by filters, and calls on the account.
            DescribePhysicalConnections
            | DescribeRegions
            | DescribeAccessPoints
            | QueryAccountBalance
            | QueryOrders
            | QueryAccountTransactions
            | QueryAvailableInstances
            | DescribeVirtualBorderRouters
            | OpenPhysicalConnectionService => &[],
            // BGP objects are named by ids of their own (RouterId is the
            // VBR); RAM authorizes them on the account's resources in the
            // region (docs/design/bgp.md#objects).
            CreateBgpGroup
            | ModifyBgpGroupAttribute
            | DeleteBgpGroup
            | DescribeBgpGroups
            | CreateBgpPeer
            | ModifyBgpPeerAttribute
            | DeleteBgpPeer
            | DescribeBgpPeers
            | AddBgpNetwork
            | DeleteBgpNetwork
            | DescribeBgpNetworks => &[],
        }
    }

    /// Whether the action makes a new resource: it is then authorized on
    /// the account in the region as well as on what it names.
    pub fn creates(self) -> bool {
        matches!(
            self,
            Action::CreatePhysicalConnection
                | Action::CreatePhysicalConnectionSetupOrder
                | Action::CreateVirtualBorderRouter
        )
    }

    /// Whether `name`, an id-bearing parameter, is one the action takes.
    pub fn takes_id(self, name: &str) -> bool {
        self.id_params().iter().any(|d| d.name == name)
    }
}

/// Whether a parameter (`Name` or `Name.…`) must be dropped for `action`:
/// it carries an id the action does not take.
pub fn ignored(action: Action, param: &str) -> bool {
    let head = param.split('.').next().unwrap_or(param);
    ID_NAMES.contains(&head) && !action.takes_id(head)
}

/// `ResourceType` of the tag actions, without regard to case; `None` for a
/// type physconn does not model (the handler refuses it).
pub fn tagged_type(p: &Params) -> Option<ResourceType> {
    let t = p.str("ResourceType")?;
    if t.eq_ignore_ascii_case("PHYSICALCONNECTION") {
        Some(ResourceType::PhysicalConnection)
    } else if t.eq_ignore_ascii_case("VIRTUALBORDERROUTER") {
        Some(ResourceType::VirtualBorderRouter)
    } else {
        None
    }
}

/// One resource a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Resource(ResourceType, String),
    Order(String),
}

/// The values of one declared parameter, empty ones left out (handlers
/// treat an empty id as absent).
pub fn values<'p>(p: &'p Params, d: &IdParam) -> Vec<&'p str> {
    let v: Vec<&str> = match d.arity {
        Arity::One => p.str(d.name).into_iter().collect(),
        // A malformed list fails the handler before it acts on anything.
        Arity::List => p
            .list(d.name)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, n)| n.as_str())
            .collect(),
    };
    v.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Every resource the request names through parameters of `role`.
pub fn named(action: Action, p: &Params, role: Role) -> Vec<Named> {
    let mut out = Vec::new();
    for d in action.id_params().iter().filter(|d| d.role == role) {
        let ty = match d.kind {
            IdKind::Line => Some(ResourceType::PhysicalConnection),
            IdKind::Vbr => Some(ResourceType::VirtualBorderRouter),
            IdKind::Tagged => tagged_type(p),
            IdKind::Order => None,
        };
        for id in values(p, d) {
            out.push(match (d.kind, ty) {
                (IdKind::Order, _) => Named::Order(id.to_string()),
                (_, Some(ty)) => Named::Resource(ty, id.to_string()),
                // An unknown ResourceType: the handler refuses the call.
                (_, None) => continue,
            });
        }
    }
    out
}

/// The first id the request names, for the audit log.
pub fn first_named(action: Action, pairs: &[(String, String)]) -> String {
    action
        .id_params()
        .iter()
        .find_map(|d| {
            let wanted = match d.arity {
                Arity::One => d.name.to_string(),
                Arity::List => format!("{}.1", d.name),
            };
            pairs
                .iter()
                .find(|(k, v)| *k == wanted && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_default()
}

/// The ARNs a call is authorized on: each resource it acts on (an order
/// as its line; `orders` holds the named orders that are the caller's, and
/// an order that is not names nothing: the handler answers NotFound), plus
/// the account in the region when it names none or creates one.
pub fn arns(
    action: Action,
    region: &str,
    named: &[Named],
    account_id: &str,
    orders: &[Order],
) -> Vec<String> {
    let mut out = Vec::new();
    for n in named {
        match n {
            Named::Resource(ty, id) => out.push(ram::resource_arn(region, account_id, *ty, id)),
            Named::Order(id) => {
                if let Some(o) = orders
                    .iter()
                    .find(|o| o.id == *id && o.account_id == account_id)
                {
                    out.push(ram::resource_arn(
                        &o.region_id,
                        account_id,
                        ResourceType::PhysicalConnection,
                        &o.circuit_id,
                    ));
                }
            }
        }
    }
    if out.is_empty() || action.creates() {
        out.insert(0, ram::region_arn(action.ram_product(), region, account_id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_name_is_an_id_name_and_unique_per_action() {
        for a in Action::ALL {
            let ds = a.id_params();
            for (i, d) in ds.iter().enumerate() {
                assert!(ID_NAMES.contains(&d.name), "{a:?}: {}", d.name);
                assert!(!ds[..i].iter().any(|e| e.name == d.name), "{a:?}");
            }
        }
    }

    #[test]
    fn undeclared_ids_are_ignored() {
        assert!(ignored(
            Action::ApplyPhysicalConnectionLOA,
            "PhysicalConnectionId"
        ));
        assert!(!ignored(Action::ApplyPhysicalConnectionLOA, "InstanceId"));
        assert!(ignored(Action::PayOrder, "InstanceId"));
        assert!(ignored(Action::CancelOrder, "ResourceId.1"));
        assert!(!ignored(
            Action::TagResourcesForExpressConnect,
            "ResourceId.1"
        ));
        assert!(!ignored(
            Action::DescribePhysicalConnections,
            "Filter.1.Value.1"
        ));
    }
}
