//! bloom: how many petals, and how tall.

/// The number of petals.
pub fn petals() -> u32 {
    if cfg!(feature = "scent") { 5 } else { 4 }
}

/// How tall the flower stands: on a stem with the `tall` feature.
#[cfg(feature = "tall")]
pub fn height() -> u32 {
    stem::stem() * 2
}
