"""The library's exceptions. Messages are written for the person running blogsearch.

Every exception sits in one of four categories, and only the category
decides how a caller answers (the web layer maps them to HTTP statuses in
web/errors.py, nowhere else):

- NotFound: the thing asked for does not exist (a post's slug).
- TooLarge: the input is longer than the library analyses.
- Invalid: the caller must change what it gave (a parameter, a post file).
- Unavailable: the index or a resource it needs cannot be used right now.

Each class carries a stable `code` (a short snake_case name) that the web
layer puts in its JSON errors.
"""


class SearchError(Exception):
    """Base class for every error blogsearch reports to a user."""

    code = "search_unavailable"


class NotFound(SearchError):
    """Something asked for by name does not exist."""

    code = "not_found"


class TooLarge(SearchError):
    """An input over a size limit."""

    code = "too_large"


class Invalid(SearchError):
    """An input the caller must change."""

    code = "invalid_request"


class Unavailable(SearchError):
    """The index, or something the library needs, cannot be used."""

    code = "search_unavailable"


class PostError(Invalid):
    """A post file that cannot be read; names the file and the reason."""

    code = "invalid_post"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexNotFoundError(Unavailable):
    """No index at the given directory."""

    code = "index_unavailable"


class IndexUnreadableError(Unavailable):
    """An index this process has no permission to read (a folder or file
    mode, or a folder above it it cannot enter)."""

    code = "index_unavailable"


class SchemaVersionError(Unavailable):
    """The index was built by another version of the analysis or schema."""

    code = "index_unavailable"


class IndexWorkerError(Unavailable):
    """A process of a parallel build died (killed, out of memory); nothing
    was committed."""


class QueryError(Invalid):
    """A parameter of a search call out of range (a limit, a sort order).
    What a reader types never raises it."""

    code = "invalid_query"
