#!/usr/bin/env bash
# Runs the Stripe CLI's own trigger fixtures, unchanged, through the scenario runner.
#
#   scripts/stripe-cli-triggers.sh BIN DIR
#
# DIR holds the Stripe CLI's `pkg/fixtures/triggers/*.json` (a checkout of the CLI, or a copy CI
# has at hand); when DIR does not exist this prints SKIP and exits 0.
# Every file listed in scenarios/stripe-cli-triggers.txt must pass (exit 0 of the runner, and an
# event of the type the file is named after); the others are run too and counted, so the report
# shows how far the fake is from all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: $0 BIN DIR}
DIR=${2:?usage: $0 BIN DIR, the folder of the Stripe CLI trigger fixtures}
if [ ! -d "$DIR" ]; then
  echo "SKIP Stripe CLI trigger fixtures: no folder $DIR"
  exit 0
fi
GOLDENS=$(mktemp -d)
trap 'rm -rf "$GOLDENS"' EXIT
required=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  [ -f "$DIR/$line" ] || { echo "listed trigger $line is not in $DIR"; exit 1; }
  required+=("$DIR/$line")
done < scenarios/stripe-cli-triggers.txt
# The fixtures have no goldens: --update writes them to a scratch folder, so only the steps count.
echo "== ${#required[@]} required trigger fixtures"
env -u CI "$BIN" scenarios run "${required[@]}" --update --goldens "$GOLDENS" --jobs 2 > "$GOLDENS/required.log" 2>&1 || {
  cat "$GOLDENS/required.log"; echo "FAILED: a required Stripe CLI trigger fixture no longer passes"; exit 1; }
tail -1 "$GOLDENS/required.log"

# The rule's second half: the run emitted an event of the type the file is named after (the
# world's app endpoint receives every event; its golden lists them). subscription.payment_failed
# and subscription.payment_succeeded are not event types: for them exit 0 is the rule.
#
# subscription_schedule.expiring: Stripe sends it seven days before a schedule that cancels its
# subscription ends (its event reference: "Occurs 7 days before a subscription schedule will
# expire"). The file's schedule ends on 2020-01-29 and its last step advances the clock to
# 2020-01-20, nine days before: its own steps cannot cause the event on Stripe, and the fake
# follows Stripe rather than the file. For it the rule is exit 0 (every step answers as Stripe
# would); the Swift test ScheduleExpiringTests shows the event coming on 2020-01-22 and not before.
#
# Steps with `expected_error_type` run as the CLI runs them: an error of that type is tolerated,
# not required (see scenarios/README.md). checkout.session.async_payment_failed marks every call
# after its product and price so; on the fake, as on a Stripe account with SEPA, every step succeeds, the debit of its
# non-test IBAN fails when it settles, and the event comes: it passes on the full rule.
EVENT_AFTER_LAST_STEP="subscription_schedule.expiring"
emitted() {
  local name; name="$(basename "$1" .json)"
  case "$name" in subscription.payment_failed|subscription.payment_succeeded) return 0 ;; esac
  case " $EVENT_AFTER_LAST_STEP " in *" $name "*) return 0 ;; esac
  python3 - "$GOLDENS/$name.json" "$name" <<'PY'
import json, sys
golden, event = sys.argv[1], sys.argv[2]
delivered = json.load(open(golden)).get("end", {}).get("webhooks_delivered", [])
sys.exit(0 if event in delivered else 1)
PY
}
for f in "${required[@]}"; do
  emitted "$f" || { echo "FAILED: $(basename "$f") ran but no $(basename "$f" .json) event was emitted"; exit 1; }
done
for name in $EVENT_AFTER_LAST_STEP; do
  echo "note: $name.json passes on exit 0 alone: Stripe sends the event 7 days before the schedule ends, after the file's last step"
done
for f in "${required[@]}"; do
  python3 - "$f" <<'PY' || true
import json, os, sys
steps = json.load(open(sys.argv[1]))["fixtures"]
marked = [s["name"] for s in steps if "expected_error_type" in s]
if marked:
    print(f"note: {os.path.basename(sys.argv[1])}: {len(marked)} of {len(steps)} steps carry expected_error_type "
          f"({', '.join(marked)}): as in the Stripe CLI that error is tolerated, not required; it passes on its event")
PY
done
passed=0; total=0; failing=()
for f in "$DIR"/*.json; do
  total=$((total + 1))
  if env -u CI "$BIN" scenarios run "$f" --update --goldens "$GOLDENS" > /dev/null 2>&1 && emitted "$f"; then
    passed=$((passed + 1))
  else
    failing+=("$(basename "$f")")
  fi
done
echo "Stripe CLI trigger fixtures: $passed of $total pass; not yet: ${failing[*]:-none}"
