"""new-api's HTTP routes with the standard library's HTTP client: every answer, success or refusal, is
validated with jsonschema against the schema /openapi.json gives for its route and status, and refused
requests leave the database as it was."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote

import jsonschema
import pytest
import referencing
import referencing.jsonschema

from conftest import EXAMPLE_BODY, http_request, openapi_document

DOCUMENT_URI = "urn:tokenbatch:openapi"


class Contract:
    """Looks up and checks the documented schema of an answer."""

    def __init__(self, document: dict):
        self.document = document
        resource = referencing.Resource.from_contents(document, default_specification=referencing.jsonschema.DRAFT202012)
        self.registry = referencing.Registry().with_resource(DOCUMENT_URI, resource)

    def check(self, method: str, template: str, status: int, headers: dict[str, str], body: bytes) -> object:
        operation = self.document["paths"][template][method.lower()]
        response = operation["responses"].get(str(status))
        assert response is not None, f"{method} {template}: HTTP {status} is not documented"
        content_type = headers.get("content-type", "").split(";")[0].strip()
        assert content_type in response["content"], f"{method} {template}: {content_type} is not documented"
        if content_type != "application/json":
            return body.decode()
        pointer = "/paths/" + template.replace("~", "~0").replace("/", "~1") + f"/{method.lower()}/responses/{status}/content/application~1json/schema"
        validator = jsonschema.Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self.registry)
        value = json.loads(body)
        errors = sorted(validator.iter_errors(value), key=lambda error: list(error.path))
        assert not errors, f"{method} {template} {status}: " + "; ".join(
            f"{list(error.path)}: {error.message}" for error in errors
        )
        return value


@pytest.fixture
def contract(server) -> Contract:
    document = openapi_document(server)
    jsonschema.Draft202012Validator.check_schema(document["components"]["schemas"]["BatchRequest"])
    return Contract(document)


def call(server, contract, method, template, path=None, body=None, headers=None, authenticated=True):
    all_headers = dict(server.user.headers()) if authenticated else {}
    all_headers.update(headers or {})
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
    status, raw, response_headers = http_request(method, server.base_url + (path or template), body, all_headers)
    return status, contract.check(method, template, status, response_headers, raw)


def oversized_put(server, contract, length: int):
    """Announces a body over the 1 MiB limit and, like curl does for large bodies, waits for the server's
    go-ahead (`Expect: 100-continue`) before sending it: the server refuses on the announcement alone."""
    connection = http.client.HTTPConnection(server.address, timeout=30)
    try:
        connection.putrequest("PUT", "/api/token/batch")
        for name, value in {**server.user.headers(), "Content-Type": "application/json"}.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(length))
        connection.putheader("Expect", "100-continue")
        connection.endheaders()
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        body = response.read()
        return response.status, contract.check("PUT", "/api/token/batch", response.status, headers, body)
    finally:
        connection.close()


def test_the_documented_example_verbatim(server, contract):
    status, answer = call(server, contract, "PUT", "/api/token/batch", body=EXAMPLE_BODY)
    assert status == 200 and answer["success"] is True
    assert answer["data"] == 2
    assert answer["ignored"] == ["model_limits_enabled"]
    assert any(warning["code"] == "expired_time.past" for warning in answer["warnings"])
    assert server.token_row(873)["model_limits"] == "gpt-4o,gpt-4o-2024-11-20"
    status, answer = call(server, contract, "PUT", "/api/token/batch", body=EXAMPLE_BODY)
    assert (answer["data"], answer["unchanged"]) == (0, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"ids": "873,869", "group": "default", "update_fields": "group"},
        {"ids": ["873", "869"], "expired_time": -1, "update_fields": ["expired_time"]},
        {"ids": [873, 869], "remain_quota": 5, "unlimited_quota": False, "update_fields": "remain_quota,unlimited_quota"},
    ],
    ids=["comma-separated", "numeric-strings", "array"],
)
def test_alternative_forms_and_options(server, contract, body):
    status, dry = call(server, contract, "PUT", "/api/token/batch", "/api/token/batch?validate_only=true&lang=en", json.dumps(body).encode())
    assert status == 200 and dry["validate_only"] is True
    assert [result["id"] for result in dry["results"]] == [869, 873]
    status, real = call(server, contract, "PUT", "/api/token/batch", "/api/token/batch?details=1", json.dumps(body).encode())
    assert real["validate_only"] is False and len(real["results"]) == 2
    assert real["data"] == dry["data"]


def test_refusals_match_the_error_envelope_and_write_nothing(server, contract):
    before = server.token_rows()
    bad = {"ids": [], "mj_image_mode": "sideways", "bogus": 1, "update_fields": ["mj_image_mode"]}
    status, answer = call(server, contract, "PUT", "/api/token/batch", "/api/token/batch?lang=en", json.dumps(bad).encode())
    assert status == 200 and answer["success"] is False and answer["data"] == 0
    codes = {error["code"] for error in answer["errors"]}
    assert {"ids.empty", "body.unknown_field"} <= codes
    assert answer["code"] == answer["errors"][0]["code"]

    status, answer = call(server, contract, "PUT", "/api/token/batch", body=b'{"ids":[873,1],"remain_quota":1,"update_fields":["remain_quota"]}')
    assert answer["code"] == "ids.not_found"

    status, answer = call(server, contract, "PUT", "/api/token/batch", body=EXAMPLE_BODY, headers={"Authorization": "wrong"})
    assert (status, answer["code"]) == (401, "AUTH_UNAUTHORIZED")

    status, answer = oversized_put(server, contract, 1024 * 1024 + 1)
    assert (status, answer["code"]) == (413, "body.too_large")

    status, answer = call(server, contract, "PUT", "/api/token/batch", body=b"{ not json")
    assert answer["success"] is False
    assert server.token_rows() == before


def test_list_search_get_and_groups(server, contract):
    status, page = call(server, contract, "GET", "/api/token/", "/api/token/?p=0&size=7")
    assert page["data"]["page"] == 1 and len(page["data"]["items"]) == 7
    assert page["data"]["items"][0]["id"] == 889
    status, same = call(server, contract, "GET", "/api/token", "/api/token?p=1&size=7")
    assert same["data"]["items"] == page["data"]["items"]
    status, found = call(server, contract, "GET", "/api/token/search", "/api/token/search?keyword=" + quote("research%"))
    assert found["data"]["total"] == 8
    status, refused = call(server, contract, "GET", "/api/token/search", "/api/token/search?keyword=" + quote("%%x"))
    assert refused["success"] is False and refused["code"].startswith("search.")
    status, token = call(server, contract, "GET", "/api/token/{id}", "/api/token/873")
    assert token["data"]["id"] == 873 and "*" in token["data"]["key"]
    status, missing = call(server, contract, "GET", "/api/token/{id}", "/api/token/12345678")
    assert missing["code"] == "token.not_found"
    status, groups = call(server, contract, "GET", "/api/user/self/groups")
    assert "default" in groups["data"]
    status, denied = call(server, contract, "GET", "/api/token/", authenticated=False)
    assert status == 401 and denied["data"] is None


def test_operational_routes(server, contract):
    status, info = call(server, contract, "GET", "/api/status", authenticated=False)
    assert info["data"]["name"] == "tokenbatch"
    assert call(server, contract, "GET", "/healthz", authenticated=False)[0] == 200
    status, ready = call(server, contract, "GET", "/readyz", authenticated=False)
    assert ready["data"]["database"] == "up"
    status, document = call(server, contract, "GET", "/openapi.json", authenticated=False)
    assert document["openapi"] == "3.1.0"
    status, metrics = call(server, contract, "GET", "/metrics", authenticated=False)
    assert "tokenbatch_requests_total" in metrics and metrics.rstrip().endswith("# EOF")
