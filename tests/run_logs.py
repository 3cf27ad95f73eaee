"""Comparing candidate logs of two runs: each log has its own nonce and checksums bound to it."""
import json
from pathlib import Path


def logged(path: Path) -> list[dict]:
    """A candidate log's lines without what makes each log unique (its nonce, and the checksums
    that bind every record to it)."""
    entries = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        entry.pop("check", None)
        entry.pop("nonce", None)
        if "settings" in entry:
            entry["settings"] = {k: v for k, v in entry["settings"].items() if k != "nonce"}
        entries.append(entry)
    return entries
