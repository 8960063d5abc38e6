//! Response bodies: JSON (what every SDK parses) and the POP-style XML of `Format=XML`, for
//! success and for errors (docs/design/protocol.md#responses, #xml, #error-body).

use serde_json::{Map, Value};

use crate::encode::pct;
use crate::errors::ApiError;

/// The response format the caller asked for with the `Format` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Xml,
}

impl Format {
    /// `XML` in any case means XML; anything else, or no value, means JSON (the VPC default;
    /// an unknown value is not worth an error because every SDK then parses JSON anyway).
    pub fn from_param(v: Option<&str>) -> Format {
        match v {
            Some(v) if v.eq_ignore_ascii_case("xml") => Format::Xml,
            _ => Format::Json,
        }
    }

    /// The `Content-Type` of a body in this format. Tea V3 parses an XML error body only
    /// with exactly `text/xml;charset=utf-8`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "text/xml;charset=utf-8",
        }
    }
}

/// JSON success body: compact, keys in insertion order.
pub fn render_json(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())
}

/// XML success body: declaration, then `<root>` holding `body`. Object keys become child
/// elements in order; an array under key `K` becomes repeated `<K>` elements (so
/// `{"Set":{"Item":[a,b]}}` gives `<Set><Item>a</Item><Item>b</Item></Set>`); an empty array
/// emits nothing; null emits an empty element; numbers and booleans are written as text.
pub fn render_xml(root: &str, body: &Value) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    match body {
        // A document has exactly one root, so a top-level array (never produced by the
        // handlers, but possible) becomes repeated `<item>` children instead of repeated roots.
        Value::Array(items) => {
            let wrapped = Value::Object(Map::from_iter([(
                "item".to_owned(),
                Value::Array(items.clone()),
            )]));
            write_element(&mut out, root, &wrapped);
        }
        other => write_element(&mut out, root, other),
    }
    out.into_bytes()
}

fn write_element(out: &mut String, name: &str, value: &Value) {
    if let Value::Array(items) = value {
        for item in items {
            write_element(out, name, item);
        }
        return;
    }
    let name = element_name(name);
    out.push('<');
    out.push_str(&name);
    out.push('>');
    match value {
        Value::Null | Value::Array(_) => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape_into(out, s),
        Value::Object(map) => write_children(out, map),
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

fn write_children(out: &mut String, map: &Map<String, Value>) {
    for (key, child) in map {
        write_element(out, key, child);
    }
}

/// Keys are chosen by the server, but a key that is not an XML name would make the whole
/// document unreadable, so invalid characters are replaced with `_`.
fn element_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        let ok = c.is_alphanumeric() || c == '_' || (i > 0 && matches!(c, '-' | '.'));
        let ok = ok && !(i == 0 && c.is_numeric());
        out.push(if ok { c } else { '_' });
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Escapes text content. Characters XML 1.0 cannot carry at all (most C0 controls, which a
/// caller can smuggle in through `%01`) become U+FFFD so the document stays well-formed.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// The `Recommend` link of an error body.
pub fn recommend_url(code: &str, product: &str, request_id: &str) -> String {
    format!(
        "https://api.aliyun.com/troubleshoot?q={}&product={}&requestId={}",
        pct(code),
        pct(product),
        pct(request_id)
    )
}

/// An error body in the Alibaba shape.
///
/// JSON: `{"RequestId","HostId","Code","Message","Recommend"}` plus `"AccessDeniedDetail"`
/// when present. XML: `<?xml version='1.0' encoding='UTF-8'?><Error>…</Error>` with the same
/// fields and `Recommend` in CDATA, as the real gateway sends it.
pub fn render_error(
    err: &ApiError,
    request_id: &str,
    host_id: &str,
    product: &str,
    format: Format,
) -> Vec<u8> {
    let recommend = recommend_url(&err.code, product, request_id);
    match format {
        Format::Json => {
            let mut map = Map::new();
            map.insert("RequestId".into(), Value::from(request_id));
            map.insert("HostId".into(), Value::from(host_id));
            map.insert("Code".into(), Value::from(err.code.as_str()));
            map.insert("Message".into(), Value::from(err.message.as_str()));
            map.insert("Recommend".into(), Value::from(recommend));
            if let Some(detail) = &err.access_denied_detail {
                map.insert("AccessDeniedDetail".into(), (**detail).clone());
            }
            render_json(&Value::Object(map))
        }
        Format::Xml => {
            let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?><Error>");
            write_element(&mut out, "RequestId", &Value::from(request_id));
            write_element(&mut out, "HostId", &Value::from(host_id));
            write_element(&mut out, "Code", &Value::from(err.code.as_str()));
            write_element(&mut out, "Message", &Value::from(err.message.as_str()));
            // `pct` output never contains `]]>`, so the CDATA section cannot be closed early.
            out.push_str("<Recommend><![CDATA[");
            out.push_str(&recommend);
            out.push_str("]]></Recommend>");
            if let Some(detail) = &err.access_denied_detail {
                write_element(&mut out, "AccessDeniedDetail", detail);
            }
            out.push_str("</Error>");
            out.into_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;
    use serde_json::json;

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn format_param() {
        assert_eq!(Format::from_param(None), Format::Json);
        assert_eq!(Format::from_param(Some("JSON")), Format::Json);
        assert_eq!(Format::from_param(Some("json")), Format::Json);
        assert_eq!(Format::from_param(Some("XML")), Format::Xml);
        assert_eq!(Format::from_param(Some("xMl")), Format::Xml);
        assert_eq!(Format::from_param(Some("yaml")), Format::Json);
        assert_eq!(
            Format::Json.content_type(),
            "application/json;charset=utf-8"
        );
        assert_eq!(Format::Xml.content_type(), "text/xml;charset=utf-8");
    }

    #[test]
    fn json_keeps_order() {
        let body = json!({"RequestId": "R", "Data": {"OrderId": "1"}, "A": 1});
        assert_eq!(
            text(render_json(&body)),
            r#"{"RequestId":"R","Data":{"OrderId":"1"},"A":1}"#
        );
    }

    #[test]
    fn xml_pop_style() {
        let body = json!({
            "RequestId": "R",
            "TotalCount": 2,
            "Ok": true,
            "Missing": null,
            "Empty": [],
            "PhysicalConnectionSet": {"PhysicalConnectionType": [
                {"PhysicalConnectionId": "pc-1", "Name": "a<b>&\"c'"},
                {"PhysicalConnectionId": "pc-2", "Name": "x\u{1}"}
            ]}
        });
        assert_eq!(
            text(render_xml("DescribePhysicalConnectionsResponse", &body)),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribePhysicalConnectionsResponse>\
             <RequestId>R</RequestId><TotalCount>2</TotalCount><Ok>true</Ok><Missing></Missing>\
             <PhysicalConnectionSet><PhysicalConnectionType><PhysicalConnectionId>pc-1</PhysicalConnectionId>\
             <Name>a&lt;b&gt;&amp;&quot;c&apos;</Name></PhysicalConnectionType><PhysicalConnectionType>\
             <PhysicalConnectionId>pc-2</PhysicalConnectionId><Name>x\u{FFFD}</Name></PhysicalConnectionType>\
             </PhysicalConnectionSet></DescribePhysicalConnectionsResponse>"
        );
        assert_eq!(element_name("1a b"), "_a_b");
        assert_eq!(element_name(""), "_");
    }

    #[test]
    fn error_bodies() {
        let err = ApiError::new(ErrorCode::InvalidAccessKeyIdNotFound);
        assert_eq!(
            text(render_error(&err, "RID-1", "vpc.aliyuncs.com", "Vpc", Format::Json)),
            "{\"RequestId\":\"RID-1\",\"HostId\":\"vpc.aliyuncs.com\",\"Code\":\"InvalidAccessKeyId.NotFound\",\
             \"Message\":\"Specified access key is not found.\",\"Recommend\":\
             \"https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Vpc&requestId=RID-1\"}"
        );
        assert_eq!(
            text(render_error(&err, "RID-1", "vpc.aliyuncs.com", "Vpc", Format::Xml)),
            "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>RID-1</RequestId>\
             <HostId>vpc.aliyuncs.com</HostId><Code>InvalidAccessKeyId.NotFound</Code>\
             <Message>Specified access key is not found.</Message><Recommend><![CDATA[\
             https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Vpc&requestId=RID-1\
             ]]></Recommend></Error>"
        );
        let denied = ApiError::new(ErrorCode::NoPermission)
            .with_access_denied_detail(json!({"AuthAction": "vpc:DescribePhysicalConnections"}));
        let v: Value =
            serde_json::from_slice(&render_error(&denied, "R", "h", "Vpc", Format::Json)).unwrap();
        assert_eq!(
            v["AccessDeniedDetail"]["AuthAction"],
            "vpc:DescribePhysicalConnections"
        );
        assert_eq!(v["Code"], "NoPermission");
    }
}
