[[signature]]
key = "ed25519:uRWpHMKZcSQ4vZm5gTswZRYbSoaKmlcC032c8+JqOZo="
sig = "9kQrJa9/3IVLUCbu6x460GbOc4STvciW3hgMuKBO9qT0DfW/Ldn0KnKeH/xqSZ0GfipqGIdrU/RFaC4+KSH5Bg=="
