#!/usr/bin/env node
// Decodes DIR/metrics.bin and DIR/logs.bin (written by sample.c from
// lib/otlp) with OpenTelemetry's own generated protobuf code and checks
// every field against what sample.c encoded. Exit 0 when all match.
'use strict';
const fs = require('fs');
const assert = require('assert');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const c = root.opentelemetry.proto.collector;
const dir = process.argv[2];
const opts = { longs: String, enums: String, defaults: false };
const M = c.metrics.v1.ExportMetricsServiceRequest;
const L = c.logs.v1.ExportLogsServiceRequest;
const kv = (a) => Object.fromEntries((a || []).map((x) => [x.key, x.value.stringValue]));

const m = M.toObject(M.decode(fs.readFileSync(`${dir}/metrics.bin`)), opts);
assert.strictEqual(m.resourceMetrics.length, 1);
const rm = m.resourceMetrics[0];
assert.deepStrictEqual(kv(rm.resource.attributes),
  { 'service.name': 'wgate', 'service.instance.id': '0123abcd', 'host.role': 'gw,test "quoted"' });
const sm = rm.scopeMetrics[0];
assert.deepStrictEqual(sm.scope, { name: 'wgate', version: '0.1.0' });
const by = Object.fromEntries(sm.metrics.map((x) => [x.name, x]));
assert.deepStrictEqual(Object.keys(by),
  ['wgate.packets', 'wgate.worker.busy', 'test.updown', 'dns.lookup.duration', 'test.empty']);

const pk = by['wgate.packets'];
assert.strictEqual(pk.description, 'Frames');
assert.strictEqual(pk.unit, '{packet}');
assert.strictEqual(pk.sum.aggregationTemporality, 'AGGREGATION_TEMPORALITY_CUMULATIVE');
assert.strictEqual(pk.sum.isMonotonic, true);
assert.strictEqual(pk.sum.dataPoints[0].asInt, '9007199254740993');
assert.strictEqual(pk.sum.dataPoints[0].startTimeUnixNano, '1700000000000000000');
assert.strictEqual(pk.sum.dataPoints[0].timeUnixNano, '1700000060000000000');
assert.deepStrictEqual(kv(pk.sum.dataPoints[0].attributes), { direction: 'rx' });

const busy = by['wgate.worker.busy'];
assert.strictEqual(busy.gauge.dataPoints[0].asDouble, 0.125);
assert.strictEqual(busy.gauge.dataPoints[0].startTimeUnixNano, undefined);
assert.ok(!by['test.updown'].sum.isMonotonic);
assert.strictEqual(by['test.updown'].sum.dataPoints[0].asInt, '-5');

const h = by['dns.lookup.duration'];
assert.strictEqual(h.unit, 's');
assert.strictEqual(h.histogram.aggregationTemporality, 'AGGREGATION_TEMPORALITY_CUMULATIVE');
const hp = h.histogram.dataPoints[0];
assert.strictEqual(hp.count, '6');
assert.strictEqual(hp.sum, 0.75);
assert.deepStrictEqual(hp.bucketCounts, ['3', '0', '2', '1']);
assert.deepStrictEqual(hp.explicitBounds, [0.001, 0.01, 0.1]);
assert.deepStrictEqual(kv(hp.attributes),
  { 'dns.question.type': 'AAAA', 'dns.response.code': 'NXDOMAIN' });
assert.deepStrictEqual(by['test.empty'].histogram.dataPoints || [], []);

const l = L.toObject(L.decode(fs.readFileSync(`${dir}/logs.bin`)), opts);
const recs = l.resourceLogs[0].scopeLogs[0].logRecords;
assert.strictEqual(l.resourceLogs[0].scopeLogs[0].scope.name, 'wgate');
assert.strictEqual(recs.length, 2);
assert.strictEqual(recs[0].timeUnixNano, '1700000000123456789');
assert.strictEqual(recs[0].observedTimeUnixNano, '1700000001000000000');
assert.strictEqual(recs[0].severityNumber, 'SEVERITY_NUMBER_INFO');
assert.strictEqual(recs[0].severityText, 'INFO');
assert.strictEqual(recs[0].body.stringValue, 'SIGHUP: applied \u00e9');
assert.deepStrictEqual(kv(recs[0].attributes), { module: 'reload' });
assert.strictEqual(recs[1].severityNumber, 'SEVERITY_NUMBER_ERROR');
assert.strictEqual(recs[1].body.stringValue, '');
console.log('ok - lib/otlp bodies decode with OpenTelemetry\'s generated code, every field as encoded');
