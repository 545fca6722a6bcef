#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/ from the test bodies: the documented
example (tests/fixtures/example-request.jsonc) and every JSON body literal of tests/tests/http_batch.rs.

Run it again after adding bodies to those tests and commit what changes. Files are named by the SHA-1 of
their content, as libFuzzer names the inputs it keeps, so running it twice changes nothing.
"""

import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"

# tokenbatch_fuzz::http::BATCH_AS_ALICE: PUT /api/token/batch as alice, JSON content type.
BATCH_AS_ALICE = bytes([1, 0, 0, 16])
# tokenbatch_fuzz::rules::FIELD_NAMES, in order.
FIELD_NAMES = [
    "ids", "update_fields", "group", "expired_time", "remain_quota", "unlimited_quota", "model_limits",
    "model_limits_enabled", "allow_ips", "mj_image_mode", "mj_custom_proxy", "colour",
]


def rust_string_literals(source):
    """The raw (r#"..."#) and plain ("...") string literals of a Rust source, decoded."""
    literals = []
    pattern = re.compile(r'r#"(.*?)"#|(?<![A-Za-z0-9_#])"((?:[^"\\]|\\.)*)"', re.S)
    for match in pattern.finditer(source):
        if match.group(1) is not None:
            literals.append(match.group(1))
        else:
            literals.append(decode_escapes(match.group(2)))
    return literals


def decode_escapes(text):
    out, i = [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "u":
            end = text.index("}", i)
            out.append(chr(int(text[i + 3:end], 16)))
            i = end + 1
        elif nxt == "\n":  # line continuation: skip the newline and the next line's indentation
            i += 2
            while i < len(text) and text[i] in " \t":
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_bodies():
    example = (ROOT / "tests" / "fixtures" / "example-request.jsonc").read_bytes()
    bodies = [example]
    source = (ROOT / "tests" / "tests" / "http_batch.rs").read_text(encoding="utf-8")
    for literal in rust_string_literals(source):
        # Bodies are JSON(C) objects; format strings ({{ ... }}) are filled in by the tests, not seeds.
        if literal.lstrip().startswith("{") and "{{" not in literal:
            bodies.append(literal.encode("utf-8"))
    # Bodies the tests write as format strings or builders, in the form they take.
    bodies += [
        b'{"ids":[1],"group":"vip","update_fields":["group"]}',
        b'{"ids":[1,2],"group":"vip","remain_quota":1000000,"update_fields":["group","remain_quota"]}',
        b'{"ids":[1,2,3,4],"expired_time":-1,"remain_quota":500000,"update_fields":["expired_time","remain_quota"]}',
        b'{"ids":[5],"unlimited_quota":true,"update_fields":["unlimited_quota"]}',
        b'{"ids":[1,2,900],"group":"vip","update_fields":["group"]}',
        b'{"ids":[1],"allow_ips":"10.0.0.1\\n10.0.0.0/8\\n::1\\nfe80::/10","update_fields":["allow_ips"]}',
        b'{"ids":[6,7,8],"expired_time":1900000000,"remain_quota":5,"update_fields":["expired_time","remain_quota"]}',
        b'{"ids":[20,1],"group":"vip","update_fields":["group"]}',
        b"\xef\xbb\xbf" + b'{"ids":"1, 2","mj_image_mode":"proxy","mj_custom_proxy":"https://img.example:8443/p",'
        b'"update_fields":"mj_image_mode,mj_custom_proxy",}',
        b"{\x00\xff}",
        b"",
    ]
    seen, unique = set(), []
    for body in bodies:
        if body not in seen:
            seen.add(body)
            unique.append(body)
    return unique


def field_values(bodies):
    """(field index, value JSON) for every member of every body that is plain JSON."""
    values = set()
    for body in bodies:
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(parsed, dict):
            continue
        for key, value in parsed.items():
            index = FIELD_NAMES.index(key) if key in FIELD_NAMES else FIELD_NAMES.index("colour")
            values.add((index, json.dumps(value, ensure_ascii=False)))
    values |= {
        (FIELD_NAMES.index("ids"), '"873, 869"'),
        (FIELD_NAMES.index("ids"), '["873", 869, /* c */ 873,]'),
        (FIELD_NAMES.index("expired_time"), "1776410923000"),
        (FIELD_NAMES.index("allow_ips"), '"192.168.1.1\\r\\n 10.0.0.0/8 \\n\\n2001:db8::/32"'),
        (FIELD_NAMES.index("model_limits"), '" gpt-4o , gpt-4o ,claude "'),
        (FIELD_NAMES.index("update_fields"), '"group, expired_time"'),
    }
    return sorted(values)


def http_inputs(bodies):
    inputs = [BATCH_AS_ALICE + body for body in bodies]
    simple = b'{"ids":[1,2],"group":"vip","update_fields":["group"]}'
    inputs += [
        bytes([1, 0, 0, 16 | 1]) + simple,  # validate_only
        bytes([1, 0, 0, 16 | 2 | 4]) + simple,  # details, lang=en
        bytes([1, 0, 2, 16]) + b'{"ids":[900,901],"group":"default","update_fields":["group"]}',  # bob
        bytes([1, 0, 3, 16]) + simple,  # alice's token with bob's id
        bytes([1, 0, 7, 16]) + b'{"ids":[950],"group":"vip","update_fields":["group"]}',  # carol, disabled
        bytes([1, 0, 8, 0]) + b"Authorization: Bearer $A\nNew-Api-User: 1\n" + simple,
        bytes([0, 1, 0, 32]) + b"p=2&size=5",
        # tests/tests/fuzz_regressions.rs: the page offset overflowed.
        bytes([0, 1, 0, 32]) + b"p=9223372036854775807&size=100",
        bytes([0, 3, 1, 32]) + b"keyword=token-1%25&token=sk-fuzz",
        bytes([0, 4, 0, 0]),
        bytes([0, 5, 0, 0]),
        bytes([0, 6, 0, 8]),
        bytes([0, 7, 4, 0]),
        bytes([0, 16, 0, 0]) + b"/api/token/abc?p=0\n",
        bytes([2, 9, 0, 64]) + b"\x00\x00\x00\x00\x05\x0a\x03\x01\x02\x03",
    ]
    return inputs


def write(target, inputs):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for data in inputs:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(inputs)} seeds in {folder.relative_to(ROOT)}")


def main():
    bodies = test_bodies()
    write("rules_body", bodies)
    write("rules_field", [bytes([index]) + value.encode("utf-8") for index, value in field_values(bodies)])
    write("http_handler", http_inputs(bodies))


if __name__ == "__main__":
    main()
