//! Uploaded avatar images, as stored.

/// A re-encoded avatar ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct AvatarImage {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for AvatarImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AvatarImage({}, {} bytes)", self.name, self.bytes.len())
    }
}
