[[signature]]
key = "ed25519:1imXm0F0qxRj51Jub/ADQx9DyBM1lkvMdA+QEIu3km4="
sig = "uvR5X4kXLkCPglCwHkrALN27QIySqOhsD9RNG/tJmbAYKiphPTC+CZnf/CJbp4JkupdnEA7oJZLnKT3tAFpLBw=="
