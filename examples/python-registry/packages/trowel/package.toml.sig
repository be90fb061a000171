[[signature]]
key = "ed25519:uRWpHMKZcSQ4vZm5gTswZRYbSoaKmlcC032c8+JqOZo="
sig = "0WNzlJSd2Ub6rrjNM+KTNLX88uqJLU3ZrD/mxKys2lxM4zwA+sa1yuKDq7WHiuM4NGWh8fwsPSOwE6Ep5FbEAg=="
