[[signature]]
key = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
sig = "C5LKJz6kol5iUYTdwcFyXFCOyYp2ZbD1bSo8u//8Zw3wlVxfZtv4Ugwu0Zg85AJhS08LfTq6Z+kzNC0yAVpPDQ=="
