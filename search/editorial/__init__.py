"""Editors' tools over the index: related articles, repeated passages, and
the log of what readers searched for."""
