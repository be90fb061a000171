[[signature]]
key = "ed25519:uRWpHMKZcSQ4vZm5gTswZRYbSoaKmlcC032c8+JqOZo="
sig = "F7sE1UKNadqm5o+U1o5DKazbMeKk+DnCruo6Opsb8ooUe2qBfAbWYmlh3ksd7jp53gJ3j3bA8nnVQQrFI8zQDw=="
