"""The documentation holds together: the configuration reference is the one the code
renders, the README stays a front door that leads to every page of docs/, and no relative
link (nor its anchor) points at nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jewgo.gateway.settings import Settings
from tests.config_reference import BEGIN, COMMAND, DOCUMENT, END, generated_block, reference

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]
README_MAX_LINES = 300

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _prose(text: str) -> str:
    """`text` without code: links inside code blocks and spans are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def links(document: Path) -> list[str]:
    """The targets of the Markdown links and images of `document`."""
    return _LINK.findall(_prose(document.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    """Every heading anchor of `document`, repeated headings numbered as GitHub does."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", document.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_the_generated_configuration_reference_is_current() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    assert generated_block(text) == reference(), (
        f"{DOCUMENT.relative_to(ROOT)} is out of date with Settings: run `{COMMAND}`"
    )


@pytest.mark.parametrize("source", ["docs/configuration.md", "reference()"])
def test_every_setting_has_a_row_in_the_generated_reference(source: str) -> None:
    if source == "reference()":
        block = reference()
    else:
        block = generated_block(DOCUMENT.read_text(encoding="utf-8"))
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \|", block, flags=re.MULTILINE)
    missing = sorted({name.upper() for name in Settings.model_fields} - set(rows))
    assert not missing, f"{source} has no row for {missing}"
    assert len(rows) == len(Settings.model_fields)


def test_the_generated_block_sits_between_its_markers_once() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1
    assert text.count(END) == 1


def test_the_readme_is_a_front_door() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    assert "make run" in text and "make test" in text


def test_the_readme_links_to_every_page_of_docs() -> None:
    targets = {target.split("#", 1)[0] for target in links(README)}
    missing = [page.name for page in PAGES if f"docs/{page.name}" not in targets]
    assert PAGES and not missing, f"README.md links to no {missing}"


def broken_links(document: Path) -> list[str]:
    """The relative links of `document` whose file, or heading, does not exist."""
    broken: list[str] = []
    for target in links(document):
        if _EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        found = (document.parent / path).resolve() if path else document
        if not found.exists():
            broken.append(f"{target}: no {path}")
        elif anchor and found.suffix == ".md" and anchor not in anchors(found):
            broken.append(f"{target}: no heading #{anchor} in {found.name}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_points_at_something_that_exists(document: Path) -> None:
    broken = broken_links(document)
    assert not broken, f"{document.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_checker_sees_links_and_skips_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A `title`: here\n\n[one](other.md#part) ![two](image.png)\n"
        "`[not](a-link.md)`\n```\n[nor](this.md)\n```\n<https://example.com>\n",
        encoding="utf-8",
    )
    assert links(page) == ["other.md#part", "image.png"]
    assert anchors(page) == {"a-title-here"}
    (tmp_path / "other.md").write_text("# Part\n", encoding="utf-8")
    assert broken_links(page) == ["image.png: no image.png"]
    (tmp_path / "image.png").write_bytes(b"")
    page.write_text("# Top\n\n[a](#top) [b](#gone) [c](other.md#nowhere)\n", encoding="utf-8")
    assert broken_links(page) == [
        "#gone: no heading #gone in page.md",
        "other.md#nowhere: no heading #nowhere in other.md",
    ]
