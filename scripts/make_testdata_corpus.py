#!/usr/bin/env python3
"""Builds testdata/corpus.xml: a small corpus in enwik8's style (a MediaWiki XML export).

enwik8 is the first 10^8 bytes of an English Wikipedia dump: <mediawiki> with <page>s whose
<text> holds wiki markup (== headings ==, [[links]], '''bold''', ''italic'', lists, tables,
#REDIRECTs, interlanguage links), XML-escaped, UTF-8. This script makes the same shape
from texts that Debian ships on every machine the project's set-up script prepares:

  * the licence texts in /usr/share/common-licenses (package base-files), each placed
    verbatim in its page (only XML-escaped) under a short introduction written here;
  * the README of JSON for Modern C++ (/usr/share/doc/nlohmann-json3-dev/README.md.gz,
    MIT licence; copyright 2013-2022 Niels Lohmann), converted from Markdown to wiki markup,
    one page per section.

Standard library only; the output is a function of those input files alone (fixed ids and
timestamps, fixed order), so reruns give identical bytes.

Usage: python3 scripts/make_testdata_corpus.py [--output testdata/corpus.xml]
"""
import argparse
import gzip
import os
import re
import sys
from xml.sax.saxutils import escape

LICENSES_DIR = "/usr/share/common-licenses"
JSON_README = "/usr/share/doc/nlohmann-json3-dev/README.md.gz"

# (file, title, introduction, interlanguage links). The introductions are ours; the
# licence texts themselves are reproduced verbatim, as their notices require.
LICENSES = [
    ("GPL-3", "GNU General Public License version 3",
     "The '''GNU General Public License version 3''' (''GPLv3'') is a [[copyleft]] "
     "[[free software licence]] published by the [[Free Software Foundation]] in 2007. "
     "It succeeded [[GNU General Public License version 2|version 2]] and added terms on "
     "[[software patent]]s and on ''installation information'' for consumer devices.",
     {"de": "GNU General Public License", "fr": "Licence publique générale GNU",
      "es": "Licencia Pública General de GNU", "ru": "GNU General Public License",
      "zh": "GNU通用公共许可证", "ja": "GNU General Public License"}),
    ("GPL-2", "GNU General Public License version 2",
     "The '''GNU General Public License version 2''' (''GPLv2'') was published by the "
     "[[Free Software Foundation]] in 1991. The [[Linux kernel]] is distributed under it. "
     "Its successor is the [[GNU General Public License version 3]].",
     {"de": "GNU General Public License", "fr": "Licence publique générale GNU"}),
    ("GPL-1", "GNU General Public License version 1",
     "The '''GNU General Public License version 1''' was published by the "
     "[[Free Software Foundation]] in 1989, unifying the licences of several [[GNU Project|GNU]] "
     "programs under one text.",
     {"fr": "Licence publique générale GNU"}),
    ("LGPL-3", "GNU Lesser General Public License version 3",
     "The '''GNU Lesser General Public License version 3''' (''LGPLv3'') is a set of "
     "additional permissions on top of the [[GNU General Public License version 3]]: a "
     "program may link to an LGPL library without itself becoming subject to the "
     "[[copyleft]].",
     {"de": "GNU Lesser General Public License",
      "fr": "Licence publique générale limitée GNU", "zh": "GNU宽通用公共许可证"}),
    ("LGPL-2.1", "GNU Lesser General Public License version 2.1",
     "The '''GNU Lesser General Public License version 2.1''' was published in 1999, when "
     "the ''Library'' General Public License was renamed ''Lesser'' to signal that it is "
     "not the preferred licence for every library.",
     {"de": "GNU Lesser General Public License"}),
    ("LGPL-2", "GNU Library General Public License version 2",
     "The '''GNU Library General Public License version 2''' appeared in 1991 alongside the "
     "[[GNU General Public License version 2]]. Its successor is the "
     "[[GNU Lesser General Public License version 2.1]].",
     {}),
    ("Apache-2.0", "Apache License 2.0",
     "The '''Apache License, Version 2.0''' is a [[permissive software licence]] written by "
     "the [[Apache Software Foundation]] in 2004. Unlike the [[BSD licenses|BSD licence]] it "
     "contains an explicit grant of [[patent]] rights.",
     {"de": "Apache-Lizenz", "fr": "Licence Apache", "ja": "Apache License",
      "ru": "Лицензия Apache"}),
    ("Artistic", "Artistic License",
     "The '''Artistic License''' is the licence under which [[Perl]] was first distributed, "
     "together with the [[GNU General Public License version 1|GPL]]; it was written by "
     "[[Larry Wall]].",
     {"de": "Artistic License"}),
    ("MPL-2.0", "Mozilla Public License 2.0",
     "The '''Mozilla Public License 2.0''' is a file-level [[copyleft]] licence published "
     "by the [[Mozilla Foundation]] in 2012. It is compatible with the "
     "[[GNU General Public License version 3|GPL]].",
     {"de": "Mozilla Public License", "fr": "Licence publique Mozilla",
      "pl": "Mozilla Public License"}),
    ("MPL-1.1", "Mozilla Public License 1.1",
     "The '''Mozilla Public License 1.1''' is the earlier version of the "
     "[[Mozilla Public License 2.0]], used among others by the [[Mozilla]] code base.",
     {}),
    ("GFDL-1.3", "GNU Free Documentation License version 1.3",
     "The '''GNU Free Documentation License''' (''GFDL'') is a [[copyleft]] licence for "
     "documentation, published by the [[Free Software Foundation]]; version 1.3 dates from "
     "2008 and lets [[wiki]]s move to the [[Creative Commons]] ''Attribution-ShareAlike'' "
     "licence.",
     {"de": "GNU-Lizenz für freie Dokumentation", "fr": "Licence de documentation libre GNU",
      "es": "Licencia de documentación libre de GNU"}),
    ("GFDL-1.2", "GNU Free Documentation License version 1.2",
     "The '''GNU Free Documentation License version 1.2''' was published in 2002. Text "
     "contributed to [[Wikipedia]] was long licensed under it.",
     {}),
    ("CC0-1.0", "Creative Commons Zero 1.0",
     "'''CC0''' is a [[public domain]] dedication published by [[Creative Commons]] in 2009: "
     "where waiving all rights is impossible in law it falls back to a very permissive "
     "licence.",
     {"de": "CC0", "fr": "CC0"}),
    ("BSD", "BSD License",
     "The '''BSD licence''' in Debian's ''common-licenses'' is the three-clause form, with "
     "the [[University of California, Berkeley|University of California]] as copyright "
     "holder.",
     {"de": "BSD-Lizenz", "fr": "Licence BSD", "ja": "BSDライセンス"}),
]

REDIRECTS = [
    ("GPL", "GNU General Public License version 3"),
    ("GPLv2", "GNU General Public License version 2"),
    ("LGPL", "GNU Lesser General Public License version 3"),
    ("Apache License", "Apache License 2.0"),
    ("MPL", "Mozilla Public License 2.0"),
    ("GFDL", "GNU Free Documentation License version 1.3"),
    ("CC0", "Creative Commons Zero 1.0"),
    ("Nlohmann json", "JSON for Modern C++"),
]

JSON_TITLE = "JSON for Modern C++"


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"make_testdata_corpus: cannot read {path}: {e.strerror}; "
                 "run `bash scripts/setup.sh` (it installs base-files and nlohmann-json3-dev)")
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def licence_page(name, title, intro, interwiki):
    # XML 1.0 cannot hold a form feed: the page breaks of the GPL texts become blank lines.
    text = read_text(os.path.join(LICENSES_DIR, name)).replace("\f", "").rstrip("\n")
    others = [t for _, t, _, _ in LICENSES if t != title]
    related = [others[i] for i in range(len(others)) if (i + len(title)) % 4 == 0][:4]
    lines = [intro, "", "== Text ==",
             f"The full text below is reproduced verbatim from the file <code>{name}</code> "
             "that [[Debian]] ships in ''/usr/share/common-licenses''.", "",
             "<pre>", text, "</pre>", "", "== See also =="]
    lines += [f"* [[{t}]]" for t in related]
    lines += ["* [[List of free software licences]]", "", "[[Category:Free software licences]]"]
    lines += [f"[[{lang}:{name_}]]" for lang, name_ in sorted(interwiki.items())]
    return "\n".join(lines)


def list_page():
    rows = ["{| class=\"wikitable\"", "! Licence !! File !! Kind"]
    for name, title, intro, _ in LICENSES:
        kind = "copyleft" if "copyleft" in intro or name.startswith(("GPL", "GFDL")) else "other"
        rows += ["|-", f"| [[{title}]] || <code>{name}</code> || {kind}"]
    rows.append("|}")
    return "\n".join([
        "This is a '''list of free software licences''' whose texts [[Debian]] installs on "
        "every system. A licence is ''free'' when it grants the four freedoms: to run, study, "
        "share and modify the work.", "", "== Licences ==", *rows, "",
        "== Other languages ==",
        "* Deutsch: ''Liste freier Lizenzen''",
        "* Français : ''Liste de licences libres''",
        "* Español: ''Anexo:Licencias de software libre''",
        "* Русский: ''Список свободных лицензий''",
        "* 日本語: ''フリーソフトウェアライセンスの一覧''",
        "", "[[Category:Free software licences]]",
        "[[de:Liste freier Lizenzen]]", "[[fr:Liste de licences libres]]"])


# --- Markdown (the README's subset) to wiki markup -----------------------------------

def inline(text):
    """Converts inline Markdown outside code spans; code spans become <code>."""
    parts = re.split(r"(`+[^`]*`+)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append("<code>" + part.strip("`") + "</code>")
            continue
        p = part
        p = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)",
                   lambda m: f"[[Image:{os.path.basename(m.group(2))}|{m.group(1)}]]", p)
        p = re.sub(r"\[([^\]]+)\]\(#([^)]+)\)", lambda m: f"[[{JSON_TITLE}#{m.group(1)}|{m.group(1)}]]", p)
        p = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)[^)]*\)", r"[\2 \1]", p)
        p = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"[[\1]]", p)
        p = re.sub(r"\*\*([^*]+)\*\*", r"'''\1'''", p)
        p = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"''\1''", p)
        p = re.sub(r"(?<!\w)_([^_\s][^_]*)_(?!\w)", r"''\1''", p)
        p = re.sub(r":([a-z_]+):", "", p)  # GitHub emoji shortcodes
        out.append(p)
    return "".join(out).rstrip("\\").rstrip()


def table(rows):
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    out = ["{| class=\"wikitable\"", "! " + " !! ".join(inline(c) for c in cells[0])]
    for r in cells[2:]:  # cells[1] is the |---| separator
        out += ["|-", "| " + " || ".join(inline(c) for c in r)]
    out.append("|}")
    return out


def markdown_to_wiki(lines):
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^\s*```(\w*)", line)
        if fence:
            lang = fence.group(1) or "text"
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            out += [f'<source lang="{lang}">', *body, "</source>"]
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[-:| ]+\|\s*$", lines[i + 1]):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out += table(rows)
            continue
        heading = re.match(r"^(#{3,6})\s+(.*)$", line)
        if heading:
            level = len(heading.group(1)) - 1  # the page is the level-2 section
            mark = "=" * level
            out.append(f"{mark} {inline(heading.group(2))} {mark}")
        elif re.match(r"^\s*[-*]\s+", line):
            depth = 1 + (len(line) - len(line.lstrip())) // 2
            out.append("*" * depth + " " + inline(re.sub(r"^\s*[-*]\s+", "", line)))
        elif re.match(r"^\s*\d+\.\s+", line):
            depth = 1 + (len(line) - len(line.lstrip())) // 3
            out.append("#" * depth + " " + inline(re.sub(r"^\s*\d+\.\s+", "", line)))
        elif line.startswith(">"):
            out.append(":" + inline(line.lstrip("> ")))
        elif line.startswith("[!["):
            pass  # a row of CI badges: images inside links, nothing a reader of wiki text needs
        else:
            out.append(inline(line))
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def json_pages():
    lines = read_text(JSON_README).split("\n")
    sections, current, in_code = [], ("", []), False
    for line in lines:
        if line.strip().startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            sections.append(current)
            current = (line[3:].strip(), [])
        else:
            current[1].append(line)
    sections.append(current)
    pages = []
    intro_title, intro_lines = sections[0]
    toc = [t for t, _ in sections[1:]]
    body = markdown_to_wiki(intro_lines)
    body = ("'''JSON for Modern C++''' is a header-only [[C++]] library for [[JSON]] by "
            "Niels Lohmann, released under the [[MIT License]].\n\n" + body + "\n\n== Sections ==\n" +
            "\n".join(f"* [[{JSON_TITLE}/{t}|{t}]]" for t in toc) +
            "\n\n[[Category:C++ libraries]]")
    pages.append((JSON_TITLE, body))
    for title, section in sections[1:]:
        body = markdown_to_wiki(section)
        body += f"\n\n''Part of [[{JSON_TITLE}]].''\n\n[[Category:C++ libraries]]"
        pages.append((f"{JSON_TITLE}/{title}", body))
    return pages


# --- XML --------------------------------------------------------------------------------

HEADER = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.3/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.3/ \
http://www.mediawiki.org/xml/export-0.3.xsd" version="0.3" xml:lang="en">
  <siteinfo>
    <sitename>Testwiki</sitename>
    <base>http://testwiki.invalid/wiki/Main_Page</base>
    <generator>scripts/make_testdata_corpus.py</generator>
    <case>first-letter</case>
      <namespaces>
      <namespace key="-2">Media</namespace>
      <namespace key="0" />
      <namespace key="1">Talk</namespace>
      <namespace key="6">Image</namespace>
      <namespace key="14">Category</namespace>
    </namespaces>
  </siteinfo>
"""


def page_xml(index, title, text, comment):
    esc = lambda s: escape(s, {'"': "&quot;"})
    day = 1 + index % 28
    month = 1 + (index // 28) % 12
    return (f"  <page>\n"
            f"    <title>{esc(title)}</title>\n"
            f"    <id>{index + 1}</id>\n"
            f"    <revision>\n"
            f"      <id>{1000 + 7 * index}</id>\n"
            f"      <timestamp>2006-{month:02d}-{day:02d}T{index % 24:02d}:{(13 * index) % 60:02d}:00Z</timestamp>\n"
            f"      <contributor>\n"
            f"        <username>Corpus generator</username>\n"
            f"        <id>1</id>\n"
            f"      </contributor>\n"
            f"      <comment>{esc(comment)}</comment>\n"
            f"      <text xml:space=\"preserve\">{esc(text)}</text>\n"
            f"    </revision>\n"
            f"  </page>\n")


def build():
    pages = [(t, licence_page(n, t, intro, iw), f"verbatim text of {n} from Debian")
             for n, t, intro, iw in LICENSES]
    pages.append(("List of free software licences", list_page(), "list"))
    pages += [(t, body, "converted from README.md (MIT licence)") for t, body in json_pages()]
    pages += [(src, f"#REDIRECT [[{dst}]]", "redirect") for src, dst in REDIRECTS]
    return HEADER + "".join(page_xml(i, *p) for i, p in enumerate(pages)) + "</mediawiki>\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default="testdata/corpus.xml")
    args = parser.parse_args()
    data = build().encode("utf-8")
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    print(f"wrote {args.output}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
