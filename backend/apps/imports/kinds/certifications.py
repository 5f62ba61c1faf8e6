"""Certifications from a published recognition list: 序号, 企业名称, 统一社会信用代码, 证书编号, 发证日期, 批次.

Natural key: USCC + programme + certificate number (a number is unique per programme, so another
firm's number is an error); a row without a number is matched on USCC + programme + level +
certificate date. The programme and level come from the upload form unless the file has 项目 / 级别
columns (exports do). Validity is derived from the programme's rule unless 有效期至 is given.

The no-overlap rule (one firm, programme and level never hold two certifications for the same day)
is checked here, so that a row which would break it is a row error at the dry run:
- a new certificate that starts in the last year of the firm's current one of the same programme and
  level, which is neither revoked nor already renewed, *renews* it (as `certification_renew` does):
  the old one is superseded from the new one's first day. That is how an HNTE re-recognition list
  arrives (a fresh application decided in the expiry year);
- any other overlap, with a certification on record or with another row of the file, is an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from apps.imports import cells
from apps.imports.cells import Msg
from apps.imports.formats import CERTIFICATIONS, header_key
from apps.imports.kinds.base import Kind
from apps.programmes.models import Level, Programme
from apps.programmes.services import EARLIEST, LATEST, validity_for

_LEVEL_WORDS = {
    "国家级": Level.NATIONAL,
    "国家": Level.NATIONAL,
    "national": Level.NATIONAL,
    "市级": Level.MUNICIPAL,
    "市": Level.MUNICIPAL,
    "省级": Level.MUNICIPAL,
    "重庆市级": Level.MUNICIPAL,
    "municipal": Level.MUNICIPAL,
    "区级": Level.DISTRICT,
    "区县级": Level.DISTRICT,
    "区": Level.DISTRICT,
    "district": Level.DISTRICT,
    "统计口径": Level.STATISTICAL,
    "statistical": Level.STATISTICAL,
    "重点": Level.PRIORITY,
    "priority": Level.PRIORITY,
    "prioritypool": Level.PRIORITY,
}


def level_label(level: str) -> str:
    """The Chinese word exports write for a level."""
    return str(Level(level).label).split(" / ")[0] if level in Level.values else level


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


class CertificationsKind(Kind):
    fmt = CERTIFICATIONS
    stage_columns = (
        ("uscc", "text"),
        ("name_key", "text"),
        ("number", "text"),
        ("cdate", "date"),
        ("batch", "text"),
        ("programme_id", "bigint"),
        ("level", "text"),
        ("vu", "date"),
        ("vu_derived", "date"),
    )
    work_columns = (
        *Kind.work_columns,
        ("cert_id", "bigint"),
        ("cert_firm", "bigint"),
        ("vfrom", "date"),
        ("vuntil", "date"),
        ("vend", "date"),
        ("new_batch", "text"),
        ("renews_id", "bigint"),
    )

    def prepare(self) -> None:
        self.programmes: dict[str, Programme] = {}
        for programme in Programme.objects.all():
            for word in (programme.code, programme.name_zh, programme.name_en):
                if word:
                    self.programmes[cells.name_key(word).lower()] = programme
        self.default_programme: Programme | None = self.run.options.programme
        self.default_level = self.run.options.level

    def parse(self, row: int, values: list[Any]) -> tuple[Any, ...]:
        code, name = self.firm_cells(row)
        number = cells.text(self.cell_value(row, "number")) if self.header.has("number") else ""
        number = self.read_checked(row, "number", number, 100)
        batch = cells.text(self.cell_value(row, "batch")) if self.header.has("batch") else ""
        batch = self.read_checked(row, "batch", batch, 100)
        day = self.read(row, "certificate_date", cells.date)
        if day is None and not self._date_error(row):
            self.error(row, "certificate_date", Msg("请填写发证日期。", "The certificate date is missing."))
        elif day is not None and not EARLIEST <= day <= LATEST:
            self.error(
                row,
                "certificate_date",
                Msg(
                    f"发证日期须在 {EARLIEST} 至 {LATEST} 之间。", f"The date must be between {EARLIEST} and {LATEST}."
                ),
            )
            day = None
        programme = self._programme(row)
        level = self._level(row, programme)
        until = self.read(row, "valid_until", cells.date)
        if until is not None and day is not None and until < day:
            self.error(
                row,
                "valid_until",
                Msg("有效期截止日不能早于发证日期。", "The end of validity cannot be before the certificate date."),
            )
        derived = validity_for(programme, day)[1] if programme is not None and day is not None else None
        return (
            code,
            name,
            number,
            day,
            batch or None,
            programme.pk if programme else None,
            level,
            until,
            derived,
        )

    def read_checked(self, row: int, key: str, value: str, limit: int) -> str:
        try:
            return cells.max_length(value, self.label(key), limit)
        except cells.CellError as exc:
            self.error(row, key, exc.message)
            return value[:limit]

    def _date_error(self, row: int) -> bool:  # a date that could not be read was already reported
        label = self.label("certificate_date")
        return any(error.column == label for error in self.run.errors.get(row, []))

    def _programme(self, row: int) -> Programme | None:
        raw = cells.text(self.cell_value(row, "programme")) if self.header.has("programme") else ""
        if raw:
            found = self.programmes.get(cells.name_key(raw).lower())
            if found is None:
                self.error(row, "programme", Msg(f"未知的项目“{raw[:40]}”。", f"Unknown programme '{raw[:40]}'."))
            return found
        if self.default_programme is None:
            self.error(
                row,
                "programme",
                Msg(
                    "请在上传时选择项目，或在文件中增加“项目”列。",
                    "Choose the programme when uploading, or add a 'Programme' column.",
                ),
            )
        return self.default_programme

    def _level(self, row: int, programme: Programme | None) -> str:
        raw = cells.text(self.cell_value(row, "level")) if self.header.has("level") else ""
        level = ""
        if raw:
            level = _LEVEL_WORDS.get(header_key(raw), "")
            if not level:
                self.error(row, "level", Msg(f"未知的级别“{raw[:20]}”。", f"Unknown level '{raw[:20]}'."))
                return ""
        level = level or self.default_level
        if programme is None:
            return level
        if not level and len(programme.levels) == 1:
            level = programme.levels[0]
        if not level:
            self.error(
                row,
                "level",
                Msg(
                    f"项目 {programme.code} 有多个级别，请在上传时选择级别，或在文件中增加“级别”列。",
                    f"Programme {programme.code} has several levels; "
                    "choose one when uploading or add a 'Level' column.",
                ),
            )
        elif level not in programme.levels:
            self.error(
                row,
                "level",
                Msg(
                    f"项目 {programme.code} 没有“{level_label(level)}”级别。",
                    f"Programme {programme.code} has no level '{level}'.",
                ),
            )
        return level

    # ---- checks ---------------------------------------------------------------------------

    def check(self) -> None:
        self.resolve_firms()
        self.check_scope()
        self.sql(
            "UPDATE {st} SET cert_id = c.id, cert_firm = c.firm_id FROM programmes_certification c"
            " WHERE {st}.number <> '' AND c.programme_id = {st}.programme_id AND c.number = {st}.number"
        )
        self.fail(
            self.rows(
                "SELECT row_no, number FROM {st} WHERE NOT bad AND cert_id IS NOT NULL AND firm_id IS NOT NULL"
                " AND cert_firm <> firm_id"
            ),
            "number",
            lambda number: Msg(
                f"证书编号 {number} 已登记在另一家企业名下。",
                f"Certificate number {number} is registered to another firm.",
            ),
        )
        self.sql(
            "UPDATE {st} SET cert_id = c.id, cert_firm = c.firm_id FROM programmes_certification c"
            " WHERE {st}.number = '' AND {st}.cert_id IS NULL AND c.number = '' AND c.firm_id = {st}.firm_id"
            " AND c.programme_id = {st}.programme_id AND c.level = {st}.level AND c.certificate_date = {st}.cdate"
        )
        self.check_duplicates(
            "programme_id, CASE WHEN number <> '' THEN number"
            " ELSE firm_id::text || '|' || level || '|' || cdate::text END",
            "number",
            Msg("项目和证书编号", "programme and certificate number"),
        )
        # The validity each good row will have: derived for a new one; an existing one keeps its dates
        # unless the certificate date changes (then they follow the rule again) or 有效期至 is given.
        self.sql(
            "UPDATE {st} SET vfrom = cdate, vuntil = COALESCE(vu, vu_derived), vend = COALESCE(vu, vu_derived),"
            " new_batch = COALESCE(batch, '') WHERE NOT bad AND cert_id IS NULL"
        )
        self.sql(
            "UPDATE {st} s SET"
            " vfrom = CASE WHEN s.cdate = c.certificate_date THEN c.valid_from ELSE s.cdate END,"
            " vuntil = CASE WHEN s.vu IS NOT NULL THEN s.vu WHEN s.cdate = c.certificate_date THEN c.valid_until"
            "   ELSE s.vu_derived END,"
            " new_batch = COALESCE(s.batch, c.batch)"
            " FROM programmes_certification c WHERE NOT s.bad AND s.cert_id = c.id"
        )
        self.sql(
            "UPDATE {st} s SET vend = LEAST(s.vuntil, c.revoked_on - 1, c.superseded_on - 1)"
            " FROM programmes_certification c WHERE NOT s.bad AND s.cert_id = c.id"
        )
        self.fail(
            self.rows(
                "SELECT s.row_no, c.revoked_on, c.superseded_on FROM {st} s JOIN programmes_certification c"
                " ON c.id = s.cert_id WHERE NOT s.bad AND (s.vfrom > c.revoked_on OR s.vfrom >= c.superseded_on"
                " OR s.vuntil < s.vfrom)"
            ),
            "certificate_date",
            lambda revoked, superseded: Msg(
                f"与该证书的撤销（{_fmt(revoked)}）或续期（{_fmt(superseded)}）记录冲突，请在系统中直接修改。",
                f"Conflicts with the certificate's revocation ({_fmt(revoked)}) or renewal ({_fmt(superseded)}); "
                "correct it in Seedbed directly.",
            ),
        )
        self.fail(
            self.rows(
                "SELECT s.row_no, p.valid_from FROM {st} s JOIN programmes_certification c ON c.id = s.cert_id"
                " JOIN programmes_certification p ON p.id = c.renews_id WHERE NOT s.bad AND s.vfrom <= p.valid_from"
            ),
            "certificate_date",
            lambda start: Msg(
                f"续期证书须在原证书生效日 {start} 之后生效。",
                f"A renewal must start after the renewed certification's start ({start}).",
            ),
        )

    def classify(self) -> None:
        self.sql("UPDATE {st} SET action = 'create' WHERE NOT bad AND cert_id IS NULL")
        self.sql(
            "UPDATE {st} s SET action = CASE WHEN c.certificate_date = s.cdate AND c.level = s.level"
            " AND c.batch = s.new_batch AND c.valid_from = s.vfrom AND c.valid_until IS NOT DISTINCT FROM s.vuntil"
            " THEN 'unchanged' ELSE 'update' END FROM programmes_certification c WHERE NOT s.bad AND c.id = s.cert_id"
        )
        self._check_overlaps()

    def _check_overlaps(self) -> None:
        self.sql("ANALYZE {st}")  # firm ids and actions are known now: plan the joins on them
        conflicts = self.rows(
            "SELECT s.row_no, s.action, c.id, c.number, c.valid_from, upper(c.period) - 1,"
            " c.valid_from < s.vfrom AND c.revoked_on IS NULL AND c.superseded_on IS NULL"
            "   AND c.valid_until IS NOT NULL AND s.vfrom > c.valid_until - interval '1 year'"
            "   AND NOT EXISTS (SELECT 1 FROM programmes_certification r WHERE r.renews_id = c.id)"
            " FROM {st} s JOIN programmes_certification c ON c.firm_id = s.firm_id"
            "   AND c.programme_id = s.programme_id AND c.level = s.level"
            " WHERE NOT s.bad AND s.action IN ('create', 'update') AND c.id <> COALESCE(s.cert_id, 0)"
            "   AND (s.vend IS NULL OR s.vend >= s.vfrom)"
            "   AND NOT EXISTS (SELECT 1 FROM {st} u WHERE u.cert_id = c.id AND u.action = 'update' AND NOT u.bad)"
            "   AND c.period && daterange(s.vfrom, s.vend, '[]')"
            " ORDER BY s.row_no"
        )
        by_row: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row_no, *rest in conflicts:
            by_row[row_no].append(tuple(rest))
        renewals: dict[int, int] = {}
        claimed: set[int] = set()
        bad: list[tuple[int, str, dt.date, dt.date | None]] = []
        for row_no, found in by_row.items():
            action, cert_id, number, start, ends, renewable = found[0]
            if len(found) == 1 and action == "create" and renewable and cert_id not in claimed:
                renewals[row_no] = cert_id
                claimed.add(cert_id)
            else:
                bad.append((row_no, number or f"#{cert_id}", start, ends))
        if renewals:
            self.sql(
                "UPDATE {st} SET renews_id = x.cert FROM unnest(%s::integer[], %s::bigint[]) AS x(row_no, cert)"
                " WHERE {st}.row_no = x.row_no",
                [list(renewals), list(renewals.values())],
            )
        self.fail(
            [(row_no, number, start, ends) for row_no, number, start, ends in bad],
            "certificate_date",
            lambda number, start, ends: Msg(
                f"有效期与该企业同一项目、同一级别的证书 {number}（{_fmt(start)} ~ {_fmt(ends)}）重叠。",
                f"The validity overlaps certification {number} ({_fmt(start)} ~ {_fmt(ends)}) "
                "of the same firm, programme and level.",
            ),
        )
        self.fail(
            self.rows(
                "SELECT DISTINCT ON (b.row_no) b.row_no, a.row_no FROM {st} a JOIN {st} b"
                " ON a.firm_id = b.firm_id AND a.programme_id = b.programme_id AND a.level = b.level"
                " AND a.row_no < b.row_no"
                " WHERE NOT a.bad AND NOT b.bad AND a.action IN ('create', 'update')"
                " AND b.action IN ('create', 'update')"
                " AND (a.vend IS NULL OR a.vend >= a.vfrom) AND (b.vend IS NULL OR b.vend >= b.vfrom)"
                " AND daterange(a.vfrom, a.vend, '[]') && daterange(b.vfrom, b.vend, '[]')"
                " ORDER BY b.row_no, a.row_no"
            ),
            "certificate_date",
            lambda first: Msg(
                f"有效期与第 {first} 行（同一企业、同一项目、同一级别）重叠。",
                f"The validity overlaps row {first} (same firm, programme and level).",
            ),
        )

    # ---- writing --------------------------------------------------------------------------

    def before_write(self) -> None:
        # Shorten the certifications being renewed first: the exclusion constraint is checked row by row.
        self.sql(
            "UPDATE programmes_certification c SET superseded_on = s.vfrom, updated_at = now() FROM {st} s"
            " WHERE NOT s.bad AND s.action = 'create' AND s.renews_id = c.id"
        )

    def write(self, lo: int, hi: int) -> tuple[int, int]:
        window = "NOT s.bad AND s.row_no BETWEEN %(lo)s AND %(hi)s"
        params = {"lo": lo, "hi": hi, "user": getattr(self.run.options.user, "pk", None)}
        # A corrected certificate date moves its start: the predecessor it renews follows, shortened
        # before and lengthened after the update, again for the row-by-row constraint.
        self.sql(
            "UPDATE programmes_certification p SET superseded_on = s.vfrom, updated_at = now()"  # noqa: S608
            " FROM {st} s JOIN programmes_certification u ON u.id = s.cert_id"
            f" WHERE {window} AND s.action = 'update' AND p.id = u.renews_id AND s.vfrom < p.superseded_on",
            params,
        )
        updated = self.sql(
            "UPDATE programmes_certification c SET certificate_date = s.cdate, level = s.level,"  # noqa: S608
            " batch = s.new_batch, valid_from = s.vfrom, valid_until = s.vuntil, updated_at = now()"
            f" FROM {{st}} s WHERE {window} AND s.action = 'update' AND c.id = s.cert_id",
            params,
        ).rowcount
        self.sql(
            "UPDATE programmes_certification p SET superseded_on = s.vfrom, updated_at = now()"  # noqa: S608
            " FROM {st} s JOIN programmes_certification u ON u.id = s.cert_id"
            f" WHERE {window} AND s.action = 'update' AND p.id = u.renews_id"
            " AND p.superseded_on IS DISTINCT FROM s.vfrom",
            params,
        )
        created = self.sql(
            "INSERT INTO programmes_certification (firm_id, programme_id, level, number, batch, entry_route,"  # noqa: S608
            " certificate_date, valid_from, valid_until, revocation_reason, renews_id, notes, created_by_id,"
            " created_at, updated_at)"
            " SELECT s.firm_id, s.programme_id, s.level, s.number, s.new_batch, '', s.cdate, s.vfrom, s.vuntil,"
            " '', s.renews_id, '', %(user)s, now(), now()"
            f" FROM {{st}} s WHERE {window} AND s.action = 'create' ORDER BY s.row_no",
            params,
        ).rowcount
        return created, updated
