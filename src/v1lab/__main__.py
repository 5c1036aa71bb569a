import sys

from v1lab.cli import main

sys.exit(main())
