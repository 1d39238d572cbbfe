from tests.conftest import PROVINCE, Api


async def test_login_and_catalog(api: Api) -> None:
    token = await api.token(PROVINCE)
    data = await api.data("{ taskCatalog { number title children { number } } }", token=token)
    assert len(data["taskCatalog"]) == 45
