[[signature]]
key = "ed25519:q9TAnwiZOAx51LoqA2iSwIrJWFYu3X52dgelHCucFJY="
sig = "sIvbg+T/bn+HqopukWUmMDwxlgPDOt5GKGLwnPBbRS32Hv4SQ/0Dasr3J6IGeqSzOOkKnYM7vSwV1NOznOhdBQ=="
