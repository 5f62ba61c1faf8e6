from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import ApiToken, Role, User
from apps.core.api.base import ReasonSerializerMixin
from apps.core.i18n import t
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
        role = user.effective_role
        zones = list(user.zones.all())
        return {
            "role": role,
            "all_zones": role in {"admin", "viewer"} or (role == "staff" and not zones),
            "zones": [{"id": z.pk, "code": z.code, "name": z.name} for z in zones],
            "firms": [{"id": f.pk, "uscc": f.uscc, "name": f.name} for f in user.firms.all()],
        }


class UserSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, style={"input_type": "password"}
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
        return attrs

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
        return super().update(instance, validated_data)


class ApiTokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "is_active"]
        read_only_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
