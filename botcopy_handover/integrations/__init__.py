"""Ready webhook endpoints for web frameworks, one module per framework.

Each module imports its framework, so install the matching extra and import
the module you need; importing this package imports no framework.

* [`botcopy_handover.integrations.starlette`][botcopy_handover.integrations.starlette]:
  ``webhook_route`` (a Starlette ``Route``)
  (``pip install botcopy-handover[starlette]``)
* [`botcopy_handover.integrations.fastapi`][botcopy_handover.integrations.fastapi]:
  ``webhook_router`` (an ``APIRouter``) and
  the ``verified_event`` dependency (``pip install botcopy-handover[fastapi]``)
* [`botcopy_handover.integrations.flask`][botcopy_handover.integrations.flask]:
  ``webhook_blueprint`` and ``webhook_view``
  (``pip install botcopy-handover[flask]``)
* [`botcopy_handover.integrations.django`][botcopy_handover.integrations.django]: ``webhook_view``
  (WSGI) and
  ``async_webhook_view`` (ASGI), CSRF-exempt (``pip install botcopy-handover[django]``)
* [`botcopy_handover.integrations.aiohttp`][botcopy_handover.integrations.aiohttp]:
  ``webhook_handler`` and ``add_webhook_route``
  (``pip install botcopy-handover[aiohttp]``)

Every adapter only moves bytes: verification, status codes, JSON error
bodies, the reply deadline and its fallback are decided once, in
[`WebhookEndpoint`][botcopy_handover.webhook.WebhookEndpoint]. Any other ASGI or WSGI framework
can serve `Webhook.asgi_app` or
`Webhook.wsgi_app` directly.
"""

__all__: list[str] = []
