[[signature]]
key = "ed25519:llqi/pYKW2b+TDTz3bVEk9n5ztd8EQ9rbyeRg88r+Xk="
sig = "RIhzPBIfROvDdtRXxF5WGcy0xb7Jae10b6817n6XwEf6ErVNhZpCtEkn1F6Vr5L89lRh4VdMtul5dJdtTBPNAA=="
