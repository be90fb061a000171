[[signature]]
key = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
sig = "iDA6zdvimd0yohtfR6/rtQOxOSBQDnGly2iTcVXXQ+nA2AzcG+NsitU6/sYpK4MT6kyJSaRgyhO97cx4pjecDw=="
