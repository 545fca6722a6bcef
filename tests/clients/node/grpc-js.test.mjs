// TokenService from Node with @grpc/grpc-js and @grpc/proto-loader reading proto/ as is; the rich error
// details (grpc-status-details-bin) decoded with protobuf-es.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createRegistry, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import { PROTO_DIR, generatedModules, getJson, startSeededServer } from "./harness.mjs";

let server;
let client;
let modules;

before(async () => {
  modules = await generatedModules();
  server = await startSeededServer();
  const definition = protoLoader.loadSync("newapi/token/v1/token.proto", {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  const { TokenService } = grpc.loadPackageDefinition(definition).newapi.token.v1;
  client = new TokenService(server.address, grpc.credentials.createInsecure());
});

after(async () => {
  client?.close();
  await server?.stop();
});

function identity(extra = {}) {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${server.accessToken}`);
  metadata.set("new-api-user", server.userId);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

function call(method, request, metadata = identity()) {
  return new Promise((resolve, reject) =>
    client[method](request, metadata, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** The google.rpc.Status the server attached to a failed call, with its BadRequest and ErrorInfo. */
function richDetails(error) {
  const [encoded] = error.metadata.get("grpc-status-details-bin");
  assert.ok(Buffer.isBuffer(encoded), "grpc-status-details-bin trailer present");
  const { StatusSchema } = modules.status;
  const { BadRequestSchema, ErrorInfoSchema } = modules.errorDetails;
  const status = fromBinary(StatusSchema, encoded);
  assert.equal(status.code, error.code);
  const registry = createRegistry(BadRequestSchema, ErrorInfoSchema);
  const details = status.details.map((any) => anyUnpack(any, registry));
  return {
    badRequest: details.find((detail) => detail?.$typeName === "google.rpc.BadRequest"),
    errorInfo: details.find((detail) => detail?.$typeName === "google.rpc.ErrorInfo"),
  };
}

test("BatchUpdateTokens: dry run, then for real, then nothing left to change", async () => {
  const request = {
    ids: ["873", "869"],
    patch: { group: "default", model_limits: "gpt-4o-mini" },
    update_mask: { paths: ["group", "model_limits"] },
    validate_only: true,
  };
  const dry = await call("BatchUpdateTokens", request);
  assert.equal(dry.validate_only, true);
  assert.deepEqual(
    dry.results.map((result) => result.id),
    ["869", "873"],
  );
  assert.ok(dry.results.every((result) => result.after.model_limits === "gpt-4o-mini"));
  const unchanged = await getJson(server, "/api/token/873");
  assert.notEqual(unchanged.data.model_limits, "gpt-4o-mini", "a dry run writes nothing");

  const real = await call("BatchUpdateTokens", { ...request, validate_only: false });
  assert.equal(real.changed, "2");
  for (const id of [869, 873]) {
    const token = await getJson(server, `/api/token/${id}`);
    assert.equal(token.data.group, "default");
    assert.equal(token.data.model_limits, "gpt-4o-mini");
  }
  const again = await call("BatchUpdateTokens", { ...request, validate_only: false });
  assert.equal(again.changed, "0");
  assert.equal(again.unchanged, "2");
  assert.ok(again.results.every((result) => result.outcome === "OUTCOME_UNCHANGED"));
});

test("ListTokens and GetToken", async () => {
  const page = await call("ListTokens", { page: 1, page_size: 4 });
  assert.equal(page.total, "50");
  assert.deepEqual(
    page.items.map((token) => token.id),
    ["889", "888", "887", "886"],
  );
  const token = await call("GetToken", { id: "840" });
  assert.equal(token.id, "840");
  assert.match(token.key, /\*{10}/);
});

test("INVALID_ARGUMENT carries BadRequest field violations and an ErrorInfo", async () => {
  const request = {
    ids: ["873"],
    patch: { allow_ips: "10.0.0.1\nnot-an-ip", expired_time: "1776410923000" },
    update_mask: { paths: ["allow_ips", "expired_time"] },
  };
  const error = await call("BatchUpdateTokens", request, identity({ "accept-language": "en" })).then(
    () => assert.fail("accepted an invalid request"),
    (error) => error,
  );
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
  const { badRequest, errorInfo } = richDetails(error);
  const byField = Object.fromEntries(badRequest.fieldViolations.map((violation) => [violation.field, violation]));
  assert.equal(byField.expired_time.reason, "expired_time.milliseconds");
  assert.match(byField.allow_ips.description, /line 2/);
  assert.equal(byField.allow_ips.localizedMessage.locale, "en");
  assert.equal(errorInfo.domain, "tokenbatch");
  assert.equal(errorInfo.reason, badRequest.fieldViolations[0].reason);
});

test("a wrong access token is UNAUTHENTICATED with new-api's code", async () => {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", "Bearer wrong");
  metadata.set("new-api-user", server.userId);
  const error = await call("ListTokens", {}, metadata).then(
    () => assert.fail("accepted a wrong token"),
    (error) => error,
  );
  assert.equal(error.code, grpc.status.UNAUTHENTICATED);
  assert.equal(richDetails(error).errorInfo.reason, "AUTH_UNAUTHORIZED");
});
