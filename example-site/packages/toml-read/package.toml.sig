[[signature]]
key = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
sig = "MR5D+fbfwen7FsRggbnp9Up2EEnZj7qCNDhqHfCK4VnB/0Wm+6BcwWSZ1Sow3TmyJEGBea/Dcp2RRPwGj17iDg=="
