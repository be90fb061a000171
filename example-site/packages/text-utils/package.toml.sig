[[signature]]
key = "ed25519:fOX3vCJEsd7CfPWVOOtxL+bpLUd3fJkb0rw2BKE2Rgo="
sig = "Zg+pVaYUz7eMAqKOiI6ZfVR3yPsjbiL2K7CjKd9dXbldUAbQJbMUX3GM7xZS/mzy6TlT9K5do7YbSnY+CpadDw=="
