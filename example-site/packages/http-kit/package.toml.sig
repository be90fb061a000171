[[signature]]
key = "ed25519:MVYqMCY8Per3u1N8AWuq+NKYWC7YQ3RkQi9/oVoYlQw="
sig = "VYkOWDhJoJmaI8kRA/2iVYjm8HGzBeItf81dWPIYH0+cROUWOHj8JDTEkitay6D2FGqrXZMWaraVc6Myegw7Cw=="

[[signature]]
key = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
sig = "3IjUAAIgWAHedAJD2lRlXZxILPdiK0sS4KblViXJrll/bV26M9Ytm1ZWV/pvnbu/bXqhV+AbUp1Q5cKHQYXIBg=="
