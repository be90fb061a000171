"""The library behind the CLI: one module per command, ``regsite yank`` in
:mod:`regsite.commands.yank`, ``regsite verify-site`` in :mod:`regsite.commands.verify_site`.

Each takes the command's options as a frozen dataclass and returns a typed result (with the
warnings its operator should see); none prints.  :mod:`regsite.cli` parses the arguments into
those options and prints the result.
"""

from __future__ import annotations

__all__: list[str] = []
