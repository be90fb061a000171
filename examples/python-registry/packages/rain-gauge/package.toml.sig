[[signature]]
key = "ed25519:uRWpHMKZcSQ4vZm5gTswZRYbSoaKmlcC032c8+JqOZo="
sig = "f2sl0rgmixMITOvwFcK1LPsZz3NzmrgkJc+q40fASM011Jb33TLjdIHIryHdV5Mp3Gpw0JxQ4lvBlCe55VNWDw=="
