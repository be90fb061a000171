//! leaf 1.2: yanked (it was meant to say 12).

/// The leaf's number.
pub fn leaf() -> u32 {
    0
}

/// What this crate is.
pub fn name() -> &'static str {
    "leaf 1.2.0"
}
