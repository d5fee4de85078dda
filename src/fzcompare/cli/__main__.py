import sys

from fzcompare.cli import main

sys.exit(main())
