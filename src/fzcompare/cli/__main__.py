"""``python -m fzcompare.cli``: the same as the ``fzcompare`` command."""

import sys

from fzcompare.cli import main

sys.exit(main())
