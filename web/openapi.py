"""The OpenAPI 3 description of the JSON API (served at /api/openapi.json).

`tests/test_web_api.py` checks it against the Flask routes and real answers.
"""

from __future__ import annotations

import copy
from typing import Any

from search.ingest.drafts import MAX_DRAFT_CHARS
from search.query.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from web.views.editor import DEFAULT_LIMIT, DRAFT_MAX_BYTES, MAX_LIMIT
from web.views.editor import MAX_TAGS as DRAFT_MAX_TAGS
from web.guards import MAX_CONTENT_LENGTH, MAX_URL_BYTES
from web.params import DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW, MAX_TAGS, MAX_VALUE_CHARS

_STR = {"type": "string"}
_STR_LIST = {"type": "array", "items": _STR}
_FACETS = {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
# what web.guards lets through in a URL: no control characters but tab and line ends
_NO_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# text with something in it: a character Python's str.strip() keeps
_NOT_BLANK = "[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_URL_CODES = ("invalid_encoding", "invalid_character")  # any URL (web.guards)
_UNAVAILABLE = ("index_unavailable", "search_unavailable")  # web.errors.describe, web.searching


def _text(**schema: Any) -> dict[str, Any]:
    """A string parameter (URL text: web.guards refuses control characters)."""
    return {"type": "string", "pattern": _NO_CONTROLS, **schema}


def _error(description: str, *codes: str) -> dict[str, Any]:
    """An error answer whose `error.code` is one of `codes`."""
    schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    if codes:
        schema = {"allOf": [schema], "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string", "enum": list(codes)}}}}}
    listed = ", ".join(f"`{c}`" for c in codes)
    return {"description": f"{description} ({listed})" if codes else description,
            "content": {"application/json": {"schema": schema}}}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"},
                        "Cache-Control": {"$ref": "#/components/headers/CacheControl"}},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An optional query parameter; an empty value (`to=`, as an HTML form
    sends an empty field) is the same as leaving it out. Free text admits ""
    as it is; numbers, dates and choices say so with `allowEmptyValue`."""
    typed = schema.get("type") not in ("string", "array") or "format" in schema or "enum" in schema
    return {"name": name, "in": "query", "required": False, **({"allowEmptyValue": True} if typed else {}),
            "description": f"{description} Empty is the same as absent.", "schema": schema, **extra}


def _errors(*bad_request: str, index: bool = True, cacheable: bool = True,
            method: str = "Only GET (and HEAD) are allowed.") -> dict[str, Any]:
    """The error answers every GET route under /api can give: `bad_request`
    are the 400 codes of its own parameters, besides the URL's."""
    out: dict[str, Any] = {}
    if cacheable:
        out["304"] = {"description": "Not modified: the `If-None-Match` ETag is current."}
    out["400"] = _error("A parameter or the URL is invalid", *bad_request, *_URL_CODES)
    out["405"] = _error(method, "method_not_allowed")
    out["413"] = _error(f"A request body was sent (at most {MAX_CONTENT_LENGTH} bytes are accepted; "
                        "none is read)", "payload_too_large")
    out["414"] = _error(f"The URL is longer than {MAX_URL_BYTES} bytes", "uri_too_long")
    if index:
        out["503"] = _error("The index is missing, being built, unreadable, or from another "
                            "blogsearch version", *_UNAVAILABLE)
    return out


_BUSY = _error("The index is unavailable, or the worker is busy with other editor requests "
               "(`busy`; retry after the `Retry-After` seconds)", *_UNAVAILABLE, "busy")

_SEARCH_CODES = ("query_too_long", "value_too_long", "too_many_tags", "invalid_date",
                 "invalid_date_range", "invalid_sort", "invalid_page", "invalid_per_page",
                 "page_out_of_range")
_NOT_FOUND = _error("No post with this slug is indexed", "post_not_found")
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _text(minLength=1)}
_LIMIT = _query("limit", "Most related posts to return (`invalid_limit` otherwise).",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})

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
                           _text(maxLength=MAX_QUERY_CHARS)),
                    _query("tag", f"Only posts with this tag; repeatable, all must match "
                           f"(at most {MAX_TAGS}).",
                           {"type": "array", "maxItems": MAX_TAGS,
                            "items": _text(maxLength=MAX_VALUE_CHARS)},
                           style="form", explode=True),
                    _query("category", "Only posts in this category.", _text(maxLength=MAX_VALUE_CHARS)),
                    _query("author", "Only posts by this author.", _text(maxLength=MAX_VALUE_CHARS)),
                    _query("from", "Only posts on or after this day (the blog's time zone).",
                           {"type": "string", "format": "date"}),
                    _query("to", "Only posts on or before this day (inclusive).",
                           {"type": "string", "format": "date"}),
                    _query("sort", "`relevance` (default) or `date` (newest first).",
                           {"type": "string", "enum": ["relevance", "date"], "default": "relevance"}),
                    _query("page", f"Page number; page × per_page may be at most {MAX_RESULT_WINDOW}.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_RESULT_WINDOW, "default": 1}),
                    _query("per_page", "Hits per page.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": DEFAULT_PER_PAGE}),
                ],
                "responses": {"200": _ok("SearchResult", "One page of results."), **_errors(*_SEARCH_CODES)},
            }
        },
        "/api/searched": {
            "post": {
                "operationId": "searched",
                "summary": "Log a search the reader settled on",
                "description": (
                    "The search box calls this once per search, when the reader settles on it "
                    "(a pause, Enter, or a click), so the search log counts searches and not "
                    "keystrokes (`/api/search` logs nothing). Parameters as for `/api/search`, "
                    "in the query string; no body. The result count logged is the server's own. "
                    "Nothing about the reader is recorded."
                ),
                "parameters": [
                    _query("q", "The query.", _text(maxLength=MAX_QUERY_CHARS)),
                    _query("tag", "Tag filters, as for `/api/search`.",
                           {"type": "array", "maxItems": MAX_TAGS, "items": _text(maxLength=MAX_VALUE_CHARS)},
                           style="form", explode=True),
                ],
                "responses": {"204": {"description": "Logged (or logging is off)."},
                              **_errors(*_SEARCH_CODES, cacheable=False, method="Only POST is allowed.")},
            }
        },
        "/api/opened": {
            "post": {
                "operationId": "opened",
                "summary": "Log that a result of a search was opened",
                "description": (
                    "For the click-through rate per query in the editors' report. A slug that is "
                    "not indexed, or no `q`, is ignored. Nothing about the reader is recorded."
                ),
                "parameters": [
                    _query("q", "The query whose result was opened.", _text(maxLength=MAX_QUERY_CHARS)),
                    _query("slug", "The opened post's slug.", _text(maxLength=200)),
                    _query("rank", "Its place in the results, from 1.",
                           {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
                "responses": {"204": {"description": "Logged (or ignored)."},
                              **_errors("query_too_long", "value_too_long", "invalid_rank",
                                        cacheable=False, method="Only POST is allowed.")},
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
                           _text(maxLength=MAX_QUERY_CHARS)),
                    _query("limit", "Most suggestions to return (`invalid_limit` otherwise).",
                           {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS,
                            "default": DEFAULT_SUGGESTIONS}),
                ],
                "responses": {"200": _ok("SuggestResult", "Suggestions, most frequent first."),
                              **_errors("query_too_long", "invalid_limit")},
            }
        },
        "/api/tags": {
            "get": {
                "operationId": "tags",
                "summary": "All tags and categories with their number of posts",
                "responses": {"200": _ok("Facets", "Every tag and category, most used first."),
                              **_errors()},
            }
        },
        "/api/posts/{slug}": {
            "get": {
                "operationId": "post",
                "summary": "One post's metadata",
                "parameters": [_SLUG],
                "responses": {"200": _ok("Post", "The post (without its body)."),
                              "404": _NOT_FOUND, **_errors(), "503": _BUSY},
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
                              "404": _NOT_FOUND, **_errors("invalid_limit")},
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
                    "text/markdown": {"schema": {"type": "string", "pattern": _NOT_BLANK,
                                                 "maxLength": DRAFT_MAX_BYTES}},
                }},
                "responses": {
                    "200": {"description": "Related posts, tags to add, repeated passages.",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/DraftResult"}}}},
                    "400": _error("Unreadable JSON or JSON that is not an object, no body text, "
                                  "bad `tags` or `title`, unreadable front matter, Markdown that is "
                                  "not UTF-8, a bad `limit` or URL",
                                  "invalid_json", "missing_body", "invalid_tags", "invalid_title",
                                  "invalid_draft", "invalid_limit", *_URL_CODES),
                    "405": _error("Only POST is allowed", "method_not_allowed"),
                    "413": _error(f"The body is over {DRAFT_MAX_BYTES} bytes, or the draft over "
                                  f"{MAX_DRAFT_CHARS:,} characters", "payload_too_large", "draft_too_large"),
                    "414": _errors()["414"],
                    "415": _error("Neither `application/json` nor `text/markdown`",
                                  "unsupported_media_type"),
                    "503": _BUSY,
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
                              "404": _NOT_FOUND, **_errors()},
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "responses": {"200": {"description": "OpenAPI 3 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              **_errors(index=False, cacheable=False)},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process is alive",
                "responses": {"200": {"description": "Alive", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}},
                    **_errors(index=False, cacheable=False)},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "The index opens and has posts",
                "responses": {"200": {"description": "Ready", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ready"}}}},
                    **_errors(index=False, cacheable=False),
                    "503": _error("Not ready: no index, an unreadable index, or no posts",
                                  *_UNAVAILABLE, "index_empty")},
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
                             "author", "excerpt", "score", "snippet_html", "section", "sections"],
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
                    "section": {
                        "oneOf": [{"type": "null"}, {
                            "type": "object", "required": ["title", "url"],
                            "properties": {"title": _STR, "url": _STR}}],
                        "description": "The heading of the section the snippet is from, and the "
                                       "post's URL with that heading's id (as Jekyll gives it); "
                                       "null before the first heading."},
                    "sections": {
                        "type": "array", "maxItems": 3,
                        "items": {"type": "object", "required": ["title", "url", "snippet_html"],
                                  "properties": {"title": _STR, "url": _STR, "snippet_html": _STR}},
                        "description": "A long post's best-matching sections (none, or two to three), "
                                       "each with its own snippet."},
                },
            },
            "SearchResult": {
                "type": "object",
                "required": ["query", "total", "page", "per_page", "hits", "facets", "did_you_mean"],
                "properties": {
                    "query": {"type": "string", "description": "The query as searched (cleaned)."},
                    "total": {"type": "integer", "description": "Posts matching (all pages)."},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {"allOf": [{"$ref": "#/components/schemas/Facets"}], "description":
                               "Counts over the whole result set (not just this page); "
                               "at most 30 values each."},
                    "did_you_mean": {"type": "string", "nullable": True, "description":
                                     "When nothing is found, or a piece of the query is written "
                                     "as no post writes it: a respelt query that finds many more "
                                     "posts (「ディスク仕様量」→「ディスク使用量」), else null."},
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
                    "title": {"type": "string", "nullable": True, "description": "null is no title."},
                    "body": {"type": "string", "pattern": _NOT_BLANK, "maxLength": MAX_DRAFT_CHARS,
                             "description": "Plain text (Markdown is fine), not only white space."},
                    "tags": {"anyOf": [{"type": "array", "maxItems": DRAFT_MAX_TAGS, "items": _STR, "nullable": True},
                                       {"type": "string"}],
                             "description": "Tags already chosen: a list, or one string of tags separated "
                                            f"by commas, 、 or new lines (the first {DRAFT_MAX_TAGS} are used); null is none."},
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
