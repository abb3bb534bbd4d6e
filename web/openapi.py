"""The OpenAPI 3 description of the JSON API (served at /api/openapi.json).

`tests/test_web_api.py` checks it against the Flask routes and real answers.
"""

from __future__ import annotations

import copy
from typing import Any

from search.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from web.params import DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW, MAX_TAGS, MAX_VALUE_CHARS

_STR = {"type": "string"}
_STR_LIST = {"type": "array", "items": _STR}
_FACETS = {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"},
                        "Cache-Control": {"$ref": "#/components/headers/CacheControl"}},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, **extra}


_COMMON_ERRORS = {
    "304": {"description": "Not modified: the `If-None-Match` ETag is current."},
    "400": _error("A parameter is invalid (code says which: `invalid_page`, `query_too_long`, "
                  "`invalid_encoding`, ...)."),
    "405": _error("Only GET (and HEAD) are allowed."),
    "413": _error("A request body was sent (at most 4096 bytes are accepted; none is read)."),
    "414": _error("The URL is longer than 4096 bytes."),
    "503": _error("The index is missing, being built, or from another blogsearch version."),
}

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _STR}
_LIMIT = _query("limit", "Most related posts to return (`invalid_limit` otherwise).",
                {"type": "integer", "minimum": 1, "maximum": 20, "default": 5})
_DRAFT_MAX_BYTES = 256 * 1024  # web.editor.DRAFT_MAX_BYTES (not imported: web.editor imports this package)

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "blogsearch API",
        "version": "1",
        "description": (
            "Full-text search over a Japanese blog. All answers are JSON in UTF-8. "
            "Errors are `{\"error\": {\"code\", \"message\"}}`. Search answers carry an ETag "
            "that changes when the index changes; send it back in `If-None-Match` to get 304."
        ),
    },
    "paths": {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Search posts",
                "description": (
                    "Ranked posts for a query, with highlighted snippets and facet counts over "
                    "the whole result set. With no `q` but a filter, the matching posts are "
                    "listed newest first. With neither, the result is empty."
                ),
                "parameters": [
                    _query("q", f"What the reader typed (at most {MAX_QUERY_CHARS} characters "
                           "after collapsing white space). Never parsed as query syntax.",
                           {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                    _query("tag", f"Only posts with this tag; repeatable, all must match "
                           f"(at most {MAX_TAGS}).",
                           {"type": "array", "maxItems": MAX_TAGS,
                            "items": {"type": "string", "maxLength": MAX_VALUE_CHARS}},
                           style="form", explode=True),
                    _query("category", "Only posts in this category.",
                           {"type": "string", "maxLength": MAX_VALUE_CHARS}),
                    _query("author", "Only posts by this author.",
                           {"type": "string", "maxLength": MAX_VALUE_CHARS}),
                    _query("from", "Only posts on or after this day (the blog's time zone).",
                           {"type": "string", "format": "date"}),
                    _query("to", "Only posts on or before this day (inclusive).",
                           {"type": "string", "format": "date"}),
                    _query("sort", "`relevance` (default) or `date` (newest first).",
                           {"type": "string", "enum": ["relevance", "date"], "default": "relevance"}),
                    _query("page", f"Page number; page × per_page may be at most {MAX_RESULT_WINDOW}.",
                           {"type": "integer", "minimum": 1, "default": 1}),
                    _query("per_page", "Hits per page.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": DEFAULT_PER_PAGE}),
                ],
                "responses": {"200": _ok("SearchResult", "One page of results."), **_COMMON_ERRORS},
            }
        },
        "/api/suggest": {
            "get": {
                "operationId": "suggest",
                "summary": "Completions for what the reader is typing",
                "description": (
                    "Post titles, tags and frequent words that start with the query's last word "
                    "(titles: with any word of the title), most frequent first. Kana and romaji "
                    "also complete words written in kanji (`こうそ`, `kouso` → 高速). "
                    "Fast enough to call on every keystroke. An empty `q` gives no suggestions."
                ),
                "parameters": [
                    _query("q", f"What the reader has typed so far (at most {MAX_QUERY_CHARS} "
                           "characters after collapsing white space).",
                           {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                    _query("limit", "Most suggestions to return (`invalid_limit` otherwise).",
                           {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS,
                            "default": DEFAULT_SUGGESTIONS}),
                ],
                "responses": {"200": _ok("SuggestResult", "Suggestions, most frequent first."),
                              **_COMMON_ERRORS},
            }
        },
        "/api/tags": {
            "get": {
                "operationId": "tags",
                "summary": "All tags and categories with their number of posts",
                "responses": {"200": _ok("Facets", "Every tag and category, most used first."),
                              **_COMMON_ERRORS},
            }
        },
        "/api/posts/{slug}": {
            "get": {
                "operationId": "post",
                "summary": "One post's metadata",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": _STR}],
                "responses": {"200": _ok("Post", "The post (without its body)."),
                              "404": _error("No post with this slug is indexed."),
                              **_COMMON_ERRORS},
            }
        },
        "/api/related/{slug}": {
            "get": {
                "operationId": "relatedPosts",
                "summary": "Posts related to a post",
                "description": (
                    "The posts sharing the most key content words (nouns weigh most) and tags "
                    "with this post, best first; each names the shared words and tags."
                ),
                "parameters": [_SLUG, _LIMIT],
                "responses": {"200": _ok("RelatedResult", "Related posts, best first."),
                              "404": _error("No post with this slug is indexed (`post_not_found`)."),
                              **_COMMON_ERRORS},
            }
        },
        "/api/related": {
            "post": {
                "operationId": "relatedToDraft",
                "summary": "Related posts, suggested tags and repeated passages for a draft",
                "description": (
                    "The draft is JSON (`{\"title\", \"body\", \"tags\"?}`; `body` is taken as "
                    "plain text and offsets in `duplicates` point into it) or a Markdown file "
                    "(`Content-Type: text/markdown`, UTF-8, YAML front matter with `title`, "
                    "`tags`, `categories` optional; offsets point into its plain text). "
                    "The answer adds `duplicates`: paragraphs repeated inside the draft and "
                    "passages it shares with posts. Nothing is stored. Not cached."
                ),
                "parameters": [_LIMIT],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Draft"}},
                    "text/markdown": {"schema": {"type": "string", "maxLength": _DRAFT_MAX_BYTES}},
                }},
                "responses": {
                    "200": {"description": "Related posts, tags to add, repeated passages.",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/DraftResult"}}}},
                    "400": _error("Invalid JSON (`invalid_json`), no body text (`missing_body`), "
                                  "bad `tags` or `title`, unreadable front matter (`invalid_draft`), "
                                  "not UTF-8, or a bad `limit`."),
                    "405": _error("Only POST is allowed."),
                    "413": _error(f"The body is over {_DRAFT_MAX_BYTES} bytes (`payload_too_large`) "
                                  "or the draft over 200,000 characters (`draft_too_large`)."),
                    "415": _error("Neither `application/json` nor `text/markdown`."),
                    "503": _COMMON_ERRORS["503"],
                },
            }
        },
        "/api/duplicates/{slug}": {
            "get": {
                "operationId": "duplicates",
                "summary": "Repeated passages of a post",
                "description": (
                    "Paragraphs repeated inside the post (`exact`, `near`, `contained`) and "
                    "passages it shares with other posts, each with both locations "
                    "(paragraph number and character offsets into the post's plain text)."
                ),
                "parameters": [_SLUG],
                "responses": {"200": _ok("DuplicateReport", "The post's repeated passages."),
                              "404": _error("No post with this slug is indexed (`post_not_found`)."),
                              **_COMMON_ERRORS},
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "responses": {"200": {"description": "OpenAPI 3 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process is alive",
                "responses": {"200": {"description": "Alive", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}}},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "The index opens and has posts",
                "responses": {"200": {"description": "Ready", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ready"}}}},
                    "503": _error("Not ready: no index, an unreadable index, or no posts.")},
            }
        },
    },
    "components": {
        "headers": {
            "ETag": {"description": "Changes when the index or the URL changes.", "schema": _STR},
            "CacheControl": {"description": "`public, max-age=60`", "schema": _STR},
        },
        "schemas": {
            "FacetValue": {
                "type": "object", "required": ["value", "count"],
                "properties": {"value": _STR, "count": {"type": "integer", "minimum": 1}},
            },
            "Facets": {
                "type": "object", "required": ["tags", "categories"],
                "properties": {"tags": _FACETS, "categories": _FACETS},
            },
            "Hit": {
                "type": "object",
                "required": ["slug", "url", "title", "title_html", "date", "tags", "categories",
                             "author", "excerpt", "score", "snippet_html"],
                "properties": {
                    "slug": _STR,
                    "url": {"type": "string", "description": "The post's URL on the blog."},
                    "title": _STR,
                    "title_html": {"type": "string", "description":
                                   "The title as escaped HTML; matched words in `<mark>` (the only markup)."},
                    "date": {"type": "string", "format": "date-time",
                             "description": "ISO 8601 with the post's UTC offset."},
                    "tags": _STR_LIST,
                    "categories": _STR_LIST,
                    "author": _STR,
                    "excerpt": _STR,
                    "score": {"type": "number"},
                    "snippet_html": {"type": "string", "description":
                                     "About 120-160 characters of the body around the best matches, "
                                     "escaped HTML with `<mark>` as the only markup."},
                },
            },
            "SearchResult": {
                "type": "object",
                "required": ["query", "total", "page", "per_page", "hits", "facets"],
                "properties": {
                    "query": {"type": "string", "description": "The query as searched (cleaned)."},
                    "total": {"type": "integer", "description": "Posts matching (all pages)."},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {"allOf": [{"$ref": "#/components/schemas/Facets"}], "description":
                               "Counts over the whole result set (not just this page); "
                               "at most 30 values each."},
                },
            },
            "Suggestion": {
                "type": "object", "required": ["text", "kind", "count"],
                "properties": {
                    "text": {"type": "string", "description":
                             "What the search box should hold when this is chosen (words typed "
                             "before the completed one included; a title as is)."},
                    "kind": {"type": "string", "enum": ["title", "tag", "term"]},
                    "count": {"type": "integer", "minimum": 1, "description":
                              "Posts with this title, this tag, or this word (title, tags or body)."},
                    "slug": {"type": "string", "description": "Titles only: the newest post with this title."},
                    "url": {"type": "string", "description": "Titles only: that post's URL."},
                },
            },
            "SuggestResult": {
                "type": "object", "required": ["query", "suggestions"],
                "properties": {
                    "query": {"type": "string", "description": "The query as completed (cleaned)."},
                    "suggestions": {"type": "array", "maxItems": MAX_SUGGESTIONS,
                                    "items": {"$ref": "#/components/schemas/Suggestion"}},
                },
            },
            "Post": {
                "type": "object",
                "required": ["slug", "url", "title", "date", "tags", "categories", "author", "excerpt"],
                "properties": {"slug": _STR, "url": _STR, "title": _STR,
                               "date": {"type": "string", "format": "date-time"},
                               "tags": _STR_LIST, "categories": _STR_LIST, "author": _STR,
                               "excerpt": _STR},
            },
            "Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string", "description": "Stable, machine-readable."},
                                   "message": {"type": "string", "description": "For people."}},
                }},
            },
            "RelatedPost": {
                "type": "object",
                "required": ["slug", "url", "title", "score", "shared_terms", "shared_tags",
                             "shared_categories", "tags"],
                "properties": {
                    "slug": _STR, "url": _STR, "title": _STR,
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "shared_terms": {**_STR_LIST, "description":
                                     "Words of the source this post also uses, strongest first."},
                    "shared_tags": _STR_LIST, "shared_categories": _STR_LIST,
                    "tags": {**_STR_LIST, "description": "All of this post's tags."},
                },
            },
            "RelatedResult": {
                "type": "object", "required": ["slug", "title", "key_terms", "related"],
                "properties": {
                    "slug": _STR, "title": _STR,
                    "key_terms": {**_STR_LIST, "description": "The words the search used, strongest first."},
                    "related": {"type": "array", "items": {"$ref": "#/components/schemas/RelatedPost"}},
                },
            },
            "Draft": {
                "type": "object", "required": ["body"],
                "properties": {
                    "title": _STR,
                    "body": {"type": "string", "minLength": 1, "description": "Plain text (Markdown is fine)."},
                    "tags": {"type": "array", "maxItems": 20, "items": _STR,
                             "description": "Tags already chosen (a comma-separated string is accepted too)."},
                },
            },
            "SuggestedTag": {
                "type": "object", "required": ["tag", "score"],
                "properties": {"tag": _STR, "score": {"type": "number", "minimum": 0, "maximum": 1,
                                                      "description": "Share of the closest posts' similarity carrying the tag."}},
            },
            "DraftResult": {
                "type": "object", "required": ["title", "key_terms", "related", "suggested_tags", "duplicates"],
                "properties": {
                    "title": _STR,
                    "key_terms": _STR_LIST,
                    "related": {"type": "array", "items": {"$ref": "#/components/schemas/RelatedPost"}},
                    "suggested_tags": {"type": "array", "items": {"$ref": "#/components/schemas/SuggestedTag"}},
                    "duplicates": {"$ref": "#/components/schemas/DuplicateReport"},
                },
            },
            "Location": {
                "type": "object", "required": ["slug", "paragraph", "start", "end"],
                "properties": {"slug": {"type": "string", "description": "Empty for a draft."},
                               "paragraph": {"type": "integer", "description": "0-based."},
                               "start": {"type": "integer", "description": "Character offset into the plain text."},
                               "end": {"type": "integer"}},
            },
            "Repeat": {
                "type": "object",
                "required": ["kind", "similarity", "first", "second", "chars", "excerpt", "posts"],
                "properties": {
                    "kind": {"type": "string", "enum": ["exact", "near", "contained", "sentence"]},
                    "similarity": {"type": "number"},
                    "first": {"allOf": [{"$ref": "#/components/schemas/Location"}],
                              "description": "The earlier paragraph, or the other post's."},
                    "second": {"allOf": [{"$ref": "#/components/schemas/Location"}],
                               "description": "The repeating paragraph of the checked text."},
                    "chars": {"type": "integer"}, "excerpt": _STR,
                    "posts": {"type": "integer", "description": "Across posts: other posts with the passage."},
                },
            },
            "DuplicateReport": {
                "type": "object",
                "required": ["slug", "title", "paragraphs", "repeated", "shared",
                             "repeated_chars", "shared_chars"],
                "properties": {
                    "slug": {"type": "string", "description": "Empty for a draft."},
                    "title": _STR, "paragraphs": {"type": "integer"},
                    "repeated": {"type": "array", "items": {"$ref": "#/components/schemas/Repeat"},
                                 "description": "Inside the text."},
                    "shared": {"type": "array", "items": {"$ref": "#/components/schemas/Repeat"},
                               "description": "With other posts."},
                    "repeated_chars": {"type": "integer"}, "shared_chars": {"type": "integer"},
                },
            },
            "Health": {"type": "object", "required": ["status"], "properties": {"status": _STR}},
            "Ready": {
                "type": "object", "required": ["status", "generation", "posts"],
                "properties": {"status": _STR, "generation": {"type": "integer"},
                               "posts": {"type": "integer"}},
            },
        },
    },
}


def openapi_spec() -> dict[str, Any]:
    """The description (a copy: callers may change it)."""
    return copy.deepcopy(SPEC)
