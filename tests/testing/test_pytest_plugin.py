"""The pytest plugin, run in inner pytest sessions through pytester, as a user's suite would."""

from __future__ import annotations

import pytest

# Inner sessions run as strictly as ours: every warning is an error.
INI = """
[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture(autouse=True)
def strict_inner_sessions(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


PROXY = """
from botcopy_handover import AsyncClient, Pause, End, Webhook
from botcopy_handover.webhook import asgi_app

def make_proxy(botcopy):
    async def on_handover(event):
        async with AsyncClient(api_key=botcopy.api_key, base_url=botcopy.url) as client:
            await client.pause(event.user_id, event.bot_id, agent_name="Dana")
            await client.send_message(event.user_id, event.bot_id, "Hi, I'm Dana")
        return Pause()

    async def on_customer_message(event):
        return End() if event.text == "bye" else Pause(minutes=5)

    webhook = Webhook(access_tokens=botcopy.access_token)
    return asgi_app(webhook, on_handover, on_customer_message)
"""


def test_the_botcopy_fixture_drives_a_real_proxy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(proxy=PROXY)
    pytester.makepyfile(
        """
        from botcopy_handover import Pause, End
        from proxy import make_proxy

        def test_handover(botcopy, botcopy_serve):
            botcopy.webhook_url = botcopy_serve(make_proxy(botcopy)).url + "/botcopy"
            botcopy.customer_says("I need a human")
            assert botcopy.last_reply == Pause()
            botcopy.wait_for(lambda b: b.customer_sees() == ["Hi, I'm Dana"])
            assert botcopy.conversation().agent_name == "Dana"
            botcopy.customer_says("bye")
            assert botcopy.last_reply == End()
            assert not botcopy.is_paused()
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_client_fixtures_point_at_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_sync(botcopy, botcopy_client):
            botcopy_client.send_message("u1", "b1", "hello")
            assert botcopy.customer_sees(user_id="u1", bot_id="b1") == ["hello"]

        @pytest.mark.asyncio
        async def test_async(botcopy, botcopy_async_client):
            await botcopy_async_client.typing("u1", "b1")
            assert botcopy.is_typing(user_id="u1", bot_id="b1")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_settings_come_from_the_fixture_and_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def botcopy_settings():
            return {"api_key": "suite-key", "access_token": "suite-token"}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_from_the_conftest(botcopy):
            assert (botcopy.api_key, botcopy.bot.platform) == ("suite-key", "es")

        @pytest.mark.botcopy(platform="cx", api_key="marked-key")
        def test_from_the_marker(botcopy):
            assert (botcopy.api_key, botcopy.bot.platform) == ("marked-key", "cx")
            assert botcopy.access_token == "suite-token"

        def test_the_request_builder_uses_the_token(botcopy_request):
            request = botcopy_request({"userId": "u", "botId": "b"})
            assert request.headers["Authorization"] == "suite-token"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3)


def test_a_proxy_that_never_pushes_fails_with_a_clear_timeout(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_waits(botcopy):
            botcopy.wait_for(lambda b: b.customer_sees() == ["never"], timeout=0.1)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*EmulatorTimeoutError: The condition did not hold within 0.1 s*"])


def test_the_fixtures_are_listed_with_their_docs(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["botcopy -- *", "*A local Botcopy on loopback*"])


def test_each_test_meets_its_own_reading_the_same_every_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import zlib
        import pytest

        SEEN = []

        @pytest.mark.parametrize("n", range(8))
        def test_reading(botcopy, request, n):
            assert botcopy.variant_seed == zlib.crc32(request.node.nodeid.encode())
            SEEN.append(botcopy.conversation().reading)

        def test_the_readings_differ():
            assert len(set(SEEN)) > 1

        @pytest.mark.botcopy(variant_seed=7)
        def test_a_seed_can_be_set(botcopy):
            assert botcopy.variant_seed == 7
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=10)
