[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "cnWqEoO8G2dea8IXkiFqHvyuLifD8+jIHV8toobtrRTBNyCVUANLEa7lmaMad+xTBuJ/88h82EkTav5EdVQiDQ=="

[[signature]]
key = "ed25519:fOX3vCJEsd7CfPWVOOtxL+bpLUd3fJkb0rw2BKE2Rgo="
sig = "SebV3GgGSrBAj6x4y7rMfIP1sF3BPwqog6lY5jtlSWpQj8QAsCYCGjK58q5O9Z3gQze+uR8UR5WqyeFSlnQdBw=="
