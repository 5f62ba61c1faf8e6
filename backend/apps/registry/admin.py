from django.contrib import admin

from apps.registry.models import Contact, Firm, Industry, JournalEntry, Zone


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "level", "name")
    list_filter = ("level", "section")
    search_fields = ("code", "name")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "zone", "industry", "entered_park_on", "left_park_on")
    list_filter = ("zone", "legal_form")
    search_fields = ("name", "uscc")
    raw_id_fields = ("industry", "assigned_staff")
    inlines = [ContactInline]


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "firm", "kind", "title")
    raw_id_fields = ("firm", "author")
