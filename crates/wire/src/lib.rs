//! The Alibaba Cloud RPC wire protocol as spoken by the VPC API (2016-04-28): decoding of
//! queries and form bodies, canonical encoding, V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256)
//! signatures, structured parameters, timestamps, the error catalogue and the JSON/XML
//! response writers.
//!
//! Pure functions only, no I/O: the server feeds bytes in and writes bytes out, so every
//! rule here can be tested against the requests recorded from the official SDKs.

pub mod decode;
pub mod encode;
pub mod errors;
pub mod flatten;
pub mod render;
pub mod request;
pub mod sign;
pub mod timefmt;

pub use decode::{decode_form, DecodeError};
pub use encode::{encode_pairs, pct};
pub use errors::{ApiError, ErrorCode, ErrorSpec, Reach};
pub use flatten::{unflatten, FlattenError, Node};
pub use render::{render_error, render_json, render_xml, Format};
pub use request::{
    format_hint, header, parse_request, ParsedRequest, RawRequest, SignatureScheme, SigningStrings,
};
pub use sign::{
    parse_v3_authorization, sign_v1, sign_v3, AuthHeaderError, ClientCredentials, ClientRequest,
    V3Authorization,
};
pub use timefmt::{format_timestamp, parse_timestamp, TimestampError};
