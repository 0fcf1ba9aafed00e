"""A static site for the release (site/ in dist/<version>/): opened straight from the file system,
with no server, no network and no external script. Pages are rendered from jinja2 templates; the
timeline is an SVG drawn here at build time. Everything is sorted and nothing depends on the clock,
so the same data gives the same bytes."""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from pathlib import Path

import jinja2
import pyarrow as pa

from pipeline.schema import Package, Table

TEMPLATES = Path(__file__).parent / "templates"
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

# Event kinds grouped into families of one hue, so the timeline reads at a glance.
KIND_COLOURS = {
    "cyber-operation": "#c0392b", "attribution": "#e67e73",
    "sanctions-listing": "#d35400", "sanctions-renewal": "#f0a04b",
    "meeting": "#1f5f9e", "debate": "#3f83c4", "session": "#6aa6dc", "conference": "#2c3e91",
    "summit": "#5b6fd1",
    "adoption": "#1e7a3c", "signature": "#3aa35b", "entry-into-force": "#7cc68f", "accession": "#a6d9a9",
    "election": "#7d3c98", "appointment": "#a569bd", "presidency": "#c39bd3",
    "founding": "#0e7c7b", "launch": "#17a2a0", "publication": "#6cc8c6",
    "exercise": "#7f6a00", "training": "#b89b2a",
}
OTHER_COLOUR = "#7f8c8d"
# Relations that put a state (or its expert) on a UN process in the membership chart.
MEMBER_KINDS = ("member-of", "founding-member-of", "expert-in", "participates-in", "bureau-member-of",
                "vice-chair-of", "rapporteur-of")
CHAIR_KINDS = ("chair-of", "co-chair-of")
PROCESS_PREFIXES = ("un-gge-", "un-oewg-")


def cell_text(value) -> str:
    """How a typed value reads on a page: ISO dates, true/false, integral numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def anchor(values) -> str:
    """The HTML id of a row: its primary key, joined with '--' when it has several fields."""
    return "--".join(re.sub(r"\s+", "_", cell_text(v)) for v in values)


def page_name(key: str) -> str:
    """A file name for an actor or event page: the ID itself when it is a slug (it always is here)."""
    if SLUG.fullmatch(key):
        return key
    return "x-" + "".join(c if c.isalnum() else f"_{ord(c):x}" for c in key)


def years_of(text: str | None) -> int | None:
    if text and re.match(r"\d{4}", text):
        return int(text[:4])
    return None


def period(start, end) -> str:
    start, end = cell_text(start), cell_text(end)
    if start and end:
        return f"{start} – {end}" if start != end else start
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return ""


class Site:
    def __init__(self, package: Package, tables: dict[str, pa.Table], counts: dict[str, int]):
        self.package = package
        self.meta = package.metadata
        self.counts = counts
        self.rows = {t.name: tables[t.name].to_pylist() if t.name in tables else [] for t in package.tables}
        self.schemas = {t.name: t for t in package.tables}
        self.index = {}  # table -> {single primary key value: row}
        for t in package.tables:
            if len(t.primary_key) == 1:
                key = t.primary_key[0]
                self.index[t.name] = {r[key]: r for r in self.rows[t.name]}
        self.actors = self.index.get("actors", {})
        self.events = self.index.get("events", {})
        self.sources = self.index.get("sources", {})
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["text"] = cell_text
        self.licences = [{"name": lic.get("name", ""), "title": lic.get("title") or lic.get("name", ""),
                          "path": lic.get("path", "")} for lic in self.meta.get("licenses", [])]
        self.env.globals.update(period=period, site=self)
        self.meta_view = {"name": self.meta["name"], "title": self.meta.get("title") or self.meta["name"],
                          "version": str(self.meta.get("version", "")),
                          "description": self.meta.get("description", "")}

    # --- links -------------------------------------------------------------------------------
    def actor_href(self, actor_id: str, root: str) -> str:
        return f"{root}actors/{page_name(actor_id)}.html"

    def event_href(self, event_id: str, root: str) -> str:
        return f"{root}events/{page_name(event_id)}.html"

    def row_href(self, table: str, key, root: str) -> str:
        if table == "actors" and "actors" in self.schemas:
            return self.actor_href(key, root)
        if table == "events" and "events" in self.schemas:
            return self.event_href(key, root)
        return f"{root}tables/{table}.html#{anchor([key])}"

    def actor_name(self, actor_id) -> str:
        row = self.actors.get(actor_id)
        return row.get("name") or actor_id if row else cell_text(actor_id)

    def source(self, row: dict) -> dict | None:
        """The source a fact cites, with its locator: what every fact on the site links to."""
        sid = row.get("source_id")
        if not sid:
            return None
        src = self.sources.get(sid, {})
        return {"id": sid, "title": src.get("title") or sid, "publisher": src.get("publisher") or "",
                "url": src.get("url") or "", "locator": row.get("locator") or ""}

    def cell(self, table: Table, field, row: dict, root: str) -> dict:
        """One table cell: its text, a sort value and the link it carries, if any."""
        value = row.get(field.name)
        text = cell_text(value)
        out = {"text": text, "href": None, "external": False, "sort": None,
               "long": (field.constraints.get("maxLength") or 0) >= 400}
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out["sort"] = text
        if value is None or text == "":
            return out
        if field.name in table.primary_key and len(table.primary_key) == 1 and table.name in ("actors", "events"):
            out["href"] = self.row_href(table.name, value, root)
            return out
        for fk in table.foreign_keys:
            if fk.fields == [field.name] and len(fk.ref_fields) == 1:
                target = self.schemas.get(fk.resource)
                if target is not None and target.primary_key == fk.ref_fields:
                    out["href"] = self.row_href(fk.resource, value, root)
                    return out
        if field.format == "uri" and re.match(r"https?://", text):
            out["href"], out["external"] = text, True
        elif field.x_check == "row-reference" and "/" in text:
            tname, key = text.split("/", 1)
            if tname in self.schemas:
                out["href"] = self.row_href(tname, key, root)
        return out

    def label(self, table: str, row: dict) -> str:
        for key in ("name", "title", "label", "measure", "topic"):
            if row.get(key):
                return cell_text(row[key])
        t = self.schemas[table]
        return ", ".join(cell_text(row.get(k)) for k in t.primary_key)

    # --- pages -------------------------------------------------------------------------------
    def render(self, out: Path, rel: str, template: str, **context) -> None:
        root = "../" * rel.count("/")
        html = self.env.get_template(template).render(root=root, meta=self.meta_view, **context)
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8", newline="\n")

    def write(self, site: Path) -> None:
        site.mkdir(parents=True)
        (site / "style.css").write_text((TEMPLATES / "style.css").read_text(encoding="utf-8"),
                                        encoding="utf-8", newline="\n")
        self.render(site, "index.html", "index.html", overview=self.overview())
        for t in self.package.tables:
            self.render(site, f"tables/{t.name}.html", "table.html", table=t, rows=self.rows[t.name],
                        dictionary=self.dictionary(t), cells=self.table_cells(t, "../"))
        if "actors" in self.schemas:
            self.render(site, "actors/index.html", "actors.html", actors=self.actor_list())
            for actor_id in sorted(self.actors):
                self.render(site, f"actors/{page_name(actor_id)}.html", "actor.html",
                            actor=self.actor_page(actor_id))
        if "events" in self.schemas:
            for event_id in sorted(self.events):
                self.render(site, f"events/{page_name(event_id)}.html", "event.html",
                            event=self.event_page(event_id))
            self.render(site, "timeline.html", "timeline.html", timeline=self.timeline())
        if "actors" in self.schemas and "relations" in self.schemas:
            self.render(site, "memberships.html", "memberships.html", chart=self.memberships())

    def overview(self) -> dict:
        meta = self.meta
        created = str(meta.get("created", ""))
        year = created[:4]
        authors = ", ".join(c.get("title", "") for c in meta.get("contributors", []) if c.get("title"))
        title = meta.get("title", meta["name"])
        lic = self.licences[0] if self.licences else None
        cite = f"{authors or title} ({year}). {title}, version {meta['version']} [data set]."
        if meta.get("homepage"):
            cite += f" {meta['homepage']}"
        tables = [{"name": t.name, "title": t.title, "rows": self.counts.get(t.name, len(self.rows[t.name]))}
                  for t in self.package.tables]
        return {"title": title, "created": created[:10], "licence": lic, "cite": cite, "tables": tables,
                "total": sum(x["rows"] for x in tables), "sources": len(self.sources)}

    def dictionary(self, t: Table) -> list[dict]:
        from pipeline.publish.dictionary import _constraints

        links = {fk.fields[0]: fk for fk in t.foreign_keys if len(fk.fields) == 1}
        out = []
        for f in t.fields:
            ref = links.get(f.name)
            out.append({"name": f.name, "type": f.type + (" (partial date)" if f.x_check == "partial-date" else ""),
                        "rules": _constraints(f), "description": f.description,
                        "ref": f"{ref.resource}.{ref.ref_fields[0]}" if ref else "",
                        "ref_href": f"{ref.resource}.html" if ref else "",
                        "key": f.name in t.primary_key})
        return out

    def table_cells(self, t: Table, root: str) -> list[dict]:
        out = []
        for row in self.rows[t.name]:
            rid = anchor([row.get(k) for k in t.primary_key]) if t.primary_key else ""
            out.append({"id": rid, "cells": [self.cell(t, f, row, root) for f in t.fields]})
        return out

    def actor_list(self) -> list[dict]:
        rows = sorted(self.actors.values(), key=lambda r: (cell_text(r.get("kind")), cell_text(r.get("name")).lower(), r["actor_id"]))
        return [{"id": r["actor_id"], "name": self.actor_name(r["actor_id"]), "kind": cell_text(r.get("kind")),
                 "href": page_name(r["actor_id"]) + ".html",
                 "parent": self.actor_name(r["parent_id"]) if r.get("parent_id") else ""} for r in rows]

    def actor_page(self, actor_id: str) -> dict:
        root = "../"
        row = self.actors[actor_id]

        def ref(aid):
            return {"id": aid, "name": self.actor_name(aid), "href": self.actor_href(aid, root)} if aid else None

        def rel_item(r, other):
            return {"id": r["relation_id"], "kind": cell_text(r.get("kind")), "other": ref(r.get(other)),
                    "topic": cell_text(r.get("topic")), "start": cell_text(r.get("start")),
                    "end": cell_text(r.get("end")), "as_of": cell_text(r.get("as_of")),
                    "instrument": self.linked("instruments", r.get("instrument_id"), root),
                    "source": self.source(r), "note": cell_text(r.get("note"))}

        def when(item):
            return (item["start"] or item["as_of"] or "9999", item["end"] or "9999", item["kind"], item["id"])

        relations = self.rows.get("relations", [])
        held = sorted((rel_item(r, "object_id") for r in relations if r.get("subject_id") == actor_id), key=when)
        members = sorted((rel_item(r, "subject_id") for r in relations if r.get("object_id") == actor_id), key=when)
        events = []
        for p in self.rows.get("event_participants", []):
            if p.get("actor_id") != actor_id or p.get("event_id") not in self.events:
                continue
            e = self.events[p["event_id"]]
            events.append({"id": e["event_id"], "name": cell_text(e.get("name")), "kind": cell_text(e.get("kind")),
                           "start": cell_text(e.get("start")), "end": cell_text(e.get("end")),
                           "role": cell_text(p.get("role")), "href": self.event_href(e["event_id"], root),
                           "source": self.source(p)})
        events.sort(key=lambda e: (e["start"], e["id"], e["role"]))
        other = []
        for t in self.package.tables:
            if t.name in ("relations", "event_participants"):
                continue
            for fk in t.foreign_keys:
                if fk.resource != "actors" or len(fk.fields) != 1:
                    continue
                hits = [r for r in self.rows[t.name] if r.get(fk.fields[0]) == actor_id]
                if not hits:
                    continue
                items = []
                for r in hits:
                    key = [r.get(k) for k in t.primary_key]
                    if t.name == "actors":
                        href = self.actor_href(r["actor_id"], root)
                    else:
                        href = f"{root}tables/{t.name}.html#{anchor(key)}"
                    detail = " · ".join(cell_text(r.get(k)) for k in ("kind", "action", "role", "date", "adopted", "value", "unit")
                                        if k in r and r.get(k) not in (None, ""))
                    items.append({"label": self.label(t.name, r), "detail": detail, "href": href,
                                  "source": self.source(r)})
                items.sort(key=lambda i: (i["label"].lower(), i["detail"], i["href"]))
                other.append({"title": f"{t.title or t.name}: {fk.fields[0]}", "table": t.name, "items": items})
        fields = []
        for f in self.schemas["actors"].fields:
            if f.name in ("actor_id", "name", "source_id", "locator"):
                continue
            c = self.cell(self.schemas["actors"], f, row, root)
            if c["text"]:
                if f.name == "wikidata":
                    c["href"], c["external"] = f"https://www.wikidata.org/wiki/{c['text']}", True
                fields.append({"name": f.name, **c})
        return {"id": actor_id, "name": self.actor_name(actor_id), "kind": cell_text(row.get("kind")),
                "fields": fields, "source": self.source(row), "held": held, "members": members,
                "events": events, "other": other}

    def linked(self, table: str, key, root: str):
        if not key:
            return None
        row = self.index.get(table, {}).get(key)
        return {"id": key, "name": self.label(table, row) if row else key, "href": self.row_href(table, key, root)}

    def event_page(self, event_id: str) -> dict:
        root = "../"
        e = self.events[event_id]
        participants = []
        for p in self.rows.get("event_participants", []):
            if p.get("event_id") == event_id:
                participants.append({"actor": {"id": p["actor_id"], "name": self.actor_name(p["actor_id"]),
                                               "href": self.actor_href(p["actor_id"], root)},
                                     "role": cell_text(p.get("role")), "source": self.source(p)})
        participants.sort(key=lambda p: (p["role"], p["actor"]["name"].lower(), p["actor"]["id"]))
        return {"id": event_id, "name": cell_text(e.get("name")), "kind": cell_text(e.get("kind")),
                "start": cell_text(e.get("start")), "end": cell_text(e.get("end")),
                "place": cell_text(e.get("place")), "summary": cell_text(e.get("summary")),
                "note": cell_text(e.get("note")), "colour": KIND_COLOURS.get(cell_text(e.get("kind")), OTHER_COLOUR),
                "instrument": self.linked("instruments", e.get("instrument_id"), root),
                "participants": participants, "source": self.source(e)}

    def timeline(self) -> dict:
        """An SVG with one row per year and one mark per event, coloured by kind."""
        per_year = defaultdict(list)
        for e in sorted(self.events.values(), key=lambda e: (cell_text(e.get("start")), e["event_id"])):
            y = years_of(cell_text(e.get("start")))
            if y is not None:
                per_year[y].append(e)
        cols, pitch, size, label_w, pad = 16, 20, 16, 52, 6
        width = label_w + cols * pitch + pad
        years = list(range(min(per_year), max(per_year) + 1)) if per_year else []
        bands, marks, y_pos = [], [], pad
        for n, year in enumerate(years):
            events = per_year.get(year, [])
            lines = max(1, math.ceil(len(events) / cols))
            height = lines * pitch + 4
            bands.append({"year": year, "y": y_pos, "height": height, "text_y": y_pos + 15, "shade": n % 2 == 0,
                          "count": len(events)})
            for i, e in enumerate(events):
                kind = cell_text(e.get("kind"))
                marks.append({"id": e["event_id"], "x": label_w + (i % cols) * pitch, "y": y_pos + 4 + (i // cols) * pitch,
                              "size": size, "kind": kind, "colour": KIND_COLOURS.get(kind, OTHER_COLOUR),
                              "title": f"{cell_text(e.get('start'))} · {cell_text(e.get('name'))} ({kind})",
                              "href": self.event_href(e["event_id"], "")})
            y_pos += height
        kinds = sorted({m["kind"] for m in marks})
        legend = [{"kind": k, "colour": KIND_COLOURS.get(k, OTHER_COLOUR), "count": sum(m["kind"] == k for m in marks)}
                  for k in kinds]
        listing = [{"year": y, "events": [{"id": e["event_id"], "name": cell_text(e.get("name")),
                                           "start": cell_text(e.get("start")), "kind": cell_text(e.get("kind")),
                                           "colour": KIND_COLOURS.get(cell_text(e.get("kind")), OTHER_COLOUR),
                                           "href": self.event_href(e["event_id"], ""), "source": self.source(e)}
                                          for e in per_year[y]]}
                   for y in years if per_year.get(y)]
        undated = len(self.events) - len(marks)
        return {"width": width, "height": y_pos + pad, "bands": bands, "marks": marks, "legend": legend,
                "listing": listing, "undated": undated, "label_w": label_w}

    def memberships(self) -> dict:
        """Which states sat on which UN GGE / OEWG: a grid of state by process."""
        processes = [a for a in self.actors.values()
                     if cell_text(a.get("kind")) == "process" and a["actor_id"].startswith(PROCESS_PREFIXES)]

        def proc_key(a):
            m = re.search(r"\d{4}", a["actor_id"])
            return (int(m.group()) if m else 9999, a["actor_id"])

        processes.sort(key=proc_key)
        pids = {a["actor_id"] for a in processes}
        cells = {}  # (state, process) -> {"role", "relations": [...]}
        for r in self.rows.get("relations", []):
            pid, sid = r.get("object_id"), r.get("subject_id")
            kind = cell_text(r.get("kind"))
            if pid not in pids or sid not in self.actors:
                continue
            subject = self.actors[sid]
            state = sid if cell_text(subject.get("kind")) == "state" else subject.get("country_id")
            if not state or state not in self.actors or cell_text(self.actors[state].get("kind")) != "state":
                continue
            if kind in CHAIR_KINDS:
                role = "chair"
            elif kind in MEMBER_KINDS:
                role = "member"
            else:
                continue
            c = cells.setdefault((state, pid), {"role": "member", "facts": [], "process": pid})
            if role == "chair":
                c["role"] = "chair"
            who = "" if sid == state else f"{self.actor_name(sid)}: "
            c["facts"].append({"text": f"{who}{kind} {cell_text(r.get('object_id'))} {period(r.get('start'), r.get('end'))}".strip(),
                               "source": self.source(r), "id": r["relation_id"]})
        for c in cells.values():
            c["facts"].sort(key=lambda f: f["id"])
            src = c["facts"][0]["source"]
            c["href"] = src["url"] if src and src["url"] else None
            c["title"] = "; ".join(f["text"] + (f" (source: {f['source']['title']}, {f['source']['locator']})" if f["source"] else "")
                                   for f in c["facts"])
        states = sorted({s for s, _ in cells}, key=lambda s: (self.actor_name(s).lower(), s))
        cols = []
        for a in processes:
            aid = a["actor_id"]
            years = re.findall(r"\d{4}", aid)
            short = "GGE" if aid.startswith("un-gge-") else "OEWG"
            cols.append({"id": aid, "name": self.actor_name(aid), "short": short, "years": "–".join(years),
                         "href": self.actor_href(aid, ""),
                         "count": sum(1 for s in states if (s, aid) in cells)})
        rows = [{"id": s, "name": self.actor_name(s), "href": self.actor_href(s, ""),
                 "cells": [cells.get((s, c["id"])) for c in cols]} for s in states]
        return {"columns": cols, "rows": rows}


def write_site(package: Package, tables: dict[str, pa.Table], out: Path, counts: dict[str, int] | None = None) -> None:
    """Write out/site/: the overview, a page per table, actor and event, the timeline and the membership chart."""
    counts = counts or {name: t.num_rows for name, t in tables.items()}
    Site(package, tables, counts).write(out / "site")
