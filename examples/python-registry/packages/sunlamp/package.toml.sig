[[signature]]
key = "ed25519:1imXm0F0qxRj51Jub/ADQx9DyBM1lkvMdA+QEIu3km4="
sig = "pglbs0mgvuDHJukjbn748ILkeW/jFtvzoJ3vF7oWwm3jJTg816UkIebbcDjDsEE4rDYAG/Mu4wWwc6MepLmRBw=="
