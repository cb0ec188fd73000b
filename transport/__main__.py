"""`python -m transport …` is the `dramaturg` command (transport owns the command line)."""

import sys

from transport.cli import main

sys.exit(main())
