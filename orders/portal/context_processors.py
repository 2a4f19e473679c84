"""Which portal sections the signed-in user has, for the navigation on every page.

Lazy, and it reuses the roles a view has already worked out for the request (crm.selectors
caches them on the user), so a page that shows the nav costs no extra query for it.
"""

from django.utils.functional import SimpleLazyObject

from crm.selectors import is_dealer, is_sales_rep


def portal_roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"portal_roles": SimpleLazyObject(lambda: {"rep": is_sales_rep(user), "dealer": is_dealer(user)})}
