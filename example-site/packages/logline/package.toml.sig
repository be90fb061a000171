[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "xCKERrX3gB8zr4WyXEKTwJjJY/Qet/ivmbyE9I11vKQU1Lkjn5+PjGMTqbwYIs9LG4Z+xTBI7ExGr3AoChqfDw=="
