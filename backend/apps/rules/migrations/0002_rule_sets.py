"""The shipped rule sets (SPEC §3.2, domain-rules.md §1–§6 and §9.1), as data administrators may edit.

Every number below is a `params` value, never a constant in code. Criteria whose value or wording
domain-rules.md marks UNCONFIRMED carry `unconfirmed: True` and say so in their notes. Re-running on a
database that already has a rule set (by code) leaves it, and the administrators' edits, alone.
"""

from django.db import migrations

M = 1_000_000

HNTE_SOURCES = [
    "《高新技术企业认定管理办法》国科发火〔2016〕32号",
    "《高新技术企业认定管理工作指引》国科发火〔2016〕195号",
    "https://www.natlawreview.com/article/changes-to-china-s-high-and-new-technology-enterprise-hnte-regime-both-sharpen-its",
    "http://www.feimabiji.com/?p=12916",
    "https://falvjieda.com/falvfagui/452dwly8vb.html",
]
TSME_SOURCES = [
    "《科技型中小企业评价办法》国科发政〔2017〕115号",
    "http://wzzgcs.com/page26?article_id=84&pagenum=2",
    "http://www.13880246603.com/api/PolicyDetail/PolicyInfo/27751",
    "http://www.326246.com/product/20188110055166.html",
]
TSME_2025_SOURCES = [
    "《科技型中小企业评价服务工作指引》（工信部，2025）",
    "http://www.91pronsree.com/nnews.asp?vid=45346",
    "http://www.newlifeinstrument.com/en/article-425.html",
]

# ------------------------------------------------------------------------------------------------ TSME

TSME_SCORE = {
    "staff_bands": [
        {"min": 0.30, "points": 20},
        {"min": 0.25, "points": 16},
        {"min": 0.20, "points": 12},
        {"min": 0.15, "points": 8},
        {"min": 0.10, "points": 4},
    ],
    "rd_sales_bands": [
        {"min": 0.06, "points": 50},
        {"min": 0.05, "points": 40},
        {"min": 0.04, "points": 30},
        {"min": 0.03, "points": 20},
        {"min": 0.02, "points": 10},
    ],
    "rd_cost_bands": [
        {"min": 0.30, "points": 50},
        {"min": 0.25, "points": 40},
        {"min": 0.20, "points": 30},
        {"min": 0.15, "points": 20},
        {"min": 0.10, "points": 10},
    ],
    "ip_bands": [
        {"field": "ip_class1", "min": 1, "points": 30},
        {"field": "ip_class2", "min": 4, "points": 24},
        {"field": "ip_class2", "min": 3, "points": 18},
        {"field": "ip_class2", "min": 2, "points": 12},
        {"field": "ip_class2", "min": 1, "points": 6},
    ],
    "pass_min": 60,
    "staff_points_min": 1,
    "revenue_field": ["sales_revenue", "operating_revenue"],
}


def tsme_criteria(edition):
    resident = (
        "在中国境内注册的居民企业" if edition == 2017 else "居民企业；会计核算健全、实行查账征收、能准确归集研发费用"
    )
    return [
        {
            "code": "resident",
            "name_zh": resident,
            "name_en": "Resident enterprise (2025: audited accounts, R&D ledger)",
        },
        {
            "code": "staff_cap",
            "name_zh": "职工总数 ≤ 500 人",
            "name_en": "Staff ≤ 500",
            "metric": "at_most",
            "params": {"field": "staff_total", "max": 500},
        },
        {
            "code": "sales_cap",
            "name_zh": "年销售收入 ≤ 2 亿元",
            "name_en": "Annual sales ≤ 200M",
            "metric": "at_most",
            "params": {"field": ["sales_revenue", "operating_revenue"], "max": 200 * M},
        },
        {
            "code": "assets_cap",
            "name_zh": "资产总额 ≤ 2 亿元",
            "name_en": "Total assets ≤ 200M",
            "metric": "at_most",
            "params": {"field": "total_assets", "max": 200 * M},
        },
        {
            "code": "industry",
            "name_zh": "不属于国家限制类、淘汰类产业，不属于研发费用加计扣除负面清单行业",
            "name_en": "Not in a restricted/eliminated industry or the R&D super-deduction negative list",
        },
        {
            "code": "integrity",
            "name_zh": "上年及当年无重大安全、质量事故，无严重环境违法、科研严重失信，未列入经营异常名录和严重违法失信名单",
            "name_en": "No major accident, serious violation or misconduct; not on the abnormal or serious-violation lists",
        },
        {
            "code": "score",
            "name_zh": "评价得分",
            "name_en": "Evaluation score",
            "metric": "tsme_score",
            "params": TSME_SCORE,
            "group": "pass",
            "notes": "总分 ≥ 60 且科技人员指标得分不为 0；研发投入取两种口径中得分高者；下限含本数。"
            " Total ≥ 60 and S&T staff points > 0; the better of the two R&D measures counts; lower bounds inclusive.",
        },
        {
            "code": "hnte_direct",
            "name_zh": "直通：拥有有效期内高新技术企业资格证书",
            "name_en": "Direct route: holds a valid HNTE certificate",
            "metric": "holds_programme",
            "params": {"programmes": ["HNTE"]},
            "group": "pass",
        },
        {
            "code": "other_direct",
            "name_zh": "其他直通条件：近五年国家级科技奖励前三名、省部级以上研发机构、近五年牵头制定国际/国家/行业标准",
            "name_en": "Other direct routes: national S&T award (top 3, 5 years), provincial+ R&D institution, led a standard",
            "unconfirmed": edition == 2025,
            "notes": "2017 年文本的直通条件；UNCONFIRMED：2025 年指引是否调整。"
            if edition == 2025
            else "2017 年文本的直通条件。",
        },
    ]


# ------------------------------------------------------------------------------------------------ HNTE

HNTE_CRITERIA = [
    {
        "code": "registration_age",
        "name_zh": "注册成立满一年",
        "name_en": "Registered for at least a year",
        "metric": "registration_age",
        "params": {"min_years": 1},
        "notes": "申请认定时须注册成立一年以上；按评价日（默认评价年度 12 月 31 日）计算。",
    },
    {
        "code": "core_ip",
        "name_zh": "通过自主研发、受让、受赠、并购等方式获得对主要产品（服务）起核心支持作用的知识产权所有权",
        "name_en": "Owns IP core to its main products (exclusive licences no longer count)",
    },
    {
        "code": "tech_field",
        "name_zh": "核心技术属于《国家重点支持的高新技术领域》规定的范围",
        "name_en": "Core technology in the 8 state-supported high-tech fields",
    },
    {
        "code": "st_staff_ratio",
        "name_zh": "科技人员占比",
        "name_en": "S&T staff share",
        "metric": "ratio_at_least",
        "params": {"numerator": "st_staff", "denominator": "staff_total", "min": 0.10, "part_of_denominator": True},
        "notes": "从事研发和相关技术创新活动的科技人员占当年职工总数的比例不低于 10%（含）。"
        " UNCONFIRMED：科技人员须累计工作 183 天以上（口径来自应用代码注释，未核对指引）。",
    },
    {
        "code": "rd_ratio",
        "name_zh": "研发费用占比",
        "name_en": "R&D ratio",
        "metric": "rd_ratio_by_revenue_band",
        "params": {
            "years": 3,
            "rd_field": "rd_expense",
            "revenue_field": ["sales_revenue", "operating_revenue"],
            "bands": [
                {"revenue_max": 50 * M, "min_ratio": 0.05},
                {"revenue_max": 200 * M, "min_ratio": 0.04},
                {"min_ratio": 0.03},
            ],
        },
        "notes": "近三个会计年度（实际经营不满三年的按实际经营时间）研发费用总额占同期销售收入总额的比例；"
        "按最近一年销售收入分档：≤ 5000 万元（含）5%，5000 万–2 亿元（含）4%，> 2 亿元 3%。"
        " UNCONFIRMED：销售收入 = 主营业务收入 + 其他业务收入；未填销售收入时以营业收入代替。",
    },
    {
        "code": "domestic_rd_share",
        "name_zh": "境内研发费用占比",
        "name_en": "Share of R&D spent in China",
        "metric": "ratio_at_least",
        "params": {
            "numerator": "rd_expense_domestic",
            "denominator": "rd_expense",
            "min": 0.60,
            "years": 3,
            "part_of_denominator": True,
        },
        "notes": "在中国境内发生的研发费用占全部研发费用总额的比例不低于 60%（含），与研发费用占比同一期间。",
    },
    {
        "code": "high_tech_revenue_share",
        "name_zh": "高新技术产品（服务）收入占比",
        "name_en": "High-tech product revenue share",
        "metric": "ratio_at_least",
        "params": {
            "numerator": "high_tech_revenue",
            "denominator": ["operating_revenue", "sales_revenue"],
            "min": 0.60,
            "part_of_denominator": True,
        },
        "notes": "近一年高新技术产品（服务）收入占企业同期总收入的比例不低于 60%（含）。",
    },
    {
        "code": "ip_quantity_score",
        "name_zh": "知识产权数量得分",
        "name_en": "IP quantity sub-score",
        "metric": "ip_quantity_score",
        "indicator": True,
        "unconfirmed": True,
        "params": {
            "bands": [
                {"field": "ip_class1", "min": 1, "points": [7, 8]},
                {"field": "ip_class2", "min": 5, "points": [5, 6]},
                {"field": "ip_class2", "min": 3, "points": [3, 4]},
                {"field": "ip_class2", "min": 1, "points": [1, 2]},
            ]
        },
        "notes": "创新能力评价“知识产权”项中的数量子项（满分 8 分），参考指标，不单独决定结论。"
        " UNCONFIRMED：Ⅰ类/Ⅱ类知识产权的范围来自应用代码注释，未核对指引。",
    },
    {
        "code": "growth_score",
        "name_zh": "企业成长性得分",
        "name_en": "Growth sub-score",
        "metric": "growth_score",
        "indicator": True,
        "unconfirmed": True,
        "params": {
            "bands": [
                {"min": 0.35, "points": [9, 10]},
                {"min": 0.25, "points": [7, 8]},
                {"min": 0.15, "points": [5, 6]},
                {"min": 0.05, "points": [3, 4]},
                {"min_exclusive": 0, "points": [1, 2]},
            ],
            "revenue_field": ["sales_revenue", "operating_revenue"],
        },
        "notes": "净资产增长率 10 分 + 销售收入增长率 10 分，g = ½ ×（Y2/Y1 + Y3/Y2）− 1；经营不满三年得 0 分。"
        "参考指标。UNCONFIRMED：各档分值（≥35% 9–10，≥25% 7–8，≥15% 5–6，≥5% 3–4，>0 1–2）。",
    },
    {
        "code": "innovation_score",
        "name_zh": "企业创新能力评价总分 ≥ 71 分（知识产权 30、成果转化 30、研发组织管理 20、成长性 20）",
        "name_en": "Innovation score above 70 (IP 30, conversion 30, R&D management 20, growth 20)",
        "notes": "技术先进程度、核心支持作用、成果转化、研发组织管理须专家评价；上面两项计算指标仅供参考。",
    },
    {
        "code": "compliance",
        "name_zh": "申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为",
        "name_en": "No major safety or quality accident or serious environmental violation in the past year",
    },
]

# ------------------------------------------------------------------------------------------------ ISME

ISME_CRITERIA = [
    {
        "code": "sme_status",
        "name_zh": "在中国境内注册、具有独立法人资格、符合《中小企业划型标准规定》",
        "name_en": "Independent legal person in China and an SME by the official size standard",
    },
    {
        "code": "score",
        "name_zh": "评价得分",
        "name_en": "Evaluation score",
        "metric": "isme_score",
        "group": "pass",
        "params": {
            "ip_bands": [
                {"field": "ip_class1_high_value", "min": 1, "points": 20},
                {"field": "ip_class1", "min": 1, "points": 10},
                {"field": "ip_class2", "min": 1, "points": 5},
            ],
            "rd_bands": [
                {"min": 0.05, "points": 20},
                {"min": 0.03, "points": 15},
                {"min": 0.02, "points": 10},
                {"min": 0.01, "points": 5},
            ],
            "growth_bands": [
                {"min": 0.15, "points": 20},
                {"min": 0.10, "points": 15},
                {"min": 0.05, "points": 10},
                {"min": 0, "points": 5},
            ],
            "debt_bands": [{"max_exclusive": 0.55, "points": 10}, {"max": 0.75, "points": 5}],
            "share_bands": [
                {"min": 0.70, "points": 20},
                {"min": 0.60, "points": 15},
                {"min": 0.55, "points": 10},
                {"min": 0.50, "points": 5},
            ],
            "field_tag": "战略性新兴产业",
            "field_points_tagged": 10,
            "field_points_other": 5,
            "groups": [
                {"key": "innovation", "items": ["ip", "rd"], "min": 20, "name_zh": "创新能力", "name_en": "innovation"},
                {"key": "growth", "items": ["growth", "debt"], "min": 15, "name_zh": "成长性", "name_en": "growth"},
                {
                    "key": "specialisation",
                    "items": ["field", "share"],
                    "min": 15,
                    "name_zh": "专业化",
                    "name_en": "specialisation",
                },
            ],
            "pass_min": 60,
            "revenue_field": "operating_revenue",
        },
        "notes": "总分 ≥ 60，且创新能力 ≥ 20、成长性 ≥ 15、专业化 ≥ 15；下限含本数。"
        "知识产权：高价值Ⅰ类 20，自主研发Ⅰ类 15，其他Ⅰ类 10，Ⅱ类 5——年度数据不区分“自主研发”，按 10 分计，需人工核实是否可得 15 分。"
        "主导产品属于《战略性新兴产业分类》以企业标签“战略性新兴产业”判断。",
    },
    {
        "code": "hnte_direct",
        "name_zh": "直通：有效期内的高新技术企业",
        "name_en": "Direct route: holds a valid HNTE",
        "metric": "holds_programme",
        "params": {"programmes": ["HNTE"]},
        "group": "pass",
    },
    {
        "code": "equity_direct",
        "name_zh": "直通：近三年新增股权融资总额（合格机构投资者实缴）≥ 500 万元",
        "name_en": "Direct route: new equity financing ≥ 5M over the last 3 years",
        "metric": "sum_at_least",
        "params": {"field": "equity_financing", "years": 3, "min": 5 * M},
        "group": "pass",
    },
    {
        "code": "other_direct",
        "name_zh": "其他直通条件：近三年国家级/省级科技奖励，国家级技术创新示范企业、知识产权优势/示范企业等荣誉，省级以上研发机构",
        "name_en": "Other direct routes: S&T awards (3 years), national honours, provincial+ R&D institution",
    },
]

# ------------------------------------------------------------------------------------------------ SRDI

SRDI_CRITERIA = [
    {
        "code": "niche_years",
        "name_zh": "从事特定细分市场时间 ≥ 2 年（按成立年限估算）",
        "name_en": "In a niche market ≥ 2 years (estimated from registration)",
        "metric": "registration_age",
        "params": {"min_years": 2},
        "notes": "以成立年限代替从事细分市场的年限；细分市场时间须人工核实（见下一项）。",
    },
    {
        "code": "niche_confirmed",
        "name_zh": "专注特定细分市场的时间和主导产品经核实",
        "name_en": "Time in the niche market and main product confirmed",
    },
    {
        "code": "rd_amount",
        "name_zh": "上年度研发费用总额 ≥ 100 万元",
        "name_en": "Last year's R&D ≥ 1M",
        "metric": "at_least",
        "params": {"field": "rd_expense", "min": 1 * M},
    },
    {
        "code": "rd_ratio",
        "name_zh": "上年度研发费用占营业收入比重",
        "name_en": "R&D / revenue",
        "metric": "ratio_at_least",
        "params": {"numerator": "rd_expense", "denominator": "operating_revenue", "min": 0.03},
    },
    {
        "code": "revenue",
        "name_zh": "上年度营业收入 ≥ 1000 万元",
        "name_en": "Last year's revenue ≥ 10M",
        "metric": "at_least",
        "params": {"field": "operating_revenue", "min": 10 * M},
        "group": "scale",
    },
    {
        "code": "equity_route",
        "name_zh": "或：近 2 年新增股权融资总额（合格机构投资者实缴）≥ 2000 万元",
        "name_en": "Or: new equity financing ≥ 20M over the last 2 years",
        "metric": "sum_at_least",
        "params": {"field": "equity_financing", "years": 2, "min": 20 * M},
        "group": "scale",
    },
    {
        "code": "score",
        "name_zh": "专精特新中小企业评价得分 ≥ 60 分，或满足直通条件",
        "name_en": "SRDI evaluation score ≥ 60, or a direct route",
        "unconfirmed": True,
        "notes": "4 类 13 项指标，满分 100 分。UNCONFIRMED：指标表未取得原文，须人工评价。"
        "直通条件：近三年省级科技奖励前三或国家级前五；近 2 年研发费用平均 ≥ 1000 万元；近 2 年新增股权融资 ≥ 6000 万元；"
        "近三年创客中国全国 500 强。",
    },
    {
        "code": "direct_rd",
        "name_zh": "直通参考：近 2 年研发费用平均 ≥ 1000 万元",
        "name_en": "Direct route check: average R&D ≥ 10M over 2 years",
        "metric": "average_at_least",
        "params": {"field": "rd_expense", "years": 2, "min": 10 * M},
        "indicator": True,
    },
    {
        "code": "direct_equity",
        "name_zh": "直通参考：近 2 年新增股权融资 ≥ 6000 万元",
        "name_en": "Direct route check: equity financing ≥ 60M over 2 years",
        "metric": "sum_at_least",
        "params": {"field": "equity_financing", "years": 2, "min": 60 * M},
        "indicator": True,
    },
]

# ------------------------------------------------------------------------------------------------ 小巨人

LITTLE_GIANT_CRITERIA = [
    {
        "code": "niche_years",
        "name_zh": "从事特定细分市场时间 ≥ 3 年（按成立年限估算）",
        "name_en": "In a niche market ≥ 3 years (estimated from registration)",
        "metric": "registration_age",
        "params": {"min_years": 3},
        "notes": "以成立年限代替从事细分市场的年限，须人工核实。",
    },
    {
        "code": "main_business_share",
        "name_zh": "主营业务收入占营业收入比重",
        "name_en": "Main-business share of revenue",
        "metric": "ratio_at_least",
        "params": {
            "numerator": "main_business_revenue",
            "denominator": "operating_revenue",
            "min": 0.70,
            "part_of_denominator": True,
        },
    },
    {
        "code": "main_business_growth",
        "name_zh": "近 2 年主营业务收入平均增长率",
        "name_en": "2-year average main-business growth",
        "metric": "average_growth_at_least",
        "params": {"field": "main_business_revenue", "periods": 2, "min": 0.05},
        "notes": "两年同比增长率的算术平均。",
    },
    {
        "code": "debt_ratio",
        "name_zh": "上年末资产负债率",
        "name_en": "Debt ratio at last year end",
        "metric": "ratio_at_most",
        "params": {"numerator": "total_liabilities", "denominator": "total_assets", "max": 0.70},
    },
    {
        "code": "rd_by_band",
        "name_zh": "研发投入",
        "name_en": "R&D by revenue band",
        "metric": "rd_by_revenue_band_each_year",
        "params": {
            "revenue_field": "operating_revenue",
            "bands": [
                {"revenue_min": 100 * M, "years": 2, "min_ratio": 0.03},
                {"revenue_min": 50 * M, "years": 2, "min_ratio": 0.06},
                {"revenue_min": 0, "years": 2, "equity_min": 80 * M, "rd_min": 30 * M, "rd_staff_ratio_min": 0.50},
            ],
        },
        "notes": "上年度营业收入 ≥ 1 亿元：近 2 年研发费用占比均 ≥ 3%；5000 万–1 亿元：均 ≥ 6%；"
        "< 5000 万元：近 2 年新增股权融资 ≥ 8000 万元且研发投入 ≥ 3000 万元，研发人员占比 ≥ 50%。",
    },
    {
        "code": "ip_class1",
        "name_zh": "与主导产品相关的Ⅰ类知识产权 ≥ 2 项",
        "name_en": "At least 2 class-I IP related to the main product",
        "metric": "at_least",
        "params": {"field": "ip_class1", "min": 2},
        "notes": "年度数据中的Ⅰ类知识产权总数；是否与主导产品相关须人工核实。",
    },
    {
        "code": "rd_institution",
        "name_zh": "自建或与高校、科研机构联合建立研发机构",
        "name_en": "Own or joint R&D institution",
    },
    {
        "code": "refinement",
        "name_zh": "至少 1 项核心业务采用信息系统支撑；取得管理体系认证或发达国家产品认证",
        "name_en": "Information system for a core business; management-system or foreign product certification",
    },
    {
        "code": "market_share",
        "name_zh": "主导产品在全国细分市场占有率 ≥ 10%，且享有较高知名度和影响力",
        "name_en": "National niche market share ≥ 10 %",
    },
    {
        "code": "chain_and_field",
        "name_zh": "位于产业链关键环节（补短板、锻长板、填空白）；主导产品属于工业“六基”、制造强国或网络强国重点领域",
        "name_en": "Key link of a priority industrial chain; product in the industrial foundations or priority sectors",
        "unconfirmed": True,
        "notes": "UNCONFIRMED：领域表述未核对原文。",
    },
    {
        "code": "direct_route",
        "name_zh": "创新能力直通：近三年国家级科技奖励前三名，或创客中国全国 50 强",
        "name_en": "Innovation direct route: national S&T award (top 3) or 创客中国 top 50",
        "unconfirmed": True,
        "notes": "UNCONFIRMED：凭记忆整理的 2022 年文本。",
    },
]

# ------------------------------------------------------------------------------------------------ 四上

ABOVE_SIZE_THRESHOLDS = [
    {"prefix": "B", "label_zh": "规上工业（采矿业）", "label_en": "above-size industry (mining)",
     "field": "main_business_revenue", "min": 20 * M},
    {"prefix": "C", "label_zh": "规上工业（制造业）", "label_en": "above-size industry (manufacturing)",
     "field": "main_business_revenue", "min": 20 * M},
    {"prefix": "D", "label_zh": "规上工业（电力燃气水）", "label_en": "above-size industry (utilities)",
     "field": "main_business_revenue", "min": 20 * M},
    {"prefix": "E", "label_zh": "有资质建筑业", "label_en": "qualified construction", "manual": True},
    {"prefix": "F51", "label_zh": "限上批发业", "label_en": "above-quota wholesale",
     "field": "main_business_revenue", "min": 20 * M},
    {"prefix": "F52", "label_zh": "限上零售业", "label_en": "above-quota retail",
     "field": "main_business_revenue", "min": 5 * M},
    {"prefix": "H", "label_zh": "限上住宿和餐饮业", "label_en": "above-quota accommodation & catering",
     "field": "main_business_revenue", "min": 2 * M},
    {"prefix": "K701", "label_zh": "房地产开发经营", "label_en": "real-estate development", "always": True},
    {"prefix": "G", "label_zh": "规上服务业（交通运输、仓储和邮政）", "label_en": "above-size services (transport)",
     "field": "operating_revenue", "min": 20 * M},
    {"prefix": "I", "label_zh": "规上服务业（信息传输、软件和信息技术服务）", "label_en": "above-size services (IT)",
     "field": "operating_revenue", "min": 20 * M},
    {"prefix": "N", "label_zh": "规上服务业（水利、环境和公共设施管理）", "label_en": "above-size services (public facilities)",
     "field": "operating_revenue", "min": 20 * M},
    {"prefix": "Q84", "label_zh": "规上服务业（卫生）", "label_en": "above-size services (health)",
     "field": "operating_revenue", "min": 20 * M},
    {"prefix": "K702", "label_zh": "规上服务业（物业管理）", "label_en": "above-size services (property management)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "K703", "label_zh": "规上服务业（房地产中介）", "label_en": "above-size services (real-estate agency)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "K704", "label_zh": "规上服务业（房地产租赁）", "label_en": "above-size services (real-estate leasing)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "K709", "label_zh": "规上服务业（其他房地产）", "label_en": "above-size services (other real estate)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "L", "label_zh": "规上服务业（租赁和商务服务）", "label_en": "above-size services (leasing & business)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "M", "label_zh": "规上服务业（科学研究和技术服务）", "label_en": "above-size services (R&D & technical)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "P", "label_zh": "规上服务业（教育）", "label_en": "above-size services (education)",
     "field": "operating_revenue", "min": 10 * M},
    {"prefix": "O", "label_zh": "规上服务业（居民服务、修理）", "label_en": "above-size services (resident services)",
     "field": "operating_revenue", "min": 5 * M},
    {"prefix": "R", "label_zh": "规上服务业（文化、体育和娱乐）", "label_en": "above-size services (culture & sport)",
     "field": "operating_revenue", "min": 5 * M},
    {"prefix": "Q85", "label_zh": "规上服务业（社会工作）", "label_en": "above-size services (social work)",
     "field": "operating_revenue", "min": 5 * M},
]  # fmt: skip

ABOVE_SIZE_CRITERIA = [
    {
        "code": "threshold",
        "name_zh": "“四上”入库标准（按行业）",
        "name_en": "Above-size threshold by industry",
        "metric": "above_size_threshold",
        "params": {"thresholds": ABOVE_SIZE_THRESHOLDS, "apply_by_day": 5},
        "notes": "按 GB/T 4754-2017 行业代码的最长前缀取门槛：工业、批发 2000 万元（主营业务收入），零售 500 万元，"
        "住宿餐饮 200 万元；服务业 2000 / 1000 / 500 万元（营业收入）；有资质建筑业按资质（人工核实）；房地产开发经营全部纳入。"
        "月度入库：本年累计主营业务收入达到门槛后于次月 5 日前申报（各地做法不一，apply_by_day 可改）。"
        "旧口径（服务业 ≥ 50 人）已不再使用。",
    },
    {
        "code": "legal_person",
        "name_zh": "独立法人单位，且已实际开展生产经营",
        "name_en": "Independent legal-person unit actually operating",
    },
]

# ------------------------------------------------------------------------------------------------ 上市后备 / 瞪羚

LISTING_RESERVE_CRITERIA = [
    {
        "code": "registered_years",
        "name_zh": "在重庆注册满 2 年",
        "name_en": "Registered ≥ 2 years",
        "metric": "registration_age",
        "params": {"min_years": 2},
    },
    {
        "code": "chongqing",
        "name_zh": "注册地在重庆",
        "name_en": "Registered in Chongqing",
        "metric": "uscc_region",
        "params": {"prefixes": ["50"]},
        "notes": "以统一社会信用代码第 3–8 位登记机关行政区划码判断（重庆 50）。分公司、迁入企业须人工核实注册地。",
    },
    {
        "code": "legal_form",
        "name_zh": "股份有限公司或有限责任公司",
        "name_en": "Joint-stock or limited-liability company",
        "metric": "legal_form_in",
        "params": {"forms": ["limited", "joint_stock"]},
    },
    {
        "code": "profit",
        "name_zh": "最近一年扣除非经常性损益后的净利润 ≥ 300 万元",
        "name_en": "Latest net profit after non-recurring items ≥ 3M",
        "metric": "at_least",
        "params": {"field": "net_profit_recurring", "min": 3 * M},
        "group": "financials",
    },
    {
        "code": "revenue_average",
        "name_zh": "或：近 2 年平均营业收入 ≥ 3000 万元",
        "name_en": "Or: average revenue over 2 years ≥ 30M",
        "metric": "average_at_least",
        "params": {"field": "operating_revenue", "years": 2, "min": 30 * M},
        "group": "financials",
        "notes": "符合科创板、创业板定位的企业可适当放宽（人工判断）。",
    },
    {
        "code": "intent",
        "name_zh": "符合国家产业政策，有明确上市意愿",
        "name_en": "Fits industrial policy; clear intention to list",
    },
    {
        "code": "compliance",
        "name_zh": "近一年未列入经营异常名录、近三年未列入严重违法失信名单，无重大未决诉讼和执行案件",
        "name_en": "Not on the abnormal (1 year) or serious-violation (3 years) lists; no major pending lawsuits",
    },
    {
        "code": "priority_title",
        "name_zh": "优先：国家级专精特新“小巨人”或有效期内高新技术企业",
        "name_en": "Priority: national little giant or valid HNTE",
        "metric": "holds_programme",
        "params": {"programmes": ["LITTLE_GIANT", "HNTE"]},
        "indicator": True,
    },
    {
        "code": "priority_joint_stock",
        "name_zh": "优先：已完成股份制改造",
        "name_en": "Priority: already a joint-stock company",
        "metric": "legal_form_in",
        "params": {"forms": ["joint_stock"]},
        "indicator": True,
    },
]

GAZELLE_CRITERIA = [
    {
        "code": "revenue_cagr",
        "name_zh": "近三年营业收入复合增长率",
        "name_en": "3-year revenue CAGR",
        "metric": "cagr_at_least",
        "params": {"field": "operating_revenue", "years": 3, "min": 0.15},
        "unconfirmed": True,
        "notes": "≥ 15%（含）。UNCONFIRMED：“近三年”取三个会计年度（首年到末年两个间隔）；若应为四个年度，改 years 为 4。",
    },
    {
        "code": "revenue",
        "name_zh": "上年度营业收入 ≥ 1000 万元",
        "name_en": "Revenue ≥ 10M",
        "metric": "at_least",
        "params": {"field": "operating_revenue", "min": 10 * M},
    },
    {
        "code": "new_economy",
        "name_zh": "具有新技术、新产业、新业态或新模式特征",
        "name_en": "New technology, industry, business form or model",
    },
]

RULE_SETS = [
    {
        "programme": "HNTE",
        "code": "HNTE-2016",
        "name_zh": "高新技术企业认定（国科发火〔2016〕32号）",
        "name_en": "HNTE recognition, 2016 rules",
        "effective_from": "2016-01-01",
        "effective_to": None,
        "notes": "2016 年 1 月 1 日起施行；期满重新认定按初次申请办理。",
        "sources": HNTE_SOURCES,
        "criteria": HNTE_CRITERIA,
    },
    {
        "programme": "TSME",
        "code": "TSME-2017",
        "name_zh": "科技型中小企业评价（国科发政〔2017〕115号）",
        "name_en": "Technology-based SME evaluation, 2017 rules",
        "effective_from": "2017-05-01",
        "effective_to": "2024-12-31",
        "notes": "UNCONFIRMED：2022 年修订（国科发政〔2022〕67号）文本未取得，指标沿用 2017 年版本。",
        "sources": TSME_SOURCES,
        "criteria": tsme_criteria(2017),
    },
    {
        "programme": "TSME",
        "code": "TSME-2025",
        "name_zh": "科技型中小企业评价（工信部 2025 年评价服务工作指引）",
        "name_en": "Technology-based SME evaluation, 2025 (MIIT)",
        "effective_from": "2025-01-01",
        "effective_to": None,
        "notes": "2025 年起由工信部组织评价；规模条件不变，新增会计核算与查账征收要求。",
        "sources": TSME_2025_SOURCES,
        "criteria": tsme_criteria(2025),
    },
    {
        "programme": "ISME",
        "code": "ISME-2022",
        "name_zh": "创新型中小企业评价标准（工信部企业〔2022〕63号）",
        "name_en": "Innovative SME standard, 2022",
        "effective_from": "2022-06-01",
        "effective_to": None,
        "notes": "2026 年《优质中小企业梯度培育管理办法》（2026-04-01 施行）调整了梯度名称与标准；新版本由管理员录入后，"
        "请为本版本填写截止日期。",
        "sources": ["http://tailijia.cn/index.php/shows/2/19.html", "https://www.bigxun.com/view/1926030249147076610"],
        "criteria": ISME_CRITERIA,
    },
    {
        "programme": "SRDI",
        "code": "SRDI-2022",
        "name_zh": "专精特新中小企业认定标准（工信部企业〔2022〕63号）",
        "name_en": "SRDI standard, 2022",
        "effective_from": "2022-06-01",
        "effective_to": None,
        "notes": "2026 年办法修订了专精特新标准（SRDI-2026 待录入）。",
        "sources": ["http://hedong.gov.cn/info/11215/153917.htm", "http://nomecha.com/view/449.html"],
        "criteria": SRDI_CRITERIA,
    },
    {
        "programme": "LITTLE_GIANT",
        "code": "LITTLE_GIANT-2022",
        "name_zh": "专精特新“小巨人”企业认定标准（2022）",
        "name_en": "Little-giant standard, 2022",
        "effective_from": "2022-06-01",
        "effective_to": None,
        "notes": "UNCONFIRMED：2026 年版据报道改为营业收入 ≥ 5000 万元、主营占比 ≥ 90%、近 2 年研发 ≥ 1200 万元、"
        "Ⅰ类知识产权 ≥ 4 项；核实后作为 LITTLE_GIANT-2026 录入并为本版本填写截止日期。",
        "sources": ["http://bjwsht.cn/zlsqbk/743.html", "http://268862.cn/Index/show/catid/15/id/24170.html"],
        "criteria": LITTLE_GIANT_CRITERIA,
    },
    {
        "programme": "ABOVE_SIZE",
        "code": "ABOVE_SIZE-2011",
        "name_zh": "“四上”企业入库标准",
        "name_en": "Above-size (四上) thresholds",
        "effective_from": "2011-01-01",
        "effective_to": None,
        "notes": "统计部门规模以上 / 限额以上 / 有资质标准，按行业门类、大类取门槛。",
        "sources": [
            "http://www.cxs.gov.cn/info/egovinfo/1016/xxgkcontent/cxs006-/2023-0905017.htm",
            "https://www.dpxq.gov.cn/hdjl/ywzsk/tjzs/content/post_10535048.html",
            "http://fjyc.gov.cn/hdjl/hdzsk/tjj/202412/t20241227_3123547.htm",
        ],
        "criteria": ABOVE_SIZE_CRITERIA,
    },
    {
        "programme": "LISTING_RESERVE",
        "code": "LISTING_RESERVE-CQ-2022",
        "name_zh": "重庆市拟上市企业后备库入库条件（渝金〔2022〕215号）",
        "name_en": "Chongqing listing reserve entry rules, 2022",
        "effective_from": "2022-08-30",
        "effective_to": None,
        "notes": "《重庆市拟上市企业后备库管理办法》第三条。UNCONFIRMED：“重点上市后备企业”的具体标准。",
        "sources": [
            "https://tongruijiu.com/zhengcewenjian/1558.html",
            "http://finance.cqnews.net/html/2022-08/30/content_1014075907715768320.html",
        ],
        "criteria": LISTING_RESERVE_CRITERIA,
    },
    {
        "programme": "GAZELLE",
        "code": "GAZELLE-CQ-2023",
        "name_zh": "重庆市瞪羚企业（独角兽、瞪羚企业培育工作方案 2023—2027 年）",
        "name_en": "Chongqing gazelle enterprises, 2023–2027 plan",
        "effective_from": "2023-01-01",
        "effective_to": "2027-12-31",
        "notes": "按工作方案期限设定截止日期。",
        "sources": ["https://difang.gmw.cn/cq/2024-03/26/content_37226165.htm"],
        "criteria": GAZELLE_CRITERIA,
    },
]


def load_rule_sets(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    RuleSet = apps.get_model("rules", "RuleSet")
    Criterion = apps.get_model("rules", "Criterion")
    programmes = {p.code: p for p in Programme.objects.filter(code__in={s["programme"] for s in RULE_SETS})}
    for spec in RULE_SETS:
        programme = programmes.get(spec["programme"])
        if programme is None or RuleSet.objects.filter(code=spec["code"]).exists():
            continue  # an administrator removed the programme, or the rule set is there (maybe edited): leave it
        values = {k: v for k, v in spec.items() if k not in ("programme", "criteria")}
        rule_set = RuleSet.objects.create(programme=programme, builtin=True, **values)
        Criterion.objects.bulk_create(
            Criterion(
                rule_set=rule_set,
                position=index * 10,
                kind="computed" if item.get("metric") else "manual",
                metric=item.get("metric", ""),
                params=item.get("params", {}),
                group=item.get("group", ""),
                indicator=item.get("indicator", False),
                unconfirmed=item.get("unconfirmed", False),
                notes=item.get("notes", ""),
                code=item["code"],
                name_zh=item["name_zh"],
                name_en=item.get("name_en", ""),
            )
            for index, item in enumerate(spec["criteria"], start=1)
        )


def unload_rule_sets(apps, schema_editor):
    RuleSet = apps.get_model("rules", "RuleSet")
    RuleSet.objects.filter(code__in=[s["code"] for s in RULE_SETS], builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial"), ("programmes", "0002_catalogue")]

    operations = [migrations.RunPython(load_rule_sets, unload_rule_sets)]
