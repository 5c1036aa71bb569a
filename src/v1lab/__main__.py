"""``python -m v1lab``: the command line. Guarded, since worker processes (spawn) import the main module."""

import sys

from v1lab.cli import main

if __name__ == "__main__":
    sys.exit(main())
