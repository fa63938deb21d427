#!/usr/bin/env python3
"""md2man.py SOURCE.md OUT: turns wgate's man page sources (a small
Markdown subset) into roff for man(7). One generator for every page, so the
pages look alike and stay plain text to edit.

The subset:
  % name(section) | footer-middle     first line: the title (.TH)
  # NAME                              section heading (.SH)
  ## Name                             subsection (.SS)
  blank line                          paragraph break (.PP)
  - item                              bullet list item
  term                                a term, when the next line starts with
  : definition                        ": " (.TP); definition lines may follow
  ```                                 preformatted block (.nf) until ```
  **bold** `code` (bold)  *italic*    inline
Text is escaped for roff: backslashes, and '.' or "'" at line starts."""
import re
import sys
import datetime
import os


def esc(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return s


def inline(s):
    s = esc(s).replace("\\e*", "\x00")	# \* is a literal asterisk
    s = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fR", s)
    s = re.sub(r"`(.+?)`", r"\\fB\1\\fR", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\\fI\1\\fR", s)
    return s.replace("\x00", "*")


def line_out(s):
    """A text line: roff takes a leading '.' or "'" as a request."""
    return "\\&" + s if s[:1] in (".", "'") else s


def convert(src, source_date):
    lines = src.splitlines()
    m = re.match(r"^%\s*(\S+)\((\d)\)\s*(?:\|\s*(.*))?$", lines[0]) if lines else None
    if not m:
        raise SystemExit("md2man: the first line must be '% name(section) | title'")
    name, sect, title = m.group(1), m.group(2), (m.group(3) or "").strip()
    out = [f'.TH "{name.upper()}" "{sect}" "{source_date}" "wgate" "{title}"',
           ".ad l", ".nh"]
    i, pre = 1, False
    while i < len(lines):
        ln = lines[i]
        if pre:
            if ln.strip() == "```":
                out += [".fi", ".RE"]
                pre = False
            else:
                out.append(line_out(esc(ln)))
            i += 1
            continue
        if ln.strip() == "```":
            out += [".RS 4", ".nf"]
            pre = True
        elif ln.startswith("## "):
            out.append(f'.SS "{inline(ln[3:].strip())}"')
        elif ln.startswith("# "):
            out.append(f'.SH "{ln[2:].strip().upper()}"')
        elif not ln.strip():
            if out[-1] not in (".PP",) and not out[-1].startswith((".SH", ".SS")):
                out.append(".PP")
        elif ln.startswith("- "):
            out += [".IP \\(bu 2", line_out(inline(ln[2:].strip()))]
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            out += [".TP", line_out(inline(ln.strip()))]
            i += 1
            out.append(line_out(inline(lines[i][2:].strip())))
        else:
            out.append(line_out(inline(ln.strip())))
        i += 1
    if pre:
        raise SystemExit("md2man: unterminated ``` block")
    while out[-1] == ".PP":
        out.pop()
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: md2man.py SOURCE.md OUT")
    # Reproducible: the date from SOURCE_DATE_EPOCH (dpkg sets it), else
    # the source's modification time.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or os.path.getmtime(sys.argv[1]))
    date = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")
    with open(sys.argv[1]) as f:
        text = convert(f.read(), date)
    with open(sys.argv[2], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
