//! Every admin answer in the documented shape: a request id on each, and the
//! errors that no handler wrote (an unknown path, a wrong method, a body that
//! is not the JSON a handler takes, which axum answers in plain text) turned
//! into `{"Code", "Message"}` (docs/admin-api.md#errors).

use crate::pipeline::REQUEST_ID_HEADER;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The request id of an admin call, for the audit log.
#[derive(Clone)]
pub(crate) struct RequestId(pub String);

/// The longest rejection text carried over into `Message`.
const MAX_MESSAGE: usize = 1024;

pub(crate) async fn shape_answer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let rid = state.ids.request_id();
    req.extensions_mut().insert(RequestId(rid.clone()));
    let resp = next.run(req).await;
    let mut resp = reshape(resp).await;
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    resp
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// An error answer that is not JSON came from axum, not from a handler.
async fn reshape(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let allow = resp.headers().get(header::ALLOW).cloned();
    let text = axum::body::to_bytes(resp.into_body(), MAX_MESSAGE)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    // The admin API documents 400 for a body it cannot take, whatever the
    // reason (not JSON, wrong content type, wrong fields).
    let (status, code) = match status {
        StatusCode::NOT_FOUND => (status, "NotFound"),
        StatusCode::METHOD_NOT_ALLOWED => (status, "MethodNotAllowed"),
        StatusCode::PAYLOAD_TOO_LARGE => (status, "RequestEntityTooLarge"),
        s if s.is_client_error() => (StatusCode::BAD_REQUEST, "InvalidParameter"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = super::AdminError::new(status, code, message).into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}
