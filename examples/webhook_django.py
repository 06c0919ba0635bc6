"""A Botcopy handover webhook in a (one-file) Django project.

Install: ``pip install botcopy-handover[django]``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_django.py [PORT]``
In a real project, put the ``path(...)`` line in your ``urls.py``; under
ASGI use ``async_webhook_view`` instead of ``webhook_view``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import django
from django.conf import settings
from django.core.management import call_command
from django.urls import path

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.integrations.django import webhook_view

desk = logging.getLogger("desk")

urlpatterns: list[Any] = []


def on_handover(event: HandoverRequest) -> Reply:
    # A real proxy opens a ticket in its desk here, with the conversation so far.
    desk.info(
        "new ticket for %s: %r (%d earlier messages)", event.user_id, event.text, len(event.history)
    )
    return Pause(minutes=30)


def on_customer_message(event: CustomerMessage) -> Reply:
    if event.text.strip().lower() == "bye":
        desk.info("%s said goodbye: ticket closed", event.user_id)
        return End()
    desk.info("%s wrote: %r", event.user_id, event.text)
    return Pause(minutes=30)


def main() -> int:
    try:
        webhook = Webhook()  # the token(s) from BOTCOPY_ACCESS_TOKEN
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-set-DJANGO_SECRET_KEY"),
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",  # the view is exempt
        ],
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"desk": {"handlers": ["console"], "level": "INFO"}},
        },
    )
    django.setup()
    urlpatterns.append(path("botcopy", webhook_view(webhook, on_handover, on_customer_message)))
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
