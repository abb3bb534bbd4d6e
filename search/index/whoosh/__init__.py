"""Every use of Whoosh's private API, in one place (see INTERNALS.md)."""
