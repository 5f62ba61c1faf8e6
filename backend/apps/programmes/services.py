"""Writes to programmes and certifications, with their rules. History is written by the database triggers.

Renewal and the overlap constraint (see the models' module doc): renewing sets `superseded_on` on the
predecessor to the successor's `valid_from`, which ends the predecessor's counted period the day
before. Exclusion constraints are checked row by row, so the order of writes matters: a period is
always shortened before another is extended into the freed days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.programmes.models import Certification, Programme, ValidityKind
from apps.registry.models import Firm

# Dates outside this range are typing mistakes; they would also overflow date arithmetic.
EARLIEST = dt.date(1949, 10, 1)
LATEST = dt.date(2099, 12, 31)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 Feb falls on 1 Mar in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def validity_for(programme: Programme, certificate_date: dt.date) -> tuple[dt.date, dt.date | None]:
    """(valid_from, valid_until) by the programme's rule.

    N years: until the day before the N-th anniversary (2019-12-02 → 2022-12-01).
    Calendar year: until 31 Dec of the year of issue. Open-ended: no end until removed.
    """
    if programme.validity_kind == ValidityKind.YEARS:
        return certificate_date, add_years(certificate_date, programme.validity_years or 0) - dt.timedelta(days=1)
    if programme.validity_kind == ValidityKind.CALENDAR_YEAR:
        return certificate_date, dt.date(certificate_date.year, 12, 31)
    return certificate_date, None


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def _describe(cert: Certification) -> str:
    label = cert.number or f"#{cert.pk}"
    return f"{label}（{_fmt(cert.valid_from)} ~ {_fmt(cert.ends_on)}）"


def _overlap_conflict(cert: Certification, other: Certification | None) -> Conflict:
    if other is None:
        return Conflict(
            t(
                "该证书与同一企业、同一项目、同一级别的另一张证书有效期重叠。",
                "This certification overlaps another one of the same firm, programme and level.",
            )
        )
    return Conflict(
        t(
            f"有效期与同一企业、同一项目、同一级别的证书 {_describe(other)} 重叠。续期请使用“续期”操作。",
            f"The validity overlaps certification {_describe(other)} of the same firm, programme and level. "
            "To renew, use the renew action.",
        )
    )


def _find_overlap(cert: Certification, *, ignore: int | None = None) -> Certification | None:
    """Another certification of the same firm, programme and level whose period meets this one's."""
    ends = cert.ends_on
    if ends is not None and ends < cert.valid_from:
        return None  # an empty period overlaps nothing
    candidates = Certification.objects.filter(firm_id=cert.firm_id, programme_id=cert.programme_id, level=cert.level)
    candidates = candidates.exclude(pk__in=[pk for pk in (cert.pk, ignore) if pk])
    candidates = candidates.filter(Q(valid_from__lte=ends) if ends else Q())
    return next((other for other in candidates.order_by("valid_from") if _overlaps(cert, other)), None)


def _overlaps(a: Certification, b: Certification) -> bool:
    a_end, b_end = a.ends_on, b.ends_on
    if (a_end is not None and a_end < a.valid_from) or (b_end is not None and b_end < b.valid_from):
        return False
    return (b_end is None or a.valid_from <= b_end) and (a_end is None or b.valid_from <= a_end)


def _out_of_range() -> Any:
    return t(f"日期须在 {EARLIEST} 至 {LATEST} 之间。", f"The date must be between {EARLIEST} and {LATEST}.")


def _check_in_range(name: str, day: dt.date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValidationError({name: [_out_of_range()]})


def _check_dates(cert: Certification) -> None:
    errors: dict[str, list[Any]] = {}
    for name in ("certificate_date", "valid_from", "valid_until"):
        value = getattr(cert, name)
        if value is not None and not EARLIEST <= value <= LATEST:
            errors[name] = [_out_of_range()]
    if not errors and cert.valid_until is not None and cert.valid_until < cert.valid_from:
        errors["valid_until"] = [t("有效期截止日不能早于起始日。", "valid_until cannot be before valid_from.")]
    if not errors and cert.revoked_on is not None and cert.revoked_on < cert.valid_from:
        errors["valid_from"] = [
            t(
                f"该证书已于 {cert.revoked_on} 撤销，生效日不能晚于撤销日。",
                f"It was revoked on {cert.revoked_on}; it cannot start after that.",
            )
        ]
    if cert.level not in cert.programme.levels:
        allowed = "、".join(cert.programme.levels)
        errors["level"] = [
            t(
                f"项目 {cert.programme.code} 的级别只能是：{allowed}。",
                f"Programme {cert.programme.code} only has these levels: {', '.join(cert.programme.levels)}.",
            )
        ]
    if errors:
        raise ValidationError(errors)


def _save(cert: Certification) -> Certification:
    """Insert or update inside a savepoint; a constraint the checks above missed (a race) is a 409."""
    try:
        with transaction.atomic():
            cert.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "certification_no_overlap":
            raise _overlap_conflict(cert, None) from exc
        if constraint == "certification_number_unique":
            raise _number_taken(cert) from exc
        if "renews" in constraint:
            raise Conflict(t("该证书已有续期证书。", "This certification has already been renewed.")) from exc
        raise Conflict() from exc
    return cert


def _number_taken(cert: Certification) -> ValidationError:
    return ValidationError(
        {
            "number": [
                t(
                    f"项目 {cert.programme.code} 的证书编号 {cert.number} 已登记。",
                    f"Number {cert.number} is already registered for programme {cert.programme.code}.",
                )
            ]
        }
    )


def _check_number(cert: Certification) -> None:
    if not cert.number:
        return
    taken = Certification.objects.filter(programme_id=cert.programme_id, number=cert.number)
    if cert.pk:
        taken = taken.exclude(pk=cert.pk)
    if taken.exists():
        raise _number_taken(cert)


def _check_renewable(predecessor: Certification, *, firm: Firm, programme: Programme, valid_from: dt.date) -> None:
    if predecessor.firm_id != firm.pk or predecessor.programme_id != programme.pk:
        raise ValidationError(
            {"renews": [t("续期证书必须属于同一企业、同一项目。", "A renewal must be of the same firm and programme.")]}
        )
    if predecessor.revoked_on is not None:
        raise Conflict(
            t(
                "已撤销的证书不能续期；请作为新证书登记。",
                "A revoked certification cannot be renewed; enter the new one as a new certification.",
            )
        )
    successor = Certification.objects.filter(renews=predecessor).first()
    if successor is not None:
        raise Conflict(
            t(
                f"该证书已由 {_describe(successor)} 续期。",
                f"This certification was already renewed by {_describe(successor)}.",
            )
        )
    if valid_from <= predecessor.valid_from:
        raise ValidationError(
            {
                "valid_from": [
                    t(
                        f"续期证书须在原证书生效日 {predecessor.valid_from} 之后生效。",
                        f"A renewal must start after the renewed certification's start ({predecessor.valid_from}).",
                    )
                ]
            }
        )


@transaction.atomic
def certification_create(
    *,
    firm: Firm,
    programme: Programme,
    certificate_date: dt.date,
    level: str = "",
    number: str = "",
    batch: str = "",
    entry_route: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    derive_valid_until: bool = True,
    notes: str = "",
    renews: Certification | None = None,
    created_by: Any = None,
) -> Certification:
    """Records an award. Dates not given are derived from the programme's rule; a renewal supersedes `renews`.

    `derive_valid_until=False` with `valid_until=None` records an open end explicitly.
    """
    if not level and len(programme.levels) == 1:
        level = programme.levels[0]
    if not level:
        raise ValidationError({"level": [t("请选择级别。", "Choose a level.")]})
    _check_in_range("certificate_date", certificate_date)
    derived_from, derived_until = validity_for(programme, certificate_date)
    cert = Certification(
        firm=firm,
        programme=programme,
        level=level,
        number=number.strip(),
        batch=batch.strip(),
        entry_route=entry_route,
        certificate_date=certificate_date,
        valid_from=valid_from or derived_from,
        valid_until=valid_until if (valid_until is not None or not derive_valid_until) else derived_until,
        notes=notes,
        renews=renews,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    _check_dates(cert)
    _check_number(cert)
    if renews is not None:
        predecessor = Certification.objects.select_for_update().get(pk=renews.pk)
        _check_renewable(predecessor, firm=firm, programme=programme, valid_from=cert.valid_from)
        # Shorten the predecessor first: the constraint is checked row by row.
        predecessor.superseded_on = cert.valid_from
        _save(predecessor)
        renews.superseded_on = cert.valid_from
    other = _find_overlap(cert)
    if other is not None:
        raise _overlap_conflict(cert, other)
    return _save(cert)


@transaction.atomic
def certification_renew(
    *,
    certification: Certification,
    certificate_date: dt.date,
    number: str = "",
    batch: str = "",
    level: str = "",
    entry_route: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    notes: str = "",
    created_by: Any = None,
) -> Certification:
    """Creates the successor and supersedes `certification` from the successor's first day."""
    return certification_create(
        firm=certification.firm,
        programme=certification.programme,
        certificate_date=certificate_date,
        level=level or certification.level,
        number=number,
        batch=batch,
        entry_route=entry_route,
        valid_from=valid_from,
        valid_until=valid_until,
        notes=notes,
        renews=certification,
        created_by=created_by,
    )


_REDERIVE_ON = ("certificate_date", "programme")


@transaction.atomic
def certification_update(*, certification: Certification, data: dict[str, Any]) -> Certification:
    """Corrects a record. The firm, programme and lineage stay; revocation has its own action.

    When the certificate date changes and the client sends no validity dates, or sends them as null,
    they are derived again from the programme's rule.
    """
    cert = Certification.objects.select_for_update().select_related("programme").get(pk=certification.pk)
    for name in ("firm", "programme", "renews"):
        if name in data and getattr(data[name], "pk", data[name]) != getattr(cert, f"{name}_id"):
            raise ValidationError(
                {
                    name: [
                        t(
                            "不能修改；如登记有误，请删除后重新登记。",
                            "This cannot be changed; delete and re-enter the record instead.",
                        )
                    ]
                }
            )
    old_from = cert.valid_from
    for name in ("level", "number", "batch", "entry_route", "certificate_date", "valid_from", "valid_until", "notes"):
        if name in data:
            setattr(cert, name, data[name].strip() if name in ("number", "batch") else data[name])
    _check_in_range("certificate_date", cert.certificate_date)
    # Dates sent as null, or left out while the certificate date changes, follow the programme's rule.
    derived_from, derived_until = validity_for(cert.programme, cert.certificate_date)
    date_changed = "certificate_date" in data and data["certificate_date"] != certification.certificate_date
    if data.get("valid_from", ...) is None or (date_changed and "valid_from" not in data):
        cert.valid_from = derived_from
    if data.get("valid_until", ...) is None or (date_changed and "valid_until" not in data):
        cert.valid_until = derived_until
    _check_dates(cert)
    _check_number(cert)
    successor = Certification.objects.filter(renews=cert).first()
    if successor is not None and successor.valid_from <= cert.valid_from:
        raise ValidationError(
            {
                "valid_from": [
                    t(
                        f"必须早于续期证书的生效日 {successor.valid_from}。",
                        f"Must be before the start of its renewal ({successor.valid_from}).",
                    )
                ]
            }
        )
    predecessor = Certification.objects.select_for_update().get(pk=cert.renews_id) if cert.renews_id else None
    if predecessor is not None and cert.valid_from <= predecessor.valid_from:
        raise ValidationError(
            {
                "valid_from": [
                    t(
                        f"续期证书须在原证书生效日 {predecessor.valid_from} 之后生效。",
                        f"A renewal must start after the renewed certification's start ({predecessor.valid_from}).",
                    )
                ]
            }
        )
    # The predecessor is cut back to this one's start below, so it cannot be in the way.
    other = _find_overlap(cert, ignore=cert.renews_id)
    if other is not None:
        raise _overlap_conflict(cert, other)
    moved_earlier = cert.valid_from < old_from
    if predecessor is not None and moved_earlier:
        predecessor.superseded_on = cert.valid_from
        _save(predecessor)
    _save(cert)
    if predecessor is not None and not moved_earlier and predecessor.superseded_on != cert.valid_from:
        predecessor.superseded_on = cert.valid_from
        _save(predecessor)
    return cert


@transaction.atomic
def certification_revoke(*, certification: Certification, date: dt.date, reason: str) -> Certification:
    """From `date` on the certification no longer counts (SPEC §5: no revocation dated on or before d)."""
    cert = Certification.objects.select_for_update().select_related("programme").get(pk=certification.pk)
    if cert.revoked_on is not None:
        raise Conflict(
            t(f"该证书已于 {cert.revoked_on} 撤销。", f"This certification was already revoked on {cert.revoked_on}.")
        )
    errors: list[Any] = []
    if not EARLIEST <= date <= LATEST:
        errors.append(_out_of_range())
    elif date <= cert.valid_from:
        # A certificate revoked from its first day never counted: that is a mistaken record to delete.
        errors.append(
            t(
                f"撤销日期须晚于生效日 {cert.valid_from}；若证书自始无效，请删除该证书记录。",
                f"The revocation must be after the start ({cert.valid_from}); "
                "if the certificate never counted, delete the record instead.",
            )
        )
    elif cert.valid_until is not None and date > cert.valid_until:
        errors.append(
            t(f"该证书已于 {cert.valid_until} 到期，无需撤销。", f"It already expired on {cert.valid_until}.")
        )
    elif cert.superseded_on is not None and date >= cert.superseded_on:
        errors.append(
            t(
                f"该证书自 {cert.superseded_on} 起已被续期证书取代；请撤销续期证书。",
                f"It was superseded by its renewal on {cert.superseded_on}; revoke the renewal instead.",
            )
        )
    if errors:
        raise ValidationError({"date": errors})
    cert.revoked_on = date
    cert.revocation_reason = reason.strip()
    return _save(cert)


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    """For a record entered by mistake. A renewed certification stays (its successor refers to it)."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    successor = Certification.objects.filter(renews=cert).first()
    if successor is not None:
        raise Conflict(
            t(
                f"该证书已由 {_describe(successor)} 续期，请先删除续期证书。",
                f"It was renewed by {_describe(successor)}; delete the renewal first.",
            )
        )
    predecessor_id = cert.renews_id
    cert.delete()
    if predecessor_id is not None:
        # The predecessor counts again up to its printed end, as if it had never been renewed.
        predecessor = Certification.objects.get(pk=predecessor_id)
        predecessor.superseded_on = None
        _save(predecessor)


def programme_delete(*, programme: Programme) -> None:
    """Only local programmes nobody holds can go; shipped ones are switched off with `active`."""
    if programme.builtin:
        raise Conflict(
            t(
                f"{programme.code} 是系统内置项目，不能删除；可将其停用。",
                f"{programme.code} ships with Seedbed and cannot be deleted; deactivate it instead.",
            )
        )
    if programme.certifications.exists():
        raise Conflict(
            t(
                f"仍有企业持有 {programme.code} 的证书，不能删除；可将其停用。",
                f"Certifications of {programme.code} exist, so it cannot be deleted; deactivate it instead.",
            )
        )
    programme.delete()
