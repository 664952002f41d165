"""Create the demo accounts and put the maintenance flag in a ready-to-try state.

Safe to run again: it updates what exists and never turns maintenance on.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction
from waffle import get_waffle_flag_model, get_waffle_switch_model

from maintenance_waffle.conf import get_config
from sample_site.demo.users import BETA_GROUP, DEMO_USERS


class Command(BaseCommand):
    help = "Create the demo users (admin, staff, beta, alice) and the 'beta' group."

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        with transaction.atomic():
            beta, _ = Group.objects.get_or_create(name=BETA_GROUP)
            self._users()
            self._target_beta(beta)
        self._print_table()

    def _users(self) -> None:
        user_model = get_user_model()
        waffle_permissions = self._waffle_permissions()
        for demo in DEMO_USERS:
            user, created = user_model._default_manager.get_or_create(
                **{user_model.USERNAME_FIELD: demo.username}
            )
            user.is_superuser = demo.is_superuser
            user.is_staff = demo.is_staff
            user.is_active = True
            user.email = f"{demo.username}@example.com"
            if not user.check_password(demo.password):
                user.set_password(demo.password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=demo.groups))
            if demo.is_staff and not demo.is_superuser:
                user.user_permissions.add(*waffle_permissions)
            if self.verbosity >= 2:
                self.stdout.write(f"{'created' if created else 'updated'} user {demo.username}")

    def _waffle_permissions(self) -> list[Permission]:
        """View and change permissions on waffle's flags and switches."""
        permissions: list[Permission] = []
        for model in (get_waffle_flag_model(), get_waffle_switch_model()):
            content_type = ContentType.objects.get_for_model(model)
            name = model._meta.model_name
            permissions.extend(
                Permission.objects.filter(
                    content_type=content_type, codename__in=(f"view_{name}", f"change_{name}")
                )
            )
        return permissions

    def _target_beta(self, beta: Group) -> None:
        """Preselect the 'beta' group on the maintenance flag.

        Only while the flag is off for everyone, so this changes nothing that a visitor
        sees: setting the flag's Everyone to Unknown then starts maintenance for 'beta'.
        """
        flag_name = get_config().flag_name
        flag = get_waffle_flag_model()._default_manager.filter(name=flag_name).first()
        if flag is None:
            self.stderr.write(
                f"Flag {flag_name!r} is missing: run 'python sample_site/manage.py migrate'."
            )
        elif flag.everyone is False:
            flag.groups.add(beta)
        elif self.verbosity >= 1:
            self.stdout.write(
                f"Flag {flag_name!r} is in use (Everyone is not 'No'): left as it is."
            )

    def _print_table(self) -> None:
        if self.verbosity < 1:
            return
        rows = [("username", "password", "what it shows")]
        rows += [(demo.username, demo.password, demo.shows) for demo in DEMO_USERS]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        self.stdout.write("")
        for index, (username, password, shows) in enumerate(rows):
            self.stdout.write(f"{username:<{widths[0]}}  {password:<{widths[1]}}  {shows}")
            if index == 0:
                self.stdout.write(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 13}")
        self.stdout.write("")
        self.stdout.write(
            "Sign in at http://127.0.0.1:8000/accounts/login/ "
            "(the admin is at http://127.0.0.1:8000/admin/)."
        )
