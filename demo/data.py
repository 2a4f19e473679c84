"""The demo business, as plain data: a truck maker that also sells lighting and workshop consumables.

Everything here is keyed by a stable natural key (code, SKU, username), which is what makes
`demo_data` idempotent. Names and addresses are data, not interface text, so they are not translated.
"""

from dataclasses import dataclass, field
from decimal import Decimal as D

DEMO_PASSWORD = "demo12345"
ORDER_REFERENCE_PREFIX = "DEMO-"
SIZES = {"small": 150, "large": 5000}

# Group names are fixed by core/migrations/0002_roles.py, which also grants their permissions.
GROUP_ORDER_MANAGER = "Order manager"
GROUP_SALES_DIRECTOR = "Sales director"
GROUP_SALES_REP = "Sales rep"
GROUP_SCHEDULER = "Production scheduler"
GROUP_LOGISTICS = "Logistics specialist"
GROUP_FINANCE = "Finance"
GROUP_DEALER = "Dealer"
GROUP_PLANT_SUPERVISOR = "Plant supervisor"


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    group: str | None
    is_staff: bool = False
    is_superuser: bool = False
    path: str = "/admin/"


USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", "System", "Administrator", "Administrator (superuser)", None, True, True),
    UserSpec("manager", "Min", "Zhang", "Order manager", GROUP_ORDER_MANAGER, True),
    # Approves what the order manager keyed in herself: nobody approves their own order.
    UserSpec("supervisor", "Xia", "Wu", "Order desk supervisor", GROUP_ORDER_MANAGER, True),
    # Approves the largest orders after an order manager, and keeps the review rules.
    UserSpec("director", "Hao", "Zhou", "Sales director", GROUP_SALES_DIRECTOR, True),
    UserSpec("rep.li", "Na", "Li", "Sales rep (east & south)", GROUP_SALES_REP, path="/portal/"),
    UserSpec("rep.wang", "Lei", "Wang", "Sales rep (north & west)", GROUP_SALES_REP, path="/portal/"),
    UserSpec("scheduler", "Jie", "Chen", "Production scheduler", GROUP_SCHEDULER, True),
    # Records stage progress of the Shiyan truck plant from the portal (production.Plant.supervisors).
    UserSpec(
        "plant.shiyan", "Gang", "Ma", "Plant supervisor (Shiyan)", GROUP_PLANT_SUPERVISOR, path="/portal/"
    ),
    UserSpec("logistics", "Tao", "Zhao", "Logistics specialist", GROUP_LOGISTICS, True),
    UserSpec("finance", "Fang", "Liu", "Finance", GROUP_FINANCE, True),
    UserSpec("dealer.huatai", "Jun", "Huang", "Dealer", GROUP_DEALER, path="/portal/ · /api/docs/"),
    UserSpec("dealer.yuexin", "Hui", "Lin", "Dealer", GROUP_DEALER, path="/portal/ · /api/docs/"),
    UserSpec("dealer.rongda", "Yong", "He", "Dealer", GROUP_DEALER, path="/portal/ · /api/docs/"),
    UserSpec(
        "dealer.qilu",
        "Qiang",
        "Sun",
        "Dealer group (2 customers)",
        GROUP_DEALER,
        path="/portal/ · /api/docs/",
    ),
)


# --- Review rules (issue #9) ---------------------------------------------------------------------
# (name, description, condition, group, level). Besides these, the default rule of a fresh install
# ("Every order": an order manager approves) stays active: every demo order is reviewed by the desk, the
# large, custom and credit-risk ones by more people.


@dataclass(frozen=True)
class ReviewRuleSpec:
    name: str
    description: str
    condition: dict
    group: str
    level: int


REVIEW_RULES: tuple[ReviewRuleSpec, ...] = (
    ReviewRuleSpec(
        "Order above 1 million",
        "Large orders are checked by the order desk.",
        {"all": [{"field": "order_total", "op": "gt", "value": 1000000}]},
        GROUP_ORDER_MANAGER,
        1,
    ),
    ReviewRuleSpec(
        "Order above 5 million",
        "The sales director signs off the largest orders, after the order desk.",
        {"all": [{"field": "order_total", "op": "gt", "value": 5000000}]},
        GROUP_SALES_DIRECTOR,
        2,
    ),
    ReviewRuleSpec(
        "Custom build",
        "Production confirms it can build what was configured, and when.",
        {"all": [{"field": "has_custom_build_line", "op": "is_true"}]},
        GROUP_SCHEDULER,
        1,
    ),
    ReviewRuleSpec(
        "Credit risk",
        "Finance approves orders of customers over their limit, late with payments or on credit hold.",
        {
            "any": [
                {"field": "customer_over_credit_limit", "op": "is_true"},
                {"field": "customer_overdue_days", "op": "gt", "value": 30},
                {"field": "customer_on_credit_hold", "op": "is_true"},
            ]
        },
        GROUP_FINANCE,
        1,
    ),
)


# --- Catalog -----------------------------------------------------------------------------------

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("tractor-units", "Tractor units"),
    ("rigid-trucks", "Rigid trucks"),
    ("led-panels", "LED panels"),
    ("downlights", "Downlights"),
    ("high-bay", "High-bay lighting"),
    ("custom-fixtures", "Custom fixtures"),
    ("lubricants", "Lubricants"),
    ("filters", "Filters"),
    ("cleaning", "Cleaning supplies"),
    ("components", "Production components"),
)


@dataclass(frozen=True)
class ValueSpec:
    code: str
    name: str
    price_delta: D = D("0")
    is_custom: bool = False


@dataclass(frozen=True)
class OptionSpec:
    code: str
    name: str
    values: tuple[ValueSpec, ...]
    required: bool = True


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    series: str
    category: str
    unit_cost: D
    list_price: D
    weight_kg: D
    volume_m3: D
    kind: str  # "truck", "lighting" or "consumable": drives stock and order mix
    pack_size: int = 1
    unit: str = "pcs"
    is_fragile: bool = False
    made_to_order: bool = False
    lead_time_days: int = 0
    description: str = ""
    options: tuple[OptionSpec, ...] = field(default_factory=tuple)


CAB = OptionSpec(
    "cab",
    "Cab",
    (
        ValueSpec("day-cab", "Day cab"),
        ValueSpec("sleeper", "Sleeper cab", D("18000")),
        ValueSpec("high-roof-sleeper", "High-roof sleeper cab", D("32000")),
    ),
)
ENGINE_HEAVY = OptionSpec(
    "engine",
    "Engine",
    (
        ValueSpec("430hp", "430 hp diesel, China VI"),
        ValueSpec("520hp", "520 hp diesel, China VI", D("36000")),
        ValueSpec("560hp", "560 hp diesel, China VI", D("58000")),
    ),
)
ENGINE_T9 = OptionSpec(
    "engine",
    "Engine",
    (
        ValueSpec("520hp", "520 hp diesel, China VI"),
        ValueSpec("560hp", "560 hp diesel, China VI", D("22000")),
        ValueSpec("560hp-pto", "560 hp with engine PTO for tipper work", D("48000"), is_custom=True),
    ),
)
ENGINE_LIGHT = OptionSpec(
    "engine",
    "Engine",
    (
        ValueSpec("240hp", "240 hp diesel, China VI"),
        ValueSpec("280hp", "280 hp diesel, China VI", D("9500")),
    ),
)
AXLE_TRACTOR = OptionSpec(
    "axle",
    "Axle configuration",
    (
        ValueSpec("4x2", "4×2"),
        ValueSpec("6x4", "6×4", D("42000")),
    ),
)
AXLE_RIGID = OptionSpec(
    "axle",
    "Axle configuration",
    (
        ValueSpec("6x4", "6×4"),
        ValueSpec("8x4", "8×4", D("38000")),
    ),
)
AXLE_LIGHT = OptionSpec("axle", "Axle configuration", (ValueSpec("4x2", "4×2"),))
PAINT = OptionSpec(
    "paint",
    "Paint",
    (
        ValueSpec("factory-white", "Factory white"),
        ValueSpec("fleet-livery", "Fleet livery (custom paint)", D("8500"), is_custom=True),
    ),
)
BODY = OptionSpec(
    "body",
    "Body",
    (
        ValueSpec("box", "Dry box body"),
        ValueSpec("curtain-side", "Curtain-side body", D("12000")),
        ValueSpec("refrigerated", "Refrigerated body, −20 °C", D("68000"), is_custom=True),
    ),
)
CCT = OptionSpec(
    "cct",
    "Colour temperature",
    (
        ValueSpec("3000k", "3000K warm white"),
        ValueSpec("4000k", "4000K neutral white"),
        ValueSpec("6500k", "6500K daylight"),
    ),
)
PANEL_FINISH = OptionSpec(
    "finish",
    "Frame finish",
    (
        ValueSpec("white", "White frame"),
        ValueSpec("silver", "Silver frame", D("6")),
    ),
)
DOWNLIGHT_FINISH = OptionSpec(
    "finish",
    "Finish",
    (
        ValueSpec("white", "Matt white"),
        ValueSpec("black", "Matt black", D("4")),
        ValueSpec("brushed-nickel", "Brushed nickel", D("9")),
    ),
)
BEAM = OptionSpec(
    "beam",
    "Beam angle",
    (
        ValueSpec("60", "60°"),
        ValueSpec("90", "90°"),
        ValueSpec("120", "120°"),
    ),
    required=False,
)
PENDANT_FINISH = OptionSpec(
    "finish",
    "Finish",
    (
        ValueSpec("white", "Matt white"),
        ValueSpec("black", "Matt black"),
        ValueSpec("custom-ral", "Custom RAL colour", D("120"), is_custom=True),
    ),
)
PENDANT_LENGTH = OptionSpec(
    "length",
    "Length",
    (
        ValueSpec("1200mm", "1200 mm"),
        ValueSpec("1500mm", "1500 mm", D("180")),
        ValueSpec("custom-length", "Custom length (to drawing)", D("260"), is_custom=True),
    ),
)

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "TRK-T7-TRACTOR",
        "Jade Hauler T7 tractor unit",
        "T7",
        "tractor-units",
        D("392000"),
        D("468000"),
        D("8600"),
        D("68"),
        "truck",
        made_to_order=True,
        lead_time_days=45,
        description="Long-haul tractor unit, 49 t GCW, built to order.",
        options=(CAB, ENGINE_HEAVY, AXLE_TRACTOR, PAINT),
    ),
    ProductSpec(
        "TRK-T9-TRACTOR",
        "Jade Hauler T9 heavy tractor unit",
        "T9",
        "tractor-units",
        D("451000"),
        D("538000"),
        D("9400"),
        D("72"),
        "truck",
        made_to_order=True,
        lead_time_days=50,
        description="Heavy-haul tractor for bulk and construction work.",
        options=(CAB, ENGINE_T9, AXLE_TRACTOR, PAINT),
    ),
    ProductSpec(
        "TRK-R5-RIGID",
        "Jade Carrier R5 rigid truck",
        "R5",
        "rigid-trucks",
        D("349000"),
        D("415000"),
        D("12500"),
        D("95"),
        "truck",
        made_to_order=True,
        lead_time_days=55,
        description="Rigid distribution truck with factory-fitted body.",
        options=(CAB, ENGINE_HEAVY, AXLE_RIGID, BODY),
    ),
    ProductSpec(
        "TRK-R3-RIGID",
        "Jade Carrier R3 light rigid truck",
        "R3",
        "rigid-trucks",
        D("152000"),
        D("186000"),
        D("4800"),
        D("38"),
        "truck",
        lead_time_days=30,
        description="City delivery truck; stock units ship at once, others after the lead time.",
        options=(OptionSpec("cab", "Cab", CAB.values[:2]), ENGINE_LIGHT, AXLE_LIGHT),
    ),
    ProductSpec(
        "LGT-PNL-6060-40W",
        "LED panel 600×600, 40 W",
        "Aurora",
        "led-panels",
        D("96"),
        D("168"),
        D("3.1"),
        D("0.014"),
        "lighting",
        is_fragile=True,
        lead_time_days=14,
        options=(CCT, PANEL_FINISH),
    ),
    ProductSpec(
        "LGT-PNL-1203-36W",
        "LED panel 1200×300, 36 W",
        "Aurora",
        "led-panels",
        D("88"),
        D("158"),
        D("2.9"),
        D("0.012"),
        "lighting",
        is_fragile=True,
        lead_time_days=14,
        options=(CCT, PANEL_FINISH),
    ),
    ProductSpec(
        "LGT-DL-090-8W",
        "LED downlight Ø90, 8 W",
        "Lumo",
        "downlights",
        D("17"),
        D("36"),
        D("0.35"),
        D("0.0015"),
        "lighting",
        is_fragile=True,
        lead_time_days=10,
        options=(CCT, DOWNLIGHT_FINISH),
    ),
    ProductSpec(
        "LGT-DL-150-15W",
        "LED downlight Ø150, 15 W",
        "Lumo",
        "downlights",
        D("29"),
        D("58"),
        D("0.6"),
        D("0.0028"),
        "lighting",
        is_fragile=True,
        lead_time_days=10,
        options=(CCT, DOWNLIGHT_FINISH),
    ),
    ProductSpec(
        "LGT-HB-150W",
        "UFO high-bay, 150 W",
        "Titan",
        "high-bay",
        D("285"),
        D("489"),
        D("4.2"),
        D("0.02"),
        "lighting",
        is_fragile=True,
        lead_time_days=21,
        options=(CCT, BEAM),
    ),
    ProductSpec(
        "LGT-HB-200W",
        "UFO high-bay, 200 W",
        "Titan",
        "high-bay",
        D("372"),
        D("629"),
        D("5.1"),
        D("0.024"),
        "lighting",
        is_fragile=True,
        lead_time_days=21,
        options=(CCT, BEAM),
    ),
    ProductSpec(
        "LGT-CUSTOM-PENDANT",
        "Custom linear pendant fixture",
        "Atelier",
        "custom-fixtures",
        D("1450"),
        D("2680"),
        D("6.5"),
        D("0.05"),
        "lighting",
        is_fragile=True,
        made_to_order=True,
        lead_time_days=35,
        description="Architectural pendant built to the project's drawing.",
        options=(CCT, PENDANT_FINISH, PENDANT_LENGTH),
    ),
    ProductSpec(
        "LUB-15W40-4L",
        "Heavy-duty diesel engine oil 15W-40, 4 L",
        "JadeLube",
        "lubricants",
        D("112"),
        D("168"),
        D("3.6"),
        D("0.0052"),
        "consumable",
        pack_size=6,
        unit="bottle",
    ),
    ProductSpec(
        "LUB-85W140-4L",
        "Gear oil 85W-140, 4 L",
        "JadeLube",
        "lubricants",
        D("96"),
        D("148"),
        D("3.7"),
        D("0.0052"),
        "consumable",
        pack_size=6,
        unit="bottle",
    ),
    ProductSpec(
        "LUB-EP2-400G",
        "Lithium grease EP2, 400 g cartridge",
        "JadeLube",
        "lubricants",
        D("12.50"),
        D("22"),
        D("0.45"),
        D("0.0006"),
        "consumable",
        pack_size=24,
        unit="cartridge",
    ),
    ProductSpec(
        "LUB-ADBLUE-10L",
        "AdBlue diesel exhaust fluid, 10 L",
        "JadeLube",
        "lubricants",
        D("28"),
        D("45"),
        D("10.9"),
        D("0.012"),
        "consumable",
        pack_size=6,
        unit="jerrycan",
    ),
    ProductSpec(
        "FLT-OIL-T7",
        "Spin-on oil filter (T7/T9)",
        "FilterPro",
        "filters",
        D("44"),
        D("86"),
        D("1.1"),
        D("0.0018"),
        "consumable",
        pack_size=12,
    ),
    ProductSpec(
        "FLT-FUEL-T7",
        "Fuel/water separator element (T7/T9)",
        "FilterPro",
        "filters",
        D("63"),
        D("118"),
        D("0.9"),
        D("0.0016"),
        "consumable",
        pack_size=12,
    ),
    ProductSpec(
        "FLT-AIR-T7",
        "Primary air filter element (T7/T9/R5)",
        "FilterPro",
        "filters",
        D("148"),
        D("265"),
        D("3.4"),
        D("0.028"),
        "consumable",
        pack_size=6,
    ),
    ProductSpec(
        "CLN-WASH-5L",
        "Truck wash concentrate, 5 L",
        "CleanPro",
        "cleaning",
        D("36"),
        D("69"),
        D("5.4"),
        D("0.0062"),
        "consumable",
        pack_size=6,
        unit="can",
    ),
    ProductSpec(
        "CLN-GLASS-500ML",
        "Glass cleaner, 500 ml spray",
        "CleanPro",
        "cleaning",
        D("5.80"),
        D("12"),
        D("0.55"),
        D("0.0007"),
        "consumable",
        pack_size=24,
        unit="bottle",
    ),
    ProductSpec(
        "CLN-WIPES-100",
        "Industrial degreasing wipes, tub of 100",
        "CleanPro",
        "cleaning",
        D("22"),
        D("45"),
        D("1.2"),
        D("0.0031"),
        "consumable",
        pack_size=12,
        unit="tub",
    ),
)


# --- Places --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    region: str
    city: str
    latitude: D
    longitude: D


WAREHOUSES: tuple[WarehouseSpec, ...] = (
    WarehouseSpec("SH01", "Shanghai Jiading DC", "Shanghai", "Shanghai", D("31.374700"), D("121.265000")),
    WarehouseSpec("GZ01", "Guangzhou Huangpu DC", "Guangdong", "Guangzhou", D("23.106600"), D("113.459000")),
    WarehouseSpec("BJ01", "Beijing Daxing DC", "Beijing", "Beijing", D("39.726700"), D("116.341400")),
    WarehouseSpec("CD01", "Chengdu Shuangliu DC", "Sichuan", "Chengdu", D("30.578500"), D("103.923800")),
    WarehouseSpec("WH01", "Wuhan Dongxihu DC", "Hubei", "Wuhan", D("30.619700"), D("114.137500")),
)

# Stock transfers between warehouses, made through inventory's services after the order history:
# (reason — also the key a second run finds them by, received?). One arrives, one stays in transit.
TRANSFERS: tuple[tuple[str, bool], ...] = (
    ("Demo: rebalance stock to the emptiest warehouse", True),
    ("Demo: rebalance stock, on its way", False),
)

# --- Production (issue #10) ----------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySpec:
    code: str
    name: str
    tracking: str  # "serial" | "batch"
    categories: tuple[str, ...]
    # (code, name, standard working days)
    routing: tuple[tuple[str, str, D], ...]


FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(
        "trucks",
        "Trucks",
        "serial",
        ("tractor-units", "rigid-trucks"),
        (
            ("frame-welding", "Frame welding", D("1")),
            ("painting", "Painting", D("1")),
            ("assembly", "Final assembly", D("2")),
            ("inspection", "Inspection & road test", D("0.5")),
        ),
    ),
    FamilySpec(
        "fixtures",
        "Lighting fixtures",
        "batch",
        ("led-panels", "downlights", "high-bay", "custom-fixtures"),
        (
            ("forming", "Cutting & forming", D("0.5")),
            ("coating", "Powder coating", D("1")),
            ("led-assembly", "LED assembly", D("1")),
            ("burn-in", "Burn-in test", D("0.5")),
        ),
    ),
)

# (code, name, region, warehouse the plant draws components from and receives into,
#  lines: (code, name, family, units per working day), supervisors)
PLANTS: tuple[tuple[str, str, str, str, tuple[tuple[str, str, str, int], ...], tuple[str, ...]], ...] = (
    (
        "SY01",
        "Shiyan Truck Assembly Plant",
        "Hubei",
        "WH01",
        (("SY-A", "Tractor line A", "trucks", 3), ("SY-B", "Rigid & special line B", "trucks", 2)),
        ("plant.shiyan",),
    ),
    ("JN01", "Jinan Heavy Truck Plant", "Shandong", "BJ01", (("JN-A", "Heavy line", "trucks", 2),), ()),
    (
        "ZS01",
        "Zhongshan Lighting Factory",
        "Guangdong",
        "GZ01",
        (
            ("ZS-A", "Panel & downlight line", "fixtures", 300),
            ("ZS-B", "Project fixtures line", "fixtures", 120),
        ),
        (),
    ),
)
# Calendar exceptions every demo plant shares: (date, working?, name). Chinese plants close for the
# Spring Festival and make up some of the days on weekends.
PLANT_CALENDAR: tuple[tuple[str, bool, str], ...] = (
    ("2027-01-01", False, "New Year's Day"),
    ("2027-02-05", False, "Spring Festival"),
    ("2027-02-08", False, "Spring Festival"),
    ("2027-02-09", False, "Spring Festival"),
    ("2027-02-10", False, "Spring Festival"),
    ("2027-02-11", False, "Spring Festival"),
    ("2027-02-12", False, "Spring Festival"),
    ("2027-01-30", True, "Make-up working day (Spring Festival)"),
    ("2027-02-20", True, "Make-up working day (Spring Festival)"),
)
# Components the plants build from: (SKU, name, unit cost, {plant code: units on hand}). The 560 hp
# engine runs short at Shiyan, so the trial shows the purchasing list and a work order that cannot start.
COMPONENTS: tuple[tuple[str, str, D, dict[str, int]], ...] = (
    ("CMP-FRAME-T", "Tractor chassis frame", D("38000"), {"SY01": 40, "JN01": 30}),
    ("CMP-FRAME-R", "Rigid chassis frame", D("32000"), {"SY01": 30, "JN01": 10}),
    ("CMP-CAB", "Cab shell", D("42000"), {"SY01": 60, "JN01": 40}),
    ("CMP-ENG-520", "Diesel engine 430–520 hp", D("96000"), {"SY01": 40, "JN01": 30}),
    ("CMP-ENG-560", "Diesel engine 560 hp", D("118000"), {"SY01": 1, "JN01": 4}),
    ("CMP-PTO", "Engine power take-off kit", D("9500"), {"SY01": 10, "JN01": 6}),
    ("CMP-PAINT", "Paint kit (one truck)", D("3200"), {"SY01": 80, "JN01": 50}),
    ("CMP-LED-MOD", "LED module", D("18"), {"ZS01": 20000}),
    ("CMP-DRIVER", "LED driver", D("22"), {"ZS01": 8000}),
    ("CMP-HOUSING", "Aluminium housing", D("35"), {"ZS01": 6000}),
)
# Bill of materials: (product SKU or "*<category>" for every product of it, option value "option=value"
# or "" for every configuration, component SKU, quantity per unit).
BOM: tuple[tuple[str, str, str, D], ...] = (
    ("*tractor-units", "", "CMP-FRAME-T", D("1")),
    ("*rigid-trucks", "", "CMP-FRAME-R", D("1")),
    ("*tractor-units", "", "CMP-CAB", D("1")),
    ("*rigid-trucks", "", "CMP-CAB", D("1")),
    ("*tractor-units", "", "CMP-PAINT", D("1")),
    ("*rigid-trucks", "", "CMP-PAINT", D("1")),
    ("*tractor-units", "engine=430hp", "CMP-ENG-520", D("1")),
    ("*tractor-units", "engine=520hp", "CMP-ENG-520", D("1")),
    ("*tractor-units", "engine=560hp", "CMP-ENG-560", D("1")),
    ("*tractor-units", "engine=560hp-pto", "CMP-ENG-560", D("1")),
    ("*tractor-units", "engine=560hp-pto", "CMP-PTO", D("1")),
    ("*rigid-trucks", "engine=430hp", "CMP-ENG-520", D("1")),
    ("*rigid-trucks", "engine=520hp", "CMP-ENG-520", D("1")),
    ("*rigid-trucks", "engine=560hp", "CMP-ENG-560", D("1")),
    ("*rigid-trucks", "engine=240hp", "CMP-ENG-520", D("1")),
    ("*rigid-trucks", "engine=280hp", "CMP-ENG-520", D("1")),
    ("*led-panels", "", "CMP-LED-MOD", D("4")),
    ("*led-panels", "", "CMP-DRIVER", D("1")),
    ("*led-panels", "", "CMP-HOUSING", D("1")),
    ("*downlights", "", "CMP-LED-MOD", D("1")),
    ("*downlights", "", "CMP-DRIVER", D("1")),
    ("*downlights", "", "CMP-HOUSING", D("1")),
    ("*high-bay", "", "CMP-LED-MOD", D("6")),
    ("*high-bay", "", "CMP-DRIVER", D("1")),
    ("*high-bay", "", "CMP-HOUSING", D("1")),
    ("*custom-fixtures", "", "CMP-LED-MOD", D("3")),
    ("*custom-fixtures", "", "CMP-DRIVER", D("1")),
    ("*custom-fixtures", "", "CMP-HOUSING", D("2")),
)

# (code, name, tracking URL template)
CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("SF", "SF Express", "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}"),
    ("DEPPON", "Deppon Logistics", "https://www.deppon.com/en/track?number={number}"),
    ("ZTO", "ZTO Freight", "https://www.zto.com/express/expressCheck.html?txtBill={number}"),
    ("JDL", "JD Logistics", "https://www.jdl.com/orderSearch/?waybillCodes={number}"),
    ("OWNFLEET", "Own fleet (driven delivery)", ""),
)

# Tier → discount % on list price.
TIER_DISCOUNTS: tuple[tuple[str, D], ...] = (
    ("standard", D("0")),
    ("silver", D("3")),
    ("gold", D("6")),
    ("platinum", D("10")),
)

# (region, base fee, per kg, free above subtotal, transit days); "*" is the default.
SHIPPING_RATES: tuple[tuple[str, D, D, D | None, int], ...] = (
    ("Shanghai", D("25"), D("0.60"), D("3000"), 1),
    ("Jiangsu", D("30"), D("0.70"), D("3000"), 2),
    ("Zhejiang", D("30"), D("0.70"), D("3000"), 2),
    ("Guangdong", D("25"), D("0.60"), D("3000"), 1),
    ("Fujian", D("35"), D("0.90"), D("4000"), 2),
    ("Beijing", D("30"), D("0.70"), D("3000"), 1),
    ("Tianjin", D("30"), D("0.70"), D("3000"), 2),
    ("Shandong", D("35"), D("0.80"), D("4000"), 2),
    ("Henan", D("40"), D("0.90"), D("5000"), 3),
    ("Hubei", D("30"), D("0.70"), D("3000"), 1),
    ("Hunan", D("40"), D("0.90"), D("5000"), 2),
    ("Sichuan", D("35"), D("0.80"), D("4000"), 1),
    ("Chongqing", D("40"), D("0.90"), D("5000"), 2),
    ("Shaanxi", D("45"), D("1.00"), D("5000"), 3),
    ("*", D("60"), D("1.50"), D("8000"), 5),
)


# --- Customers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressSpec:
    label: str
    recipient: str
    phone: str
    region: str
    city: str
    district: str
    line1: str
    postal_code: str
    latitude: D
    longitude: D
    is_default_shipping: bool = False


@dataclass(frozen=True)
class CustomerSpec:
    code: str
    name: str
    kind: str
    tier: str
    credit_limit: D
    payment_terms_days: int
    tax_id: str
    rep: str | None
    # What it buys (see demo.plans.plan_lines): truck_dealer, fleet, hotel, facility, lighting_store,
    # parts_store, online_lighting, online_parts, walk_in.
    segment: str
    contacts: tuple[tuple[str, str, str, str], ...]  # name, role, phone, email
    addresses: tuple[AddressSpec, ...]
    dealer_users: tuple[str, ...] = ()


def _addr(label, recipient, phone, region, city, district, line1, postal, lat, lon, default=False):
    return AddressSpec(
        label, recipient, phone, region, city, district, line1, postal, D(lat), D(lon), default
    )


CUSTOMERS: tuple[CustomerSpec, ...] = (
    CustomerSpec(
        "D-SH-001",
        "Shanghai Huatai Truck Sales Co., Ltd.",
        "dealer",
        "gold",
        D("20000000"),
        45,
        "91310114MA1GT7H21K",
        "rep.li",
        "truck_dealer",
        (
            ("Huang Jun", "General manager", "13816620831", "huang.jun@huatai-trucks.example.com"),
            ("Xu Li", "Purchasing", "13916248710", "xu.li@huatai-trucks.example.com"),
        ),
        (
            _addr(
                "Showroom & yard",
                "Xu Li",
                "13916248710",
                "Shanghai",
                "Shanghai",
                "Jiading",
                "1888 Huyi Highway",
                "201812",
                "31.356100",
                "121.239800",
                True,
            ),
        ),
        dealer_users=("dealer.huatai",),
    ),
    CustomerSpec(
        "D-GZ-002",
        "Guangzhou Yuexin Commercial Vehicles Co., Ltd.",
        "dealer",
        "platinum",
        D("30000000"),
        60,
        "91440101MA59YX8Q3B",
        "rep.li",
        "truck_dealer",
        (("Lin Hui", "Owner", "13602281947", "lin.hui@yuexin-cv.example.com"),),
        (
            _addr(
                "Main yard",
                "Lin Hui",
                "13602281947",
                "Guangdong",
                "Guangzhou",
                "Baiyun",
                "66 Guangcong 3rd Road",
                "510450",
                "23.289700",
                "113.291500",
                True,
            ),
            _addr(
                "Foshan branch",
                "Mo Qing",
                "13726530018",
                "Guangdong",
                "Foshan",
                "Nanhai",
                "12 Guicheng Industrial Avenue",
                "528200",
                "23.031600",
                "113.143500",
            ),
        ),
        dealer_users=("dealer.yuexin",),
    ),
    CustomerSpec(
        "D-BJ-003",
        "Beijing Jingcheng Heavy Truck Trading Co.",
        "dealer",
        "silver",
        D("12000000"),
        30,
        "91110115MA01KC5N2X",
        "rep.wang",
        "truck_dealer",
        (("Gao Peng", "Sales director", "13901117265", "gao.peng@jingcheng-trucks.example.com"),),
        (
            _addr(
                "Daxing yard",
                "Gao Peng",
                "13901117265",
                "Beijing",
                "Beijing",
                "Daxing",
                "9 Jinghai 5th Road",
                "102600",
                "39.728900",
                "116.341900",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "D-CD-004",
        "Chengdu Rongda Auto Trade Co., Ltd.",
        "dealer",
        "gold",
        D("15000000"),
        45,
        "91510100MA6C3R7D4F",
        "rep.wang",
        "truck_dealer",
        (("He Yong", "General manager", "13808012649", "he.yong@rongda-auto.example.com"),),
        (
            _addr(
                "Logistics park yard",
                "He Yong",
                "13808012649",
                "Sichuan",
                "Chengdu",
                "Xindu",
                "288 Xinjun Avenue",
                "610500",
                "30.823300",
                "104.158700",
                True,
            ),
        ),
        dealer_users=("dealer.rongda",),
    ),
    CustomerSpec(
        "D-WH-005",
        "Wuhan Jiangcheng Truck Centre",
        "dealer",
        "standard",
        D("8000000"),
        30,
        "91420100MA4K2J9C1W",
        "rep.wang",
        "truck_dealer",
        (("Tan Ming", "Manager", "13971188420", "tan.ming@jiangcheng-trucks.example.com"),),
        (
            _addr(
                "Yard",
                "Tan Ming",
                "13971188420",
                "Hubei",
                "Wuhan",
                "Hanyang",
                "17 Longyang Avenue",
                "430050",
                "30.556800",
                "114.216100",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "D-JN-006",
        "Qilu Truck Group — Jinan Branch",
        "dealer",
        "silver",
        D("12000000"),
        30,
        "91370100MA3C8L5P6R",
        "rep.wang",
        "truck_dealer",
        (("Sun Qiang", "Group purchasing manager", "13505316684", "sun.qiang@qilu-trucks.example.com"),),
        (
            _addr(
                "Jinan yard",
                "Sun Qiang",
                "13505316684",
                "Shandong",
                "Jinan",
                "Licheng",
                "5 Industrial North Road",
                "250100",
                "36.711500",
                "117.141900",
                True,
            ),
        ),
        dealer_users=("dealer.qilu",),
    ),
    CustomerSpec(
        "D-QD-007",
        "Qilu Truck Group — Qingdao Branch",
        "dealer",
        "silver",
        D("10000000"),
        30,
        "91370200MA3D1Q2M8T",
        "rep.wang",
        "truck_dealer",
        (
            ("Sun Qiang", "Group purchasing manager", "13505316684", "sun.qiang@qilu-trucks.example.com"),
            ("Yu Lan", "Branch manager", "13853269907", "yu.lan@qilu-trucks.example.com"),
        ),
        (
            _addr(
                "Qingdao port yard",
                "Yu Lan",
                "13853269907",
                "Shandong",
                "Qingdao",
                "Huangdao",
                "318 Qianwangang Road",
                "266555",
                "35.958200",
                "120.198600",
                True,
            ),
        ),
        dealer_users=("dealer.qilu",),
    ),
    CustomerSpec(
        "D-XA-008",
        "Xi'an Qinchuan Vehicle Sales Co.",
        "dealer",
        "standard",
        D("6000000"),
        30,
        "91610100MA6U4T3B5H",
        "rep.wang",
        "truck_dealer",
        (("Ma Rui", "Owner", "13709116352", "ma.rui@qinchuan-vehicles.example.com"),),
        (
            _addr(
                "Yard",
                "Ma Rui",
                "13709116352",
                "Shaanxi",
                "Xi'an",
                "Baqiao",
                "88 Xiangwang Road",
                "710038",
                "34.317300",
                "109.064200",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "K-HTL-001",
        "Jinjiang Hotels — Pudong Renovation Project",
        "key_account",
        "platinum",
        D("3000000"),
        60,
        "91310000MA1FL4H77E",
        "rep.li",
        "hotel",
        (
            ("Wu Ting", "Project manager", "13671829305", "wu.ting@jinjiang-hotels.example.com"),
            ("Fei Yan", "Site engineer", "13764420178", "fei.yan@jinjiang-hotels.example.com"),
        ),
        (
            _addr(
                "Pudong site",
                "Fei Yan",
                "13764420178",
                "Shanghai",
                "Shanghai",
                "Pudong",
                "2099 Century Avenue, site gate 3",
                "200120",
                "31.228800",
                "121.544300",
                True,
            ),
            _addr(
                "Head office",
                "Wu Ting",
                "13671829305",
                "Shanghai",
                "Shanghai",
                "Huangpu",
                "161 Changle Road",
                "200020",
                "31.218300",
                "121.460800",
            ),
        ),
        dealer_users=(),
    ),
    CustomerSpec(
        "K-HTL-002",
        "Hangzhou West Lake Grand Hotel Project",
        "key_account",
        "gold",
        D("1200000"),
        45,
        "91330100MA27W8X51N",
        "rep.li",
        "hotel",
        (("Shen Yu", "Fit-out coordinator", "13858011294", "shen.yu@westlake-grand.example.com"),),
        (
            _addr(
                "Hotel site",
                "Shen Yu",
                "13858011294",
                "Zhejiang",
                "Hangzhou",
                "Xihu",
                "78 Beishan Street",
                "310007",
                "30.259600",
                "120.146500",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "K-FLT-003",
        "Changjiang Logistics Fleet Co., Ltd.",
        "key_account",
        "platinum",
        D("40000000"),
        60,
        "91420100MA4L7C2F9Y",
        "rep.wang",
        "fleet",
        (("Zhou Bin", "Fleet director", "13995527741", "zhou.bin@changjiang-logistics.example.com"),),
        (
            _addr(
                "Wuhan depot",
                "Zhou Bin",
                "13995527741",
                "Hubei",
                "Wuhan",
                "Dongxihu",
                "1 Airport Logistics Road",
                "430040",
                "30.649900",
                "114.132800",
                True,
            ),
            _addr(
                "Chongqing depot",
                "Ran Jing",
                "13983315560",
                "Chongqing",
                "Chongqing",
                "Yubei",
                "45 Konggang Avenue",
                "401120",
                "29.719300",
                "106.641100",
            ),
        ),
        dealer_users=(),
    ),
    CustomerSpec(
        "K-FLT-004",
        "Sichuan Tianfu Cold-Chain Transport",
        "key_account",
        "gold",
        D("25000000"),
        45,
        "91510100MA6B9G5H2Q",
        "rep.wang",
        "fleet",
        (("Deng Hao", "Operations manager", "13882137206", "deng.hao@tianfu-coldchain.example.com"),),
        (
            _addr(
                "Shuangliu hub",
                "Deng Hao",
                "13882137206",
                "Sichuan",
                "Chengdu",
                "Shuangliu",
                "600 Airport East Road",
                "610200",
                "30.565300",
                "103.953600",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "K-FAC-005",
        "Suzhou Industrial Park Facilities Management",
        "key_account",
        "silver",
        D("800000"),
        45,
        "91320594MA1MX2E68L",
        "rep.li",
        "facility",
        (("Qian Wei", "Facilities engineer", "13962176630", "qian.wei@sip-facilities.example.com"),),
        (
            _addr(
                "Warehouse B7",
                "Qian Wei",
                "13962176630",
                "Jiangsu",
                "Suzhou",
                "Gongyeyuan",
                "B7, 8 Suhong East Road",
                "215021",
                "31.318800",
                "120.714600",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "R-SZ-001",
        "Shenzhen Futian Lighting Store",
        "retail_store",
        "standard",
        D("200000"),
        30,
        "92440300MA5F3K8R1U",
        "rep.li",
        "lighting_store",
        (("Zheng Xin", "Store owner", "13510463398", "zheng.xin@futian-lighting.example.com"),),
        (
            _addr(
                "Store",
                "Zheng Xin",
                "13510463398",
                "Guangdong",
                "Shenzhen",
                "Futian",
                "3008 Shennan Middle Road, shop 112",
                "518033",
                "22.540900",
                "114.058800",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "R-FS-002",
        "Foshan Lighting City Outlet",
        "retail_store",
        "silver",
        D("350000"),
        30,
        "92440600MA4W6N3T7G",
        "rep.li",
        "lighting_store",
        (("Liang Mei", "Manager", "13631649920", "liang.mei@fs-lighting-city.example.com"),),
        (
            _addr(
                "Outlet",
                "Liang Mei",
                "13631649920",
                "Guangdong",
                "Foshan",
                "Chancheng",
                "21 Jihua 5th Road",
                "528000",
                "23.020100",
                "113.110700",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "R-CS-003",
        "Changsha Auto Parts & Lubricants Shop",
        "retail_store",
        "standard",
        D("150000"),
        30,
        "92430100MA4P2D7X5C",
        "rep.li",
        "parts_store",
        (("Peng Cheng", "Owner", "13787245513", "peng.cheng@cs-autoparts.example.com"),),
        (
            _addr(
                "Shop",
                "Peng Cheng",
                "13787245513",
                "Hunan",
                "Changsha",
                "Yuhua",
                "126 Shaoshan South Road",
                "410007",
                "28.135700",
                "113.000500",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "R-ZZ-004",
        "Zhengzhou Truck Stop Supplies",
        "retail_store",
        "standard",
        D("120000"),
        30,
        "92410100MA46Y8L3J2",
        "rep.wang",
        "parts_store",
        (("Guo Feng", "Owner", "13838217746", "guo.feng@zz-truckstop.example.com"),),
        (
            _addr(
                "Truck stop shop",
                "Guo Feng",
                "13838217746",
                "Henan",
                "Zhengzhou",
                "Zhongmou",
                "Service area 2, G4 Expressway",
                "451450",
                "34.719600",
                "113.976400",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "R-XM-005",
        "Xiamen Harbour Lighting & Electric",
        "retail_store",
        "silver",
        D("250000"),
        30,
        "92350200MA32T5F8K1",
        "rep.li",
        "lighting_store",
        (("Chen Yi", "Owner", "13959213384", "chen.yi@harbour-electric.example.com"),),
        (
            _addr(
                "Store",
                "Chen Yi",
                "13959213384",
                "Fujian",
                "Xiamen",
                "Siming",
                "55 Hubin South Road",
                "361004",
                "24.466800",
                "118.105900",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "O-TM-001",
        "Jade Lighting Tmall Flagship Store",
        "online",
        "gold",
        D("500000"),
        15,
        "91310000MA1H6T2W3P",
        None,
        "online_lighting",
        (("Ye Qian", "E-commerce operations", "13621778914", "ye.qian@jade-lighting-tmall.example.com"),),
        (
            _addr(
                "Fulfilment centre",
                "Ye Qian",
                "13621778914",
                "Shanghai",
                "Shanghai",
                "Songjiang",
                "999 Jiuting Avenue, unit 4",
                "201615",
                "31.134600",
                "121.321100",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "O-JD-002",
        "JD.com Partner Store — Truck Care",
        "online",
        "silver",
        D("400000"),
        15,
        "91110302MA01R9K46D",
        None,
        "online_parts",
        (("Han Xue", "Store operator", "13611083367", "han.xue@truckcare-jd.example.com"),),
        (
            _addr(
                "JD warehouse inbound",
                "Han Xue",
                "13611083367",
                "Beijing",
                "Beijing",
                "Tongzhou",
                "2 Kechuang 11th Street, dock 14",
                "101111",
                "39.797600",
                "116.559400",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "W-GZ-001",
        "Walk-in customers — Guangzhou counter",
        "walk_in",
        "standard",
        D("0"),
        0,
        "",
        None,
        "walk_in",
        (("Counter desk", "Cashier", "020-82261100", ""),),
        (
            _addr(
                "Counter pick-up",
                "Counter desk",
                "020-82261100",
                "Guangdong",
                "Guangzhou",
                "Huangpu",
                "Guangzhou Huangpu DC, gate 1",
                "510530",
                "23.106600",
                "113.459000",
                True,
            ),
        ),
    ),
    CustomerSpec(
        "W-SH-002",
        "Walk-in customers — Shanghai counter",
        "walk_in",
        "standard",
        D("0"),
        0,
        "",
        None,
        "walk_in",
        (("Counter desk", "Cashier", "021-59958800", ""),),
        (
            _addr(
                "Counter pick-up",
                "Counter desk",
                "021-59958800",
                "Shanghai",
                "Shanghai",
                "Jiading",
                "Shanghai Jiading DC, gate 2",
                "201800",
                "31.374700",
                "121.265000",
                True,
            ),
        ),
    ),
)

# Negotiated prices: (customer code, SKU, net price).
CUSTOMER_PRICES: tuple[tuple[str, str, D], ...] = (
    ("K-FLT-003", "TRK-T7-TRACTOR", D("432000")),
    ("K-FLT-003", "LUB-15W40-4L", D("139")),
    ("K-FLT-004", "TRK-R5-RIGID", D("389000")),
    ("K-HTL-001", "LGT-PNL-6060-40W", D("138")),
    ("K-HTL-001", "LGT-DL-150-15W", D("46")),
    ("D-GZ-002", "FLT-OIL-T7", D("72")),
)
