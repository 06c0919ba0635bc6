"""The agent console: a working live-chat desk for teams without one.

``botcopy-handover console`` serves it; [`create_app`][botcopy_handover.console.create_app] gives
you the ASGI
app to serve yourself. Botcopy's webhook is at ``/botcopy``, the agents' page
at ``/``. It is built only from the SDK's public API, so it also reads as the
largest example of it. Needs ``pip install "botcopy-handover[console]"``
(add ``redis`` to share conversations between processes).

    from botcopy_handover.console import ConsoleConfig, create_app

    app = create_app(ConsoleConfig(redis_url="redis://127.0.0.1:6379/0"))
"""

from botcopy_handover.console._app import create_app
from botcopy_handover.console._auth import SECRET_ENV_VAR
from botcopy_handover.console._desk import ConsoleConfig

__all__ = ["SECRET_ENV_VAR", "ConsoleConfig", "create_app"]
