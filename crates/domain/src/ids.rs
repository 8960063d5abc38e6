//! Identifiers are random and made in the application (never database
//! sequences), so any number of servers can create rows without coordination.

use rand::{Rng, RngCore, SeedableRng};
use std::sync::Mutex;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DIGITS: &[u8] = b"0123456789";
/// Base-36 digits in ASCII order, so that ids sort as their numbers do.
const LOWER_ALNUM_ORDERED: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Makes every kind of identifier physconn hands out.
pub trait IdGen: Send + Sync + 'static {
    /// Fills `buf` with random bytes; everything else derives from it.
    fn fill(&self, buf: &mut [u8]);

    /// `pc-` + 21 lower-case alphanumerics, starting with the region's usual
    /// three-character prefix (`bp1` Hangzhou, `2ze` Beijing, ...).
    fn circuit_id(&self, region_id: &str) -> String {
        self.regional_id("pc", region_id)
    }

    /// `<kind>-` + 21 lower-case alphanumerics starting with the region's
    /// prefix: the shape of every regional resource id (`pc-`, `vbr-`,
    /// `vtb-`, `ri-`).
    fn regional_id(&self, kind: &str, region_id: &str) -> String {
        let prefix = region_prefix(region_id);
        let rest = self.pick(LOWER_ALNUM, 21 - prefix.len());
        format!("{kind}-{prefix}{rest}")
    }

    /// 15 decimal digits, no leading zero: fits an `i64` and an `f64` exactly,
    /// which the seed's numeric `orderId` needs.
    fn order_id(&self) -> String {
        format!("{}{}", self.pick(b"123456789", 1), self.pick(DIGITS, 14))
    }

    /// A 16-digit AliUid.
    fn account_id(&self) -> String {
        format!("1{}", self.pick(DIGITS, 15))
    }

    /// `LTAI` + 20 alphanumerics.
    fn access_key_id(&self) -> String {
        format!("LTAI{}", self.pick(ALNUM, 20))
    }

    /// `STS.` + 24 alphanumerics, the shape of temporary keys.
    fn sts_access_key_id(&self) -> String {
        format!("STS.{}", self.pick(ALNUM, 24))
    }

    /// 30 alphanumerics.
    fn access_key_secret(&self) -> String {
        self.pick(ALNUM, 30)
    }

    /// An opaque bearer-style token of `len` alphanumerics.
    fn token(&self, len: usize) -> String {
        self.pick(ALNUM, len)
    }

    /// Upper-case UUID, like the gateway's RequestId.
    fn request_id(&self) -> String {
        let mut b = [0u8; 16];
        self.fill(&mut b);
        uuid::Builder::from_random_bytes(b)
            .into_uuid()
            .hyphenated()
            .to_string()
            .to_ascii_uppercase()
    }

    /// A generic internal id (ledger entries, timers, events): 9 base-36
    /// digits of `ordering_ms` then 11 random characters. Rows keyed by these
    /// ids are then inserted at the end of their primary-key index, not at a
    /// random page of it: at every commit the database writes one tail page
    /// for a batch of ledger entries instead of one page per entry.
    fn internal_id(&self) -> String {
        let mut id = String::with_capacity(20);
        let mut ms = self.ordering_ms();
        let mut digits = [b'0'; 9];
        for d in digits.iter_mut().rev() {
            *d = LOWER_ALNUM_ORDERED[(ms % 36) as usize];
            ms /= 36;
        }
        id.extend(digits.iter().map(|b| char::from(*b)));
        id.push_str(&self.pick(LOWER_ALNUM, 11));
        id
    }

    /// What orders internal ids: the wall clock in milliseconds (not the
    /// injected `Clock`, which a test may hold still; only index locality
    /// depends on it, no meaning does).
    fn ordering_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// A random number in `0..n` (used for port numbers and fault shares).
    fn below(&self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b) % n
    }

    fn pick(&self, alphabet: &[u8], len: usize) -> String {
        let mut raw = vec![0u8; len];
        self.fill(&mut raw);
        raw.iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
            .collect()
    }
}

fn region_prefix(region_id: &str) -> &'static str {
    match region_id {
        "cn-hangzhou" => "bp1",
        "cn-beijing" => "2ze",
        "cn-shanghai" => "uf6",
        "cn-shenzhen" => "wz9",
        "cn-qingdao" => "m5e",
        "cn-zhangjiakou" => "8vb",
        "cn-hongkong" => "j6c",
        "ap-southeast-1" => "t4n",
        "eu-central-1" => "gw8",
        "us-west-1" => "rj9",
        _ => "",
    }
}

/// Operating-system randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn fill(&self, buf: &mut [u8]) {
        rand::rng().fill_bytes(buf);
    }
}

/// A seeded generator, for reproducible simulations and snapshot tests.
/// Internal ids are ordered by a counter instead of the wall clock.
#[derive(Debug)]
pub struct SeededIds {
    rng: Mutex<rand::rngs::StdRng>,
    counter: std::sync::atomic::AtomicU64,
}

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)),
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl IdGen for SeededIds {
    fn fill(&self, buf: &mut [u8]) {
        let mut g = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        g.fill(buf);
    }

    fn ordering_ms(&self) -> u64 {
        self.counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ids = RandomIds;
        let pc = ids.circuit_id("cn-hangzhou");
        assert!(pc.starts_with("pc-bp1"));
        assert_eq!(pc.len(), 24);
        let other = ids.circuit_id("xx-unknown");
        assert_eq!(other.len(), 24);
        let o = ids.order_id();
        assert_eq!(o.len(), 15);
        assert!(o.parse::<i64>().is_ok() && !o.starts_with('0'));
        assert_eq!(ids.account_id().len(), 16);
        let ak = ids.access_key_id();
        assert!(ak.starts_with("LTAI") && ak.len() == 24);
        assert_eq!(ids.access_key_secret().len(), 30);
        let rid = ids.request_id();
        assert_eq!(rid.len(), 36);
        assert_eq!(rid, rid.to_ascii_uppercase());
    }

    #[test]
    fn internal_ids_sort_in_creation_order() {
        let seeded = SeededIds::new(3);
        let ids: Vec<String> = (0..50).map(|_| seeded.internal_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let wall = RandomIds.internal_id();
        assert_eq!(wall.len(), 20);
        assert!(wall.bytes().all(|b| LOWER_ALNUM.contains(&b)));
        // Nine digits of milliseconds last until the year 5000 and more.
        assert!(wall.as_str() > "0" && wall.as_str() < "zzzzzzzzz");
        assert!(RandomIds.internal_id()[..9] >= wall[..9]);
    }

    #[test]
    fn seeded_is_reproducible() {
        let a = SeededIds::new(7);
        let b = SeededIds::new(7);
        assert_eq!(a.order_id(), b.order_id());
    }
}
