"""The default programme catalogue (SPEC §3.1) and its known yearly deadlines, shipped as data.

Everything here is data administrators may edit afterwards (validity years, lead times, deadlines);
values domain-rules.md marks UNCONFIRMED say so in `description` / `notes`. Re-running on a
database that already has a programme leaves the administrator's edits alone.
"""

from django.db import migrations

LEADS = [180, 90, 30]

PROGRAMMES = [
    {
        "code": "TSME",
        "name_zh": "科技型中小企业",
        "name_en": "Technology-based SME",
        "levels": ["national"],
        "validity_kind": "calendar_year",
        "validity_years": None,
        "ladder": "tech",
        "rung": 1,
        "description": "入库登记编号仅当年有效，每年重新评价（国科发政〔2017〕115号；2025 年起由工信部组织）。"
        " Registration valid for the calendar year of issue; re-evaluated every year.",
    },
    {
        "code": "HNTE",
        "name_zh": "高新技术企业",
        "name_en": "High and New Technology Enterprise",
        "levels": ["national"],
        "validity_kind": "years",
        "validity_years": 3,
        "ladder": "tech",
        "rung": 2,
        "description": "自证书颁发之日起有效期三年；期满须按初次申请重新认定，通常在到期当年申报（国科发火〔2016〕32号）。"
        " Valid 3 years from the certificate date; renewal is a fresh application in the expiry year.",
    },
    {
        "code": "ISME",
        "name_zh": "创新型中小企业",
        "name_en": "Innovative SME",
        "levels": ["municipal"],
        "validity_kind": "years",
        "validity_years": 3,
        "ladder": "quality_sme",
        "rung": 1,
        "description": "有效期三年（UNCONFIRMED：条文未核实）。 Valid 3 years (UNCONFIRMED).",
    },
    {
        "code": "SRDI",
        "name_zh": "专精特新中小企业",
        "name_en": "Specialised and innovative SME",
        "levels": ["municipal"],
        "validity_kind": "years",
        "validity_years": 3,
        "ladder": "quality_sme",
        "rung": 2,
        "description": "市级认定，有效期三年，到期前复核。 Municipal; valid 3 years, re-review (复核) before expiry.",
    },
    {
        "code": "LITTLE_GIANT",
        "name_zh": "专精特新“小巨人”企业",
        "name_en": "Specialised and innovative 'little giant'",
        "levels": ["national"],
        "validity_kind": "years",
        "validity_years": 3,
        "ladder": "quality_sme",
        "rung": 3,
        "description": "国家级，有效期三年，到期前复核。 National; valid 3 years, re-review before expiry.",
    },
    {
        "code": "CHAMPION",
        "name_zh": "制造业单项冠军",
        "name_en": "Manufacturing single champion",
        "levels": ["national", "municipal"],
        "validity_kind": "years",
        "validity_years": 3,
        "ladder": "quality_sme",
        "rung": 4,
        "description": "有效期三年（UNCONFIRMED，数值为可修改数据）。 Valid 3 years (UNCONFIRMED; editable).",
    },
    {
        "code": "ABOVE_SIZE",
        "name_zh": "规上/限上/有资质企业（四上）",
        "name_en": "Above-size enterprise",
        "levels": ["statistical"],
        "validity_kind": "open_ended",
        "validity_years": None,
        "ladder": "scale",
        "rung": 1,
        "description": "统计部门入库，直至退库。月度入库与年度入库以 entry_route 区分。"
        " Entered by the statistics bureau, valid until removed; entry_route tells monthly from annual entry.",
    },
    {
        "code": "LISTING_RESERVE",
        "name_zh": "上市后备企业",
        "name_en": "Listing reserve",
        "levels": ["district", "municipal", "priority"],
        "validity_kind": "open_ended",
        "validity_years": None,
        "ladder": "capital",
        "rung": 1,
        "description": "区级培育库 / 市级储备库 / 市级重点，直至移出或上市。 Until removed or listed.",
    },
    {
        "code": "GAZELLE",
        "name_zh": "瞪羚企业",
        "name_en": "Gazelle enterprise",
        "levels": ["municipal"],
        "validity_kind": "calendar_year",
        "validity_years": None,
        "ladder": "growth",
        "rung": 1,
        "description": "重庆市年度名单。 Chongqing's yearly list.",
    },
]

DEADLINES = [
    {
        "programme": "HNTE",
        "kind": "annual_report",
        "name": "高新技术企业年度发展情况报表",
        "name_en": "HNTE annual report",
        "month": 5,
        "day": 31,
        "notes": "有效期内每年 5 月底前填报上一年度情况；累计两年未报将被取消资格。Source: domain-rules §1.3.",
    },
    {
        "programme": "TSME",
        "kind": "application_window",
        "name": "科技型中小企业评价填报（2025 年）",
        "name_en": "TSME evaluation window 2025",
        "opens_month": 6,
        "opens_day": 30,
        "month": 9,
        "day": 30,
        "first_year": 2025,
        "last_year": 2025,
        "notes": "工信部 2025-06-30 通知：填报系统 6 月 30 日至 9 月 30 日开放。Windows move every year: add the next year's here.",
    },
    {
        "programme": "SRDI",
        "kind": "data_update",
        "name": "专精特新中小企业年度数据更新",
        "name_en": "SRDI yearly data update",
        "month": 5,
        "day": 31,
        "first_year": 2026,
        "notes": "2026 年《优质中小企业梯度培育管理办法》：每年 5 月 31 日前更新数据（UNCONFIRMED，需核对原文）。",
    },
    {
        "programme": "LITTLE_GIANT",
        "kind": "data_update",
        "name": "专精特新“小巨人”年度数据更新",
        "name_en": "Little-giant yearly data update",
        "month": 5,
        "day": 31,
        "first_year": 2026,
        "notes": "2026 年《优质中小企业梯度培育管理办法》：每年 5 月 31 日前更新数据（UNCONFIRMED，需核对原文）。",
    },
]


def load_catalogue(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    ProgrammeDeadline = apps.get_model("programmes", "ProgrammeDeadline")
    for spec in PROGRAMMES:
        Programme.objects.get_or_create(
            code=spec["code"], defaults={**spec, "renewal_lead_days": LEADS, "builtin": True, "active": True}
        )
    for spec in DEADLINES:
        programme = Programme.objects.get(code=spec["programme"])
        values = {k: v for k, v in spec.items() if k != "programme"}
        if not ProgrammeDeadline.objects.filter(programme=programme, name=values["name"]).exists():
            ProgrammeDeadline.objects.create(programme=programme, **values)


def unload_catalogue(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Programme.objects.filter(code__in=[p["code"] for p in PROGRAMMES], certifications__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, unload_catalogue)]
