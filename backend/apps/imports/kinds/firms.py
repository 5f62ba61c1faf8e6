"""Firms: upserted by USCC. A blank cell leaves the stored value as it is (a bureau's list that has
only names, codes and zones does not wipe addresses); a new firm needs its USCC, name and zone.
A row without a USCC updates the firm of exactly that name, if exactly one has it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from apps.imports import cells
from apps.imports.cells import Msg
from apps.imports.formats import FIRMS, header_key
from apps.imports.kinds.base import Kind
from apps.registry.models import ExitKind, Industry, LegalForm, Zone
from apps.registry.selectors import zones_writable_by

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
TAG_SEPARATORS = re.compile(r"[、,，;；|｜]")

_VALUE_COLUMNS = (
    "name",
    "zone_id",
    "registration_date",
    "legal_form",
    "joint_stock_date",
    "industry_id",
    "entered_park_on",
    "left_park_on",
    "tags",
    "address",
    "legal_representative",
    "notes",
)


def _choice_words(choices: type[LegalForm] | type[ExitKind], extra: dict[str, str]) -> dict[str, str]:
    words = {header_key(value): value for value in choices.values}
    for value, label in choices.choices:
        for part in str(label).split(" / "):
            words[header_key(part)] = value
    words.update({header_key(k): v for k, v in extra.items()})
    return words


LEGAL_FORMS = _choice_words(
    LegalForm,
    {
        "有限": LegalForm.LIMITED,
        "有限公司": LegalForm.LIMITED,
        "有限责任": LegalForm.LIMITED,
        "有限责任公司": LegalForm.LIMITED,
        "limited liability": LegalForm.LIMITED,
        "股份": LegalForm.JOINT_STOCK,
        "股份公司": LegalForm.JOINT_STOCK,
        "股份有限公司": LegalForm.JOINT_STOCK,
        "joint stock": LegalForm.JOINT_STOCK,
        "joint-stock": LegalForm.JOINT_STOCK,
    },
)
EXIT_KINDS = _choice_words(ExitKind, {"moved out": ExitKind.MOVED_OUT, "迁移": ExitKind.MOVED_OUT})


def legal_form_label(value: str) -> str:
    return str(LegalForm(value).label).split(" / ")[0] if value in LegalForm.values else value


def exit_kind_label(value: str) -> str:
    return str(ExitKind(value).label).split(" / ")[0] if value in ExitKind.values else value


class FirmsKind(Kind):
    fmt = FIRMS
    stage_columns = (
        ("uscc", "text"),
        ("name_key", "text"),
        ("name", "text"),
        ("zone_id", "bigint"),
        ("registration_date", "date"),
        ("legal_form", "text"),
        ("joint_stock_date", "date"),
        ("industry_id", "text"),
        ("entered_park_on", "date"),
        ("left_park_on", "date"),
        ("exit_kind", "text"),
        ("tags", "varchar(60)[]"),
        ("address", "text"),
        ("legal_representative", "text"),
        ("notes", "text"),
    )

    def prepare(self) -> None:
        self.zones: dict[str, Zone] = {}
        for zone in Zone.objects.all():
            self.zones[header_key(zone.code)] = zone
            self.zones[header_key(zone.name)] = zone
        self.writable = set(zones_writable_by(self.run.options.user).values_list("id", flat=True))
        self.industries: dict[str, str] = {}
        for code in Industry.objects.filter(level=4).values_list("code", flat=True):
            self.industries[code] = code
            self.industries[code[1:]] = code

    def _text(self, row: int, key: str, limit: int | None = None) -> str | None:
        if not self.header.has(key):
            return None
        value = cells.text(self.cell_value(row, key))
        if value == "":
            return None
        if key != "notes":  # every firm column but the notes is one line
            value = self.one_line(row, key, value)
        if limit is not None:
            try:
                cells.max_length(value, self.label(key), limit)
            except cells.CellError as exc:
                self.error(row, key, exc.message)
        return value

    def _date(self, row: int, key: str) -> dt.date | None:
        day = self.read(row, key, cells.date)
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            self.error(
                row,
                key,
                Msg(
                    f"“{self.label(key)}”须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间。",
                    f"'{self.label(key)}' must be between {EARLIEST_DAY} and {LATEST_DAY}.",
                ),
            )
            return None
        return day

    def _choice(self, row: int, key: str, words: dict[str, str]) -> str | None:
        raw = self._text(row, key)
        if raw is None:
            return None
        value = words.get(header_key(raw))
        if value is None:
            self.error(
                row,
                key,
                Msg(f"“{self.label(key)}”：无法识别“{raw[:40]}”。", f"'{self.label(key)}': '{raw[:40]}' is not known."),
            )
        return value

    def parse(self, row: int, values: list[Any]) -> tuple[Any, ...]:
        code, key = self.firm_cells(row)
        name = self._text(row, "name", 200)
        zone_id = None
        zone_raw = self._text(row, "zone")
        if zone_raw is not None:
            zone = self.zones.get(header_key(zone_raw))
            if zone is None or zone.pk not in self.writable:
                # One answer for a zone that does not exist and one the importer may not write to.
                self.error(
                    row,
                    "zone",
                    Msg(
                        f"园区片区“{zone_raw[:40]}”不存在或不在您负责的范围内。",
                        f"Zone '{zone_raw[:40]}' does not exist or is outside your zones.",
                    ),
                )
            else:
                zone_id = zone.pk
        industry = None
        industry_raw = self._text(row, "industry")
        if industry_raw is not None:
            industry = self.industries.get(cells.nfkc(industry_raw).upper().replace(" ", ""))
            if industry is None:
                self.error(
                    row,
                    "industry",
                    Msg(
                        f"行业代码 {industry_raw[:20]} 不在 GB/T 4754-2017 小类中（如 C3511）。",
                        f"Industry code {industry_raw[:20]} is not a GB/T 4754-2017 class (e.g. C3511).",
                    ),
                )
        tags = None
        tags_raw = self._text(row, "tags")
        if tags_raw is not None:
            tags = list(dict.fromkeys(t.strip() for t in TAG_SEPARATORS.split(tags_raw) if t.strip()))
            if any(len(tag) > 60 for tag in tags) or len(tags) > 50:
                self.error(
                    row,
                    "tags",
                    Msg("标签过长或过多（每个最多 60 字）。", "Tags too long or too many (60 characters each)."),
                )
                tags = [tag[:60] for tag in tags[:50]]  # the row is in error; staged only to check the rest
        return (
            code,
            key,
            name,
            zone_id,
            self._date(row, "registration_date"),
            self._choice(row, "legal_form", LEGAL_FORMS),
            self._date(row, "joint_stock_date"),
            industry,
            self._date(row, "entered_park_on"),
            self._date(row, "left_park_on"),
            self._choice(row, "exit_kind", EXIT_KINDS),
            tags,
            self._text(row, "address", 300),
            self._text(row, "legal_representative", 60),
            self._text(row, "notes", 5000),
        )

    # ---- checks ---------------------------------------------------------------------------

    def check(self) -> None:
        self.sql("ANALYZE {st}")  # statistics for the joins below
        self.resolve_firms(missing_uscc_is_error=False)
        self.check_scope()
        # A zone-limited importer does not match firms of other zones (resolve_firms): a code registered
        # there cannot be registered again. Refused with the API's message, which names no firm or zone.
        self.fail(
            self.rows(
                "SELECT s.row_no, s.uscc FROM {st} s WHERE NOT s.bad AND s.firm_id IS NULL AND s.uscc <> ''"
                " AND EXISTS (SELECT 1 FROM registry_firm f WHERE f.uscc = s.uscc)"
            ),
            "uscc",
            lambda code: Msg(
                f"统一社会信用代码 {code} 已登记，不能重复。如在企业列表中找不到它，请联系管理员。",
                f"USCC {code} is already registered. If you cannot find it in the firm list, ask an administrator.",
            ),
        )
        self.fail(
            self.rows(
                "SELECT row_no, first FROM (SELECT row_no, min(row_no) OVER"
                " (PARTITION BY COALESCE(firm_id::text, 'uscc:' || uscc)) AS first FROM {st}"
                " WHERE NOT bad AND (firm_id IS NOT NULL OR uscc <> '')) x WHERE row_no <> first"
            ),
            "uscc",
            lambda first: Msg(f"与第 {first} 行是同一家企业。", f"The same firm as row {first}."),
        )
        self.fail(
            self.rows(
                "SELECT row_no FROM {st} WHERE NOT bad AND firm_id IS NULL AND (name IS NULL OR zone_id IS NULL)"
            ),
            "zone",
            lambda: Msg(
                "新登记的企业须填写企业名称和园区片区。", "A firm not yet registered needs its name and zone."
            ),
        )  # fmt: skip
        merged = "FROM {st} s LEFT JOIN registry_firm f ON f.id = s.firm_id WHERE NOT s.bad AND "
        self.fail(
            self.rows(
                "SELECT s.row_no " + merged + "COALESCE(s.left_park_on, f.left_park_on)"
                " < COALESCE(s.entered_park_on, f.entered_park_on)"
            ),
            "left_park_on",
            lambda: Msg("离园日期不能早于入园日期。", "The exit date cannot be before the entry date."),
        )
        self.fail(
            self.rows(
                "SELECT s.row_no " + merged + "COALESCE(s.joint_stock_date, f.joint_stock_date)"
                " < COALESCE(s.registration_date, f.registration_date)"
            ),
            "joint_stock_date",
            lambda: Msg("股改日期不能早于成立日期。", "The joint-stock conversion date cannot be before registration."),
        )

    def classify(self) -> None:
        self.sql("UPDATE {st} SET action = 'create' WHERE NOT bad AND firm_id IS NULL")
        same = " AND ".join(f"COALESCE(s.{c}, f.{c}) IS NOT DISTINCT FROM f.{c}" for c in _VALUE_COLUMNS)
        self.sql(
            f"UPDATE {{st}} s SET action = CASE WHEN {same} AND {self._exit_kind_sql()} = f.exit_kind"  # noqa: S608
            " THEN 'unchanged' ELSE 'update' END FROM registry_firm f WHERE NOT s.bad AND f.id = s.firm_id"
        )

    @staticmethod
    def _exit_kind_sql() -> str:
        """A firm given an exit date without a kind has moved out, as the API assumes."""
        return (
            "COALESCE(s.exit_kind, CASE WHEN COALESCE(s.left_park_on, f.left_park_on) IS NOT NULL"
            " AND f.exit_kind = '' THEN 'moved_out' ELSE f.exit_kind END)"
        )

    def write(self, lo: int, hi: int) -> tuple[int, int]:
        window = "NOT s.bad AND s.row_no BETWEEN %(lo)s AND %(hi)s"
        params = {"lo": lo, "hi": hi}
        created = self.sql(
            "INSERT INTO registry_firm (uscc, name, registration_date, legal_form, joint_stock_date, industry_id,"  # noqa: S608
            " zone_id, entered_park_on, left_park_on, exit_kind, exit_note, tags, address, legal_representative,"
            " notes, created_at, updated_at)"
            " SELECT s.uscc, s.name, s.registration_date, COALESCE(s.legal_form, 'limited'), s.joint_stock_date,"
            " s.industry_id, s.zone_id, s.entered_park_on, s.left_park_on,"
            " COALESCE(s.exit_kind, CASE WHEN s.left_park_on IS NOT NULL THEN 'moved_out' ELSE '' END), '',"
            " COALESCE(s.tags, '{}'), COALESCE(s.address, ''), COALESCE(s.legal_representative, ''),"
            " COALESCE(s.notes, ''), now(), now()"
            f" FROM {{st}} s WHERE {window} AND s.action = 'create' ORDER BY s.row_no",
            params,
        ).rowcount
        assignments = ", ".join(f"{c} = COALESCE(s.{c}, f.{c})" for c in _VALUE_COLUMNS)
        updated = self.sql(
            f"UPDATE registry_firm f SET {assignments}, exit_kind = {self._exit_kind_sql()}, updated_at = now()"  # noqa: S608
            f" FROM {{st}} s WHERE {window} AND s.action = 'update' AND f.id = s.firm_id",
            params,
        ).rowcount
        return created, updated
