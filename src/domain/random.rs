//! Unguessable identifiers from the operating system's CSPRNG.

use rand::Rng;
use rand::distr::Alphanumeric;

/// `length` characters of `[A-Za-z0-9]` (5.95 bits each).
pub fn alphanumeric(length: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(length).map(char::from).collect()
}

/// `length` characters of `[a-z0-9]`, safe in a DNS label (5.17 bits each).
pub fn lowercase_alphanumeric(length: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length).map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_have_the_requested_alphabet_and_length() {
        let a = alphanumeric(32);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        let l = lowercase_alphanumeric(16);
        assert!(l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(alphanumeric(32), alphanumeric(32));
    }
}
