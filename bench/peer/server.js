// SPDX-License-Identifier: Apache-2.0
'use strict';
// The benchmark's peer (docs/benchmarks.md): the webhook receiver a Node team
// would write instead of mod_onep. Fastify in node:cluster workers, ioredis
// with auto-pipelining, one Lua call per event (EVALSHA) on the same Redis
// keys the module uses, so that credentials made with onepctl work here too.
//
//   POST /onep/hits, /onep/failures   Authorization: Bearer <token>
//   body {"app": "<slug>", "count"?: 1..10000, "message"?: "..."}
//   -> 202 {"ok":true,"id":"<stream id>","credential":"<id>"}
//
// Settings from the environment: PEER_PORT (28180), PEER_HOST (127.0.0.1),
// PEER_REDIS_URL (redis://127.0.0.1:6379/0), PEER_PREFIX (onep:),
// PEER_WORKERS (2). SIGTERM to the primary stops the workers, then it.

const cluster = require('node:cluster');
const fs = require('node:fs');
const path = require('node:path');

const settings = {
  host: process.env.PEER_HOST || '127.0.0.1',
  port: Number(process.env.PEER_PORT || 28180),
  redisUrl: process.env.PEER_REDIS_URL || 'redis://127.0.0.1:6379/0',
  prefix: process.env.PEER_PREFIX ?? 'onep:',
  workers: Number(process.env.PEER_WORKERS || 2),
};

if (cluster.isPrimary) {
  runPrimary();
} else {
  runWorker().catch((error) => {
    console.error(`peer worker ${process.pid}: ${error.message}`);
    process.exit(1);
  });
}

function runPrimary() {
  let stopping = false;
  // The workers accept their connections themselves (the kernel spreads them)
  // instead of the primary accepting each and handing it over IPC (Linux's
  // default, round-robin): with a new connection per request, round-robin
  // costs the primary about as much CPU as the workers' own work.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < settings.workers; i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === settings.workers) {
      console.log(`peer: ${settings.workers} workers on ${settings.host}:${settings.port}`);
    }
  });
  // A worker that dies under load would make the numbers meaningless: stop.
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
      return;
    }
    console.error(`peer: worker ${worker.process.pid} exited (${signal || code}); stopping`);
    stop(1);
  });
  function stop(code) {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers);
    if (workers.length === 0) process.exit(code);
    for (const worker of workers) worker.process.kill('SIGTERM');
    setTimeout(() => process.exit(code), 5000).unref();
  }
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
}

async function runWorker() {
  const Fastify = require('fastify');
  const Redis = require('ioredis');
  const { bearerToken, checkToken } = require('./token');

  const HOUR_MS = 3600 * 1000;
  const STATS_RETENTION_MS = 32 * 24 * HOUR_MS; // as the module: 32 days after the hour
  const STREAM_MAX_LEN = 1000000; // OnepMaxEvents' default
  const scriptSource = fs.readFileSync(path.join(__dirname, 'record.lua'), 'utf8');

  const redis = new Redis(settings.redisUrl, {
    enableAutoPipelining: true,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
  });
  const scriptSha = await redis.script('LOAD', scriptSource);

  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024, // OnepMaxBodySize's default
    // Strict like the module: no coercion ("3" is not a count), and unknown
    // fields are refused, not silently removed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  // Fastify also parses text/plain by default; only JSON is taken here.
  app.removeContentTypeParser('text/plain');

  function fail(reply, status, code, message, authenticate) {
    if (authenticate) reply.header('www-authenticate', authenticate);
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('application/json')
      .send(JSON.stringify({ ok: false, error: { code, message } }));
  }

  // Before the body is read or parsed: the token's presence, format and
  // checksum, offline (401), as the module orders its checks.
  function authenticate(request, reply, done) {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      fail(reply, 401, 'missing_token', 'an Authorization: Bearer token is required', 'Bearer');
      return;
    }
    const checked = checkToken(token);
    if (checked === null) {
      fail(reply, 401, 'invalid_token', 'the token is not valid', 'Bearer error="invalid_token"');
      return;
    }
    request.onepToken = checked;
    done();
  }

  // Content type (415), body size (413) and JSON (400) are Fastify's own
  // checks; the fields' (422) come from the schema.
  app.setErrorHandler((error, request, reply) => {
    if (error.validation) return fail(reply, 422, 'invalid_event', error.message);
    switch (error.statusCode) {
      case 415:
        return fail(reply, 415, 'unsupported_media_type', 'Content-Type must be application/json');
      case 413:
        return fail(reply, 413, 'payload_too_large', 'the body is too large');
      case 400:
        return fail(reply, 400, 'invalid_json', 'the body is not a JSON object');
      default:
        // Redis unreachable, timing out or refusing: nothing was recorded.
        console.error(`peer worker ${process.pid}: ${error.message}`);
        reply.header('retry-after', '1');
        return fail(reply, 503, 'store_unavailable', 'the event store is unavailable');
    }
  });

  const eventFields = {
    app: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    count: { type: 'integer', minimum: 1, maximum: 10000 },
    message: { type: 'string', maxLength: 4096 },
  };
  const accepted = {
    type: 'object',
    properties: { ok: { type: 'boolean' }, id: { type: 'string' }, credential: { type: 'string' } },
  };

  async function record(eventType, request, reply) {
    const { tag, hash } = request.onepToken;
    const body = request.body;
    const count = body.count ?? 1;
    const now = Date.now();
    const hour = Math.floor(now / HOUR_MS);
    const org = `${settings.prefix}{${tag}}:`;
    // The event's fields as the module stores them: defaults applied, in the
    // order count, message, error.
    const fields = JSON.stringify({ count, message: body.message, error: body.error });
    const args = [
      `${org}tok:${hash}`, `${org}lastused`, `${org}events`, `${org}stats:${hour}`,
      eventType, body.app ?? '', now, count, fields, STREAM_MAX_LEN,
      (hour + 1) * HOUR_MS + STATS_RETENTION_MS,
    ];
    let result;
    try {
      result = await redis.evalsha(scriptSha, 4, ...args);
    } catch (error) {
      // Redis restarted and lost its scripts: the script did not run.
      if (!String(error.message).startsWith('NOSCRIPT')) throw error;
      result = await redis.eval(scriptSource, 4, ...args);
    }
    const [outcome, credential, detail] = result;
    switch (outcome) {
      case 'accepted':
        return reply.code(202).header('cache-control', 'no-store')
          .send({ ok: true, id: detail, credential });
      case 'invalid_token':
        return fail(reply, 401, 'invalid_token', 'the token is not valid',
          'Bearer error="invalid_token"');
      case 'forbidden':
        return fail(reply, 403, 'forbidden', detail);
      case 'invalid_event':
        return fail(reply, 422, 'invalid_event', detail);
      default:
        throw new Error(`unexpected outcome from the record script: ${outcome}`);
    }
  }

  for (const [route, eventType] of [['hits', 'hit'], ['failures', 'failure']]) {
    const properties = eventType === 'failure'
      ? { ...eventFields, error: { type: 'string', maxLength: 4096 } }
      : eventFields;
    app.post(`/onep/${route}`, {
      onRequest: authenticate,
      schema: {
        body: { type: 'object', properties, additionalProperties: false },
        response: { 202: accepted },
      },
    }, (request, reply) => record(eventType, request, reply));
  }

  process.on('SIGTERM', () => {
    app.close().finally(() => redis.quit().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 2000).unref();
  });

  await app.listen({ host: settings.host, port: settings.port });
}
