#!/usr/bin/env python3
"""Checks on what tests/otlp/receiver.js decoded (one JSON line per request,
decoded with OpenTelemetry's own generated protobuf code).

  otlp_check.py metrics JSONL BEFORE AFTER SINCE_NS FLAGS_JSON
      The first /v1/metrics request answered 200 whose points were read
      after SINCE_NS (unix ns): names, units, kinds, attributes, and every
      value v between the counter read BEFORE and the one read AFTER it
      (`wgatectl --json counters` files); resource attributes; headers;
      each flag of FLAGS_JSON (`wgatectl --json flags`) as wgate.flag.
  otlp_check.py count JSONL PATH STATUS SINCE_MS
      Prints how many requests to PATH with that status ("200", "503",
      "hang", "close", or "any") the receiver logged at or after SINCE_MS.
  otlp_check.py logs JSONL SINCE_MS WANT_MODULE WANT_TEXT ABSENT_MODULE
      Some /v1/logs record since SINCE_MS has module WANT_MODULE and a body
      holding WANT_TEXT; none has module ABSENT_MODULE at INFO or below
      (the payload's filter kept them out).
  otlp_check.py last-value JSONL NAME ATTR=VALUE
      Prints the value of that data point in the last 200 metrics request.
Environment: OTLP_EXPECT_GID (service.instance.id), OTLP_EXPECT_VERSION,
OTLP_EXPECT_RESOURCE (k=v,... decoded), OTLP_EXPECT_HEADER (name=value).
Prints what it found wrong; exit 0 only when nothing was."""
import json
import os
import sys

problems = []


def bad(msg):
    problems.append(msg)


def requests(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def attrs(lst):
    return {a["key"]: next(iter(a["value"].values())) for a in lst or []}


def load_counters(path):
    with open(path) as f:
        return json.load(f)


def points(metric):
    for kind in ("sum", "gauge", "histogram"):
        if kind in metric:
            return kind, metric[kind].get("dataPoints", [])
    return None, []


def check_metrics(jsonl, before_p, after_p, since_ns, flags_p):
    before, after = load_counters(before_p), load_counters(after_p)
    req = None
    for r in requests(jsonl):
        if r["path"] != "/v1/metrics" or r["status"] != 200 or "request" not in r:
            continue
        rm = r["request"]["resourceMetrics"]
        t = int(rm[0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]["timeUnixNano"])
        if t > since_ns:
            req = r
            break
    if req is None:
        print("no metrics request read after", since_ns)
        return 1
    rm = req["request"]["resourceMetrics"]
    if len(rm) != 1:
        bad(f"{len(rm)} resourceMetrics")
    res = attrs(rm[0]["resource"]["attributes"])
    want = {"service.name": "wgate"}
    if os.environ.get("OTLP_EXPECT_VERSION"):
        want["service.version"] = os.environ["OTLP_EXPECT_VERSION"]
    if os.environ.get("OTLP_EXPECT_GID"):
        want["service.instance.id"] = os.environ["OTLP_EXPECT_GID"]
    for kv in filter(None, os.environ.get("OTLP_EXPECT_RESOURCE", "").split(";")):
        k, v = kv.split("=", 1)
        want[k] = v
    for k, v in want.items():
        if res.get(k) != v:
            bad(f"resource {k}={res.get(k)!r}, want {v!r}")
    hdr = os.environ.get("OTLP_EXPECT_HEADER")
    if hdr:
        k, v = hdr.split("=", 1)
        if req["headers"].get(k.lower()) != v:
            bad(f"header {k} not received as set")
    if req["headers"].get("content-type") != "application/x-protobuf":
        bad("content-type " + str(req["headers"].get("content-type")))
    sm = rm[0]["scopeMetrics"][0]
    if sm["scope"].get("name") != "wgate":
        bad("scope " + str(sm["scope"]))
    metrics = {m["name"]: m for m in sm["metrics"]}

    def within(what, v, name):
        lo, hi = before.get(name), after.get(name)
        if lo is None or hi is None:
            bad(f"{what}: counter {name} unknown to wgatectl")
        elif not lo <= v <= hi:
            bad(f"{what} = {v}, wgatectl read {lo} before and {hi} after")

    def metric(name, unit, kind, monotonic=None):
        m = metrics.get(name)
        if m is None:
            bad(f"metric {name} missing")
            return []
        k, pts = points(m)
        if m.get("unit") != unit:
            bad(f"{name}: unit {m.get('unit')!r}, want {unit!r}")
        if k != kind:
            bad(f"{name}: {k}, want {kind}")
        if kind in ("sum", "histogram"):
            if m[k].get("aggregationTemporality") != "AGGREGATION_TEMPORALITY_CUMULATIVE":
                bad(f"{name}: temporality {m[k].get('aggregationTemporality')}")
            for p in pts:
                if not 0 < int(p.get("startTimeUnixNano", 0)) <= int(p["timeUnixNano"]):
                    bad(f"{name}: start {p.get('startTimeUnixNano')} time {p['timeUnixNano']}")
        if monotonic is not None and bool(m[k].get("isMonotonic")) != monotonic:
            bad(f"{name}: isMonotonic {m[k].get('isMonotonic')}")
        return pts

    def by_attr(pts, key):
        out = {}
        for p in pts:
            a = attrs(p.get("attributes"))
            out[a.get(key)] = int(p.get("asInt", 0))
        return out

    for name, unit, prefix in (("wgate.packets", "{packet}", "%s_packets"),
                               ("wgate.bytes", "By", "%s_bytes")):
        got = by_attr(metric(name, unit, "sum", True), "direction")
        if set(got) != {"rx", "tx"}:
            bad(f"{name}: directions {sorted(got)}")
        for d, v in got.items():
            within(f"{name}{{direction={d}}}", v, prefix % d)
    for name, prefix, key in (("wgate.drops", "drop_", "reason"),
                              ("wgate.refusals", "refused_", "reason"),
                              ("wgate.icmp.errors", "icmp_error_", "outcome")):
        got = by_attr(metric(name, "{packet}", "sum", True), key)
        want_keys = {c[len(prefix):] for c in before if c.startswith(prefix)}
        if set(got) != want_keys:
            bad(f"{name}: {key}s {sorted(got)} != counters {sorted(want_keys)}")
        for r, v in got.items():
            within(f"{name}{{{key}={r}}}", v, prefix + r)
    got = by_attr(metric("wgate.bounds.refused", "{refusal}", "sum", True), "bound")
    want_keys = {c[len("bound_refused_"):] for c in before if c.startswith("bound_refused_")}
    if set(got) != want_keys:
        bad(f"wgate.bounds.refused: bounds {sorted(got)} != counters {sorted(want_keys)}")
    for r, v in got.items():
        within(f"wgate.bounds.refused{{bound={r}}}", v, "bound_refused_" + r)
    got = by_attr(metric("wgate.handshakes.failed", "{handshake}", "sum", True), "reason")
    for r, v in got.items():
        c = "handshake_drop_" + r if "handshake_drop_" + r in before else "handshake_" + r
        within(f"wgate.handshakes.failed{{reason={r}}}", v, c)
    pts = metric("wgate.handshakes.completed", "{handshake}", "sum", True)
    if len(pts) == 1:
        v = int(pts[0].get("asInt", 0))
        within("wgate.handshakes.completed", v, "handshake_completed")
        if v < 1:
            bad("no completed handshake exported")
    pts = metric("wgate.handshakes.cookies_sent", "{message}", "sum", True)
    if len(pts) == 1:
        within("wgate.handshakes.cookies_sent", int(pts[0].get("asInt", 0)),
               "handshake_cookie_tx")
    pts = metric("wgate.sessions.active", "{session}", "gauge")
    if len(pts) != 1 or int(pts[0].get("asInt", 0)) != 1:
        bad(f"wgate.sessions.active {pts}, want one point = 1")
    rings = {(attrs(p.get("attributes")).get("ring"), attrs(p.get("attributes")).get("worker"))
             for p in metric("wgate.ring.occupancy", "{entry}", "gauge")}
    for r in (("punt", None), ("event", None), ("tx", "0")):
        if r not in rings:
            bad(f"wgate.ring.occupancy: no point for {r}")
    busy = metric("wgate.worker.busy", "1", "gauge")
    if [attrs(p.get("attributes")).get("worker") for p in busy] != ["0"]:
        bad(f"wgate.worker.busy: points {busy}, want one for worker 0")
    for p in busy:
        if not 0 <= float(p.get("asDouble", -1)) <= 1:
            bad(f"wgate.worker.busy = {p.get('asDouble')}, want a ratio")
    got = {}
    for p in metric("wgate.flag", "1", "gauge"):
        a = attrs(p.get("attributes"))
        got[a.get("flag")] = (int(p.get("asInt", 0)), a.get("source"))
    with open(flags_p) as f:
        flags = json.load(f)["flags"]
    for fl in flags:
        want = (1 if fl["value"] in (True, "on", 1) else 0, fl["source"])
        if got.get(fl["name"]) != want:
            bad(f"wgate.flag{{flag={fl['name']}}} = {got.get(fl['name'])}, want {want}")
    if len(got) != len(flags):
        bad(f"wgate.flag: {sorted(got)} vs wgatectl {[f['name'] for f in flags]}")
    metric("dns.lookup.duration", "s", "histogram")
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(metrics)} metrics, values within wgatectl's readings")
    return 1 if problems else 0


def count(jsonl, path, status, since_ms):
    n = sum(1 for r in requests(jsonl)
            if r["path"] == path and r["ts"] >= since_ms and
            (status == "any" or str(r["status"]) == status))
    print(n)
    return 0


def check_logs(jsonl, since_ms, module, text, absent):
    found = 0
    for r in requests(jsonl):
        if r["path"] != "/v1/logs" or r["ts"] < since_ms or "request" not in r:
            continue
        for rl in r["request"]["resourceLogs"]:
            if attrs(rl["resource"]["attributes"]).get("service.name") != "wgate":
                bad("a log request without service.name=wgate")
            for sl in rl["scopeLogs"]:
                for lr in sl["logRecords"]:
                    a = attrs(lr.get("attributes"))
                    body = lr.get("body", {}).get("stringValue", "")
                    sev = lr.get("severityNumber")
                    if a.get("module") == module and text in body:
                        found += 1
                        if not lr.get("timeUnixNano") or not sev or not lr.get("severityText"):
                            bad(f"record without time/severity: {lr}")
                    if a.get("module") == absent and sev in (
                            "SEVERITY_NUMBER_INFO", "SEVERITY_NUMBER_DEBUG"):
                        bad(f"filtered-out record exported: {body!r}")
    if not found:
        bad(f"no record of module {module} holding {text!r}")
    for p in problems:
        print(p)
    if not problems:
        print(f"{found} matching record(s)")
    return 1 if problems else 0


def last_value(jsonl, name, attr):
    k, v = attr.split("=", 1)
    val = None
    for r in requests(jsonl):
        if r["path"] != "/v1/metrics" or r["status"] != 200 or "request" not in r:
            continue
        for m in r["request"]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]:
            if m["name"] == name:
                for p in points(m)[1]:
                    if attrs(p.get("attributes")).get(k) == v:
                        val = int(p.get("asInt", 0))
    if val is None:
        return 1
    print(val)
    return 0


def main(a):
    if a[0] == "metrics":
        return check_metrics(a[1], a[2], a[3], int(a[4]), a[5])
    if a[0] == "count":
        return count(a[1], a[2], a[3], int(a[4]))
    if a[0] == "logs":
        return check_logs(a[1], int(a[2]), a[3], a[4], a[5])
    if a[0] == "last-value":
        return last_value(a[1], a[2], a[3])
    print(__doc__)
    return 64


sys.exit(main(sys.argv[1:]))
