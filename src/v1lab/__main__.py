"""``python -m v1lab``: the command line (guarded: a spawned worker process imports the main module)."""

import sys

from v1lab.cli import main

if __name__ == "__main__":
    sys.exit(main())
