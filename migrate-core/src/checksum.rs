use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// SHA-256 of a script after line-ending and BOM normalisation.
///
/// Displayed and parsed as 64 lowercase hex digits, which is also how the
/// version table stores it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

/// Computes the checksum of a script: a leading UTF-8 BOM is dropped and every
/// CRLF becomes LF first, so a Windows checkout with `autocrlf` hashes the same
/// as the Unix one.
///
/// ```
/// assert_eq!(
///     migrata_core::checksum("CREATE TABLE t (id INT);\r\n"),
///     migrata_core::checksum("\u{feff}CREATE TABLE t (id INT);\n"),
/// );
/// ```
pub fn checksum(sql: &str) -> Checksum {
    let sql = crate::strip_bom(sql);
    let mut hasher = Sha256::new();
    let mut rest = sql;
    while let Some(pos) = rest.find("\r\n") {
        hasher.update(&rest.as_bytes()[..pos]);
        hasher.update(b"\n");
        rest = &rest[pos + 2..];
    }
    hasher.update(rest.as_bytes());
    Checksum(hasher.finalize().into())
}

impl Checksum {
    /// Whether `hex` (as stored in the version table) spells this checksum,
    /// compared without allocating. Case-insensitive.
    ///
    /// ```
    /// let sum = migrata_core::checksum("SELECT 1;");
    /// assert!(sum.matches_hex(&sum.to_string()));
    /// assert!(!sum.matches_hex("00"));
    /// ```
    pub fn matches_hex(&self, hex: &str) -> bool {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        hex.len() == 64
            && self
                .0
                .iter()
                .zip(hex.as_bytes().chunks_exact(2))
                .all(|(byte, pair)| {
                    pair[0].eq_ignore_ascii_case(&DIGITS[usize::from(byte >> 4)])
                        && pair[1].eq_ignore_ascii_case(&DIGITS[usize::from(byte & 0x0f)])
                })
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

/// The text was not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a checksum is 64 hex digits, got {0:?}")]
pub struct ParseChecksumError(String);

impl FromStr for Checksum {
    type Err = ParseChecksumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ParseChecksumError(s.chars().take(80).collect());
        let s = s.trim();
        if s.len() != 64 || !s.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let hex = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(hex, 16).map_err(|_| invalid())?;
        }
        Ok(Checksum(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_of_empty_script() {
        assert_eq!(
            checksum("").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn lone_cr_is_content() {
        assert_ne!(checksum("a\rb"), checksum("a\nb"));
    }

    #[test]
    fn hex_round_trips() {
        let sum = checksum("SELECT 1;");
        assert_eq!(sum.to_string().parse::<Checksum>(), Ok(sum));
        assert!("xyz".parse::<Checksum>().is_err());
        assert!("é".repeat(32).parse::<Checksum>().is_err());
    }
}
