#!/usr/bin/env bash
# The compose demo's people (compose.yaml, service demo-accounts): what `onestop serve` makes on
# its first run with the in-process sandbox — an admin, a demo maternity ward and a demo CNAP,
# each with a clerk, a registrar and an auditor. The instances of compose.yaml call one shared
# sandbox (registries.url), and against a registries URL serve makes no demo data, so this
# one-shot job makes it before they start.
#
# Each password is generated, printed once here (`docker compose logs demo-accounts`) and asked
# to be changed at the first sign-in. On a later `docker compose up` what exists is left alone.
set -uo pipefail

# Run one onestop command; an institution or login made by an earlier start counts as done.
made() {
  local out
  if out="$(onestop "$@" 2>&1)"; then
    printf '%s\n' "$out"
  elif grep -q -e 'exists already' -e 'is taken' <<<"$out"; then
    printf '%s: made on an earlier start\n' "$3"
  else
    printf '%s\n' "$out" >&2
    exit 1
  fi
}

made institution add demo-ward --title "Демонстраційний пологовий будинок" \
  --title-en "Demo maternity ward" --bundles birth
made institution add demo-cnap --title "Демонстраційний ЦНАП" \
  --title-en "Demo administrative service centre" --bundles birth,relocation,business-start
made user add admin --role admin --generate-password
for role in clerk registrar auditor; do
  made user add "ward-$role" --institution demo-ward --role "$role" --generate-password
  made user add "cnap-$role" --institution demo-cnap --role "$role" --generate-password
done
echo "Демо: увійдіть на ${ONESTOP__SERVER__PUBLIC_URL:-http://localhost:8080}/sign-in (наприклад, ward-clerk)."
echo "Demo: sign in at ${ONESTOP__SERVER__PUBLIC_URL:-http://localhost:8080}/sign-in (e.g. ward-clerk)."
