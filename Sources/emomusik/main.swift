print("emomusik")
