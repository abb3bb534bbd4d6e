"""Japanese text: the morphological analyser (the only fugashi import),
kana readings, key terms, repeated passages and snippets."""
