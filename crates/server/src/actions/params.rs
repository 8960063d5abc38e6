//! Typed access to an action's parameters (query ∪ form body, flattened
//! names such as `Filter.1.Value.2` unflattened).

use super::{resources, Action};
use physconn_wire::flatten::{unflatten, FlattenError, Node};
use physconn_wire::ApiError;

/// A `Name.N.Key` / `Name.N.Value` entry: its index, key and value.
pub type KeyValue = (u32, Option<String>, Option<String>);

pub struct Params {
    tree: Node,
}

fn flatten_error(e: FlattenError) -> ApiError {
    match e {
        FlattenError::BadIndex(n) | FlattenError::Conflict(n) | FlattenError::Duplicate(n) => {
            ApiError::invalid_parameter(&n)
        }
    }
}

/// Case-insensitive `true`/`false`: Python SDKs send `True`, Node `true`.
pub fn parse_bool(name: &str, v: &str) -> Result<bool, ApiError> {
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid_parameter(name))
    }
}

impl Params {
    /// The parameters `action` reads: an id-bearing parameter it does not
    /// take is dropped here, so it can steer neither the handler nor the
    /// authorization (docs/design/decisions.md#ram-resources).
    pub fn new(pairs: &[(String, String)], action: Action) -> Result<Self, ApiError> {
        let kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| !resources::ignored(action, k))
            .cloned()
            .collect();
        Ok(Self {
            tree: unflatten(&kept).map_err(flatten_error)?,
        })
    }

    /// A scalar parameter, if present (an empty value counts as present).
    pub fn str(&self, name: &str) -> Option<&str> {
        self.tree.get(name).and_then(Node::as_str)
    }

    /// A scalar that is present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.str(name).filter(|s| !s.is_empty())
    }

    /// A required scalar: absent or empty is `MissingParameter`.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.non_empty(name)
            .ok_or_else(|| ApiError::missing_parameter(name))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.non_empty(name)
            .map(|v| parse_bool(name, v))
            .transpose()
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.non_empty(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid_parameter(name))
            })
            .transpose()
    }

    /// `Name.N.*` entries in index order.
    pub fn list(&self, name: &str) -> Result<Vec<(u32, &Node)>, ApiError> {
        match self.tree.get(name) {
            None => Ok(Vec::new()),
            Some(n) => n.list().map_err(flatten_error),
        }
    }

    /// `Tag.N.Key` / `Tag.N.Value` pairs; a missing Value is empty.
    pub fn key_values(&self, name: &str) -> Result<Vec<KeyValue>, ApiError> {
        Ok(self
            .list(name)?
            .into_iter()
            .map(|(i, n)| {
                let k = n.get("Key").and_then(Node::as_str).map(str::to_string);
                let v = n.get("Value").and_then(Node::as_str).map(str::to_string);
                (i, k, v)
            })
            .collect())
    }
}
