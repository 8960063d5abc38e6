//! Parameter decoding and flattening: any bytes are either parameters or an
//! error, never a panic, and a successful decode re-encodes to the same pairs.
//!
//! Shared by the libFuzzer target (`fuzz_targets/decode.rs`) and the short
//! replay in CI (`crates/server/tests/it/fuzz_short.rs`).

pub fn run(data: &[u8]) {
    if let Ok(pairs) = physconn_wire::decode_form(data) {
        let again = physconn_wire::decode_form(physconn_wire::encode_pairs(&pairs).as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&pairs));
        if let Ok(tree) = physconn_wire::unflatten(&pairs) {
            for key in ["Filter", "Tag", "Tags", "PMInfo"] {
                if let Some(node) = tree.get(key) {
                    let _ = node.list();
                }
            }
        }
    }
}
