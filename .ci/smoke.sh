#!/usr/bin/env bash
# Starts `npm run dev` on a free port in its own process group, waits for /api/health/,
# registers a user over HTTP, then stops the whole group (wrangler leaves workerd/esbuild children otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp)
state=$(mktemp -d)
setsid npm run dev -- --port "$port" --ip 127.0.0.1 --persist-to "$state" >"$log" 2>&1 &
pgid=$!
cleanup() {
  kill -TERM -- "-$pgid" 2>/dev/null || true
  sleep 1
  kill -KILL -- "-$pgid" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
for i in $(seq 1 120); do
  if curl -fsS "$base/api/health/" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pgid" 2>/dev/null; then echo "dev server exited:"; cat "$log"; exit 1; fi
  sleep 1
done
curl -fsS "$base/api/health/" | grep -q '"ok"' || { echo "health check failed"; cat "$log"; exit 1; }
echo "health ok on port $port"

reg=$(curl -sS -w '\n%{http_code}' -X POST "$base/api/auth/register/" -H 'Content-Type: application/json' \
  -d '{"email":"smoke@example.com","password":"correct horse battery"}')
code=$(tail -n1 <<<"$reg")
[ "$code" = 201 ] || { echo "register answered $code: $reg"; cat "$log"; exit 1; }
token=$(head -n1 <<<"$reg" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
me=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/auth/me/" -H "Authorization: Bearer $token")
[ "$me" = 200 ] || { echo "me answered $me"; exit 1; }
echo "smoke ok: registered and authenticated over HTTP"
