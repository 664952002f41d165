from __future__ import annotations

import pytest
from django.test import RequestFactory

from maintenance_waffle import core, http
from tests.rows import set_switch


def test_http_offers_the_core_functions() -> None:
    assert http.get_maintenance_response is core.get_maintenance_response
    assert http.need_maintenance_response is core.need_maintenance_response
    assert sorted(http.__all__) == ["get_maintenance_response", "need_maintenance_response"]


@pytest.mark.django_db
def test_http_functions_answer_like_the_middleware(rf: RequestFactory) -> None:
    request = rf.get("/")
    assert http.need_maintenance_response(request) is False

    set_switch(True, "Upgrading")

    assert http.need_maintenance_response(request) is True
    response = http.get_maintenance_response(request)
    assert response.status_code == 503
    assert b"Upgrading" in response.content
