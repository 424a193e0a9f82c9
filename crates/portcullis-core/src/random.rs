//! Random identifiers and secrets, from the operating system's CSPRNG-seeded generator.

use rand::distr::{Alphanumeric, SampleString};

/// `len` random characters from `[A-Za-z0-9]` (base62).
pub fn base62(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::Rng::fill(&mut rand::rng(), &mut out[..]);
    out
}

/// `len` random characters, each drawn uniformly from `alphabet` (ASCII).
pub fn from_alphabet(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rand::Rng::random_range(&mut rng, 0..alphabet.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn base62_has_the_requested_length_and_alphabet() {
        let s = super::base62(40);
        assert_eq!(s.len(), 40);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(s, super::base62(40));
    }
}
