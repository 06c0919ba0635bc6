"""Test your proxy without Botcopy.

* :func:`build_webhook_request`: a valid (or deliberately invalid) webhook
  request, headers and body, for your endpoint's tests.
* :func:`sample_handover` / :func:`sample_customer_message`: realistic bodies.
* :class:`LoopbackServer`: serve any ASGI app (your proxy) on loopback in a thread.
* ``botcopy_handover.testing.emulator``: a local Botcopy (extra ``testing``).
* ``botcopy_handover.testing.pytest_plugin``: the ``botcopy`` fixtures.
"""

from botcopy_handover.testing._requests import (
    SAME_TOKEN,
    WebhookRequest,
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.testing._server import LoopbackServer

__all__ = [
    "LoopbackServer",
    "SAME_TOKEN",
    "WebhookRequest",
    "build_webhook_request",
    "sample_customer_message",
    "sample_handover",
]
