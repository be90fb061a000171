[[signature]]
key = "ed25519:Olv1I3oP3ST50SRxhEAk4Zwkete9Vnwk3smZWIw+EI4="
sig = "Pv7v3YLtOsHhuWmR2ayGe4rUkpvG+ZVInoJpXPKEwihtBSLeliGhkM62gyCCepNLcWnFhF2Iz8hTwerm1fqkAg=="
