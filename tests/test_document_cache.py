"""A document sent again is neither parsed nor validated again, and the limits still hold
for it (a refused document stays refused)."""

from __future__ import annotations

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from gql.schema import DOCUMENT_CACHE_SIZE, MAX_DEPTH
from tests.conftest import PROVINCE, Api
from tests.differential.harness import DifferentialTransport

# (User.unreadNoticeCount has no SQL form: strawberry answers it on both paths, every time.)
READ = "{ me { displayName organization { code kind cityCategory } unreadNoticeCount } }"


def _too_deep() -> str:
    query = "code"
    for _ in range(MAX_DEPTH):
        query = f"parent {{ {query} }}"
    return f"{{ me {{ organization {{ {query} }} }} }}"


async def test_the_same_document_is_parsed_and_validated_once(api: Api) -> None:
    token = await api.token(PROVINCE)
    parse = _get_parse_cache(DOCUMENT_CACHE_SIZE)
    validate = _get_validate_cache(DOCUMENT_CACHE_SIZE)
    # A text no earlier test sent: the first request misses, the next ones hit.
    query = READ
    first = await api.data(query, token=token)
    parsed, validated = parse.cache_info(), validate.cache_info()
    # Every read runs on both read paths (tests/differential), and the compiled app gets
    # it once more (the fast lane's replay, which strawberry answers: see READ).
    paths = 3 if isinstance(api.client._transport, DifferentialTransport) else 1
    for _ in range(3):
        assert await api.data(query, token=token) == first
    assert parse.cache_info().hits - parsed.hits == 3 * paths
    assert validate.cache_info().hits - validated.hits == 3 * paths
    assert validate.cache_info().misses == validated.misses

    for _ in range(2):
        refused = await api.post(_too_deep(), token=token)
        assert "depth" in refused["errors"][0]["message"], refused
