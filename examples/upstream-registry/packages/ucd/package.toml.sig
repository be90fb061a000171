[[signature]]
key = "ed25519:llqi/pYKW2b+TDTz3bVEk9n5ztd8EQ9rbyeRg88r+Xk="
sig = "YvhbxGqRrLifJaSn4jw/HuTVN+frZ0/6mBvQv28lCIuYOV4XLGY1PVeiTO1QXOKfX06v/ItZU/O9PtpJv8X0Aw=="
