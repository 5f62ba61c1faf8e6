"""Writes to figures and evidence files, and the rules they obey.

States of a figures version:

    proposed ──verify──► verified ──(a newer version is verified)──► superseded
        │  └─(a newer proposal for the same period)──► superseded
        └──reject──► rejected

- An enterprise user submits a *proposal* for its own firm. A second proposal for the same firm
  and period supersedes the open one (both rows are kept).
- Staff *verify* or *reject* (with a reason) a proposal. Verifying supersedes the previous
  verified version of that period.
- Staff (or an import) may enter values directly: they are verified at once.
- Only a proposal may be edited in place; anything reviewed is corrected by a new version.

Every write takes a row lock on the firm first, so two submissions for one firm never interleave;
the partial unique indexes are the last line of defence (a lost race becomes a 409).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from apps.core import clock
from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.core.permissions import ENTERPRISE, role_of
from apps.figures import selectors, uploads
from apps.figures.models import (
    ANNUAL_NOT_ABOVE,
    EARLIEST_YEAR,
    SIGNED_MONEY_FIELDS,
    AnnualFigures,
    EvidenceFile,
    FigureSource,
    FigureState,
    FigureVersion,
    MonthlyFigures,
)
from apps.registry.models import Firm

F = TypeVar("F", bound=FigureVersion)

FIELD_LABELS = {
    "operating_revenue": ("营业收入", "operating revenue"),
    "main_business_revenue": ("主营业务收入", "main-business revenue"),
    "sales_revenue": ("销售收入", "sales revenue"),
    "high_tech_revenue": ("高新技术产品（服务）收入", "high-tech product revenue"),
    "rd_expense": ("研发费用总额", "total R&D expense"),
    "rd_expense_domestic": ("境内研发费用", "R&D expense in China"),
    "total_costs": ("成本费用总额", "total costs and expenses"),
    "total_assets": ("资产总额", "total assets"),
    "total_liabilities": ("负债总额", "total liabilities"),
    "output_value": ("工业总产值", "industrial output value"),
    "equity_financing": ("新增股权融资额", "new equity financing"),
    "import_export_value": ("进出口总额", "import/export value"),
    "staff_total": ("职工总数", "total staff"),
    "st_staff": ("科技人员数", "S&T staff"),
    "rd_staff": ("研发人员数", "R&D staff"),
    "ip_class1": ("Ⅰ类知识产权数", "class-I IP count"),
    "ip_class2": ("Ⅱ类知识产权数", "class-II IP count"),
    "ip_class1_high_value": ("高价值Ⅰ类知识产权数", "high-value class-I IP count"),
    "st_results_converted": ("科技成果转化数", "S&T results converted"),
    "main_business_revenue_ytd": ("本年累计主营业务收入", "year-to-date main-business revenue"),
    "output_value_ytd": ("本年累计工业总产值", "year-to-date output value"),
}


def negative_message(name: str) -> Any:
    zh, en = FIELD_LABELS.get(name, (name, name))
    return t(f"{zh}不能为负数。", f"The {en} cannot be negative.")


# ---------------------------------------------------------------------------------------------
# Validation (shared by the API serializers and every other write path)


def _today() -> dt.date:
    return clock.today()


def fiscal_year_errors(year: int | None, field: str = "fiscal_year") -> dict[str, list[Any]]:
    if year is None:
        return {}
    if year < EARLIEST_YEAR:
        return {field: [t(f"年份不能早于 {EARLIEST_YEAR} 年。", f"The year cannot be before {EARLIEST_YEAR}.")]}
    if year > _today().year:
        return {
            field: [
                t(
                    f"{year} 年尚未到来，不能填报未来年度的数据。",
                    f"{year} is in the future; figures cannot be submitted for a future year.",
                )
            ]
        }
    return {}


def month_errors(year: int | None, month: int | None) -> dict[str, list[Any]]:
    errors = fiscal_year_errors(year, "year")
    if errors or month is None:
        return errors
    if not 1 <= month <= 12:
        return {
            "month": [
                t(f"月份必须在 1 到 12 之间，收到 {month}。", f"The month must be between 1 and 12, got {month}.")
            ]
        }
    today = _today()
    if year is not None and (year, month) > (today.year, today.month):
        return {
            "month": [
                t(
                    f"{year} 年 {month} 月尚未到来，不能填报未来月份的数据。",
                    f"{year}-{month:02d} is in the future; figures cannot be submitted for a future month.",
                )
            ]
        }
    return {}


def value_errors(model: type[FigureVersion], values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Errors by field for a complete set of values (None = not given)."""
    errors: dict[str, list[Any]] = {}
    for name in model.VALUE_FIELDS:
        value = values.get(name)
        if value is not None and name not in SIGNED_MONEY_FIELDS and Decimal(value) < 0:
            errors.setdefault(name, []).append(negative_message(name))
    if model is AnnualFigures:
        for small, large in ANNUAL_NOT_ABOVE:
            a, b = values.get(small), values.get(large)
            if a is None or b is None or _has_error(errors, small, large) or Decimal(a) <= Decimal(b):
                continue
            zh_s, en_s = FIELD_LABELS[small]
            zh_l, en_l = FIELD_LABELS[large]
            errors.setdefault(small, []).append(
                t(f"{zh_s}（{a}）不能超过{zh_l}（{b}）。", f"The {en_s} ({a}) cannot exceed the {en_l} ({b}).")
            )
    if not errors and all(values.get(name) is None for name in model.VALUE_FIELDS):
        errors["non_field_errors"] = [t("请至少填写一项数据。", "Fill in at least one value.")]
    return errors


def _has_error(errors: Mapping[str, Any], *names: str) -> bool:
    return any(name in errors for name in names)


def period_errors(model: type[FigureVersion], period: Mapping[str, int | None]) -> dict[str, list[Any]]:
    if model is AnnualFigures:
        return fiscal_year_errors(period.get("fiscal_year"))
    return month_errors(period.get("year"), period.get("month"))


def _check(model: type[FigureVersion], period: Mapping[str, int], values: Mapping[str, Any]) -> None:
    errors = period_errors(model, period)
    errors.update(value_errors(model, values))
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------------------------------------
# Figures


def _lock_firm(firm: Firm) -> None:
    list(Firm.objects.select_for_update().filter(pk=firm.pk).values_list("pk", flat=True))


def _next_version(model: type[F], firm: Firm, period: Mapping[str, int]) -> int:
    top = model._default_manager.filter(firm=firm, **period).aggregate(top=Max("version"))["top"]
    return int(top or 0) + 1


def _supersede(model: type[F], firm: Firm, period: Mapping[str, int], state: str) -> int:
    now = timezone.now()
    # updated_at too (update() skips auto_now): it is the version an ETag carries.
    return model._default_manager.filter(firm=firm, state=state, **period).update(
        state=FigureState.SUPERSEDED, superseded_at=now, updated_at=now
    )


def _insert(model: type[F], **fields: Any) -> F:
    row = model(**fields)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            t(
                "同一企业同一期间的数据正在被同时提交，请刷新后重试。",
                "Figures for this firm and period were submitted at the same time; refresh and try again.",
            )
        ) from exc
    return row


@transaction.atomic
def figures_propose(
    *, model: type[F], firm: Firm, period: Mapping[str, int], values: Mapping[str, Any], user: Any, note: str = ""
) -> F:
    """An enterprise's proposal. An open proposal for the same period is superseded, not overwritten."""
    _check(model, period, values)
    _lock_firm(firm)
    _supersede(model, firm, period, FigureState.PROPOSED)
    return _insert(
        model,
        firm=firm,
        **period,
        **values,
        state=FigureState.PROPOSED,
        source=FigureSource.ENTERPRISE,
        version=_next_version(model, firm, period),
        submitted_by=user,
        note=note,
    )


@transaction.atomic
def figures_enter(
    *,
    model: type[F],
    firm: Firm,
    period: Mapping[str, int],
    values: Mapping[str, Any],
    user: Any,
    source: str = FigureSource.STAFF,
    note: str = "",
) -> F:
    """Values entered by staff (or imported): verified at once, superseding the previous verified version."""
    _check(model, period, values)
    _lock_firm(firm)
    _supersede(model, firm, period, FigureState.VERIFIED)
    now = timezone.now()
    return _insert(
        model,
        firm=firm,
        **period,
        **values,
        state=FigureState.VERIFIED,
        source=source,
        version=_next_version(model, firm, period),
        submitted_by=user,
        reviewed_by=user,
        reviewed_at=now,
        note=note,
    )


def _not_open(figure: FigureVersion) -> Conflict:
    state = FigureState(figure.state).label
    return Conflict(
        t(
            f"该数据当前状态为“{state.split(' / ')[0]}”，只有待核实的数据可以修改或审核；如需更正，请提交新版本。",
            f"These figures are {state.split(' / ')[-1].lower()}; only proposed figures can be edited or reviewed. "
            "Submit a new version to correct them.",
        )
    )


def lock_firm_figures(figure: FigureVersion) -> None:
    """Locks the figure's firm, then the figure's row: the order every write of figures keeps."""
    _lock_firm(Firm(pk=figure.firm_id))
    list(type(figure)._base_manager.select_for_update().filter(pk=figure.pk).values_list("pk", flat=True))


def _locked_open(figure: F) -> F:
    firm = Firm.objects.get(pk=figure.firm_id)
    _lock_firm(firm)
    figure.refresh_from_db()
    if figure.state != FigureState.PROPOSED:
        raise _not_open(figure)
    return figure


@transaction.atomic
def figures_update_proposal(*, figure: F, values: Mapping[str, Any], note: str | None = None) -> F:
    """Edit a still-open proposal in place (the change history keeps every edit)."""
    figure = _locked_open(figure)
    merged = {**figure.values(), **values}
    _check(type(figure), figure.period(), merged)
    for name, value in values.items():
        setattr(figure, name, value)
    if note is not None:
        figure.note = note
    figure.save()
    return figure


@transaction.atomic
def figures_verify(*, figure: F, user: Any, note: str = "") -> F:
    """Staff accept a proposal: it becomes the current figures; the previous verified version is superseded."""
    figure = _locked_open(figure)
    _check(type(figure), figure.period(), figure.values())
    _supersede(type(figure), figure.firm, figure.period(), FigureState.VERIFIED)
    figure.state = FigureState.VERIFIED
    figure.reviewed_by = user
    figure.reviewed_at = timezone.now()
    figure.review_note = note
    figure.save()
    return figure


@transaction.atomic
def figures_reject(*, figure: F, user: Any, reason: str) -> F:
    """Staff send a proposal back with a reason; it stays on record, and the firm may submit again."""
    figure = _locked_open(figure)
    figure.state = FigureState.REJECTED
    figure.reviewed_by = user
    figure.reviewed_at = timezone.now()
    figure.review_note = reason
    figure.save()
    return figure


def figures_submit(
    *, model: type[F], firm: Firm, period: Mapping[str, int], values: Mapping[str, Any], user: Any, note: str = ""
) -> F:
    """The API's create: an enterprise user proposes; staff and administrators enter verified values."""
    if role_of(user) == ENTERPRISE:
        return figures_propose(model=model, firm=firm, period=period, values=values, user=user, note=note)
    return figures_enter(model=model, firm=firm, period=period, values=values, user=user, note=note)


# Convenience wrappers with the entity in the name, for callers outside the API.


def annual_figures_propose(
    *, firm: Firm, fiscal_year: int, values: Mapping[str, Any], user: Any, note: str = ""
) -> AnnualFigures:
    return figures_propose(
        model=AnnualFigures, firm=firm, period={"fiscal_year": fiscal_year}, values=values, user=user, note=note
    )


def annual_figures_enter(
    *,
    firm: Firm,
    fiscal_year: int,
    values: Mapping[str, Any],
    user: Any,
    source: str = FigureSource.STAFF,
    note: str = "",
) -> AnnualFigures:
    return figures_enter(
        model=AnnualFigures,
        firm=firm,
        period={"fiscal_year": fiscal_year},
        values=values,
        user=user,
        source=source,
        note=note,
    )


def monthly_figures_propose(
    *, firm: Firm, year: int, month: int, values: Mapping[str, Any], user: Any, note: str = ""
) -> MonthlyFigures:
    return figures_propose(
        model=MonthlyFigures, firm=firm, period={"year": year, "month": month}, values=values, user=user, note=note
    )


def monthly_figures_enter(
    *,
    firm: Firm,
    year: int,
    month: int,
    values: Mapping[str, Any],
    user: Any,
    source: str = FigureSource.STAFF,
    note: str = "",
) -> MonthlyFigures:
    return figures_enter(
        model=MonthlyFigures,
        firm=firm,
        period={"year": year, "month": month},
        values=values,
        user=user,
        source=source,
        note=note,
    )


# ---------------------------------------------------------------------------------------------
# Evidence files


def _certification_errors(certification_id: int | None, firm: Firm) -> dict[str, list[Any]]:
    """The certification must be the firm's own, once the certifications app exists.

    TODO(certifications): replace with a ForeignKey on EvidenceFile when programmes.Certification lands.
    """
    if certification_id is None:
        return {}
    try:
        certification = django_apps.get_model("programmes", "Certification")
    except LookupError:
        return {}
    if not certification._default_manager.filter(pk=certification_id, firm_id=firm.pk).exists():
        return {
            "certification_id": [
                t(
                    f"认定记录 {certification_id} 不存在或不属于该企业。",
                    f"Certification {certification_id} does not exist or does not belong to this firm.",
                )
            ]
        }
    return {}


@transaction.atomic
def evidence_upload(
    *,
    firm: Firm,
    upload: UploadedFile,
    user: Any,
    fiscal_year: int | None = None,
    certification_id: int | None = None,
    kind: str = "other",
    title: str = "",
) -> EvidenceFile:
    """Store an evidence file after checking its size and its real content type."""
    if upload.size is not None and upload.size > uploads.max_upload_bytes():
        raise uploads.too_large()
    errors: dict[str, list[Any]] = {}
    if fiscal_year is None and certification_id is None:
        errors["fiscal_year"] = [
            t("请指定文件所属的会计年度或认定记录。", "Attach the file to a fiscal year or a certification.")
        ]
    errors.update(fiscal_year_errors(fiscal_year))
    errors.update(_certification_errors(certification_id, firm))
    name = uploads.clean_name(upload.name or "")
    stream = upload.file
    if stream is None:
        raise ValidationError({"file": [t("没有收到文件内容。", "No file content was received.")]})
    try:
        kind_of = uploads.check(stream, name)
    except uploads.UnacceptableFile as exc:
        errors.setdefault("file", []).append(exc.message)
        kind_of = None
    if errors:
        raise ValidationError(errors)
    assert kind_of is not None
    evidence = EvidenceFile(
        firm=firm,
        fiscal_year=fiscal_year,
        certification_id=certification_id,
        kind=kind,
        title=title,
        storage_key=uuid.uuid4().hex,
        extension=kind_of.extension,
        original_name=name,
        content_type=kind_of.content_type,
        size=upload.size or 0,
        sha256=uploads.sha256_of(stream),
        uploaded_by=user,
        uploaded_by_role=role_of(user) or "",
    )
    evidence.file.save(f"{evidence.storage_key}.{kind_of.extension}", upload, save=False)
    stored = evidence.file.name
    try:
        with transaction.atomic():
            evidence.save()
    except Exception:
        evidence.file.storage.delete(stored)
        raise
    # Known gap: if the surrounding request rolls back after this point, the stored bytes stay behind
    # unreferenced (Django has no on-rollback hook). A cleanup job can remove files no row names.
    return evidence


def evidence_may_delete(*, evidence: EvidenceFile, user: Any) -> bool:
    """Staff and administrators may delete any file in scope. An enterprise user may delete its firm's own
    uploads while they are tied only to a fiscal year whose figures are not yet verified."""
    if role_of(user) != ENTERPRISE:
        return True
    if evidence.uploaded_by_role != ENTERPRISE or evidence.certification_id is not None or evidence.fiscal_year is None:
        return False
    return not selectors.verified_figures_exist(firm_id=evidence.firm_id, fiscal_year=evidence.fiscal_year)


@transaction.atomic
def evidence_delete(*, evidence: EvidenceFile, user: Any) -> None:
    if not evidence_may_delete(evidence=evidence, user=user):
        raise PermissionDenied(
            t(
                "该文件已关联认定记录或已核实的年度数据，企业用户不能删除；如需删除请联系园区工作人员。",
                "This file backs a certification or verified figures, so an enterprise user cannot delete it; "
                "ask park staff.",
            )
        )
    name, storage = evidence.file.name, evidence.file.storage
    evidence.delete()
    # The bytes go only once the deletion is committed, so a rolled-back request loses nothing.
    transaction.on_commit(lambda: storage.delete(name))
