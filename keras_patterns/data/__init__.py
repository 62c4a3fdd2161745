"""Data loaders and generators of the keras-patterns course, one module per data family."""
