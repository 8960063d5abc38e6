//! Property tests: encoding round trips, flattening round trips, client-signed requests
//! always verifying, and no input making the parsers panic.

use physconn_wire::decode::decode_component;
use physconn_wire::request::COMMON_PARAMS;
use physconn_wire::{
    decode_form, encode_pairs, parse_request, parse_timestamp, parse_v3_authorization, pct,
    render_xml, sign_v1, sign_v3, unflatten, ClientCredentials, Node, RawRequest,
};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[ +*~/=&%?#a-zA-Z0-9中文\u{1F600}.-]{0,16}",
        any::<String>(),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..8)
}

/// Valid tree keys: list indices or names that do not look like numbers.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=10_000).prop_map(|i| i.to_string()),
        "[A-Za-z_][A-Za-z0-9_-]{0,6}",
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf = text().prop_map(Node::Leaf);
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop::collection::btree_map(key(), inner, 1..4).prop_map(Node::Branch)
    })
}

fn api_params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(text(), text(), 0..6).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| !COMMON_PARAMS.contains(&k.as_str()))
            .collect()
    })
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

proptest! {
    #[test]
    fn form_round_trip(p in pairs()) {
        prop_assert_eq!(decode_form(encode_pairs(&p).as_bytes()).unwrap(), p);
    }

    #[test]
    fn pct_round_trip(s in text()) {
        let enc = pct(&s);
        prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        prop_assert_eq!(decode_component(enc.as_bytes()).unwrap(), s);
    }

    #[test]
    fn flatten_round_trip(
        (node, shuffled) in tree()
            .prop_filter("root must be a branch", |n| matches!(n, Node::Branch(_)))
            .prop_flat_map(|n| { let flat = n.flatten(); (Just(n), Just(flat).prop_shuffle()) })
    ) {
        let rebuilt = unflatten(&shuffled).unwrap();
        prop_assert_eq!(&rebuilt, &node);
        prop_assert_eq!(rebuilt.flatten(), node.flatten());
    }

    #[test]
    fn list_orders_indices(indices in prop::collection::btree_set(1u32..=10_000, 1..10)) {
        let flat: Vec<(String, String)> = indices.iter().rev()
            .map(|i| (format!("Tag.{i}.Key"), i.to_string())).collect();
        let tree = unflatten(&flat).unwrap();
        let list = tree.get("Tag").unwrap().list().unwrap();
        let got: Vec<u32> = list.iter().map(|(i, _)| *i).collect();
        prop_assert_eq!(got, indices.into_iter().collect::<Vec<_>>());
        for (i, n) in list {
            let expected = i.to_string();
            prop_assert_eq!(n.get("Key").and_then(Node::as_str), Some(expected.as_str()));
        }
    }

    #[test]
    fn client_requests_verify(
        params in api_params(),
        v3 in any::<bool>(),
        form_body in any::<bool>(),
        key_id in "[A-Za-z0-9]{1,24}",
        secret in "\\PC{0,30}",
        token in prop::option::of("[!-~]{1,40}"),
        host in "[a-z0-9.:-]{1,20}",
        action in "[A-Za-z]{1,20}",
        stamp in "[!-~]{1,30}",
        nonce in "[!-~]{1,30}",
    ) {
        let creds = ClientCredentials {
            access_key_id: &key_id,
            access_key_secret: &secret,
            security_token: token.as_deref(),
        };
        let req = if v3 {
            sign_v3(&creds, &host, &action, "2016-04-28", &params, form_body, &stamp, &nonce)
        } else {
            sign_v1(&creds, &host, &action, "2016-04-28", &params, form_body, &stamp, &nonce)
        };
        let raw = RawRequest {
            method: &req.method,
            path: &req.path,
            raw_query: &req.query,
            headers: &req.headers,
            body: &req.body,
        };
        let parsed = parse_request(&raw).unwrap();
        prop_assert_eq!(parsed.action.as_deref(), Some(action.as_str()));
        prop_assert_eq!(parsed.version.as_deref(), Some("2016-04-28"));
        prop_assert_eq!(parsed.access_key_id.as_deref(), Some(key_id.as_str()));
        prop_assert_eq!(parsed.security_token.as_deref(), token.as_deref());
        prop_assert_eq!(parsed.timestamp.as_deref(), Some(stamp.as_str()));
        prop_assert_eq!(parsed.nonce.as_deref(), Some(nonce.as_str()));
        prop_assert_eq!(sorted(parsed.params.clone()), sorted(params));
        prop_assert_eq!(parsed.verify(&raw, &secret), Ok(()));
        let wrong = format!("{secret}x");
        let err = parsed.verify(&raw, &wrong).unwrap_err();
        prop_assert_eq!(err.code.as_str(), "SignatureDoesNotMatch");
    }

    #[test]
    fn decode_never_panics(bytes in any::<Vec<u8>>()) {
        let _ = decode_form(&bytes);
    }

    #[test]
    fn auth_parse_never_panics(s in any::<String>(), tail in "[ -~]{0,120}") {
        let _ = parse_v3_authorization(&s);
        let _ = parse_v3_authorization(&format!("ACS3-HMAC-SHA256 {tail}"));
        let _ = parse_timestamp(&s);
    }

    #[test]
    fn unflatten_never_panics(p in prop::collection::vec(("[0-9a-zA-Z.+-]{0,12}", "[a-z]{0,3}"), 0..12)) {
        if let Ok(tree) = unflatten(&p) {
            let _ = tree.list();
            if let Node::Branch(m) = &tree {
                for n in m.values() {
                    let _ = n.list_named("x");
                }
            }
            // Whatever was accepted flattens back to the same set of pairs.
            prop_assert_eq!(sorted(tree.flatten()), sorted(p));
        }
    }

    #[test]
    fn parse_request_never_panics(
        query in any::<String>(),
        headers in prop::collection::vec(
            (prop_oneof![
                Just("Authorization".to_owned()),
                Just("content-type".to_owned()),
                Just("x-acs-content-sha256".to_owned()),
                "[a-zA-Z-]{1,12}",
            ],
            prop_oneof![
                "ACS3-[ -~]{0,100}",
                Just("application/x-www-form-urlencoded".to_owned()),
                any::<String>(),
            ]),
            0..6),
        body in any::<Vec<u8>>(),
        method in "[A-Za-z]{0,6}",
    ) {
        let raw = RawRequest { method: &method, path: "/", raw_query: &query, headers: &headers, body: &body };
        if let Ok(parsed) = parse_request(&raw) {
            let _ = parsed.verify(&raw, "secret");
            let _ = parsed.param_tree();
        }
    }

    #[test]
    fn xml_is_well_formed(map in prop::collection::btree_map(text(), text(), 0..6), root in text()) {
        let body = serde_json::Value::Object(
            map.into_iter().map(|(k, v)| (k, serde_json::Value::from(v))).collect(),
        );
        let xml = render_xml(&root, &body);
        let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        let mut depth = 0i32;
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Text(t)) => { prop_assert!(t.unescape().is_ok()); }
                Ok(_) => {}
                Err(e) => prop_assert!(false, "{e}: {}", String::from_utf8_lossy(&xml)),
            }
            buf.clear();
        }
        prop_assert_eq!(depth, 0);
    }
}
