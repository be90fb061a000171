//! leaf 1.1: a number, and its name.

/// The leaf's number.
pub fn leaf() -> u32 {
    11
}

/// What this crate is.
pub fn name() -> &'static str {
    "leaf 1.1.0"
}
