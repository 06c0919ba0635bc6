"""Test your proxy without Botcopy: build the requests Botcopy sends.

* :func:`build_webhook_request`: a valid (or deliberately invalid) webhook
  request, headers and body, for your endpoint's tests.
* :func:`sample_handover` / :func:`sample_customer_message`: realistic bodies.
"""

from botcopy_handover.testing._requests import (
    SAME_TOKEN,
    WebhookRequest,
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)

__all__ = [
    "SAME_TOKEN",
    "WebhookRequest",
    "build_webhook_request",
    "sample_customer_message",
    "sample_handover",
]
