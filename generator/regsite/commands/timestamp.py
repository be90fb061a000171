"""``regsite timestamp refresh``: sign a new ``metadata/timestamp.json`` in a built site, so that
clients keep accepting it between builds, without rebuilding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from regsite.atomic_write import write_atomically
from regsite.commands.build import ONLINE_KEY_VARIABLE
from regsite.errors import RegistryError
from regsite.journal import recover_output
from regsite.keys import load_private_key
from regsite.metadata.layout import TIMESTAMP_FILE
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp, timestamp_period
from regsite.write import SITE_MARKER

__all__ = ["TimestampOptions", "TimestampRefreshed", "refresh_site_timestamp"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimestampOptions:
    site: Path  # a built site
    online_key: str | None = None  # key file or env:VARIABLE; None is $REGSITE_ONLINE_KEY
    expires: str | None = None  # validity like 12h or 1d; None is the registry's


@dataclass(frozen=True, slots=True)
class TimestampRefreshed:
    path: Path
    version: int
    valid_for: timedelta
    recovered: bool  # a killed build's commit was finished first


def refresh_site_timestamp(options: TimestampOptions) -> TimestampRefreshed:
    """Finish a killed build's commit if there is one, then sign a new timestamp from now."""
    site = options.site
    if not (site / SITE_MARKER).is_file():
        raise RegistryError(f"{site}: holds no {SITE_MARKER}; is it a site built by regsite?")
    key = load_private_key(options.online_key or f"env:{ONLINE_KEY_VARIABLE}")
    recovered = recover_output(site)
    period = _period(options.expires, site)
    # Always the clock: a refresh exists to move the expiry forward from now.
    content = refresh_timestamp(DirectoryPrevious(site), key, datetime.now(UTC), period)
    write_atomically(site / TIMESTAMP_FILE, content)
    version = int(json.loads(content)["signed"]["version"])
    return TimestampRefreshed(site / TIMESTAMP_FILE, version, period, recovered)


def _period(text: str | None, site: Path) -> timedelta:
    if text is None:
        return timestamp_period(DirectoryPrevious(site))
    amount, unit = text[:-1], text[-1:]
    if not amount.isdigit() or unit not in ("h", "d") or int(amount) == 0:
        raise RegistryError(f"--expires: expected a duration like '12h' or '1d', found {text!r}")
    return timedelta(hours=int(amount)) if unit == "h" else timedelta(days=int(amount))
