[[signature]]
key = "ed25519:MVYqMCY8Per3u1N8AWuq+NKYWC7YQ3RkQi9/oVoYlQw="
sig = "Wempfcw+C1XxECQZ0jdJ8prTvgzTrG7eAoviVXNIwBegs/Q0ruSE2RBxswusS2N6xh8dZUdljtIl3CbtDHYZAw=="
