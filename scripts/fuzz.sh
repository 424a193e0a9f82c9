#!/usr/bin/env bash
# Fuzzes every OpenAPI document a freshly started server serves, with schemathesis (pinned in
# scripts/fuzz/requirements.txt, installed into target/fuzz-venv): generated requests for every
# operation, with valid credentials for each surface (scripts/fuzz/hooks.py), checked for no
# server error, documented status codes, content types and response schemas. Any finding fails.
#
#   bash scripts/fuzz.sh                    # what CI runs
#   FUZZ_EXAMPLES=100 FUZZ_SEED=7 bash scripts/fuzz.sh api   # longer, another seed, one surface
#
# A finding prints a `curl` that reproduces it against the server, whose log is kept in the
# printed work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

seed=${FUZZ_SEED:-20261202}
examples=${FUZZ_EXAMPLES:-12}
surfaces=("${@:-api vms mgmt oauth2 ops}")
read -r -a surfaces <<<"${surfaces[*]}"

venv=target/fuzz-venv
wanted=$(grep '^schemathesis==' scripts/fuzz/requirements.txt)
if [ "$("$venv/bin/pip" freeze 2>/dev/null | grep '^schemathesis==')" != "$wanted" ]; then
    command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || {
        apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
    }
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/fuzz/requirements.txt
fi

cargo build -q --bin portcullis
portcullis=target/debug/portcullis

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORTCULLIS_DATA_DIR=$work/data PORTCULLIS_LISTEN=127.0.0.1:$port \
    PORTCULLIS_BCRYPT_COST=4 PORTCULLIS_LOG=warn PORTCULLIS_ENABLE_DEVICE_AUTH_ENDPOINT=true \
    PORTCULLIS_TRUSTED_PROXIES=127.0.0.1
export FUZZ_BASE_URL=http://127.0.0.1:$port FUZZ_USERNAME=fuzzer FUZZ_PASSWORD=Fuzz-Pass-2026
FUZZ_USER_ID=$("$portcullis" user create --username "$FUZZ_USERNAME" \
    --email fuzzer@example.test --password "$FUZZ_PASSWORD" --role Admin)
FUZZ_API_KEY=$("$portcullis" api-key create --name fuzz)
FUZZ_TARGET_USER_ID=$("$portcullis" user create --username target \
    --email target@example.test --password "$FUZZ_PASSWORD")
FUZZ_TENANT_ID=$("$portcullis" tenant create --name fuzzland --domain fuzzland.example.test)
"$portcullis" user create --tenant fuzzland --username resident \
    --email resident@example.test --password "$FUZZ_PASSWORD" >/dev/null
export FUZZ_USER_ID FUZZ_API_KEY FUZZ_TARGET_USER_ID FUZZ_TENANT_ID

"$portcullis" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "$FUZZ_BASE_URL/health/ready" >/dev/null && break
    sleep 0.1
done

# Document 003 names users by their public id, which the CLI does not print.
FUZZ_TENANT_USER_ID=$(curl -sf "$FUZZ_BASE_URL/v1/tenants/$FUZZ_TENANT_ID/users" \
    -H "Authorization: Bearer $FUZZ_API_KEY" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
export FUZZ_TENANT_USER_ID

failed=()
for surface in "${surfaces[@]}"; do
    echo "== schemathesis: /openapi/$surface.json (seed $seed, $examples examples per operation)"
    set +e
    FUZZ_SURFACE=$surface SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/fuzz \
        "$venv/bin/schemathesis" --config-file scripts/fuzz/schemathesis.toml \
        run "$FUZZ_BASE_URL/openapi/$surface.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --seed "$seed" --max-examples "$examples" --workers 1 --no-color >"$work/$surface.log" 2>&1
    status=$?
    set -e
    if [ $status -ne 0 ]; then
        if grep -q '^=* \(FAILURES\|ERRORS\)' "$work/$surface.log"; then
            sed -n '/^=* \(FAILURES\|ERRORS\)/,/^=* WARNINGS/p' "$work/$surface.log"
        else
            tail -20 "$work/$surface.log"
        fi
        failed+=("$surface")
    fi
    sed -n '/^Test cases:/,+1p' "$work/$surface.log" | tail -1
done
echo "server log and reports: $work"
if [ ${#failed[@]} -gt 0 ]; then
    echo "schemathesis found problems in: ${failed[*]}"
    exit 1
fi
echo "schemathesis: no findings in ${surfaces[*]}"
