[[signature]]
key = "ed25519:fOX3vCJEsd7CfPWVOOtxL+bpLUd3fJkb0rw2BKE2Rgo="
sig = "htNIl5PCMiJLmNOr4dNKDAF93Ids3XRDDwdC26JYi4iu0h4DtNB+dU1KupH9T2AswpyiR1AogGjuo8S4KGrUAg=="
