//! Where the card's (and the terminal's) random bytes come from: PACE
//! nonces and ephemeral keys. Passed in, so that tests can be reproducible.

use sha2::{Digest, Sha256};

/// The random source failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no random bytes available")]
pub struct EntropyError;

/// A source of random bytes.
pub trait Entropy: Send {
    /// Fills `buf`.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// The operating system's generator (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|_| EntropyError)
    }
}

/// A reproducible stream, SHA-256(seed ‖ counter) block after block: for
/// tests only — its output is as predictable as its seed.
#[derive(Clone, Debug)]
pub struct SeededEntropy {
    seed: Vec<u8>,
    counter: u64,
}

impl SeededEntropy {
    /// The stream of `seed`.
    pub fn new(seed: &[u8]) -> Self {
        Self {
            seed: seed.to_vec(),
            counter: 0,
        }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in buf.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(&self.seed)
                .chain_update(self.counter.to_be_bytes())
                .finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible_and_os_is_not_constant() {
        let (mut a, mut b) = (SeededEntropy::new(b"x"), SeededEntropy::new(b"x"));
        let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        a.fill(&mut y).unwrap();
        assert_ne!(x, y);
        let (mut p, mut q) = ([0u8; 32], [0u8; 32]);
        OsEntropy.fill(&mut p).unwrap();
        OsEntropy.fill(&mut q).unwrap();
        assert_ne!(p, q);
    }
}
