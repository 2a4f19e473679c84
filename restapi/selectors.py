from django.db.models import QuerySet

from restapi.models import ApiToken


def api_token_list_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
