//! Access-key secrets at rest: AES-256-GCM with a master key from the
//! environment (`PHYSCONN_MASTER_KEY`, base64 of 32 bytes), the config
//! (`master_key`), or, for the embedded store only, a key file generated in
//! the data directory (`master.key`, mode 0600). Stored values look like
//! `enc1:<base64(nonce ‖ ciphertext)>`; a value without the prefix is a
//! plaintext secret written before encryption was configured, read as is.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::path::Path;

const PREFIX: &str = "enc1:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the master key must be base64 of exactly 32 bytes")]
    BadKey,
    #[error("cannot read or write the master key file {0}: {1}")]
    KeyFile(String, std::io::Error),
    #[error("a stored secret cannot be decrypted (wrong master key?)")]
    Decrypt,
}

/// Encrypts and decrypts stored secrets. Without a master key it stores
/// plaintext (only for PostgreSQL deployments that did not configure one).
pub struct SecretBox {
    cipher: Option<Aes256Gcm>,
}

// The key material never reaches logs.
impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("encrypting", &self.cipher.is_some())
            .finish()
    }
}

fn parse_key(b64: &str) -> Result<Aes256Gcm, SecretError> {
    let raw = B64.decode(b64.trim()).map_err(|_| SecretError::BadKey)?;
    Aes256Gcm::new_from_slice(&raw).map_err(|_| SecretError::BadKey)
}

impl SecretBox {
    pub fn plaintext() -> Self {
        Self { cipher: None }
    }

    pub fn from_base64(b64: &str) -> Result<Self, SecretError> {
        Ok(Self {
            cipher: Some(parse_key(b64)?),
        })
    }

    /// The key file of an embedded store, created with fresh randomness on
    /// first use.
    pub fn from_key_file(
        path: &Path,
        fresh: impl FnOnce() -> [u8; 32],
    ) -> Result<Self, SecretError> {
        let err = |e| SecretError::KeyFile(path.display().to_string(), e);
        let b64 = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                let key = B64.encode(fresh());
                write_private(path, &key).map_err(err)?;
                key
            }
            Err(e) => return Err(err(e)),
        };
        Self::from_base64(&b64)
    }

    pub fn encrypting(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of a secret. `nonce` must be fresh random bytes.
    pub fn seal(&self, secret: &str, nonce: [u8; 12]) -> String {
        match &self.cipher {
            None => secret.to_string(),
            Some(c) => match c.encrypt(Nonce::from_slice(&nonce), secret.as_bytes()) {
                Ok(ct) => {
                    let mut all = nonce.to_vec();
                    all.extend_from_slice(&ct);
                    format!("{PREFIX}{}", B64.encode(all))
                }
                // AES-GCM encryption of a short string cannot fail; refuse to
                // store anything rather than store plaintext by accident.
                Err(_) => String::from(PREFIX),
            },
        }
    }

    /// The secret from its stored form.
    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let cipher = self.cipher.as_ref().ok_or(SecretError::Decrypt)?;
        let raw = B64.decode(b64).map_err(|_| SecretError::Decrypt)?;
        if raw.len() < 12 {
            return Err(SecretError::Decrypt);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| SecretError::Decrypt)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_plaintext_passthrough() {
        let b = SecretBox::from_base64(&B64.encode([7u8; 32])).unwrap();
        let sealed = b.seal("testsecret", [1; 12]);
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("testsecret"));
        assert_eq!(b.open(&sealed).unwrap(), "testsecret");
        assert_eq!(b.open("legacy-plain").unwrap(), "legacy-plain");
        let other = SecretBox::from_base64(&B64.encode([8u8; 32])).unwrap();
        assert!(
            other.open(&sealed).is_err(),
            "another master key cannot read it"
        );
        assert!(SecretBox::from_base64("short").is_err());
        assert!(!format!("{b:?}").contains('7'));
    }

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let a = SecretBox::from_key_file(&path, || [3; 32]).unwrap();
        let b = SecretBox::from_key_file(&path, || [4; 32]).unwrap();
        assert_eq!(b.open(&a.seal("s", [0; 12])).unwrap(), "s");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
