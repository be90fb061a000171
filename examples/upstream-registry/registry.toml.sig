[[signature]]
key = "ed25519:I/PafjadTha+sg8bv+ZrRXA12nyG7WzH1aDiwnpVsxU="
sig = "svzg1lzt85ZJ6DFhnfNCSE8bTrbrdwMlylWgVAGG5gfgco6z9cOMScgnzWlgak1+OMW/hXDhlkfvkCBaCsa8Dg=="
