// Shared by the Node clients' tests: the real tokenbatch binary on 127.0.0.1:0 with a fresh SQLite file
// seeded by `tokenbatch demo`, and protobuf-es code generated from proto/ by buf at test time.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const PROTO_DIR = join(REPO, "proto");
export const GENERATED = join(REPO, "target", "clients-node", "gen");

/** What the binary reads from the environment is decided by the tests, not by the developer's shell. */
function serverEnv() {
  const env = { ...process.env, RUST_LOG: "info", NO_COLOR: "1" };
  for (const name of ["SQL_DSN", "SQLITE_PATH", "PORT", "REDIS_CONN_STRING", "CORS_ALLOW_ORIGINS"]) delete env[name];
  return env;
}

export function binaryPath() {
  const path = process.env.TOKENBATCH_BIN ?? join(REPO, "target", "debug", "tokenbatch");
  if (!existsSync(path)) {
    throw new Error(`tokenbatch binary not found at ${path}: build it (cargo build -p tokenbatch) or set TOKENBATCH_BIN`);
  }
  return path;
}

/**
 * A seeded database served by the real binary. `extraArgs` go to `tokenbatch serve`.
 * Resolves to { url, address, userId, accessToken, database, stop() }.
 */
export async function startSeededServer(extraArgs = []) {
  const directory = mkdtempSync(join(tmpdir(), "tokenbatch-node-"));
  const database = join(directory, "tokenbatch.db");
  const demo = execFileSync(binaryPath(), ["demo", "--sqlite", database], { encoding: "utf8", env: serverEnv() });
  const userId = demo.match(/^user id:\s+(\d+)$/m)?.[1];
  const accessToken = demo.match(/^access token:\s+(\S+)$/m)?.[1];
  if (!userId || !accessToken) throw new Error(`unexpected demo output:\n${demo}`);

  const child = spawn(binaryPath(), ["serve", "--sqlite", database, "--listen", "127.0.0.1:0", ...extraArgs], {
    env: serverEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const address = await new Promise((resolveAddress, reject) => {
    const timer = setTimeout(() => reject(new Error(`tokenbatch did not report ready:\n${log}`)), 30_000);
    const onOutput = (chunk) => {
      log += chunk;
      const found = log.match(/ready on http:\/\/(\S+)/)?.[1];
      if (found) {
        clearTimeout(timer);
        resolveAddress(found);
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.once("exit", (code) => reject(new Error(`tokenbatch exited (${code}) before ready:\n${log}`)));
  });
  return {
    url: `http://${address}`,
    address,
    userId,
    accessToken,
    database,
    log: () => log,
    stop: () =>
      new Promise((done) => {
        const finish = () => {
          rmSync(directory, { recursive: true, force: true });
          done();
        };
        if (child.exitCode !== null) return finish();
        child.once("exit", finish);
        child.kill("SIGTERM");
      }),
  };
}

/** new-api's HTTP routes, for reading back what a gRPC client wrote through another path. */
export async function getJson(server, path) {
  const response = await fetch(server.url + path, {
    headers: { Authorization: `Bearer ${server.accessToken}`, "New-Api-User": server.userId },
  });
  return response.json();
}

let generated;

/** Runs `buf generate` (protoc-gen-es) once per process and imports the generated modules. */
export async function generatedModules() {
  generated ??= (async () => {
    rmSync(GENERATED, { recursive: true, force: true });
    const buf = join(REPO, "node_modules", ".bin", "buf");
    if (!existsSync(buf)) throw new Error("node_modules/.bin/buf missing: run npm ci (bash .ci/setup-clients.sh)");
    execFileSync(buf, ["generate", "--template", "tests/clients/node/buf.gen.yaml"], { cwd: REPO, stdio: "inherit" });
    const load = (path) => import(pathToFileURL(join(GENERATED, path)).href);
    return {
      token: await load("newapi/token/v1/token_pb.js"),
      status: await load("google/rpc/status_pb.js"),
      errorDetails: await load("google/rpc/error_details_pb.js"),
    };
  })();
  return generated;
}
