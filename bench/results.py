"""bench/RESULTS.md is assembled from sections, each rewritten by the benchmark that owns it."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """# Benchmark results

Every figure is a median over repeated runs, and figures that are compared were measured
side by side in one run, alternating, on a shared and noisy machine: read the ratios
within a section rather than absolute numbers across sections. `make bench` reruns them.
"""


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section `name` of RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    block = f"<!-- {name} -->\n{markdown.strip()}\n<!-- /{name} -->"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{block}\n"
    )
    RESULTS.write_text(text)
