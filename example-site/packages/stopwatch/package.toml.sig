[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "2uKQul74BK+0orJBJyjB1DpvP5BNNSlopObHO2DZ+zVvYNtW+4mLrKhAJ4zly0fV4a987XjUEhRzbl2fn3P9DA=="
