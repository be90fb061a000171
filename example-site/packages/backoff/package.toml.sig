[[signature]]
key = "ed25519:fOX3vCJEsd7CfPWVOOtxL+bpLUd3fJkb0rw2BKE2Rgo="
sig = "USP3XQwCWuWPhu7LCIIioqikeUbds3ju6IRSntxXkY1rwGUgxh0N7SyGdnL29dZrqAU7ssCdjgoRAwxCnAEgAw=="
