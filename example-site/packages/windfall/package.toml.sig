[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "ukySGXPXkIOY8kMlgkdEWUa3KUwP3LST+/D1f5iR+O4BDchlgUfsgsvvChQ4JwrqENuUtieIUgemF2tBEP3XAg=="
