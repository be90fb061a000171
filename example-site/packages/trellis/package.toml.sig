[[signature]]
key = "ed25519:MVYqMCY8Per3u1N8AWuq+NKYWC7YQ3RkQi9/oVoYlQw="
sig = "J1/fgEC6E3XaMWzywj20P51UIoMfeDEOx/yHdzcdoeGfSTutSXdG6b1IRdwoC9DhVXADG1lkEurQEwLBHFntDg=="
