"""A project's own tests of its maintenance behaviour, as a project writes them with
Django's TestCase and no reset of maintenance_waffle's: tests/test_isolation.py runs them
in every order with Django's test runner, in a process of their own."""

from __future__ import annotations

from django.test import TestCase

from maintenance_waffle.core import maintenance_mode_on, set_maintenance_mode


class TurnsMaintenanceOn(TestCase):
    def test_on(self) -> None:
        set_maintenance_mode(True)
        self.assertEqual(self.client.get("/").status_code, 503)

    @maintenance_mode_on()
    def test_on_for_one_test(self) -> None:
        self.assertEqual(self.client.get("/").status_code, 503)


class ExpectsItOff(TestCase):
    def test_off(self) -> None:
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_off_again(self) -> None:
        self.assertEqual(self.client.get("/page/").status_code, 200)
