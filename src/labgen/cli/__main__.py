"""``python -m labgen.cli``, the same as the ``labgen`` console script."""

import sys

from labgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
