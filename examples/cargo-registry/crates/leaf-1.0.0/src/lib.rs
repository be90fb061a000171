//! leaf 1.0: a number, and its name.

/// The leaf's number.
pub fn leaf() -> u32 {
    10
}

/// What this crate is.
pub fn name() -> &'static str {
    "leaf 1.0.0"
}
