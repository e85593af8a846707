from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "kind", "is_staff")
    list_filter = ("kind", "is_staff", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Alta",
            {
                "fields": (
                    "kind",
                    "phone",
                    "password_expired",
                    "temporary_password_expires_at",
                    "password_changed_at",
                    "contact_confirmed_at",
                )
            },
        ),
    )
