#!/usr/bin/env bash
# Turns the log of `terragrunt run --all -- plan` into the Markdown posted on the
# pull request: one line per unit with its "Plan:" / "No changes." / error
# verdict, then the end of the raw log in a collapsed block.
#   usage: summarize-plan.sh PLAN_LOG ENVIRONMENT OUTCOME > summary.md
set -euo pipefail

log="${1:?usage: $0 PLAN_LOG ENVIRONMENT OUTCOME}"
environment="${2:?environment}"
outcome="${3:?outcome (success|failure)}"
# GitHub rejects comments over 65536 characters; keep room for the table.
max_log_chars=50000

if [ "$outcome" = success ]; then verdict="succeeded"; else verdict="**failed**"; fi

echo "<!-- payflow-terragrunt-plan:${environment} -->"
echo "### Terragrunt plan for \`${environment}\` ${verdict}"
echo
echo "| unit | result |"
echo "| --- | --- |"
# Terragrunt prefixes each unit's output with its path in brackets; without a
# prefix the line belongs to the only unit that ran.
sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
  grep -E 'Plan: [0-9]+ to add|No changes\.|Error: ' |
  sed -E 's/^.*\[([^]]+)\].*(Plan: .*|No changes\..*|Error: .*)$/| \1 | \2 |/; t; s/^.*(Plan: .*|No changes\..*|Error: .*)$/| - | \1 |/' |
  awk '!seen[$0]++' || echo "| - | no plan verdict found in the log |"
echo
echo "<details><summary>End of the plan log</summary>"
echo
echo '```'
sed -E 's/\x1b\[[0-9;]*m//g' "$log" | tail -c "$max_log_chars"
echo '```'
echo
echo "</details>"
