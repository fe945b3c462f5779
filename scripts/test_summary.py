#!/usr/bin/env python3
"""Counts test cases from Bazel's per-target test.xml files and prints 'N passed, N failed'.

Usage: test_summary.py TESTLOGS_DIR TARGET...   A target without a test.xml (it did not
build or did not run) counts as one failure.
"""
import os
import sys
import xml.etree.ElementTree as ET


def count(xml_path):
    passed = failed = 0
    root = ET.parse(xml_path).getroot()
    cases = list(root.iter("testcase"))
    for case in cases:
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None or case.get("result") == "skipped"
        if bad:
            failed += 1
        elif not skipped:
            passed += 1
    if not cases:  # a target that reported no cases: judge it by its suite's failures
        bad = any(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in root.iter("testsuite"))
        failed, passed = (1, 0) if bad else (0, 1)
    return passed, failed


def main():
    logs, targets = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for target in targets:
        rel = target.lstrip("/").replace(":", "/")
        xml_path = os.path.join(logs, rel, "test.xml")
        if not os.path.exists(xml_path):
            print(f"no result: {target}", file=sys.stderr)
            failed += 1
            continue
        p, f = count(xml_path)
        if f:
            print(f"failed: {target}", file=sys.stderr)
        passed += p
        failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
