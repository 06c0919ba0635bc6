"""The ``botcopy-handover`` command: poke a live-chat proxy from a shell.

``main`` builds one argparse parser with a subcommand per module in
`COMMANDS`. Each command module ``_<name>.py`` defines
``register(subparsers)``, which adds its parser and sets
``handler=run``, where ``run(args) -> int`` does the work and returns the exit
status. ``main`` turns errors into exit statuses, so commands just raise:

=====  ==========================================================
exit   meaning
=====  ==========================================================
0      done
1      the SDK raised a ``BotcopyError`` (printed as ``error: ...``)
2      wrong usage (argparse prints the usage)
130    interrupted (Ctrl-C)
=====  ==========================================================
"""

from botcopy_handover.cli._main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
