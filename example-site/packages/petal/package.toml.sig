[[signature]]
key = "ed25519:fOX3vCJEsd7CfPWVOOtxL+bpLUd3fJkb0rw2BKE2Rgo="
sig = "FOHrOH8ddIJEWOLwGNFZVvCdfHiulKbcZgK3be3Od7O3Pczv4fUNrXeUX0k3kWg64f+3NLWNYFBrgqnaH2tVDA=="
