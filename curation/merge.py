"""Temporary curation-sprint tool: merge raw/ and curation/<part>/ tables into one raw folder,
adding a state row (from the open country-codes data set) for every state-xx referenced.
Usage: python curation/merge.py OUT_DIR"""
import csv, re, sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]
CC = Path("/work/shared/reference/country-codes/country-codes.csv")
NAMES = {"UK": "United Kingdom", "US": "United States", "St. Vincent & Grenadines": "Saint Vincent and the Grenadines",
         "São Tomé & Príncipe": "São Tomé and Príncipe", "Côte d’Ivoire": "Côte d'Ivoire",
         "Bosnia & Herzegovina": "Bosnia and Herzegovina", "Trinidad & Tobago": "Trinidad and Tobago",
         "Antigua & Barbuda": "Antigua and Barbuda", "St. Kitts & Nevis": "Saint Kitts and Nevis",
         "St. Lucia": "Saint Lucia", "Myanmar (Burma)": "Myanmar"}
SRC = {"source_id": "src-datasets-country-codes", "title": "Country codes: ISO 3166, M49 and Wikidata identifiers for countries and territories",
       "publisher": "Frictionless Data (datasets/country-codes)", "url": "https://github.com/datasets/country-codes",
       "published": "2026-05-15", "accessed": "", "kind": "dataset", "language": "en",
       "note": "Open data set (ODC-PDDL-1.0) used for state names, ISO codes and Wikidata identifiers; read at commit caa72d1e."}

def schema_fields(name):
    meta = yaml.safe_load(open(ROOT / "schemas/tables" / f"{name}.yaml"))
    shared = yaml.safe_load(open(ROOT / "schemas/fields.yaml"))
    names = [f.get("name", f.get("use")) for f in meta["fields"]]
    pk = meta.get("primaryKey") or []
    return names, ([pk] if isinstance(pk, str) else pk)

def main(out):
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    order = yaml.safe_load(open(ROOT / "schemas/package.yaml"))["resources"]
    tables = {}
    for t in order:
        names, pk = schema_fields(t)
        rows, seen = [], set()
        files = [ROOT / "raw" / f"{t}.csv"] + sorted((ROOT / "curation").glob(f"*/{t}.csv"))
        for f in files:
            if not f.exists(): continue
            with open(f, newline="", encoding="utf-8") as fh:
                r = csv.DictReader(fh)
                if r.fieldnames != names:
                    print(f"WARNING {f}: header {r.fieldnames} != schema {names}")
                for row in r:
                    key = tuple((row.get(n) or "") for n in names)
                    if key in seen: continue
                    seen.add(key); rows.append({n: row.get(n) or "" for n in names})
        tables[t] = (names, pk, rows)
    # states referenced anywhere
    refs = set()
    for names, pk, rows in tables.values():
        for row in rows:
            for v in row.values():
                refs.update(re.findall(r"(?<![a-z0-9-])state-([a-z]{2})(?![a-z0-9-])", v or ""))
    have = {r["actor_id"] for r in tables["actors"][2]}
    cc = {r["ISO3166-1-Alpha-2"]: r for r in csv.DictReader(open(CC, encoding="utf-8"))}
    added = 0
    for code in sorted(refs):
        aid = f"state-{code}"
        if aid in have: continue
        c = cc.get(code.upper())
        if not c: print("UNKNOWN STATE", aid); continue
        name = NAMES.get(c["CLDR display name"], c["CLDR display name"])
        q = c["wikidata_id"].rsplit("/", 1)[-1]
        tables["actors"][2].append({"actor_id": aid, "name": name, "kind": "state", "parent_id": "", "country_id": "",
            "iso2": code.upper(), "iso3": c["ISO3166-1-Alpha-3"], "wikidata": q,
            "description": f"Sovereign state; its United Nations name is {c['official_name_en']}." if c["official_name_en"] else "Sovereign state.",
            "source_id": SRC["source_id"], "locator": f"data/country-codes.csv, row {code.upper()}", "note": ""})
        added += 1
    if added and SRC["source_id"] not in {r["source_id"] for r in tables["sources"][2]}:
        tables["sources"][2].append(SRC)
    for t, (names, pk, rows) in tables.items():
        rows.sort(key=lambda r: tuple(r[k] for k in pk))
        with open(out / f"{t}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=names, lineterminator="\n"); w.writeheader(); w.writerows(rows)
        print(f"{t}: {len(rows)} rows")

main(sys.argv[1])
