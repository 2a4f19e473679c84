"""Whether the signed-in user supervises a plant, for the portal's navigation.

Lazy, and free on the pages of reps and dealers: their roles are already known for the request
(crm.selectors caches them on the user), and a rep's or a dealer's account is not a plant
supervisor's, so the one query is spent only on other accounts — or reused from a supervisor page
that already asked (production.selectors.progress caches it on the user). So a rep who also
supervises a plant sees the "Plant floor" link on the plant pages only, not on every page.
"""

from django.utils.functional import SimpleLazyObject

from crm.selectors import is_dealer, is_sales_rep
from production.selectors.progress import supervises_any_plant


def _is_supervisor(user) -> bool:
    known = getattr(user, "_supervises_plants", None)
    if known is not None:
        return known
    if is_sales_rep(user) or is_dealer(user):
        return False
    return supervises_any_plant(user)


def production_roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"production_roles": SimpleLazyObject(lambda: {"supervisor": _is_supervisor(user)})}
