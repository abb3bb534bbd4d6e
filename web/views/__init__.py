"""The routes: JSON API, search pages, editor pages, health checks, widget."""
