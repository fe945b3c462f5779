#!/usr/bin/env bash
# Checks testdata/corpus.xml: parses as XML in enwik8's MediaWiki shape, is UTF-8 with
# non-ASCII text, stays 300-600 KB, and the generator reproduces it byte for byte.
set -euo pipefail
root="$TEST_SRCDIR/attn"
source "$root/tools/test_lib.sh"
python3 - "$root/testdata/corpus.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
data = open(sys.argv[1], "rb").read()
assert 300_000 <= len(data) <= 600_000, len(data)
text = data.decode("utf-8")  # raises on invalid UTF-8
assert any(ord(c) > 0x7F for c in text) and any(ord(c) > 0x3000 for c in text), "no non-ASCII"
ns = "{http://www.mediawiki.org/xml/export-0.3/}"
root = ET.fromstring(data)
assert root.tag == ns + "mediawiki", root.tag
pages = root.findall(ns + "page")
assert len(pages) >= 30, len(pages)
for page in pages:
    for path in ("title", "id", "revision/id", "revision/timestamp",
                 "revision/contributor/username", "revision/text"):
        assert page.find(ns + path.replace("/", "/" + ns)) is not None, (path, page)
wiki = "".join(p.find(ns + "revision/" + ns + "text").text for p in pages)
for markup in ("\n== ", "[[", "'''", "''", "\n* ", "\n# ", "{|", "#REDIRECT [[", "[[fr:"):
    assert markup in wiki, markup
PY
python3 "$root/scripts/make_testdata_corpus.py" --output "$W/corpus.xml" 2>/dev/null
cmp "$W/corpus.xml" "$root/testdata/corpus.xml" ||
  { echo "FAIL: scripts/make_testdata_corpus.py no longer reproduces testdata/corpus.xml" >&2; exit 1; }
echo PASS
