#!/usr/bin/env python3
"""Validate countries.json (shape of GET /countries, minus `flag`). Stdlib only."""
import json
import os
import sys

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "countries.json")

# key -> (type, nullable)
SCHEMA = {
    "id": (int, False),
    "name": (str, False),
    "full_name": (str, True),
    "capital": (str, True),
    "citizenship": (str, True),
    "country_code": (int, False),
    "currency": (str, True),
    "currency_code": (str, True),
    "currency_sub_unit": (str, True),
    "currency_symbol": (str, True),
    "iso_3166_2": (str, False),
    "iso_3166_3": (str, False),
    "region_code": (int, True),
    "sub_region_code": (int, True),
    "eea": (bool, False),
    "calling_code": (int, False),
}

EEA = {  # EU 27 + Iceland, Liechtenstein, Norway
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
    "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
    "SE", "IS", "LI", "NO",
}

BAHAMAS = {
    "id": 44, "name": "Bahamas", "full_name": "Commonwealth of the Bahamas",
    "capital": "Nassau", "citizenship": "Bahamian", "country_code": 44,
    "currency": "Bahamian dollar", "currency_code": "BSD", "currency_sub_unit": "cent",
    "currency_symbol": "$", "iso_3166_2": "BS", "iso_3166_3": "BHS",
    "region_code": 19, "sub_region_code": 29, "eea": False, "calling_code": 1,
}


def main():
    with open(PATH, encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, list), "top level must be an array"
    for c in data:
        assert isinstance(c, dict), c
        assert set(c) == set(SCHEMA), (c.get("id"), set(c) ^ set(SCHEMA))
        for k, (typ, nullable) in SCHEMA.items():
            v = c[k]
            if v is None:
                assert nullable, (c["id"], k, "null not allowed")
                continue
            # bool is a subclass of int: reject it for int fields
            assert type(v) is typ, (c["id"], k, repr(v))
            if typ is str:
                assert v.strip() == v and v != "", (c["id"], k, "empty/padded string")
        assert c["id"] == c["country_code"], c["id"]
        assert 0 < c["id"] < 1000, c["id"]
        assert len(c["iso_3166_2"]) == 2 and c["iso_3166_2"].isupper(), c["id"]
        assert len(c["iso_3166_3"]) == 3 and c["iso_3166_3"].isupper(), c["id"]
        assert c["calling_code"] > 0, c["id"]
        assert c["eea"] == (c["iso_3166_2"] in EEA), (c["id"], "eea")

    ids = [c["id"] for c in data]
    assert ids == sorted(ids), "not sorted by id"
    assert len(set(ids)) == len(ids), "duplicate id"
    for k in ("iso_3166_2", "iso_3166_3"):
        vals = [c[k] for c in data]
        assert len(set(vals)) == len(vals), "duplicate " + k
    assert len(data) >= 245, len(data)
    assert sum(c["eea"] for c in data) == 30, "eea count"
    assert "XK" not in {c["iso_3166_2"] for c in data}, "Kosovo is not ISO 3166-1"

    by_id = {c["id"]: c for c in data}
    rs = by_id[688]
    assert (rs["name"], rs["iso_3166_2"], rs["iso_3166_3"], rs["calling_code"],
            rs["region_code"], rs["sub_region_code"]) == ("Serbia", "RS", "SRB", 381, 150, 39), rs
    assert by_id[44] == BAHAMAS, by_id[44]
    assert by_id[248]["name"] == "Åland Islands" and by_id[248]["iso_3166_2"] == "AX"
    assert by_id[74]["iso_3166_2"] == "BV"

    print("countries ok: %d" % len(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
