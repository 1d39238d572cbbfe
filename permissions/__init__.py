"""Who may do what (classes.py), and which rows each caller sees (scoping.py)."""
