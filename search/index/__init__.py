"""The write side: the index's schema and analyzers, building and updating
it, its folder and lock, and checking it against the posts."""
