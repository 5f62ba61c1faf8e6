"""The default report lines and tag groups, shipped as data (administrators edit them afterwards).

Re-running on a database that already has a line or group of that code leaves the administrator's
edits alone (`HighlightsConfig.load_reference_data` calls `load_defaults` again after a flush).
"""

from django.db import migrations

# code, name_zh, name_en, programmes, headline
LINES = [
    ("HNTE", "高新技术企业", "High and new technology enterprises", ["HNTE"], True),
    ("ZJTX", "专精特新企业", "Specialised and innovative SMEs (专精特新)", ["SRDI", "LITTLE_GIANT"], True),
    ("TSME", "科技型中小企业", "Technology-based SMEs", ["TSME"], False),
    ("ISME", "创新型中小企业", "Innovative SMEs", ["ISME"], False),
    ("SRDI", "专精特新中小企业", "Specialised and innovative SMEs (municipal)", ["SRDI"], False),
    ("LITTLE_GIANT", "专精特新“小巨人”企业", "Little giants", ["LITTLE_GIANT"], False),
    ("CHAMPION", "制造业单项冠军企业", "Manufacturing single champions", ["CHAMPION"], False),
    ("ABOVE_SIZE", "规上企业", "Above-size enterprises", ["ABOVE_SIZE"], False),
    ("LISTING_RESERVE", "上市后备企业", "Listing reserve", ["LISTING_RESERVE"], False),
    ("GAZELLE", "瞪羚企业", "Gazelle enterprises", ["GAZELLE"], False),
]

# code, name_zh, name_en, tag
TAG_GROUPS = [
    ("DIGITAL", "数字经济规上制造企业", "Digital-economy above-size manufacturers", "数字经济"),
    ("STRATEGIC", "战略性新兴规上制造企业", "Strategic emerging above-size manufacturers", "战略性新兴产业"),
]


def load_defaults(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    ReportLine = apps.get_model("highlights", "ReportLine")
    TagGroup = apps.get_model("highlights", "TagGroup")
    programmes = {p.code: p for p in Programme.objects.all()}
    for position, (code, name_zh, name_en, codes, headline) in enumerate(LINES, start=1):
        members = [programmes[c] for c in codes if c in programmes]
        if not members or ReportLine.objects.filter(code=code).exists():
            continue
        line = ReportLine.objects.create(
            code=code, name_zh=name_zh, name_en=name_en, headline=headline, position=position * 10
        )
        line.programmes.set(members)
    above_size = programmes.get("ABOVE_SIZE")
    if above_size is None:
        return
    for position, (code, name_zh, name_en, tag) in enumerate(TAG_GROUPS, start=1):
        TagGroup.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "tag": tag,
                "programme": above_size,
                "industry_section": "C",
                "figure": "output_value",
                "figure_label": "产值",
                "position": position * 10,
            },
        )


def unload_defaults(apps, schema_editor):
    apps.get_model("highlights", "TagGroup").objects.filter(code__in=[g[0] for g in TAG_GROUPS]).delete()
    apps.get_model("highlights", "ReportLine").objects.filter(code__in=[line[0] for line in LINES]).delete()


class Migration(migrations.Migration):
    dependencies = [("highlights", "0001_initial"), ("programmes", "0002_catalogue")]

    operations = [migrations.RunPython(load_defaults, unload_defaults)]
