#!/bin/sh
# meson test otlp_decode: tests/otlp/sample (lib/otlp's encoder) -> files ->
# decode_check.js (OpenTelemetry's generated decoder). Skipped (77) when
# Node.js or the receiver's npm packages (tests/otlp/install) are missing.
dir=$(dirname "$0")
[ -d "$dir/node_modules/@opentelemetry/otlp-transformer" ] && command -v node >/dev/null ||
	{ echo "skip: run tests/otlp/install first (needs Node.js + npm)"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$1" "$tmp" && node "$dir/decode_check.js" "$tmp"
