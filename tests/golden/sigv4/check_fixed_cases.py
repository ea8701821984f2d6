#!/usr/bin/env python3
"""Checks the golden cases that are not botocore's (the folders named aws-*) in plain Python.

Their canonical requests and strings to sign were rebuilt from the upstream inputs (see
README.md); what makes them golden is that they chain, through SHA-256 and the HMAC key
derivation, to the signature AWS published: the AWS S3 documentation's for
aws-doc-example-get-object, aws-c-auth's query-signed-request.txt for aws-suite-*. This script
proves that chain for every such folder without any credkit code.

Usage: python3 check_fixed_cases.py   (exit 1 when a folder does not chain)
"""

import hashlib
import hmac
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def value(path):
    return path.read_text(encoding="utf-8").removesuffix("\n")


def published_signature(source):
    if "upstream_signature" in source:
        return source["upstream_signature"]
    return source["published"]["signature"]


def check(folder):
    context = json.loads((folder / "context.json").read_text(encoding="utf-8"))
    canonical = value(folder / "canonical-request.txt")
    sts = value(folder / "string-to-sign.txt")
    signature = value(folder / "signature.txt")
    problems = []

    if sts.split("\n")[3] != hashlib.sha256(canonical.encode()).hexdigest():
        problems.append("string to sign does not hash the canonical request")
    date, region, service, _ = sts.split("\n")[2].split("/")
    key = ("AWS4" + context["credentials"]["secret_access_key"]).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if hmac.new(key, sts.encode(), hashlib.sha256).hexdigest() != signature:
        problems.append("signature is not the HMAC of the string to sign")
    if signature != published_signature(context["source"]):
        problems.append("signature is not the published one")
    url = folder / "signed-url.txt"
    if url.exists() and not value(url).endswith("&X-Amz-Signature=" + signature):
        problems.append("signed URL does not end with the signature")
    return problems


def main():
    failures = 0
    folders = sorted(p for p in HERE.iterdir() if p.is_dir() and p.name.startswith("aws-"))
    for folder in folders:
        for problem in check(folder):
            print(f"{folder.name}: {problem}")
            failures += 1
    print(f"{len(folders)} folders checked, {failures} problems")
    return 1 if failures or not folders else 0


if __name__ == "__main__":
    sys.exit(main())
