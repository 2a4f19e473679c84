"""The roles: each group and the permissions it holds, for every app. The one definition.

`manage.py sync_roles` (crm.services.roles_sync) makes the groups match this table; `migrate` runs
it once at its end, when every app's permissions exist. Models are named, not discovered: a model
added later joins a role only when it is written here.
"""

from django.utils.translation import gettext_lazy as _

ORDER_MANAGER = "Order manager"
SALES_DIRECTOR = "Sales director"
SALES_REP = "Sales rep"
PRODUCTION_SCHEDULER = "Production scheduler"
PLANT_SUPERVISOR = "Plant supervisor"
LOGISTICS_SPECIALIST = "Logistics specialist"
FINANCE = "Finance"
DEALER = "Dealer"

# The roles' names as people read them: group names are data (stored in English, the API returns them
# as stored); screens and notices show them in the reader's language.
ROLE_LABELS = {
    ORDER_MANAGER: _("Order manager"),
    SALES_DIRECTOR: _("Sales director"),
    SALES_REP: _("Sales rep"),
    PRODUCTION_SCHEDULER: _("Production scheduler"),
    PLANT_SUPERVISOR: _("Plant supervisor"),
    LOGISTICS_SPECIALIST: _("Logistics specialist"),
    FINANCE: _("Finance"),
    DEALER: _("Dealer"),
}


def role_label(name: str) -> str:
    """A group's name in the current language when it is one of the roles, else as it is."""
    return str(ROLE_LABELS.get(name, name))


VIEW, ADD, CHANGE = "view", "add", "change"

APP_MODELS: dict[str, tuple[str, ...]] = {
    "core": ("sequence", "outboxevent"),
    "restapi": ("apitoken", "idempotencykey"),
    "crm": ("customer", "contact", "address", "customercreditevent"),
    "inventory": (
        "category",
        "product",
        "productoption",
        "productoptionvalue",
        "warehouse",
        "stocklevel",
        "stockmovement",
        "stocktransfer",
        "stockalert",
        "warehouseshippingcost",
        "expectedreceipt",
    ),
    "pricing": ("tierdiscount", "customerprice", "shippingrate"),
    "orders": ("order", "orderline", "orderevent", "priorityfactor", "reviewrule", "orderapproval"),
    "production": (
        "productfamily",
        "familycategory",
        "plant",
        "plantday",
        "productionline",
        "routingstage",
        "bomline",
        "workorder",
        "workorderload",
        "workorderstage",
        "workordermaterial",
        "workorderevent",
        "shopfloordevice",
        "shopfloorevent",
        "productionbatch",
        "serialnumber",
    ),
    "logistics": ("carrier", "shipment", "shipmentline", "trackingevent"),
    "finance": ("invoice", "payment", "dunninglevel", "invoicereminder"),
    "webhooks": ("webhookendpoint", "webhookdelivery", "webhookattempt"),
    "analytics": ("dailysales",),
}
# Moving a transfer between warehouses (inventory.states.TRANSITION_PERMISSION).
TRANSFER_WORKFLOW = ("inventory.ship_stocktransfer", "inventory.receive_stocktransfer")
ORDER_WORKFLOW = (
    "review_order",
    "hold_order",
    "cancel_order",
    "fulfil_order",
    "ship_order",
    "complete_order",
)


def _model_perms(app_label: str, models: tuple[str, ...] | None, actions: tuple[str, ...]) -> set[str]:
    """`app_label.action_model` for the given models (None: all of the app's models above)."""
    return {
        f"{app_label}.{action}_{model}" for model in models or APP_MODELS[app_label] for action in actions
    }


# Group name → permissions as "app_label.codename".
# Review (issue #9): every role a review rule may name holds `orders.review_order`, which shows the review
# buttons; which steps a user decides is their groups' business (orders.services.review). Review rules
# are kept by the sales director, not by the order desk whose work they check; approvals are read-only.
ORDER_DOCUMENTS = ("order", "orderline", "orderevent")
REVIEW_RECORDS = ("reviewrule", "orderapproval")

ROLES: dict[str, frozenset[str]] = {
    ORDER_MANAGER: frozenset(
        _model_perms("orders", ORDER_DOCUMENTS, (VIEW, ADD, CHANGE))
        | _model_perms("orders", REVIEW_RECORDS, (VIEW,))
        # The priority weights are the order desk's to tune (the admin offers no add or delete).
        | _model_perms("orders", ("priorityfactor",), (VIEW, ADD, CHANGE))
        | _model_perms("crm", None, (VIEW, ADD, CHANGE))
        | _model_perms("inventory", None, (VIEW, ADD, CHANGE))
        | _model_perms("pricing", None, (VIEW,))
        | _model_perms("finance", None, (VIEW,))
        | _model_perms("logistics", None, (VIEW,))
        | _model_perms("production", None, (VIEW,))
        | _model_perms("restapi", ("apitoken",), (VIEW, ADD, CHANGE))
        # Read-only system tables, shown so a manager can trace numbering, retries and reports.
        | _model_perms("core", ("sequence", "outboxevent"), (VIEW,))
        | _model_perms("restapi", ("idempotencykey",), (VIEW,))
        | _model_perms("analytics", None, (VIEW,))
        | _model_perms("webhooks", None, (VIEW, CHANGE))
        | {f"orders.{codename}" for codename in ORDER_WORKFLOW}
        | set(TRANSFER_WORKFLOW)
    ),
    SALES_DIRECTOR: frozenset(
        _model_perms("orders", None, (VIEW,))
        | _model_perms("orders", ("reviewrule",), (VIEW, ADD, CHANGE))
        | _model_perms("crm", None, (VIEW,))
        | _model_perms("inventory", ("product", "stocklevel"), (VIEW,))
        | _model_perms("pricing", None, (VIEW,))
        | _model_perms("finance", None, (VIEW,))
        | _model_perms("analytics", None, (VIEW,))
        | {"orders.review_order", "orders.hold_order"}
    ),
    SALES_REP: frozenset(
        _model_perms("orders", None, (VIEW,))
        | _model_perms("orders", ("order",), (ADD,))
        | _model_perms("crm", None, (VIEW,))
        | _model_perms("crm", ("contact",), (ADD, CHANGE))
        | _model_perms("inventory", ("product", "stocklevel"), (VIEW,))
    ),
    PRODUCTION_SCHEDULER: frozenset(
        _model_perms("orders", None, (VIEW,))
        | _model_perms("production", None, (VIEW, ADD, CHANGE))
        | _model_perms("inventory", None, (VIEW,))
        | {"orders.fulfil_order", "orders.review_order", "production.progress_workorder"}
    ),
    # Records stage progress of the plants they supervise (production.Plant.supervisors), in the portal.
    PLANT_SUPERVISOR: frozenset(
        _model_perms("production", ("workorder", "workorderstage", "plant"), (VIEW,))
        | {"production.progress_workorder"}
    ),
    LOGISTICS_SPECIALIST: frozenset(
        _model_perms("orders", None, (VIEW,))
        | _model_perms("logistics", None, (VIEW, ADD, CHANGE))
        | _model_perms("inventory", ("stocklevel", "stockmovement", "warehouse"), (VIEW,))
        # Logistics ships and receives transfers between warehouses, and may request them.
        | _model_perms("inventory", ("stocktransfer",), (VIEW, ADD, CHANGE))
        # … and announces and receives inbound goods (expected receipts).
        | _model_perms("inventory", ("expectedreceipt",), (VIEW, ADD, CHANGE))
        | set(TRANSFER_WORKFLOW)
        | {"orders.ship_order"}
    ),
    FINANCE: frozenset(
        _model_perms("orders", None, (VIEW,))
        | _model_perms("finance", None, (VIEW, ADD, CHANGE))
        # Prices and rates are finance's to keep, though pricing sits below orders.
        | _model_perms("pricing", None, (VIEW, ADD, CHANGE))
        # Change on customers is how finance sets credit limits; credit holds are finance's alone.
        | _model_perms("crm", ("customer",), (VIEW, CHANGE))
        | _model_perms("crm", ("customercreditevent",), (VIEW,))
        | {"crm.credit_hold_customer"}
        | {"orders.hold_order", "orders.review_order"}
    ),
    # Dealers are not staff: they use the API and the portal, never the admin.
    DEALER: frozenset(),
}
