//! The last decoded form of the documents read by id (`sql/documents.rs`).
//!
//! Decoding a VBR's JSON document was most of what a describe by id cost
//! beyond a line's (BENCHMARKS.md#vbr-describe), and the same few documents
//! are read over and over (a Terraform refresh polls each resource). An
//! entry is used only when the document just read is byte for byte the one
//! it was decoded from, so it can never be stale, whichever engine, server
//! or connection wrote the row: the cache saves the parse, never the read.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many documents of one kind are kept. Enough for the resources one
/// workload polls; a bound so that a store with many of them stays small.
const CAPACITY: usize = 1024;

/// Decoded documents of one kind by id, with the text each was decoded from.
pub(crate) struct Decoded<D> {
    entries: Mutex<HashMap<String, (String, D)>>,
}

impl<D: Clone> Decoded<D> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, D)>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The document `doc` of `id` decoded, from the cache when it holds that
    /// very text, else by `decode` (and then kept).
    pub(crate) fn get_or_decode<E>(
        &self,
        id: &str,
        doc: String,
        decode: impl FnOnce(&str) -> Result<D, E>,
    ) -> Result<D, E> {
        if let Some((text, value)) = self.entries().get(id) {
            if *text == doc {
                return Ok(value.clone());
            }
        }
        let value = decode(&doc)?;
        let mut entries = self.entries();
        if entries.len() >= CAPACITY && !entries.contains_key(id) {
            if let Some(old) = entries.keys().next().cloned() {
                entries.remove(&old);
            }
        }
        entries.insert(id.to_string(), (doc, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<i64, std::num::ParseIntError> {
        s.parse()
    }

    #[test]
    fn a_changed_document_is_decoded_again() {
        let c = Decoded::new();
        let mut calls = 0;
        let mut count = |s: &str| {
            calls += 1;
            parse(s)
        };
        assert_eq!(c.get_or_decode("a", "1".into(), &mut count), Ok(1));
        assert_eq!(c.get_or_decode("a", "1".into(), &mut count), Ok(1));
        assert_eq!(c.get_or_decode("a", "2".into(), &mut count), Ok(2));
        assert_eq!(c.get_or_decode("b", "1".into(), &mut count), Ok(1));
        assert_eq!(calls, 3);
        assert!(c.get_or_decode("a", "x".into(), parse).is_err());
        // A document that failed to decode leaves the last good one in place
        // only for its own text.
        assert_eq!(c.get_or_decode("a", "2".into(), parse), Ok(2));
    }

    #[test]
    fn the_cache_stays_within_its_bound() {
        let c = Decoded::new();
        for i in 0..CAPACITY * 3 {
            let id = i.to_string();
            assert_eq!(c.get_or_decode(&id, id.clone(), parse), Ok(i as i64));
        }
        assert_eq!(c.entries().len(), CAPACITY);
    }
}
