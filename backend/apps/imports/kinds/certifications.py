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
from apps.imports.kinds.base import Kind, RowError, Run
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
        ("c_revoked", "date"),
        ("c_superseded", "date"),
        ("c_renews", "bigint"),
    )

    # What the checks read: the firms, certifications and programmes, and the uploader's role and zones.
    depends_on = (
        "registry_firm",
        "programmes_certification",
        "programmes_programme",
        "accounts_user",
        "accounts_user_zones",
    )

    def prepare(self) -> None:
        self.programmes: dict[str, Programme] = {}
        for programme in Programme.objects.all():
            for word in (programme.code, programme.name_zh, programme.name_en):
                if word:
                    self.programmes[cells.name_key(word).lower()] = programme
        self.default_programme: Programme | None = self.run.options.programme
        self.default_level = self.run.options.level
        self.at = {key: matched.index for key, matched in self.header.columns.items()}
        self.programme_ids = {p.code: p.pk for p in set(self.programmes.values())}
        # Recognition lists carry a handful of dates: the derived end of validity is computed once per date.
        self.derived: dict[tuple[int, dt.date], dt.date | None] = {}
        # Without 项目 and 级别 columns every row has the form's programme and level: check those once.
        self.form_programme: Programme | None = None
        self.form_level = ""
        self.form_level_errors: list[RowError] = []
        if self.default_programme is not None and "programme" not in self.at and "level" not in self.at:
            probe = Run(table=self.run.table, options=self.run.options, progress=self.run.progress)
            checker = type(self)(probe)
            checker.header = self.header
            checker.default_programme, checker.default_level = self.default_programme, self.default_level
            self.form_level = checker._level(0, self.default_programme)
            self.form_level_errors = probe.errors.get(0, [])
            self.form_programme = self.default_programme

    def parse(self, row: int, values: list[Any]) -> tuple[Any, ...]:
        # The hot loop of a large import: plain index lookups and the common cell types first; the rare
        # cases (odd cells, errors) go through the helpers.
        at = self.at
        raw = values[at["uscc"]] if "uscc" in at else None
        if type(raw) is str and raw.isascii() and raw[:1] != "'":
            code = raw.strip().replace(" ", "").replace("-", "").upper()
            name = "" if code else self.firm_code(row, values)[1]
        else:
            code, name = self.firm_code(row, values)
        number = cells.text(values[at["number"]]) if "number" in at else ""
        if not number.isprintable():
            number = self.one_line(row, "number", number)
        if len(number) > 100:
            number = self.read_checked(row, "number", number, 100)
        batch = cells.text(values[at["batch"]]) if "batch" in at else ""
        if not batch.isprintable():
            batch = self.one_line(row, "batch", batch)
        if len(batch) > 100:
            batch = self.read_checked(row, "batch", batch, 100)
        raw = values[at["certificate_date"]] if "certificate_date" in at else None
        try:
            day: dt.date | None = dt.date.fromisoformat(raw) if type(raw) is str and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None or not EARLIEST <= day <= LATEST:
            day = self._certificate_date(row, values)
        programme: Programme | None
        if self.form_programme is not None:
            programme, level = self.form_programme, self.form_level
            if self.form_level_errors:
                for error in self.form_level_errors:
                    self.run.add(row, error.column, error.message)
        else:
            programme = self._programme(row)
            level = self._level(row, programme)
        until = self.read(row, "valid_until", cells.date) if "valid_until" in at else None
        if until is not None and day is not None and until < day:
            self.error(
                row,
                "valid_until",
                Msg("有效期截止日不能早于发证日期。", "The end of validity cannot be before the certificate date."),
            )
        derived = None
        programme_id = None
        if programme is not None:
            programme_id = self.programme_ids[programme.code]
            if day is not None:
                key = (programme_id, day)
                if key not in self.derived:
                    self.derived[key] = validity_for(programme, day)[1]
                derived = self.derived[key]
        return (code, name, number, day, batch or None, programme_id, level, until, derived)

    def _certificate_date(self, row: int, values: list[Any]) -> dt.date | None:
        if "certificate_date" not in self.at:
            return None
        try:
            day = cells.date(values[self.at["certificate_date"]], self.label("certificate_date"))
        except cells.CellError as exc:
            self.error(row, "certificate_date", exc.message)
            return None
        if day is None:
            self.error(row, "certificate_date", Msg("请填写发证日期。", "The certificate date is missing."))
        elif not EARLIEST <= day <= LATEST:
            self.error(
                row,
                "certificate_date",
                Msg(
                    f"发证日期须在 {EARLIEST} 至 {LATEST} 之间。", f"The date must be between {EARLIEST} and {LATEST}."
                ),
            )
            return None
        return day

    def read_checked(self, row: int, key: str, value: str, limit: int) -> str:
        try:
            return cells.max_length(value, self.label(key), limit)
        except cells.CellError as exc:
            self.error(row, key, exc.message)
            return value[:limit]

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

    # What each good row will hold, from the row (t) and the certification it matched (c, or none): an
    # existing one keeps its dates unless the certificate date changes (then they follow the programme's
    # rule again) or 有效期至 is given; a new one has the derived validity.
    _VFROM = "CASE WHEN c.id IS NOT NULL AND t.cdate = c.certificate_date THEN c.valid_from ELSE t.cdate END"
    _VUNTIL = (
        "CASE WHEN t.vu IS NOT NULL THEN t.vu WHEN c.id IS NOT NULL AND t.cdate = c.certificate_date"
        " THEN c.valid_until ELSE t.vu_derived END"
    )
    _BATCH = "COALESCE(t.batch, c.batch, '')"

    def _values(self) -> dict[str, str]:
        """The columns a match with certification `c` (or none) decides, as SQL over the row `t`."""
        return {
            "cert_id": "c.id",
            "cert_firm": "c.firm_id",
            "vfrom": self._VFROM,
            "vuntil": self._VUNTIL,
            "vend": f"LEAST({self._VUNTIL}, c.revoked_on - 1, c.superseded_on - 1)",
            "new_batch": self._BATCH,
            "c_revoked": "c.revoked_on",
            "c_superseded": "c.superseded_on",
            "c_renews": "c.renews_id",
            "action": "CASE WHEN c.id IS NULL THEN 'create'"
            f" WHEN c.certificate_date = t.cdate AND c.level = t.level AND c.batch = {self._BATCH}"
            f" AND c.valid_from = {self._VFROM} AND c.valid_until IS NOT DISTINCT FROM {self._VUNTIL}"
            " THEN 'unchanged' ELSE 'update' END",
        }

    def _resolve(self, join: str, where: str) -> None:
        """The same for a few rows, matched once their firm is known (`s` is the row before the update)."""
        assignments = ", ".join(f"{name} = {sql}" for name, sql in self._values().items())
        self.sql(
            f"UPDATE {{st}} t SET {assignments} FROM {{st}} s LEFT JOIN programmes_certification c ON {join}"  # noqa: S608
            f" WHERE t.row_no = s.row_no AND {where}"
        )

    def check(self) -> None:
        # The common case in one pass: the firm by USCC; the certification by programme + number.
        in_scope, params = self.firm_scope_sql("f")  # a zone-limited importer matches only their zones' firms
        self.rebuild(
            {**self._values(), "firm_id": "f.id", "firm_zone": "f.zone_id"},
            "LEFT JOIN registry_firm f ON t.uscc <> '' AND f.uscc = t.uscc"
            + in_scope
            + " LEFT JOIN programmes_certification c"
            " ON t.number <> '' AND c.programme_id = t.programme_id AND c.number = t.number",
            params,
        )
        self.resolve_firms(by_code=False)
        # Rows without a number are matched on firm, programme, level and certificate date, once firms are known.
        if self.rows("SELECT 1 FROM {st} WHERE number = '' AND firm_id IS NOT NULL LIMIT 1"):
            self._resolve(
                "c.number = '' AND c.firm_id = s.firm_id AND c.programme_id = s.programme_id AND c.level = s.level"
                " AND c.certificate_date = s.cdate",
                "t.number = '' AND t.firm_id IS NOT NULL",
            )
        self.check_scope()
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
        self.check_duplicates(
            "programme_id, CASE WHEN number <> '' THEN number"
            " ELSE firm_id::text || '|' || level || '|' || cdate::text END",
            "number",
            Msg("项目和证书编号", "programme and certificate number"),
        )
        self.fail(
            self.rows(
                "SELECT row_no, c_revoked, c_superseded FROM {st} WHERE NOT bad AND cert_id IS NOT NULL"
                " AND (vfrom > c_revoked OR vfrom >= c_superseded OR vuntil < vfrom)"
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
                "SELECT s.row_no, p.valid_from FROM {st} s JOIN programmes_certification p ON p.id = s.c_renews"
                " WHERE NOT s.bad AND s.action = 'update' AND s.vfrom <= p.valid_from"
            ),
            "certificate_date",
            lambda start: Msg(
                f"续期证书须在原证书生效日 {start} 之后生效。",
                f"A renewal must start after the renewed certification's start ({start}).",
            ),
        )

    def classify(self) -> None:
        # The action was set with the values; what is left is the no-overlap rule.
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
