#!/usr/bin/env python3
"""Fails when a relative link in the repository's Markdown points to a file or directory that is not there.

    python3 scripts/check-doc-links.py

Reads every Markdown file git knows (tracked, or new and not ignored), skips fenced code blocks and inline
code, and checks each inline link `[text](target)` whose target is neither a URL nor an anchor in the same
file. Anchors (`file.md#part`) are checked for the file only. Prints each dangling link with its file and line.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def markdown_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.md"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted({ROOT / name for name in listed.split("\0") if name})


def dangling_links(path):
    fence = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
            continue
        if fence is not None:
            continue
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if EXTERNAL.match(target) or target.startswith("#"):
                continue
            file_part = target.split("#", 1)[0]
            if not (path.parent / file_part).exists():
                yield number, target


def main():
    problems = 0
    files = [path for path in markdown_files() if path.exists()]
    for path in files:
        for number, target in dangling_links(path):
            print(f"{path.relative_to(ROOT)}:{number}: no such file: {target}")
            problems += 1
    if problems:
        print(f"check-doc-links: {problems} dangling link(s)", file=sys.stderr)
        return 1
    print(f"check-doc-links: every relative link of {len(files)} Markdown files resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
