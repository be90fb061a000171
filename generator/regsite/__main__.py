"""Run the command line as ``python -m regsite``."""

from __future__ import annotations

import sys

from regsite.cli import main

sys.exit(main())
