"""TokenService through grpcio with stubs generated from proto/ at test time; rich error details read with
grpcio-status; reflection (v1alpha through grpcio-reflection, v1 on the same wire format); health checks
through grpcio-health-checking."""

from __future__ import annotations

import grpc
import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, field_mask_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from conftest import PROTO_DIR, TOKEN_SERVICE, Identity, openapi_document


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture
def client(channel, stubs):
    _, token_pb2_grpc = stubs
    return token_pb2_grpc.TokenServiceStub(channel)


def details_of(error: grpc.RpcError) -> tuple[error_details_pb2.BadRequest | None, error_details_pb2.ErrorInfo]:
    """The google.rpc.Status details the server attached (grpc-status-details-bin)."""
    status = rpc_status.from_call(error)
    assert status is not None, "no grpc-status-details-bin trailer"
    assert status.code == error.code().value[0]
    bad_request, info = None, None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
    assert info is not None, "every error carries an ErrorInfo"
    assert info.domain == "tokenbatch"
    return bad_request, info


def test_list_tokens_pages_newest_first(server, client, stubs):
    token_pb2, _ = stubs
    page = client.ListTokens(token_pb2.ListTokensRequest(page=1, page_size=5), metadata=server.user.metadata())
    assert page.total == 50
    assert [token.id for token in page.items] == [889, 888, 887, 886, 885]
    assert all("*" in token.key for token in page.items), "keys are masked"
    second = client.ListTokens(token_pb2.ListTokensRequest(page=2, page_size=5), metadata=server.user.metadata())
    assert [token.id for token in second.items] == [884, 883, 882, 881, 880]


def test_search_tokens_by_name_pattern(server, client, stubs):
    token_pb2, _ = stubs
    page = client.SearchTokens(
        token_pb2.SearchTokensRequest(keyword="web%", page=1, page_size=100), metadata=server.user.metadata()
    )
    assert page.total == 9
    assert all(token.name.startswith("web-") for token in page.items)


def test_get_token(server, client, stubs):
    token_pb2, _ = stubs
    token = client.GetToken(token_pb2.GetTokenRequest(id=873), metadata=server.user.metadata())
    assert token.id == 873
    assert token.user_id == server.user.user_id
    stored = server.token_row(873)
    assert token.name == stored["name"]
    assert token.key != stored["key"] and token.key[:4] == stored["key"][:4]


def test_batch_update_dry_run_then_real_then_idempotent(server, client, stubs):
    token_pb2, _ = stubs
    before = server.token_rows()
    request = token_pb2.BatchUpdateTokensRequest(
        ids=[873, 869, 873],
        patch=token_pb2.TokenPatch(group="default", remain_quota=123_456),
        update_mask=field_mask_pb2.FieldMask(paths=["group", "patch.remain_quota"]),
        validate_only=True,
    )
    dry = client.BatchUpdateTokens(request, metadata=server.user.metadata())
    assert dry.validate_only
    assert [result.id for result in dry.results] == [869, 873]
    assert all(result.after.group == "default" and result.after.remain_quota == 123_456 for result in dry.results)
    assert server.token_rows() == before, "a dry run writes nothing"

    request.validate_only = False
    real = client.BatchUpdateTokens(request, metadata=server.user.metadata())
    assert real.changed == 2 and real.unchanged == 0
    assert real.rules_version
    for token_id in (869, 873):
        row = server.token_row(token_id)
        assert (row["group"], row["remain_quota"]) == ("default", 123_456)

    again = client.BatchUpdateTokens(request, metadata=server.user.metadata())
    assert (again.changed, again.unchanged) == (0, 2)
    assert all(result.outcome == token_pb2.OUTCOME_UNCHANGED for result in again.results)


def test_invalid_argument_carries_bad_request_and_error_info(server, client, stubs):
    token_pb2, _ = stubs
    before = server.token_rows()
    request = token_pb2.BatchUpdateTokensRequest(
        ids=[],
        patch=token_pb2.TokenPatch(mj_image_mode="sideways", expired_time=1_776_410_923_000),
        update_mask=field_mask_pb2.FieldMask(paths=["mj_image_mode", "expired_time"]),
    )
    with pytest.raises(grpc.RpcError) as raised:
        client.BatchUpdateTokens(request, metadata=server.user.metadata(("accept-language", "en")))
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request, info = details_of(error)
    violations = {violation.field: violation for violation in bad_request.field_violations}
    assert set(violations) >= {"ids", "mj_image_mode", "expired_time"}
    assert violations["ids"].reason == "ids.empty"
    assert violations["expired_time"].reason == "expired_time.milliseconds"
    assert violations["ids"].localized_message.locale == "en"
    assert all(violation.description for violation in bad_request.field_violations)
    assert info.reason == bad_request.field_violations[0].reason
    assert server.token_rows() == before


def test_default_language_is_chinese(server, client, stubs):
    token_pb2, _ = stubs
    request = token_pb2.BatchUpdateTokensRequest(
        ids=[873], patch=token_pb2.TokenPatch(), update_mask=field_mask_pb2.FieldMask(paths=["allow_ips"])
    )
    with pytest.raises(grpc.RpcError) as raised:
        client.BatchUpdateTokens(request, metadata=server.user.metadata())
    bad_request, _ = details_of(raised.value)
    violation = bad_request.field_violations[0]
    assert violation.localized_message.locale == "zh-CN"
    assert any("\u4e00" <= character <= "\u9fff" for character in violation.description)


@pytest.mark.parametrize(("keyword", "token", "field"), [("%%ab", "", "keyword"), ("", "sk-%a%b%c", "token")])
def test_refused_search_pattern_names_its_field(server, client, stubs, keyword, token, field):
    token_pb2, _ = stubs
    with pytest.raises(grpc.RpcError) as raised:
        client.SearchTokens(
            token_pb2.SearchTokensRequest(keyword=keyword, token=token), metadata=server.user.metadata()
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request, info = details_of(raised.value)
    assert [violation.field for violation in bad_request.field_violations] == [field]
    assert info.reason.startswith("search.")


def test_wrong_access_token_is_unauthenticated(server, client, stubs):
    token_pb2, _ = stubs
    impostor = Identity(server.user.user_id, "not-the-token")
    with pytest.raises(grpc.RpcError) as raised:
        client.ListTokens(token_pb2.ListTokensRequest(), metadata=impostor.metadata())
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    _, info = details_of(raised.value)
    assert info.reason == "AUTH_UNAUTHORIZED"


def test_unknown_ids_are_not_found_and_nothing_is_written(server, client, stubs):
    token_pb2, _ = stubs
    before = server.token_rows()
    request = token_pb2.BatchUpdateTokensRequest(
        ids=[873, 999_999],
        patch=token_pb2.TokenPatch(remain_quota=1),
        update_mask=field_mask_pb2.FieldMask(paths=["remain_quota"]),
    )
    with pytest.raises(grpc.RpcError) as raised:
        client.BatchUpdateTokens(request, metadata=server.user.metadata())
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    _, info = details_of(raised.value)
    assert info.reason == "ids.not_found"
    assert server.token_rows() == before
    with pytest.raises(grpc.RpcError) as raised:
        client.GetToken(token_pb2.GetTokenRequest(id=999_999), metadata=server.user.metadata())
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_generated_stubs_carry_the_http_annotations_openapi_documents(server, stubs):
    token_pb2, _ = stubs
    documented = {
        (method, path) for path, item in openapi_document(server)["paths"].items() for method in item
    }
    service = token_pb2.DESCRIPTOR.services_by_name["TokenService"]
    bindings = []
    for method in service.methods:
        rule = method.GetOptions().Extensions[annotations_pb2.http]
        for binding in [rule, *rule.additional_bindings]:
            verb = binding.WhichOneof("pattern")
            bindings.append((method.name, verb, getattr(binding, verb)))
            assert (verb, getattr(binding, verb)) in documented, f"{method.name}: {verb} {getattr(binding, verb)}"
    assert len(bindings) == 9


def test_vendored_annotation_protos_match_the_published_ones(tmp_path):
    """proto/google/api/*.proto were written from the public definition: same messages, fields, numbers and
    types as googleapis-common-protos, and the same extension number."""
    from grpc_tools import protoc
    import importlib.resources

    out = tmp_path / "vendored.pb"
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    assert (
        protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{PROTO_DIR}",
                f"-I{well_known}",
                f"--descriptor_set_out={out}",
                "google/api/http.proto",
                "google/api/annotations.proto",
            ]
        )
        == 0
    )
    vendored = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    files = {file.name: file for file in vendored.file}

    def shape(message: descriptor_pb2.DescriptorProto):
        return sorted((f.name, f.number, f.type, f.label, f.type_name.lstrip("."), f.oneof_index) for f in message.field)

    published = descriptor_pb2.FileDescriptorProto()
    http_pb2.DESCRIPTOR.CopyToProto(published)
    published_messages = {message.name: message for message in published.message_type}
    vendored_messages = {message.name: message for message in files["google/api/http.proto"].message_type}
    assert set(vendored_messages) == set(published_messages)
    for name, message in vendored_messages.items():
        assert shape(message) == shape(published_messages[name]), name

    extension = files["google/api/annotations.proto"].extension[0]
    assert (extension.name, extension.number, extension.type_name, extension.extendee) == (
        "http",
        annotations_pb2.http.number,
        ".google.api.HttpRule",
        ".google.protobuf.MethodOptions",
    )


def test_reflection_v1alpha_lists_and_describes_the_service(server, channel):
    database = ProtoReflectionDescriptorDatabase(channel)
    services = set(database.get_services())
    assert {
        TOKEN_SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services
    pool = descriptor_pool.DescriptorPool(database)
    service = pool.FindServiceByName(TOKEN_SERVICE)
    assert sorted(method.name for method in service.methods) == [
        "BatchUpdateTokens",
        "GetChange",
        "GetPlan",
        "GetToken",
        "ListChanges",
        "ListTokens",
        "RevertChange",
        "SearchTokens",
    ]
    patch = pool.FindMessageTypeByName("newapi.token.v1.TokenPatch")
    # The nine writable fields, the status and five operations (docs/SPEC.md §11).
    assert len(patch.fields) == 15
    # The options travel with the descriptors, so a client can read the HTTP mapping from reflection alone.
    options = descriptor_pb2.MethodOptions()
    options.ParseFromString(service.methods_by_name["GetToken"].GetOptions().SerializeToString())
    assert options.Extensions[annotations_pb2.http].get == "/api/token/{id}"


def test_reflection_v1_answers_on_its_own_service_name(server, channel):
    # grpcio-reflection ships the v1alpha messages; v1 has the very same messages under another package, so
    # they serve as a v1 client on the wire.
    call = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=TOKEN_SERVICE),
        reflection_pb2.ServerReflectionRequest(file_by_filename="google/api/annotations.proto"),
    ]
    listing, service_file, annotations = list(call(iter(requests), timeout=10))
    assert {TOKEN_SERVICE, "grpc.reflection.v1alpha.ServerReflection"} <= {
        service.name for service in listing.list_services_response.service
    }
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(blob)
        for blob in service_file.file_descriptor_response.file_descriptor_proto
    ]
    token_file = next(file for file in files if file.name == "newapi/token/v1/token.proto")
    assert {"google/api/annotations.proto", "google/protobuf/field_mask.proto"} <= set(token_file.dependency)
    (annotations_file,) = [
        descriptor_pb2.FileDescriptorProto.FromString(blob)
        for blob in annotations.file_descriptor_response.file_descriptor_proto
    ]
    assert annotations_file.extension[0].number == annotations_pb2.http.number


def test_health_reports_serving_for_the_server_and_the_token_service(server, channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", TOKEN_SERVICE):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, service
    with pytest.raises(grpc.RpcError) as raised:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    watch = health.Watch(health_pb2.HealthCheckRequest(service=TOKEN_SERVICE), timeout=5)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    watch.cancel()
