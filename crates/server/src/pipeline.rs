//! The fixed request pipeline (docs/design/protocol.md#processing-order):
//! decode → authenticate →
//! time → nonce → signature → version/action → throttle → nonce recorded →
//! authorize → (idempotency, inside the handler's transaction) → handler. Every failure
//! at any step leaves as an Alibaba error body in the request's `Format`.

use crate::actions::{self, params::Params, Action, CallCtx, Product, Reply};
use crate::authz::Gate;
use crate::errors::from_op;
use crate::keycache::Principal;
use crate::nonce::Claim;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use physconn_domain::ram;
use physconn_domain::{AccessKey, KeyKind, KeyStatus};
use physconn_wire::timefmt::parse_timestamp;
use physconn_wire::{
    format_hint, parse_request, render_error, render_json, render_xml, ApiError, ErrorCode, Format,
    RawRequest, SignatureScheme,
};
use std::sync::Arc;

pub const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// Where an error body says it came from.
struct ErrorOrigin {
    format: Format,
    product: Product,
    /// Known once the access key is: for the request log.
    account: Option<String>,
    /// A state-changing action being attempted: it is audited, whatever
    /// the outcome.
    audited: Option<Action>,
    key_id: Option<String>,
    /// The circuit or order the call names.
    target: String,
}

/// The API listener's one handler: every path but `/health` is RPC.
pub async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response<Body> {
    let request_id = state.ids.request_id();
    let started = std::time::Instant::now();
    let timeout = std::time::Duration::from_secs_f64(state.config.request_timeout_seconds);
    let mut origin = ErrorOrigin {
        format: Format::Json,
        product: Product::Vpc,
        account: None,
        audited: None,
        key_id: None,
        target: String::new(),
    };
    let (parts, body) = req.into_parts();
    // 1. decode, first half: the body arrives under its own deadline and
    // before the request takes one of the `max_concurrent_requests` slots, so
    // clients that trickle bodies cannot hold every slot
    // (docs/design/protocol.md#edge-limits).
    let outcome = match read_body(&state, body).await {
        Err(e) => {
            let headers = header_pairs(&parts.headers);
            origin.format = format_hint(&RawRequest {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                raw_query: parts.uri.query().unwrap_or(""),
                headers: &headers,
                body: &[],
            });
            Err((e, None))
        }
        Ok(body) => match state.request_slots.try_acquire() {
            // Beyond the limit a request is shed at once with the 503 SDKs
            // and Terraform retry, instead of queueing without bound.
            Err(_) => Err((ApiError::service_unavailable(), None)),
            Ok(_slot) => {
                let work = process(&state, parts, body, &request_id, &mut origin);
                match tokio::time::timeout(timeout, work).await {
                    Ok(r) => r,
                    Err(_) => Err((ApiError::service_unavailable(), None)),
                }
            }
        },
    };
    let (response, code, action) = match outcome {
        Ok((reply, format, action)) => (
            success(&reply, format, &request_id),
            "200".to_string(),
            Some(action),
        ),
        Err((err, action)) => {
            let code = err.code.clone();
            (
                error_response(&err, &request_id, origin.format, origin.product),
                code,
                action,
            )
        }
    };
    if let Some(a) = origin.audited {
        let now = state.now();
        state
            .audit
            .record(physconn_store::security::AuditEntry {
                id: crate::audit::entry_id(now, state.ids.as_ref()),
                at: now,
                actor: origin.key_id.clone().unwrap_or_else(|| "-".into()),
                channel: "api".into(),
                action: a.name().to_string(),
                account_id: origin.account.clone(),
                request_id: request_id.clone(),
                outcome: code.clone(),
                detail: origin.target.clone(),
            })
            .await;
    }
    crate::observe::request_done(
        action,
        origin.account.as_deref(),
        &code,
        response.status().as_u16(),
        started.elapsed(),
        &request_id,
    );
    response
}

type Failure = (ApiError, Option<Action>);

/// The whole body (Content-Length or chunked; hyper removes the chunking),
/// within `max_body_bytes` (413) and `body_read_timeout_seconds` (408); a
/// malformed chunk or a body cut short is the client's error (400), not a
/// size problem.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let max = state.config.max_body_bytes;
    // A Content-Length over the limit is refused before any byte is read.
    if !usize::try_from(hyper::body::Body::size_hint(&body).lower()).is_ok_and(|n| n <= max) {
        return Err(ApiError::new(ErrorCode::RequestEntityTooLarge));
    }
    let deadline = std::time::Duration::from_secs_f64(state.config.body_read_timeout_seconds);
    let limited = http_body_util::Limited::new(body, max);
    match tokio::time::timeout(deadline, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::new(ErrorCode::RequestEntityTooLarge))
        }
        Ok(Err(_)) => Err(ApiError::new(ErrorCode::BadRequest)),
        Err(_) => Err(ApiError::new(ErrorCode::RequestTimeout)),
    }
}

fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn process(
    state: &AppState,
    parts: axum::http::request::Parts,
    body: Bytes,
    request_id: &str,
    origin: &mut ErrorOrigin,
) -> Result<(Reply, Format, Action), Failure> {
    let method = parts.method.as_str().to_string();
    let headers = header_pairs(&parts.headers);
    let raw = RawRequest {
        method: &method,
        path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    // A request refused before its parameters are parsed is still answered
    // in the Format it named.
    origin.format = format_hint(&raw);
    if method != "POST" && method != "GET" {
        return Err((ApiError::new(ErrorCode::UnsupportedHTTPMethod), None));
    }
    // 1. decode, second half: the parameters.
    let parsed = parse_request(&raw).map_err(|e| (e, None))?;
    origin.format = parsed.format;
    let v3 = matches!(parsed.scheme, SignatureScheme::V3(_));
    let action_name = parsed
        .action
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| (ApiError::missing_parameter("Action"), None))?;
    let version = parsed
        .version
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| (ApiError::missing_parameter("Version"), None))?;
    if version == actions::BSS_VERSION {
        origin.product = Product::Bss;
    }
    origin.audited = Action::resolve(&version, &action_name)
        .ok()
        .filter(|a| a.mutates());
    if let Ok(a) = Action::resolve(&version, &action_name) {
        origin.target = actions::resources::first_named(a, &parsed.params);
    }

    // 2. authenticate: the key, its state, its security token
    let key_id = parsed
        .access_key_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| (ApiError::missing_parameter("AccessKeyId"), None))?;
    let now = state.now();
    origin.key_id = Some(key_id.clone());
    let principal = load_key(state, &key_id).await.map_err(|e| (e, None))?;
    let key = &principal.key;
    origin.account = Some(key.account_id.clone());
    check_key(key, parsed.security_token.as_deref(), now).map_err(|e| (e, None))?;

    // 3. time
    let ts_name = if v3 { "x-acs-date" } else { "Timestamp" };
    let ts = parsed
        .timestamp
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| (ApiError::missing_parameter(ts_name), None))?;
    let ts = parse_timestamp(ts)
        .map_err(|_| (ApiError::new(ErrorCode::InvalidTimeStampFormat), None))?;
    // Measured against the machine's time, which clients sign with, even when
    // the business clock is manual (docs/design/protocol.md#replay-protection).
    let sign_now = state.sign_clock.now();
    let window = time::Duration::seconds(state.config.timestamp_window_seconds);
    if (sign_now - ts).abs() > window {
        return Err((ApiError::new(ErrorCode::InvalidTimeStampExpired), None));
    }

    // 4. nonce (checked here, recorded once the signature is good)
    let nonce_name = if v3 {
        "x-acs-signature-nonce"
    } else {
        "SignatureNonce"
    };
    let nonce = parsed
        .nonce
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| (ApiError::missing_parameter(nonce_name), None))?;
    if state.nonces.seen(&key.id, &nonce, ts, sign_now) {
        return Err((ApiError::new(ErrorCode::SignatureNonceUsed), None));
    }

    // 5. signature (and, for V3, the payload hash)
    parsed.verify(&raw, &key.secret).map_err(|e| (e, None))?;

    // 6. version and action; an unknown one is answered once its nonce is
    //    recorded, like any other verified request.
    let resolved = Action::resolve(&version, &action_name);

    // 7. throttle, before the nonce is recorded: a flood that is throttled
    //    fills no memory.
    if let Ok(action) = resolved {
        if let Err(wait_ms) = state.throttle.check(&key.id, action.name()) {
            let mut e = ApiError::new(ErrorCode::ThrottlingUser);
            e.retry_after_ms = Some(wait_ms);
            return Err((e, Some(action)));
        }
    }

    // 8. record the nonce (docs/design/protocol.md#replay-protection)
    let claim = state
        .nonces
        .claim(&key.id, &nonce, ts, sign_now)
        .await
        .map_err(|e| (from_op(e), resolved.as_ref().ok().copied()))?;
    let refused = match claim {
        Claim::Fresh => None,
        Claim::Used => Some(ApiError::new(ErrorCode::SignatureNonceUsed)),
        Claim::Full => Some(ApiError::service_unavailable().with_retry_after_ms(1000)),
    };
    if let Some(e) = refused {
        return Err((e, resolved.ok()));
    }
    let action = resolved.map_err(|e| (e, None))?;
    origin.product = action.product();

    // 9. authorize: keys act only inside their own account
    //    (docs/design/decisions.md#tenancy), and a RAM user's key only as
    //    its policy allows, on every resource the parameters the handler
    //    will read name (docs/design/decisions.md#ram-resources).
    let params = Params::new(&parsed.params, action);
    let gate = Gate::new(&principal);
    if gate.restricted() {
        let arns = match &params {
            Ok(p) => resource_arns(state, action, p, &key.account_id)
                .await
                .map_err(|e| (e, Some(action)))?,
            // The handler will not run: only the account is at stake.
            Err(_) => vec![ram::region_arn(action.ram_product(), "", &key.account_id)],
        };
        gate.check(action, &arns).map_err(|e| (e, Some(action)))?;
    }
    // 10. the handler (idempotency runs inside its transaction)
    let params = params.map_err(|e| (e, Some(action)))?;
    let ctx = CallCtx {
        state: state.clone(),
        action,
        account_id: key.account_id.clone(),
        access_key_id: key.id.clone(),
        request_id: request_id.to_string(),
        format: parsed.format,
        now,
        raw_params: parsed.params,
        gate,
        steps: crate::simulator::mark(state),
    };
    let reply = actions::dispatch(ctx, params)
        .await
        .map_err(|e| (e, Some(action)))?;
    Ok((reply, parsed.format, action))
}

async fn load_key(state: &AppState, id: &str) -> Result<Arc<Principal>, ApiError> {
    if let Some(p) = state.keys.get(id) {
        return Ok(p);
    }
    let owned = id.to_string();
    let (key, user) = physconn_store::read(&*state.store, move |tx| {
        let id = owned.clone();
        Box::pin(async move {
            let key = tx.get_access_key(&id).await?;
            let user = match &key {
                Some(_) => tx.security().user_of_key(&id).await?,
                None => None,
            };
            Ok((key, user))
        })
    })
    .await
    .map_err(from_op)?;
    let mut key = key.ok_or_else(|| ApiError::new(ErrorCode::InvalidAccessKeyIdNotFound))?;
    key.secret = state.secrets.open(&key.secret).map_err(|e| {
        tracing::error!(error = %e, "an access key secret cannot be decrypted");
        ApiError::internal()
    })?;
    let policy = user
        .as_ref()
        .and_then(|u| ram::Policy::parse(&u.policy).ok());
    let p = Arc::new(Principal { key, user, policy });
    state.keys.put(p.clone());
    Ok(p)
}

/// The ARNs of [`actions::resources::arns`]; the orders the call names are
/// read in one snapshot (only then), to authorize each as its line.
async fn resource_arns(
    state: &AppState,
    action: Action,
    params: &Params,
    account_id: &str,
) -> Result<Vec<String>, ApiError> {
    use actions::resources::{self, Named, Role};
    let named = resources::named(action, params, Role::Acts);
    let order_ids: Arc<Vec<String>> = Arc::new(
        named
            .iter()
            .filter_map(|n| match n {
                Named::Order(id) => Some(id.clone()),
                Named::Resource(..) => None,
            })
            .collect(),
    );
    let orders = if order_ids.is_empty() {
        Vec::new()
    } else {
        physconn_store::read(&*state.store, move |tx| {
            let ids = order_ids.clone();
            Box::pin(async move {
                let mut out: Vec<physconn_domain::Order> = Vec::new();
                for id in ids.iter() {
                    out.extend(tx.get_order(id).await?);
                }
                Ok(out)
            })
        })
        .await
        .map_err(from_op)?
    };
    let region = params.str("RegionId").unwrap_or("");
    Ok(resources::arns(action, region, &named, account_id, &orders))
}

/// Key state and security token rules (docs/design/protocol.md#gateway-errors).
fn check_key(
    key: &AccessKey,
    token: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    if key.status != KeyStatus::Active {
        return Err(ApiError::new(ErrorCode::InvalidAccessKeyIdInactive));
    }
    let token = token.filter(|t| !t.is_empty());
    match (&key.kind, token) {
        (KeyKind::Permanent, None) => Ok(()),
        (KeyKind::Permanent, Some(_)) => Err(ApiError::new(
            ErrorCode::InvalidSecurityTokenMismatchWithAccessKey,
        )),
        (KeyKind::Temporary { .. }, None) => {
            Err(ApiError::new(ErrorCode::InvalidSecurityTokenMalformed))
        }
        (
            KeyKind::Temporary {
                security_token,
                expires_at,
            },
            Some(t),
        ) => {
            if !physconn_wire::sign::signatures_equal(security_token, t) {
                Err(ApiError::new(
                    ErrorCode::InvalidSecurityTokenMismatchWithAccessKey,
                ))
            } else if now >= *expires_at {
                Err(ApiError::new(ErrorCode::InvalidSecurityTokenExpired))
            } else {
                Ok(())
            }
        }
    }
}

fn with_common_headers(
    mut resp: Response<Body>,
    format: Format,
    request_id: &str,
) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    resp
}

fn success(reply: &Reply, format: Format, request_id: &str) -> Response<Body> {
    let bytes = match format {
        Format::Json => match &reply.json_bytes {
            Some(b) => b.clone(),
            None => render_json(&reply.json),
        },
        Format::Xml => render_xml(&reply.xml_root, reply.xml.as_ref().unwrap_or(&reply.json)),
    };
    with_common_headers(Response::new(Body::from(bytes)), format, request_id)
}

/// An Alibaba error response; also used by the middleware layers (body
/// limit, timeout, panic) so every reply has the same shape.
pub fn error_response(
    err: &ApiError,
    request_id: &str,
    format: Format,
    product: Product,
) -> Response<Body> {
    let body = render_error(err, request_id, product.host_id(), product.code(), format);
    let mut resp = with_common_headers(Response::new(Body::from(body)), format, request_id);
    *resp.status_mut() =
        StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ms) = err.retry_after_ms {
        if let Ok(v) = HeaderValue::from_str(&ms.to_string()) {
            resp.headers_mut()
                .insert(HeaderName::from_static("x-acs-retry-after"), v);
        }
    }
    resp
}
