[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "LzTM2BRr1NbqsS3P9Poe1KoCIb5nR5MnYuY5uPvuoWV17dd+l9ApW8Xy4e+A5hlNJifD8/fvRSc8eaUhlO2wDQ=="
