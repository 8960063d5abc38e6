//! Structured parameters: the SDKs flatten lists and objects into dotted names
//! (`Filter.1.Key`, `Filter.1.Value.2`, `Tag.2.Value`, `PMInfo.1.PMName`,
//! docs/design/protocol.md#flattening).
//! This module rebuilds the tree so handlers do not have to parse names themselves.

use std::collections::BTreeMap;

/// Largest list index accepted. The APIs allow at most a few dozen entries; a hard bound
/// keeps a hostile `Tag.4294967296.Key` from being treated as a valid position.
pub const MAX_INDEX: u32 = 10_000;

/// Deepest nesting accepted (segments in one name). The deepest VPC name has four segments;
/// the bound keeps recursion (including `Drop`) shallow whatever the request holds.
pub const MAX_DEPTH: usize = 16;

/// Why a set of flat parameters does not form a tree.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FlattenError {
    /// A segment that looks like an index but is not one (`0`, `01`, `+1`, `-1`, `1a`, or
    /// more than [`MAX_INDEX`]), an empty segment (`Tag..Key`, `Tag.`), a name nested deeper than
    /// [`MAX_DEPTH`], or a non-numeric key where a list is expected. Holds the parameter name.
    #[error("parameter \"{0}\" has an invalid list index or name segment")]
    BadIndex(String),
    /// A name that is both a value and a prefix of other names (`A=1&A.B=2`). Holds the
    /// shared prefix.
    #[error("parameter \"{0}\" is both a value and a structure")]
    Conflict(String),
    /// The same name given twice.
    #[error("parameter \"{0}\" is given more than once")]
    Duplicate(String),
}

impl FlattenError {
    /// The parameter name the error is about.
    pub fn name(&self) -> &str {
        match self {
            FlattenError::BadIndex(n) | FlattenError::Conflict(n) | FlattenError::Duplicate(n) => n,
        }
    }
}

/// A parameter tree built from flat names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A scalar value.
    Leaf(String),
    /// An object or a list; list children are keyed by their decimal index (`"1"`, `"2"`…).
    Branch(BTreeMap<String, Node>),
}

/// Builds the tree for `pairs`. The root is always a [`Node::Branch`].
pub fn unflatten(pairs: &[(String, String)]) -> Result<Node, FlattenError> {
    let mut root = BTreeMap::new();
    for (name, value) in pairs {
        insert(&mut root, name, value)?;
    }
    Ok(Node::Branch(root))
}

fn insert(root: &mut BTreeMap<String, Node>, name: &str, value: &str) -> Result<(), FlattenError> {
    let segments: Vec<&str> = name.split('.').collect();
    if segments.len() > MAX_DEPTH {
        return Err(FlattenError::BadIndex(name.to_owned()));
    }
    for segment in &segments {
        if !segment_ok(segment) {
            return Err(FlattenError::BadIndex(name.to_owned()));
        }
    }
    let Some((last, parents)) = segments.split_last() else {
        return Err(FlattenError::BadIndex(name.to_owned()));
    };
    let mut map = root;
    let mut consumed = 0usize;
    for segment in parents {
        consumed += segment.len() + usize::from(consumed > 0);
        let child = map
            .entry((*segment).to_owned())
            .or_insert_with(|| Node::Branch(BTreeMap::new()));
        map = match child {
            Node::Branch(m) => m,
            Node::Leaf(_) => return Err(FlattenError::Conflict(prefix(name, consumed))),
        };
    }
    match map.get(*last) {
        None => {
            map.insert((*last).to_owned(), Node::Leaf(value.to_owned()));
            Ok(())
        }
        Some(Node::Leaf(_)) => Err(FlattenError::Duplicate(name.to_owned())),
        Some(Node::Branch(_)) => Err(FlattenError::Conflict(name.to_owned())),
    }
}

fn prefix(name: &str, len: usize) -> String {
    name.get(..len).unwrap_or(name).to_owned()
}

/// Empty segments are rejected; a segment that starts like a number (a digit, or a sign
/// followed by a digit) must be a canonical index in `1..=MAX_INDEX`.
fn segment_ok(segment: &str) -> bool {
    match segment.as_bytes() {
        [] => false,
        [b'+' | b'-', d, ..] if d.is_ascii_digit() => false,
        [d, ..] if d.is_ascii_digit() => parse_index(segment).is_some(),
        _ => true,
    }
}

/// Parses a canonical 1-based index: digits only, no leading zero, at most [`MAX_INDEX`].
pub fn parse_index(segment: &str) -> Option<u32> {
    if segment.is_empty()
        || segment.len() > 5
        || segment.starts_with('0')
        || !segment.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    segment
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_INDEX).contains(n))
}

impl Node {
    /// The child named `key` of a branch; `None` for a leaf or a missing key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Branch(m) => m.get(key),
            Node::Leaf(_) => None,
        }
    }

    /// The value of a leaf; `None` for a branch.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Leaf(v) => Some(v),
            Node::Branch(_) => None,
        }
    }

    /// Children of a 1-based list node in index order, as `(index, node)`. Gaps are allowed
    /// (`Tag.1`, `Tag.3`) and keep their indices, because the SDKs number from the caller's
    /// list and a handler may want to report the position. A non-numeric key gives
    /// [`FlattenError::BadIndex`] with that key; a leaf gives [`FlattenError::Conflict`]
    /// with its value. Use [`Node::list_named`] to get the full parameter name in errors.
    pub fn list(&self) -> Result<Vec<(u32, &Node)>, FlattenError> {
        self.list_named("")
    }

    /// Like [`Node::list`], with `name` (this node's parameter name, e.g. `"Tag"`) used to
    /// build full names (`Tag.Key`) in errors.
    pub fn list_named(&self, name: &str) -> Result<Vec<(u32, &Node)>, FlattenError> {
        let join = |key: &str| {
            if name.is_empty() {
                key.to_owned()
            } else {
                format!("{name}.{key}")
            }
        };
        match self {
            Node::Leaf(v) => Err(FlattenError::Conflict(if name.is_empty() {
                v.clone()
            } else {
                name.to_owned()
            })),
            Node::Branch(m) => {
                let mut items = m
                    .iter()
                    .map(|(k, node)| {
                        parse_index(k)
                            .map(|i| (i, node))
                            .ok_or_else(|| FlattenError::BadIndex(join(k)))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                items.sort_by_key(|(i, _)| *i);
                Ok(items)
            }
        }
    }

    /// Flattens the tree back into `(name, value)` pairs in key order (indices numerically).
    /// The inverse of [`unflatten`] up to ordering; used by tests and idempotency fingerprints.
    pub fn flatten(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.flatten_into("", &mut out);
        out
    }

    fn flatten_into(&self, name: &str, out: &mut Vec<(String, String)>) {
        match self {
            Node::Leaf(v) => out.push((name.to_owned(), v.clone())),
            Node::Branch(m) => {
                let mut children: Vec<(&String, &Node)> = m.iter().collect();
                children.sort_by(|(a, _), (b, _)| match (parse_index(a), parse_index(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => a.cmp(b),
                });
                for (key, child) in children {
                    let full = if name.is_empty() {
                        key.clone()
                    } else {
                        format!("{name}.{key}")
                    };
                    child.flatten_into(&full, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn filters_and_tags() {
        let tree = unflatten(&pairs(&[
            ("RegionId", "cn-hangzhou"),
            ("Filter.1.Key", "Status"),
            ("Filter.1.Value.2", "Enabled"),
            ("Filter.1.Value.1", "Allocated"),
            ("Tags.1.Key", "k"),
            ("Tags.3.Key", "k3"),
            ("Tags.10.Key", "k10"),
        ]))
        .unwrap();
        assert_eq!(
            tree.get("RegionId").and_then(Node::as_str),
            Some("cn-hangzhou")
        );
        let filters = tree.get("Filter").unwrap().list().unwrap();
        assert_eq!(filters.len(), 1);
        let values: Vec<(u32, Option<&str>)> = filters[0]
            .1
            .get("Value")
            .unwrap()
            .list()
            .unwrap()
            .into_iter()
            .map(|(i, n)| (i, n.as_str()))
            .collect();
        assert_eq!(values, vec![(1, Some("Allocated")), (2, Some("Enabled"))]);
        let idx: Vec<u32> = tree
            .get("Tags")
            .unwrap()
            .list()
            .unwrap()
            .iter()
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(idx, vec![1, 3, 10]);
    }

    #[test]
    fn errors() {
        for bad in [
            "Tag.0.Key",
            "Tag.01.Key",
            "Tag.+1.Key",
            "Tag.-1",
            "Tag.10001",
            "Tag.1a",
            "Tag..Key",
            "Tag.",
            ".Tag",
            "",
        ] {
            assert_eq!(
                unflatten(&pairs(&[(bad, "x")])),
                Err(FlattenError::BadIndex(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(unflatten(&pairs(&[("Tag.10000", "x")])).is_ok());
        assert_eq!(
            unflatten(&pairs(&[("A", "1"), ("A.B", "2")])),
            Err(FlattenError::Conflict("A".to_owned()))
        );
        assert_eq!(
            unflatten(&pairs(&[("A.B.C", "2"), ("A.B", "1")])),
            Err(FlattenError::Conflict("A.B".to_owned()))
        );
        assert_eq!(
            unflatten(&pairs(&[("A.B", "1"), ("A.B", "1")])),
            Err(FlattenError::Duplicate("A.B".to_owned()))
        );
        let deep = vec!["a"; MAX_DEPTH + 1].join(".");
        assert!(matches!(
            unflatten(&pairs(&[(&deep, "x")])),
            Err(FlattenError::BadIndex(_))
        ));
        let tree = unflatten(&pairs(&[("Tag.Key", "x"), ("Leaf", "v")])).unwrap();
        assert_eq!(
            tree.get("Tag").unwrap().list_named("Tag"),
            Err(FlattenError::BadIndex("Tag.Key".to_owned()))
        );
        assert_eq!(
            tree.get("Leaf").unwrap().list_named("Leaf"),
            Err(FlattenError::Conflict("Leaf".to_owned()))
        );
    }

    #[test]
    fn flatten_inverse() {
        let p = pairs(&[("B.2", "y"), ("B.10", "z"), ("B.1", "x"), ("A", "")]);
        let back = unflatten(&p).unwrap().flatten();
        assert_eq!(
            back,
            pairs(&[("A", ""), ("B.1", "x"), ("B.2", "y"), ("B.10", "z")])
        );
    }
}
