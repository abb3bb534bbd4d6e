"""Reading a Jekyll site: its configuration, its posts (one folder walker),
their front matter and Markdown as plain text, and editors' drafts."""
