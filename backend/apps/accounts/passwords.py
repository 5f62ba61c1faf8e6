"""Password rules with their messages in Chinese (default) and English, via apps.core.i18n.t.

Django's own validators, with messages of our own: its Chinese catalogue lacks some of them, and
a user setting a password must read every rule in their language. Configured in
settings.AUTH_PASSWORD_VALIDATORS; used by user creation, the admin's password change and the
password reset (POST /api/v1/auth/password-reset/confirm/).
"""

from __future__ import annotations

from django.contrib.auth import password_validation as django_rules

from apps.core.i18n import t


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_error_message(self) -> str:
        n = self.min_length
        return str(
            t(f"密码长度太短，至少需要 {n} 个字符。", f"This password is too short: use at least {n} characters.")
        )

    def get_help_text(self) -> str:
        n = self.min_length
        return str(t(f"密码至少 {n} 个字符。", f"At least {n} characters."))


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return str(t("密码不能全部为数字。", "This password is entirely numeric."))

    def get_help_text(self) -> str:
        return str(t("密码不能全部为数字。", "Not only digits."))


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return str(t("这个密码太常见，容易被猜中，请换一个。", "This password is too common; choose another."))

    def get_help_text(self) -> str:
        return str(t("不能使用常见密码。", "Not a commonly used password."))


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return str(
            t(
                "密码与账户信息（%(verbose_name)s）过于相似。",
                "The password is too similar to the account's %(verbose_name)s.",
            )
        )

    def get_help_text(self) -> str:
        return str(t("密码不能与用户名、姓名或邮箱相似。", "Not similar to your username, name or email."))
