//! stem: a leaf and one more.

/// The stem's number: its leaf's, plus one.
pub fn stem() -> u32 {
    leaf::leaf() + 1
}
