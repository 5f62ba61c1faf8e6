from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import ApiToken, Role, User
from apps.core.api.base import ReasonSerializerMixin
from apps.core.i18n import t
from apps.core.scope import forget_scope, scope_of
from apps.registry.models import Firm, Zone


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})
    revoke_tokens = serializers.BooleanField(
        default=True, help_text="Revoke your API tokens too (default). False keeps them working."
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AccessScopeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    all_zones = serializers.BooleanField(help_text="True when the caller sees every zone.")
    zones = serializers.ListField(child=serializers.DictField())
    firms = serializers.ListField(child=serializers.DictField(), help_text="Firms an enterprise user is linked to.")


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, source="effective_role", read_only=True)
    scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "phone", "role", "scope"]

    @extend_schema_field(AccessScopeSerializer)
    def get_scope(self, user: User) -> dict[str, Any]:
        # What the selectors apply: the one resolved scope (apps.core.scope), not worked out again here.
        scope = scope_of(user)
        zones = Zone.objects.filter(id__in=scope.zone_ids).order_by("id") if not scope.all_zones else []
        firms = Firm.objects.filter(id__in=scope.firm_ids).order_by("id")
        return {
            "role": scope.role,
            "all_zones": scope.all_zones,
            "zones": [{"id": z.pk, "code": z.code, "name": z.name} for z in zones],
            "firms": [{"id": f.pk, "uscc": f.uscc, "name": f.name} for f in firms],
        }


class UserSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, style={"input_type": "password"}
    )
    all_zones = serializers.BooleanField(
        required=False,
        help_text="Staff and viewers: every zone. Otherwise `zones` lists the only zones they see; "
        "one of the two is required. 专员和只读用户：全部片区，或只看 zones 所列片区，二者必选其一。",
    )
    zones = serializers.PrimaryKeyRelatedField(many=True, queryset=Zone.objects.all(), required=False)
    firms = serializers.PrimaryKeyRelatedField(many=True, queryset=Firm.objects.all(), required=False)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "role",
            "is_active",
            "all_zones",
            "zones",
            "firms",
            "password",
            "reason",
            "last_login",
            "date_joined",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        role = attrs.get("role", getattr(self.instance, "role", None))
        firms = attrs.get("firms", None if self.instance is None else list(self.instance.firms.all()))
        if role == Role.ENTERPRISE and not firms:
            raise serializers.ValidationError(
                {
                    "firms": [
                        t("企业用户必须关联至少一家企业。", "An enterprise user must be linked to at least one firm.")
                    ]
                }
            )
        if role != Role.ENTERPRISE and attrs.get("firms"):
            raise serializers.ValidationError(
                {"firms": [t("只有企业用户可以关联企业。", "Only enterprise users are linked to firms.")]}
            )
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [t("新用户必须设置密码。", "A new user needs a password.")]})
        if attrs.get("password"):
            try:
                validate_password(attrs["password"], user=self.instance)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        self._validate_zones(attrs, role)
        if self.instance is not None:
            from apps.accounts.services import AdminChangeRefused, guard_admin_change

            request = self.context.get("request")
            try:
                guard_admin_change(
                    actor=getattr(request, "user", None),
                    target=self.instance,
                    role=attrs.get("role"),
                    is_active=attrs.get("is_active"),
                )
            except AdminChangeRefused as exc:
                field = "role" if "role" in attrs and attrs["role"] != self.instance.role else "is_active"
                raise serializers.ValidationError({field: [exc.message]}) from exc
        return attrs

    def _validate_zones(self, attrs: dict[str, Any], role: str | None) -> None:
        """Staff and viewers see every zone only when the administrator says so (`all_zones`), else the
        zones listed; neither is refused, never silently read as every zone (security finding 1)."""
        instance = self.instance
        if role not in (Role.STAFF, Role.VIEWER):
            if attrs.get("zones"):
                raise serializers.ValidationError(
                    {
                        "zones": [
                            t("只有服务专员和只读用户可以限定片区。", "Only staff and viewers are limited to zones.")
                        ]
                    }
                )
            attrs["all_zones"] = role == Role.ADMIN
            attrs["zones"] = []
            return
        all_zones = attrs.get("all_zones", getattr(instance, "all_zones", None) if "zones" not in attrs else None)
        zones = attrs.get("zones", None if instance is None else list(instance.zones.all()))
        if all_zones is None:  # zones given without all_zones: the zones are the choice
            all_zones = False
        if all_zones and attrs.get("zones"):
            raise serializers.ValidationError(
                {
                    "zones": [
                        t(
                            "已选择“全部片区”，不能再指定片区。",
                            "'All zones' is chosen; give no zones as well.",
                        )
                    ]
                }
            )
        if not all_zones and not zones:
            raise serializers.ValidationError(
                {
                    "zones": [
                        t(
                            "请为服务专员或只读用户选择片区，或选择“全部片区”。",
                            "Choose the zones of a staff member or viewer, or choose 'All zones'.",
                        )
                    ]
                }
            )
        attrs["all_zones"] = bool(all_zones)
        if all_zones:
            attrs["zones"] = []

    def create(self, validated_data: dict[str, Any]) -> User:
        zones = validated_data.pop("zones", [])
        firms = validated_data.pop("firms", [])
        password = validated_data.pop("password")
        user = User(**validated_data)
        user.set_password(password)
        user.save()
        user.zones.set(zones)
        user.firms.set(firms)
        return user

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        password = validated_data.pop("password", None)
        if password:
            instance.set_password(password)
        updated: User = super().update(instance, validated_data)
        forget_scope(updated)
        return updated


class ApiTokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "is_active"]
        read_only_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]


class TokenToRevokeSerializer(serializers.Serializer):
    token = serializers.IntegerField(min_value=1, help_text="The id of one of this user's API tokens.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
