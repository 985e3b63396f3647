#!/usr/bin/env python3
"""Checks that every relative link in README.md, SECURITY.md and docs/*.md resolves.

A link resolves when its path names a file or directory of the repository and, for a
`#anchor` into a Markdown file (or within the same file), when that file has a heading whose
GitHub slug is the anchor (or an explicit `id`/`name` anchor). http(s), mailto and other
scheme links are ignored, as is everything inside code fences and code spans.
Standard library only. Exits 1 with one line per broken link.

Usage: .ci/check-docs.py [FILE.md ...]   (default: README.md SECURITY.md docs/*.md)
"""
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
# [text](target) and ![alt](target); target may be <...>, and may carry a "title".
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
HTML_ANCHOR = re.compile(r"<[a-z][^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def slug(text):
    """GitHub's heading anchor: the rendered text, lower-cased, punctuation and symbols
    dropped (letters, digits, marks, `_`, `-` and spaces kept), spaces turned into `-`."""
    text = CODE_SPAN.sub(lambda m: m.group(2), text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = re.sub(r"(\*\*|__|\*|~~)", "", text)  # emphasis markers
    out = []
    for ch in text.strip().lower():
        cat = unicodedata.category(ch)
        if ch in "-_ " or cat[0] in "LNM":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def strip_code(lines):
    """Yields (line number, text) outside fenced code blocks, code spans blanked."""
    fence = None
    for no, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        yield no, line


def anchors(path, cache={}):
    """Every anchor a Markdown file defines: heading slugs (duplicates numbered -1, -2, ...
    as GitHub does) and explicit id/name attributes."""
    if path not in cache:
        lines = path.read_text(encoding="utf-8").split("\n")
        seen, found = {}, set()
        prev = None
        for _, line in strip_code(lines):
            text = None
            m = HEADING.match(line)
            if m:
                text = m.group(2)
            elif prev and prev.strip() and SETEXT.match(line) and not HEADING.match(prev):
                text = prev.strip()
            if text is not None:
                base = slug(text)
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
            found.update(a for a in HTML_ANCHOR.findall(line))
            prev = line
        cache[path] = found
    return cache[path]


def links(path):
    """(line number, target) of every link in a Markdown file, outside code."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for no, line in strip_code(lines):
        text = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        for m in INLINE_LINK.finditer(text):
            yield no, m.group(1)
        m = REF_DEF.match(text)
        if m:
            yield no, m.group(1)
        for m in HTML_LINK.finditer(text):
            yield no, m.group(1)


def check(path):
    problems = []
    for no, target in links(path):
        target = target.strip()
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1]
        if not target or SCHEME.match(target) or target.startswith("//"):
            continue  # http(s), mailto and the like are not checked here
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part.split("?", 1)[0])
        if file_part.startswith("/"):
            dest = ROOT / file_part.lstrip("/")
        else:
            dest = path.parent / file_part if file_part else path
        dest = dest.resolve()
        where = f"{path.relative_to(ROOT)}:{no}: ({target})"
        try:
            dest.relative_to(ROOT)
        except ValueError:
            problems.append(f"{where} points outside the repository")
            continue
        if not dest.exists():
            problems.append(f"{where} no such file: {dest.relative_to(ROOT)}")
            continue
        if anchor and dest.is_file() and dest.suffix.lower() in (".md", ".markdown"):
            if unquote(anchor) not in anchors(dest):
                problems.append(
                    f"{where} no heading with anchor #{anchor} in {dest.relative_to(ROOT)}"
                )
    return problems


def main(argv):
    if argv:
        files = [Path(a).resolve() for a in argv]
    else:
        files = [ROOT / "README.md", ROOT / "SECURITY.md"] + sorted((ROOT / "docs").glob("*.md"))
    problems, count = [], 0
    for f in files:
        if not f.exists():
            problems.append(f"{f.relative_to(ROOT)}: file to check is missing")
            continue
        count += sum(1 for _ in links(f))
        problems += check(f)
    if problems:
        print(f"broken relative links: {len(problems)}", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"docs: {len(files)} files, {count} links: every relative link resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
