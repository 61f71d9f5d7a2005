"""``python -m tests.conformance``: see cli.py."""

import sys

from tests.conformance.cli import main

sys.exit(main())
