"""``python -m botcopy_handover``: the ``botcopy-handover`` command."""

import sys

from botcopy_handover.cli import main

if __name__ == "__main__":
    sys.exit(main())
