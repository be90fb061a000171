[[signature]]
key = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
sig = "GZuvYTN6YnhWlnxm9WmEaCeVV1O/QymnMUp3WPq7BXkxZFfuy30tGm3V1js2XKmQrtk1eGnCfcip3eD7jFgfCA=="
