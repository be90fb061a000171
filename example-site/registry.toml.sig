[[signature]]
key = "ed25519:Olv1I3oP3ST50SRxhEAk4Zwkete9Vnwk3smZWIw+EI4="
sig = "UqOKtwVQaR7mgetVhS73WIsidkehQaMNkILP6JUyAM4gVt/P5P/4YXxx1O9bFc5C5KglL1FB/0yMtqPSBT0VCQ=="
