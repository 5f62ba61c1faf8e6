from django.contrib import admin

from apps.listing.models import ListingEvent


@admin.register(ListingEvent)
class ListingEventAdmin(admin.ModelAdmin):
    """Plain record editing; the API applies the stage-order rules, the history trigger records both."""

    list_display = ("date", "firm", "stage", "board", "outcome", "pool_level", "out_of_order_override")
    list_filter = ("stage", "board", "outcome", "out_of_order_override")
    search_fields = ("firm__name", "firm__uscc", "sponsor")
    raw_id_fields = ("firm", "recorded_by")
    date_hierarchy = "date"
