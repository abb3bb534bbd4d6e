"""The read side: planning a reader's query, ranking (BM25F), hits with
snippets and facets, completions, and the per-segment tables they share."""
