"""The library's exceptions. Messages are written for the person running blogsearch."""


class SearchError(Exception):
    """Base class for every error blogsearch reports to a user."""


class PostError(SearchError):
    """A post file that cannot be read; names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DuplicateSlugError(SearchError):
    """Two post files map to the same slug."""


class IndexNotFoundError(SearchError):
    """No index at the given directory."""


class IndexUnreadableError(SearchError):
    """An index this process has no permission to read (a folder or file
    mode, or a folder above it it cannot enter)."""


class SchemaVersionError(SearchError):
    """The index was built by another version of the analysis or schema."""


class IndexWorkerError(SearchError):
    """A process of a parallel build died (killed, out of memory); nothing
    was committed."""


class QueryError(SearchError):
    """A query the caller must change (only in strict mode; readers never see it)."""
