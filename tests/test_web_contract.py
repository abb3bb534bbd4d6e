"""The API against its own OpenAPI description (/api/openapi.json), with
schemathesis driving the Flask app in-process: requests generated from the
description, valid and invalid, on the sample posts' index. Every answer
must have a documented status and error code, match its schema and content
type, and never be a 5xx; invalid requests must be refused (4xx) and valid
ones accepted, except where a limit the schema cannot state applies.

The default suite runs derandomized with a bounded number of examples per
operation (the same requests every run); `-m reliability` runs fresh random
ones, BLOGSEARCH_CONTRACT_EXAMPLES per operation (default 1,000).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from web import create_app
from web.openapi import openapi_spec

# 4xx answers to requests the description calls valid, for limits it cannot
# state: page × per_page and from ≤ to (two parameters at once), sizes in
# bytes (URLs, bodies) where the schema counts characters, and Markdown
# drafts whose front matter is not YAML or that render to no text at all.
LIMITS_OUTSIDE_THE_SCHEMA = {
    400: {"page_out_of_range", "invalid_date_range"},
    413: {"payload_too_large", "draft_too_large"},
    414: {"uri_too_long"},
}
MARKDOWN_LIMITS = {400: {"invalid_draft", "missing_body"}}
ACCEPTED = {200, 204, 304, 404}  # 204: the log endpoints (POST /api/searched, /api/opened)
REFUSED = [400, 404, 405, 413, 414, 415]  # an invalid request refused for its size is refused too

_COMMON: dict[str, Any] = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
DERANDOMIZED = settings(max_examples=50, derandomize=True, **_COMMON)
RANDOM = settings(max_examples=int(os.environ.get("BLOGSEARCH_CONTRACT_EXAMPLES", "1000")),
                  derandomize=False, **_COMMON)

# the built-in acceptance checks are replaced by the two below
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "negative_data_rejection": {"enabled": False, "expected-statuses": REFUSED},
    "positive_data_acceptance": {"enabled": False},
}})
schema = schemathesis.openapi.from_dict(openapi_spec(), config=CONFIG)


def valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis's positive_data_acceptance, allowing LIMITS_OUTSIDE_THE_SCHEMA."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code in ACCEPTED:
        return
    code = None
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        code = (response.json().get("error") or {}).get("code")
    allowed = set(LIMITS_OUTSIDE_THE_SCHEMA.get(response.status_code, ()))
    if (case.media_type or "").startswith("text/markdown"):
        allowed |= MARKDOWN_LIMITS.get(response.status_code, set())
    assert code in allowed, f"a valid request was refused: {response.status_code} {response.text[:200]}"


def invalid_requests_are_refused(ctx: Any, response: Any, case: Any) -> Any:
    """schemathesis's negative_data_rejection, except for Markdown bodies of
    another JSON type: any text is Markdown, so "not a string" cannot be sent."""
    if (case.media_type or "").startswith("text/markdown") and not isinstance(case.body, (str, bytes)):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance, response_headers_conformance]
ADDITIONAL_CHECKS = [invalid_requests_are_refused, valid_requests_are_accepted]


@pytest.fixture(scope="module")
def api_app(index_dir: Path) -> Flask:
    return create_app({"TESTING": True, "INDEX": str(index_dir), "TIMEZONE": "Asia/Tokyo", "QUERY_LOG": ""})


def _reliability_enabled(config: pytest.Config) -> bool:
    return ("reliability" in (config.getoption("markexpr") or "")
            or os.environ.get("BLOGSEARCH_RELIABILITY") == "1")


@schema.parametrize()
@DERANDOMIZED
def test_api_keeps_its_contract(case: Any, api_app: Flask) -> None:
    case.call_and_validate(app=api_app, checks=CHECKS, additional_checks=ADDITIONAL_CHECKS)


@pytest.mark.reliability
@schema.parametrize()
@RANDOM
def test_api_keeps_its_contract_randomly(case: Any, api_app: Flask, request: pytest.FixtureRequest) -> None:
    if not _reliability_enabled(request.config):
        pytest.skip("random cases: run with -m reliability or BLOGSEARCH_RELIABILITY=1")
    case.call_and_validate(app=api_app, checks=CHECKS, additional_checks=ADDITIONAL_CHECKS)
