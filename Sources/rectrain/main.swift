print("rectrain")
