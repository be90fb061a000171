[[signature]]
key = "ed25519:MVYqMCY8Per3u1N8AWuq+NKYWC7YQ3RkQi9/oVoYlQw="
sig = "NKCeWp6hcCn6oFvQCoP+gdgONhG+BBYyZDZb9r/wwhlOsL91agTJhH86f492//FEEz5JtkT0wMQGvmBDw3E0BQ=="

[[signature]]
key = "ed25519:RL7MKLGj7UGf/WjddDCaRbp7E/Gl/fTKSX02L5DbR5c="
sig = "JequgtcRckNom7S+ASXk87d5J+aww65pogx712hXEFUsddMyd/8r80Gw+VUKz950KehgW7ZpGaBVOFaPvhvQCQ=="
