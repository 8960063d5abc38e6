//! The suite covers the whole storage trait: every method of `TxOps`,
//! `SecurityOps`, `VbrOps` and `BgpOps` is called by at least one conformance case, so a method
//! added to either trait without a case (run against SQLite and PostgreSQL
//! like every other) fails this test.

use std::path::Path;

fn rust_sources(dir: &Path, out: &mut String) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("a source directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("readable source"));
            out.push('\n');
        }
    }
}

/// The code of a line, without its `//` comment.
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// The names of the methods declared in `pub trait <name> { … }`.
fn trait_methods(sources: &str, name: &str) -> Vec<String> {
    let header = format!("pub trait {name}");
    let mut lines = sources.lines().skip_while(|l| !l.contains(&header));
    let mut depth = 0i32;
    let mut methods = Vec::new();
    for line in lines.by_ref() {
        let line = code(line);
        let mut rest = line;
        while let Some(i) = rest.find("fn ") {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + 3..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            methods.push(rest[..end].to_string());
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if depth <= 0 && line.contains('}') {
            break;
        }
    }
    methods
}

#[test]
fn every_storage_method_has_a_conformance_case() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = String::new();
    rust_sources(&crate_dir.join("src"), &mut sources);
    let tx = trait_methods(&sources, "TxOps");
    let security = trait_methods(&sources, "SecurityOps");
    let vbr = trait_methods(&sources, "VbrOps");
    let bgp = trait_methods(&sources, "BgpOps");
    assert!(bgp.iter().any(|m| m == "list_bgp"), "{bgp:?}");
    assert!(vbr.iter().any(|m| m == "list_vbrs"), "{vbr:?}");
    assert!(tx.iter().any(|m| m == "get_circuit"), "{tx:?}");
    assert!(
        security.iter().any(|m| m == "insert_audits"),
        "{security:?}"
    );

    let dir = crate_dir.join("tests/it/conformance");
    let mut suite = String::new();
    for entry in std::fs::read_dir(&dir)
        .expect("the suite's modules")
        .flatten()
    {
        if entry.file_name() != "coverage.rs" {
            suite.push_str(&std::fs::read_to_string(entry.path()).expect("a case module"));
        }
    }
    let suite: String = suite.lines().map(|l| format!("{}\n", code(l))).collect();
    let missing: Vec<&String> = tx
        .iter()
        .chain(&security)
        .chain(&vbr)
        .chain(&bgp)
        .filter(|m| !suite.contains(&format!(".{m}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "storage methods no conformance case calls (add a case to the \
         `conformance!` list that runs against both backends): {missing:?}"
    );
}
