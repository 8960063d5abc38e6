//! The ceiling: a bare axum handler answering a fixed JSON body (the size and shape of a
//! one-circuit DescribePhysicalConnections answer), driven by the same generator.

use anyhow::Result;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Router;
use std::io::Write;

/// A DescribePhysicalConnections answer for one circuit, as physconn renders it
/// (captured from a run; no trailing newline).
pub const BODY: &str = include_str!("ceiling_body.json");

async fn answer(_body: Bytes) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json;charset=utf-8")], BODY)
}

/// The ceiling's one route: any method, any path.
pub fn router() -> Router {
    Router::new().fallback(answer)
}

/// Serves until killed; prints `listening: api=http://ADDR` when ready.
pub async fn serve(listen: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("listening: api=http://{addr}");
    std::io::stdout().flush()?;
    axum::serve(listener, router()).await?;
    Ok(())
}
