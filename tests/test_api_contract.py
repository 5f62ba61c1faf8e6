"""The API contract (issue 14): what the schema promises is what the server does, in terms a
generated client relies on. tests/contract/ runs generated clients; these are the focused checks,
one per bug an integrator met: each fails on the code before the fix."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apps.registry.models import Firm
from tests.factories import ContactFactory, FirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    """The schema as `./seedbed schema` writes it (generated in-process, under the default Chinese)."""
    from drf_spectacular.settings import spectacular_settings

    with django_db_blocker.unblock():
        generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
        return generator.get_schema(request=None, public=True)  # type: ignore[no-any-return]


def operation(schema: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for path in schema["paths"].values():
        for op in path.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id}")


def parameter(schema: dict[str, Any], operation_id: str, name: str) -> dict[str, Any]:
    found = [p for p in operation(schema, operation_id).get("parameters", []) if p["name"] == name]
    assert found, f"{operation_id} has no parameter {name}"
    return found[0]


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][name]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ request bodies: JSON only
def test_request_bodies_are_json_only_except_uploads(schema: dict[str, Any]) -> None:
    """A body offered as JSON, form and multipart with one schema broke openapi-python-client (Unset)."""
    uploads = {"evidence_files_create", "imports_create"}
    for path in schema["paths"].values():
        for op in path.values():
            body = op.get("requestBody") if isinstance(op, dict) else None
            if body is None:
                continue
            expected = ["multipart/form-data"] if op["operationId"] in uploads else ["application/json"]
            assert list(body["content"]) == expected, op["operationId"]


def test_a_multipart_patch_is_refused_and_a_json_patch_clears_tags(park: Any, as_user: Any) -> None:
    firm = park.firm_a
    Firm.objects.filter(pk=firm.pk).update(tags=["a", "b"])
    client = as_user(park.admin, "en")
    refused = client.patch(f"/api/v1/firms/{firm.pk}/", {"tags": []}, format="multipart")
    assert refused.status_code == 415, refused.content  # was 200 and changed nothing
    assert refused.json()["code"] == "unsupported_media_type"
    firm.refresh_from_db()
    assert firm.tags == ["a", "b"]
    cleared = client.patch(f"/api/v1/firms/{firm.pk}/", {"tags": []}, format="json")
    assert cleared.status_code == 200 and cleared.json()["tags"] == []
    firm.refresh_from_db()
    assert firm.tags == []


def test_uploads_still_take_multipart(park: Any, as_user: Any) -> None:
    from apps.figures.api.views import EvidenceFileViewSet
    from apps.imports.api.views import ImportJobViewSet

    for view in (EvidenceFileViewSet, ImportJobViewSet):
        assert view.parser_classes[0].media_type == "multipart/form-data"
    # An import commit is a JSON body (or none).
    assert as_user(park.admin).post("/api/v1/imports/999999/commit/", {}, format="json").status_code == 404


# ------------------------------------------------------------------ responses: what the server sends
def test_patch_answers_with_industry_name_even_when_null(park: Any, as_user: Any) -> None:
    """DRF drops a read-only field with default= from partial updates: the client's KeyError."""
    firm = FirmFactory(zone=park.zone_a, industry_id=None)
    body = as_user(park.admin).patch(f"/api/v1/firms/{firm.pk}/", {"notes": "x"}, format="json").json()
    assert "industry_name" in body and body["industry_name"] is None
    assert as_user(park.admin).get(f"/api/v1/firms/{firm.pk}/").json()["industry_name"] is None


def test_nullable_and_typed_fields(schema: dict[str, Any]) -> None:
    assert component(schema, "Certification")["properties"]["ends_on"]["nullable"] is True
    industry_name = component(schema, "FirmDetail")["properties"]["industry_name"]
    assert industry_name["nullable"] is True
    assert "industry_name" in component(schema, "FirmDetail")["required"]
    assert component(schema, "FirmDetail")["properties"]["contacts"]["items"] == {
        "$ref": "#/components/schemas/Contact"
    }
    assert component(schema, "Me")["properties"]["role"]["allOf"] == [{"$ref": "#/components/schemas/RoleEnum"}]
    job = component(schema, "JobRun")["properties"]
    assert job["params"]["type"] == job["progress"]["type"] == job["counts"]["type"] == "object"
    assert job["errors"]["type"] == "array"


def test_versions_are_a_bare_array_and_unfiltered(schema: dict[str, Any]) -> None:
    for op_id in ("annual_figures_versions", "monthly_figures_versions"):
        op = operation(schema, op_id)
        body = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["type"] == "array", op_id  # the server answers a list, not a page
        assert {p["name"] for p in op.get("parameters", [])} <= {"id"}, op_id
    history = {p["name"] for p in operation(schema, "firms_history")["parameters"]}
    assert history == {"id", "messages", "page", "page_size"}  # not the firm list's filters


def test_funnel_and_trend_have_response_schemas(schema: dict[str, Any]) -> None:
    for op_id, name in (("highlights_funnel", "Funnel"), ("highlights_trend", "Trend")):
        body = operation(schema, op_id)["responses"]["200"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}


def test_downloads_are_binary(schema: dict[str, Any]) -> None:
    downloads = [
        "firms_export",
        "certifications_export",
        "annual_figures_export",
        "monthly_figures_export",
        "listing_events_export",
        "highlights_xlsx",
        "highlights_docx",
        "highlight_reports_xlsx",
        "highlight_reports_docx",
        "imports_error_workbook",
        "evidence_files_download",
    ]
    for op_id in downloads:
        content = operation(schema, op_id)["responses"]["200"]["content"]
        assert next(iter(content)) == "application/octet-stream", op_id
        assert all(media["schema"] == {"type": "string", "format": "binary"} for media in content.values()), op_id


# ------------------------------------------------------------------ parameters
def test_parameters_are_typed(schema: dict[str, Any]) -> None:
    for op_id, name in [
        ("firms_list", "assigned_staff"),
        ("contacts_list", "firm"),
        ("annual_figures_list", "zone"),
        ("listing_events_list", "zone"),
        ("journal_list", "author"),
        ("deadline_completions_list", "deadline"),
        ("certifications_list", "renews"),
        ("certifications_list", "certificate_year"),
        ("listing_events_list", "year"),
    ]:
        assert parameter(schema, op_id, name)["schema"]["type"] == "integer", (op_id, name)
    assert parameter(schema, "firms_list", "in_park")["schema"]["type"] == "boolean"
    assert parameter(schema, "annual_figures_list", "verified")["schema"]["type"] == "boolean"
    tag = parameter(schema, "firms_list", "tag")
    assert tag["schema"] == {"type": "array", "items": {"type": "string"}} and tag["explode"] is True
    on = parameter(schema, "firms_eligibility_retrieve", "on")["schema"]
    assert on == {"type": "string", "format": "date"}
    assert parameter(schema, "highlights_retrieve", "year")["schema"]["type"] == "integer"
    ordering = parameter(schema, "firms_list", "ordering")["schema"]
    assert {"name", "-name", "id", "-id"} <= set(ordering["enum"])


def test_every_list_ordering_is_an_enum(schema: dict[str, Any]) -> None:
    for path in schema["paths"].values():
        for op in path.values():
            for p in op.get("parameters", []) if isinstance(op, dict) else []:
                if p["name"] == "ordering":
                    assert p["schema"].get("enum"), op["operationId"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_unknown_ordering_is_a_400(park: Any, as_user: Any, language: str) -> None:
    response = as_user(park.admin, language).get("/api/v1/firms/", {"ordering": "nonsense"})
    assert response.status_code == 400  # was 200 in the default order
    body = response.json()
    assert body["code"] == "invalid" and "nonsense" in body["errors"]["ordering"][0]
    assert ("Cannot order by" in body["errors"]["ordering"][0]) == (language == "en")
    assert as_user(park.admin).get("/api/v1/firms/", {"ordering": "-name,nonsense"}).status_code == 400
    assert as_user(park.admin).get("/api/v1/firms/", {"ordering": "-name,uscc"}).status_code == 200


def test_id_filters_take_whole_numbers(park: Any, as_user: Any) -> None:
    """`firm=1.5` was read as firm 1; `1.0` (what clients sent for a `number`) still means 1."""
    contact = ContactFactory(firm=park.firm_a)
    client = as_user(park.admin)
    ids = lambda query: {c["id"] for c in client.get("/api/v1/contacts/", query).json()["results"]}  # noqa: E731
    assert contact.pk in ids({"firm": str(park.firm_a.pk)})
    assert ids({"firm": f"{park.firm_a.pk}.0"}) == ids({"firm": str(park.firm_a.pk)})
    response = client.get("/api/v1/contacts/", {"firm": f"{park.firm_a.pk}.5"})
    assert response.status_code == 400, response.content
    assert "firm" in response.json()["errors"]
    assert client.get("/api/v1/firms/", {"zone": f"{park.zone_a.pk}.5"}).status_code == 400


def test_highlight_report_firms_documents_its_one_of_rule(schema: dict[str, Any]) -> None:
    for op_id in ("highlight_reports_firms", "highlights_firms"):
        assert "exactly one number" in operation(schema, op_id)["description"]


# ------------------------------------------------------------------ headers
def test_etag_and_if_match_are_documented(schema: dict[str, Any]) -> None:
    for op_id in ("firms_retrieve", "firms_partial_update", "firms_update", "annual_figures_verify"):
        assert "ETag" in operation(schema, op_id)["responses"]["200"].get("headers", {}), op_id
    for op_id in (
        "firms_partial_update",
        "firms_update",
        "firms_destroy",
        "annual_figures_verify",
        "monthly_figures_reject",
    ):
        names = {p["name"] for p in operation(schema, op_id)["parameters"] if p["in"] == "header"}
        assert "If-Match" in names, op_id


def test_login_documents_the_csrf_rotation(schema: dict[str, Any]) -> None:
    assert "rotates the CSRF token" in operation(schema, "auth_login")["description"]


# ------------------------------------------------------------------ names and language
def test_type_and_operation_names_are_readable(schema: dict[str, Any]) -> None:
    names = list(schema["components"]["schemas"])
    assert all(name.isascii() for name in names)
    assert not [n for n in names if re.search(r"[A-Z][a-z]+[0-9A-F][0-9a-f]{2}Enum$|[0-9a-f]{3}Enum$", n)], names
    assert {"FigureStateEnum", "FlagKindEnum", "EvidenceKindEnum"} <= set(names)
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)}
    assert {
        "certifications_renew",
        "firms_leave",
        "firms_export",
        "annual_figures_verify",
        "calendar_ics_retrieve",
    } <= ids
    assert not [i for i in ids if not re.fullmatch(r"[a-z0-9_]+", i)]
    assert "certifications_renew_create" not in ids and "firms_leave_create" not in ids
    text = repr(schema)
    assert "'title': '板块'" not in text  # a verbose name generators turned into ListingEventsList板块


def test_the_schema_is_in_english(schema: dict[str, Any]) -> None:
    page = parameter(schema, "firms_list", "page")
    assert page["description"] == "A page number within the paginated result set."  # was 分页结果集中的页码。
    for path in schema["paths"].values():
        for op in path.values():
            for p in op.get("parameters", []) if isinstance(op, dict) else []:
                description = p.get("description", "")
                assert not description or re.search(r"[A-Za-z]{3}", description), (op["operationId"], p)


def test_the_live_schema_is_english_too(client: Any) -> None:
    """/api/schema/ asked in Chinese still answers the English schema a generator reads."""
    response = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert b"A page number within the paginated result set." in response.content


def test_operation_names_do_not_depend_on_the_requests_served(client: Any, park: Any) -> None:
    """DRF adds `head` to a route's action map at its first GET; the live schema named `firms/export/`
    `firms_export_retrieve` once any export had been served, and `firms_export` before."""
    import yaml

    client.force_login(park.admin)
    client.get("/api/v1/firms/export/?format=csv")
    client.get("/api/v1/highlights/2022/funnel/")
    live = yaml.safe_load(client.get("/api/schema/").content)
    ids = {op.get("operationId") for path in live["paths"].values() for op in path.values() if isinstance(op, dict)}
    assert {"firms_export", "highlights_funnel"} <= ids
    assert not {"firms_export_retrieve", "highlights_funnel_retrieve"} & ids
