"""Loads GB/T 4754-2017 (national industry classification) from the CSV shipped with the app."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

CSV_PATH = Path(__file__).resolve().parent / "data" / "gbt4754-2017.csv"


def read_rows() -> list[dict[str, Any]]:
    """Rows keyed section letter + digits (C, C35, C351, C3511), parents before children."""
    rows: list[dict[str, Any]] = []
    with CSV_PATH.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            level = int(row["level"])
            section = row["section"]
            code = section if level == 1 else section + row["code"]
            parent_digits = {1: "", 2: "", 3: row["division"], 4: row["group"] or row["division"]}[level]
            parent = None if level == 1 else (section + parent_digits if parent_digits else section)
            rows.append(
                {
                    "code": code,
                    "level": level,
                    "section": section,
                    "name": row["name"],
                    "note": row["note"],
                    "parent": parent,
                }
            )
    known = {r["code"] for r in rows}
    for r in rows:
        # A group with a single class has no row of its own: hang the class on its division.
        if r["parent"] and r["parent"] not in known:
            r["parent"] = r["parent"][:3]
    return rows


def load_industries(model: Any = None) -> None:
    """Creates or updates every industry row (parents first); running it again changes nothing."""
    if model is None:
        from apps.registry.models import Industry as model
    for row in read_rows():
        model.objects.update_or_create(
            code=row["code"],
            defaults={
                "level": row["level"],
                "section": row["section"],
                "name": row["name"],
                "note": row["note"],
                "parent_id": row["parent"],
            },
        )
