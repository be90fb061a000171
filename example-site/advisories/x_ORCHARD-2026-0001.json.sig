[[signature]]
key = "ed25519:Olv1I3oP3ST50SRxhEAk4Zwkete9Vnwk3smZWIw+EI4="
sig = "aoU2u3j+veYLUFuueiDXOIwbStzTIEz3tG7moS3ILqoV0F75pwN/SmqoTs2TSv3FCrRv4ZoxZd9rMFMnu4BtCA=="
