// A small browser client of tokenbatch's gRPC service over gRPC-Web (@connectrpc/connect-web): lists the
// caller's tokens and writes a group to the ids typed in. Bundled by esbuild at test time; the page's query
// string says which server to call and as whom (?server=&user=&token=).

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { BadRequestSchema } from "../../../../target/clients-node/gen/google/rpc/error_details_pb.js";
import { TokenService } from "../../../../target/clients-node/gen/newapi/token/v1/token_pb.js";

const params = new URLSearchParams(location.search);
const identity = (next) => async (request) => {
  request.header.set("authorization", `Bearer ${params.get("token")}`);
  request.header.set("new-api-user", params.get("user"));
  return next(request);
};
const client = createClient(
  TokenService,
  createGrpcWebTransport({ baseUrl: params.get("server"), interceptors: [identity] }),
);

const $ = (id) => document.getElementById(id);

function showError(error) {
  const problem = ConnectError.from(error);
  const violations = problem
    .findDetails(BadRequestSchema)
    .flatMap((details) => details.fieldViolations)
    .map((violation) => `${violation.field}: ${violation.reason}: ${violation.description}`);
  $("error").textContent = [`${Code[problem.code]}: ${problem.rawMessage}`, ...violations].join("\n");
  $("error").dataset.code = Code[problem.code];
}

async function refresh() {
  const page = await client.listTokens({ page: 1, pageSize: 10 });
  $("tokens").replaceChildren(
    ...page.items.map((token) => {
      const row = document.createElement("tr");
      for (const value of [token.id, token.name, token.group, token.status]) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      row.dataset.id = String(token.id);
      return row;
    }),
  );
  $("state").textContent = `${page.total} tokens`;
}

$("batch").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("result").textContent = "";
  $("error").textContent = "";
  try {
    const ids = $("ids").value.split(",").map((id) => id.trim()).filter(Boolean).map(BigInt);
    const answer = await client.batchUpdateTokens({
      ids,
      patch: { group: $("group").value },
      updateMask: { paths: ["group"] },
    });
    $("result").textContent = `changed ${answer.changed}, unchanged ${answer.unchanged}`;
    await refresh();
  } catch (error) {
    showError(error);
  }
});

refresh().catch((error) => {
  $("state").textContent = "cannot list tokens";
  showError(error);
});
