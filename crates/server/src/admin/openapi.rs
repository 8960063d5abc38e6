//! The OpenAPI 3.1 description of the admin API, served at
//! `/admin/openapi.json`. A test compares it, path by path and method by
//! method, with what the admin router serves.

use serde_json::{json, Value};

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

fn money() -> Value {
    json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$", "example": "100.00"})
}

fn op(summary: &str, body: Option<Value>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": {
            ok: {"description": "success", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "409": {"$ref": "#/components/responses/Error"}
        }
    });
    if let Some(b) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": b}}});
    }
    o
}

fn id_param(name: &str, what: &str) -> Value {
    json!([{"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}}])
}

pub fn document() -> Value {
    let account = id_param("id", "AccountId, or `default`");
    let circuit = id_param("id", "PhysicalConnectionId");
    let mode = json!({"type": ["string", "null"], "enum": ["auto", "manual", null]});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "physconn admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, keys, money, the simulated provider, faults and the clock of a physconn server."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "error", "content": {"application/json": {"schema":
                obj(json!({"Code": {"type": "string"}, "Message": {"type": "string"}}), &["Code", "Message"])}}}}
        },
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {"summary": "Liveness (no token)", "security": [], "responses": {"200": {"description": "ok"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (no token)", "security": [], "responses": {"200": {"description": "text/plain"}}}},
            "/admin/openapi.json": {"get": {"summary": "This document (no token)", "security": [], "responses": {"200": {"description": "ok"}}}},
            "/console": {"get": {"summary": "The web console (HTML, no token; it asks for the admin token)", "security": [],
                "responses": {"200": {"description": "the page", "content": {"text/html": {}}}}}},
            "/console/": {"get": {"summary": "The web console, as at /console", "security": [],
                "responses": {"200": {"description": "the page", "content": {"text/html": {}}}}}},
            "/console/{file}": {"get": {"summary": "The console's assets: app.js, dom.js, style.css (no token)", "security": [],
                "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"enum": ["index.html", "app.js", "dom.js", "style.css"]}}],
                "responses": {"200": {"description": "the file"}, "404": {"description": "no such file"}}}},
            "/admin/accounts": {
                "post": op("Create an account and its first access key",
                    Some(obj(json!({"name": {"type": "string"}, "balance": money(), "credit_limit": money()}), &["name"])), "201"),
                "get": op("List accounts", None, "200")
            },
            "/admin/accounts/{id}": {
                "parameters": account,
                "get": op("An account's money and settings", None, "200"),
                "put": op("Change credit line, direct-enable permission or provisioning mode",
                    Some(obj(json!({"credit_limit": money(), "bypass_sp": {"type": "boolean"}, "provisioning_mode": mode}), &[])), "200")
            },
            "/admin/accounts/{id}/balance": {"parameters": account, "put": op("Set the balance (recorded as a ledger adjustment)",
                Some(obj(json!({"balance": money()}), &["balance"])), "200")},
                        "/admin/accounts/{id}/topup": {"parameters": account, "post": op("Add money (a ledger TopUp); unlocks overdue pay-as-you-go circuits",
                Some(obj(json!({"amount": money()}), &["amount"])), "200")},
            "/admin/orders/{id}/pay": {"parameters": id_param("id", "OrderId"), "post": op("Pay an unpaid, normal order from the balance", None, "200")},
            "/admin/orders/{id}/cancel": {"parameters": id_param("id", "OrderId"), "post": op("Void an unpaid order (no money moves)", None, "200")},
            "/admin/accounts/{id}/sts": {"parameters": account, "post": op("Issue temporary credentials",
                Some(obj(json!({"seconds": {"type": "integer", "minimum": 1, "maximum": 43200}}), &[])), "200")},
            "/admin/accounts/{id}/keys": {"parameters": account,
                "post": op("Create another permanent access key", None, "201"),
                "get": op("List the account's keys (no secrets)", None, "200")},
            "/admin/accounts/{id}/ledger": {"parameters": account, "get": op("The account's ledger, newest first", None, "200")},
            "/admin/keys/{id}": {"parameters": id_param("id", "AccessKeyId"), "put": op("Enable or disable a key",
                Some(obj(json!({"status": {"enum": ["Active", "Inactive"]}}), &["status"])), "200")},
            "/admin/physical-connections": {"get": {"summary": "Live circuits of an account or of every account, newest first, with AccountId, RegionId, ProvisioningMode, PendingOrderId and NextStep",
                "parameters": [{"name": "account", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}}],
                "responses": {"200": {"description": "ok"}, "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
            "/admin/timers": {"get": op("Every pending simulator step (provider, activate, billing), earliest first", None, "200")},
            "/admin/physical-connections/{id}": {"parameters": circuit, "get": op("A circuit with its timeline and pending steps", None, "200")},
            "/admin/physical-connections/{id}/status": {"parameters": circuit, "post": op(
                "Force a provider transition (chains of automatic steps, Rejected, Allocation Failed, activation of a paid circuit, Terminated)",
                Some(obj(json!({"status": {"type": "string"}}), &["status"])), "200")},
                        "/admin/physical-connections/{id}/loa": {"parameters": circuit, "post": op("Review an LOA application: Applying → Available or Rejected",
                Some(obj(json!({"status": {"enum": ["Available", "Rejected"]}}), &["status"])), "200")},
            "/admin/physical-connections/{id}/advance": {"parameters": circuit, "post": op("Perform the next pending provider step now", None, "200")},
            "/admin/physical-connections/{id}/provisioning": {"parameters": circuit, "put": op("Per-circuit provisioning mode",
                Some(obj(json!({"mode": mode}), &[])), "200")},
            "/admin/provisioning": {
                "get": op("Global provisioning mode and step delay", None, "200"),
                "put": op("Set the global provisioning mode and/or step delay (seconds)",
                    Some(obj(json!({"mode": mode, "delay": {"type": "number", "minimum": 0}}), &[])), "200")
            },
            "/admin/faults": {
                "post": op("Make the next matching provider step fail (Rejected, Allocation Failed: scopes circuit, account, global), \
                    or the next matching CreateVirtualBorderRouter (TaskConflict: circuit, account, global) or CreateBgpGroup \
                    call (OperationConflict: vbr, account, global) answer a conflict",
                    Some(obj(json!({"scope": {"enum": ["circuit", "vbr", "account", "global"]}, "target": {"type": "string"},
                        "outcome": {"enum": ["Rejected", "Allocation Failed", "TaskConflict", "OperationConflict"]}, "count": {"type": "integer"},
                        "share": {"type": "number", "minimum": 0, "maximum": 1}}), &["scope", "outcome"])), "201"),
                "get": op("List pending faults", None, "200")
            },
            "/admin/faults/{id}": {"parameters": id_param("id", "FaultId"), "delete": op("Remove a fault", None, "204")},
            "/admin/vbrs": {"get": {"summary": "Virtual border routers of a line (`circuit`) or of an account (`account`: owned or on its lines), newest first",
                "parameters": [{"name": "circuit", "in": "query", "required": false, "schema": {"type": "string"}},
                               {"name": "account", "in": "query", "required": false, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}, "400": {"$ref": "#/components/responses/Error"}}}},
            "/admin/vbrs/{id}": {"parameters": id_param("id", "VbrId"), "get": op("One VBR as the API shows it, with its owner and pending step", None, "200")},
            "/admin/vbrs/{id}/status": {"parameters": id_param("id", "VbrId"),
                "post": op("Provider move: `active` (accept an unconfirmed VBR, finish recovering), `terminated`, or `deleted` (finish a delete)",
                    Some(obj(json!({"status": {"enum": ["active", "terminated", "deleted"]}}), &["status"])), "200")},
            "/admin/vbrs/{id}/advance": {"parameters": id_param("id", "VbrId"), "post": op("Run the VBR's pending provider move now", None, "200")},
            "/admin/bgp": {"get": {"summary": "A VBR's BGP groups, peers and networks as the API shows them, with their pending steps",
                "parameters": [{"name": "vbr", "in": "query", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}, "400": {"$ref": "#/components/responses/Error"}}}},
            "/admin/bgp/{id}/advance": {"parameters": id_param("id", "BgpGroupId, BgpPeerId or <RouterId>:<DstCidrBlock>"),
                "post": op("Run a BGP object's pending provider step now (Pending/Modifying → Available, Deleting → gone)", None, "200")},
            "/admin/bgp-peers/{id}/session": {"parameters": id_param("id", "BgpPeerId"),
                "post": op("Set a peer's BGP session state (`BgpStatus`) and route counts",
                    Some(obj(json!({"BgpStatus": {"enum": ["", "Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"]},
                        "AdvertisedRouteCount": {"type": "integer", "minimum": 0}, "ReceivedRouteCount": {"type": "integer", "minimum": 0}}), &["BgpStatus"])), "200")},
            "/admin/orders": {"get": {"summary": "Orders, optionally of one account",
                "parameters": [{"name": "account", "in": "query", "required": false, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}},
            "/admin/clock": {"get": op("The current time and clock mode", None, "200")},
            "/admin/clock/advance": {"post": op("Manual clock: move forward, firing due steps in order",
                Some(obj(json!({"seconds": {"type": "number", "minimum": 0}}), &["seconds"])), "200")},
            "/admin/clock/set": {"post": op("Manual clock: jump to an instant",
                Some(obj(json!({"now": {"type": "string", "format": "date-time"}}), &["now"])), "200")},
            "/admin/accounts/{id}/users": {"parameters": account,
                "post": op("Create a RAM user with a policy document; answers its first access key",
                    Some(obj(json!({"name": {"type": "string"}, "policy": {"type": "object"}}), &["name", "policy"])), "201"),
                "get": op("The account's RAM users", None, "200")},
            "/admin/users/{id}": {"parameters": id_param("id", "UserId"), "delete": op("Delete a RAM user and its keys", None, "204")},
            "/admin/users/{id}/policy": {"parameters": id_param("id", "UserId"), "put": op("Replace a RAM user's policy document",
                Some(json!({"type": "object"})), "200")},
            "/admin/users/{id}/keys": {"parameters": id_param("id", "UserId"), "post": op("Another access key for a RAM user", None, "201")},
            "/admin/audit": {"get": {"summary": "The audit log, newest first", "parameters": [
                {"name": "account", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "channel", "in": "query", "required": false, "schema": {"enum": ["api", "admin"]}},
                {"name": "since", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}}}},
            "/admin/reset": {"post": op("Empty all state but the default account and its configured key", None, "200")}
        }
    })
}
