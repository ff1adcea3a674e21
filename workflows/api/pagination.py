"""Page numbers are checked like the lists' other query fields: a page that is not a whole number,
below 1 or past the last is a 400 naming ``page`` (DRF's default answers 404 "Invalid page")."""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    invalid_page_message = "{message}"  # Django's words: "That page number is not an integer", ...

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from None
