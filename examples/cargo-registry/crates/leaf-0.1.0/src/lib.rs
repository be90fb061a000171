//! leaf 0.1: a number.

/// The leaf's number.
pub fn leaf() -> u32 {
    1
}
