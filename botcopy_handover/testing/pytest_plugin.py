"""The pytest plugin: a local Botcopy and clients pointed at it, in every test that asks.

Registered through the ``pytest11`` entry point, so installing
``botcopy-handover[testing]`` is enough. Fixtures:

====================================  ===============================================
fixture                               gives
====================================  ===============================================
``botcopy``                           a running
[`BotcopyEmulator`][botcopy_handover.testing.pytest_plugin.BotcopyEmulator] (one per test)
``botcopy_settings``                  the emulator's settings; override it in a conftest
``botcopy_client``                    a [`Client`][botcopy_handover.Client] pointed at it
``botcopy_async_client``              an [`AsyncClient`][botcopy_handover.AsyncClient] (needs
                                      pytest-asyncio)
``botcopy_serve``                     ``serve(app) -> LoopbackServer``: run your ASGI proxy
``botcopy_request``                   ``build_webhook_request`` with the emulator's token
====================================  ===============================================

Per test, ``@pytest.mark.botcopy(platform="cx", reply_deadline=1.0)`` adds to
the settings; pin the wire forms or a reading the same way
(``@pytest.mark.botcopy(variant=Variant(responses="struct"))``). Example::

    def test_handover(botcopy, botcopy_serve):
        botcopy.webhook_url = botcopy_serve(my_proxy_app).url + "/botcopy"
        botcopy.customer_says("I need a human")          # Step One to your proxy
        assert botcopy.last_reply == Pause()
        botcopy.wait_for(lambda b: b.customer_sees() == ["Hi, I'm Dana"])
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from botcopy_handover._errors import MissingDependencyError
from botcopy_handover._extras import require_extra
from botcopy_handover.client import AsyncClient, Client
from botcopy_handover.testing._requests import WebhookRequest, build_webhook_request
from botcopy_handover.testing._server import LoopbackServer

if TYPE_CHECKING:
    from botcopy_handover.testing.emulator import BotcopyEmulator
    from botcopy_handover.webhook.asgi import ASGIApplication

__all__ = [
    "botcopy",
    "botcopy_async_client",
    "botcopy_client",
    "botcopy_request",
    "botcopy_serve",
    "botcopy_settings",
    "pytest_configure",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``botcopy`` marker."""
    config.addinivalue_line(
        "markers",
        "botcopy(**settings): settings for the botcopy emulator fixture "
        "(webhook_url, access_token, api_key, bots, custom_header, platform, trigger, "
        "variant, readings, reply_deadline, ...)",
    )


def _require_testing_extra(fixture: str, *modules: str) -> None:
    """Fail the test with one line naming the extra, rather than an import traceback."""
    try:
        require_extra("testing", *modules, feature=f"the {fixture} pytest fixture")
    except MissingDependencyError as exc:
        missing = str(exc)
    else:
        return
    pytest.fail(missing, pytrace=False)  # outside the except: no "during handling" chain


@pytest.fixture
def botcopy_settings() -> dict[str, Any]:
    """Keyword arguments for `BotcopyEmulator`; override in your ``conftest.py``.

    Example::

        @pytest.fixture
        def botcopy_settings():
            return {"access_token": "test-token", "custom_header": ("X-Key", "v")}
    """
    return {}


@pytest.fixture
def botcopy(
    request: pytest.FixtureRequest, botcopy_settings: dict[str, Any]
) -> Iterator[BotcopyEmulator]:
    """A local Botcopy on loopback, fresh for each test and stopped after it.

    Unless the settings name a ``variant_seed``, it is a hash of the test's
    id: across a suite, tests meet different readings of the ``"mixed"``
    variant, and each test the same reading on every run.
    """
    _require_testing_extra("botcopy", "uvicorn", "starlette")
    from botcopy_handover.testing.emulator import BotcopyEmulator

    settings = dict(botcopy_settings)
    for marker in reversed(list(request.node.iter_markers("botcopy"))):
        settings.update(marker.kwargs)
    # Each test meets its own reading of the "mixed" variant, the same one every run.
    settings.setdefault("variant_seed", zlib.crc32(request.node.nodeid.encode()))
    with BotcopyEmulator(**settings) as emulator:
        yield emulator


@pytest.fixture
def botcopy_client(botcopy: BotcopyEmulator) -> Iterator[Client]:
    """A [`Client`][botcopy_handover.Client] with the emulator's URL and API key."""
    with Client(api_key=botcopy.api_key, base_url=botcopy.url) as client:
        yield client


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio

    @pytest.fixture
    def botcopy_async_client(botcopy: BotcopyEmulator) -> AsyncClient:
        """Needs pytest-asyncio (``pip install pytest-asyncio``)."""
        pytest.fail("botcopy_async_client needs pytest-asyncio installed")

else:

    @pytest_asyncio.fixture
    async def botcopy_async_client(  # type: ignore[misc]  # one of two definitions
        botcopy: BotcopyEmulator,
    ) -> AsyncIterator[AsyncClient]:
        """An [`AsyncClient`][botcopy_handover.AsyncClient] with the emulator's URL and API key."""
        async with AsyncClient(api_key=botcopy.api_key, base_url=botcopy.url) as client:
            yield client


@pytest.fixture
def botcopy_serve() -> Iterator[Callable[[ASGIApplication], LoopbackServer]]:
    """``serve(app)``: run an ASGI app (your proxy) on loopback until the test ends."""
    _require_testing_extra("botcopy_serve", "uvicorn")
    servers: list[LoopbackServer] = []

    def serve(app: ASGIApplication) -> LoopbackServer:
        server = LoopbackServer(app).start()
        servers.append(server)
        return server

    yield serve
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def botcopy_request(botcopy: BotcopyEmulator) -> Callable[..., WebhookRequest]:
    """``build_webhook_request`` with the emulator's access token and custom header."""
    return functools.partial(
        build_webhook_request,
        access_token=botcopy.access_token,
        custom_header=botcopy.custom_header,
    )
