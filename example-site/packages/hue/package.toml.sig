[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "FSSM5wEFLYYU/s6eK/BxdajClWBeTFW0TgnuSqLNN3BwnCKxErR9yMiDV7awRD5s/k5toC9aCCxcYOmk0xZkBg=="
