#!/usr/bin/env node
// A test-only OTLP/HTTP receiver. It decodes every request with the
// OpenTelemetry project's own generated protobuf code (the static
// protobufjs root shipped in @opentelemetry/otlp-transformer), so a body
// wgate gets wrong fails to decode here exactly as it would in a collector.
//
//   node receiver.js --listen 127.0.0.1:4318 --out FILE [--ready FILE]
//
// Each request becomes one JSON line in FILE:
//   {"ts": ms, "path": "/v1/metrics", "status": 200, "headers": {...},
//    "request": <ExportMetricsServiceRequest as JSON, int64 as strings>}
// or, when the body does not decode, "error": "..." instead of "request".
//
// Fault modes, switched with GET /_mode/<mode> (answered 200 "mode <mode>"):
//   ok     200 with an empty Export*ServiceResponse (the default)
//   503    503 Service Unavailable (OTLP: retryable)
//   hang   read the request, never answer (the client's timeout fires)
//   close  destroy the connection without an answer
// The requests seen in a fault mode are logged too, with that status.
'use strict';

const fs = require('fs');
const http = require('http');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const collector = root.opentelemetry.proto.collector;
const TYPES = {
  '/v1/metrics': [collector.metrics.v1.ExportMetricsServiceRequest,
                  collector.metrics.v1.ExportMetricsServiceResponse],
  '/v1/logs': [collector.logs.v1.ExportLogsServiceRequest,
               collector.logs.v1.ExportLogsServiceResponse],
  '/v1/traces': [collector.trace.v1.ExportTraceServiceRequest,
                 collector.trace.v1.ExportTraceServiceResponse],
};
const MAX_BODY = 16 << 20;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const listen = arg('--listen', '127.0.0.1:4318');
const outPath = arg('--out');
const readyPath = arg('--ready');
if (!outPath) {
  console.error('usage: receiver.js --listen HOST:PORT --out FILE [--ready FILE]');
  process.exit(64);
}
const sep = listen.lastIndexOf(':');
const host = listen.slice(0, sep).replace(/^\[|\]$/g, '');
const port = Number(listen.slice(sep + 1));
const out = fs.openSync(outPath, 'a');
let mode = 'ok';

function record(obj) {
  fs.writeSync(out, JSON.stringify(obj) + '\n');
}

const server = http.createServer((req, res) => {
  const m = /^\/_mode\/(ok|503|hang|close)$/.exec(req.url);
  if (req.method === 'GET' && m) {
    mode = m[1];
    res.end(`mode ${mode}\n`);
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const types = TYPES[req.url];
    const entry = { ts: Date.now(), path: req.url, mode, bytes: body.length,
                    headers: req.headers };
    let status = 200;
    if (req.method !== 'POST' || !types) {
      status = 404;
    } else if (!/^application\/x-protobuf\b/.test(req.headers['content-type'] || '')) {
      status = 415;
      entry.error = `content-type ${req.headers['content-type']}`;
    } else {
      try {
        const msg = types[0].decode(body);
        entry.request = types[0].toObject(msg, { longs: String, enums: String, bytes: String });
      } catch (e) {
        status = 400;
        entry.error = String(e && e.message || e);
      }
    }
    if (status === 200 && mode === '503')
      status = 503;
    entry.status = mode === 'hang' || mode === 'close' ? mode : status;
    record(entry);
    if (mode === 'hang')
      return;	// never answered: the client's timeout must fire
    if (mode === 'close') {
      req.socket.destroy();
      return;
    }
    if (status === 200) {
      const resp = types[1].encode(types[1].create({})).finish();
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      res.end(Buffer.from(resp));
    } else {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(entry.error ? entry.error + '\n' : `${status}\n`);
    }
  });
});

server.listen(port, host, () => {
  if (readyPath)
    fs.writeFileSync(readyPath, `${process.pid}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => process.exit(0));
