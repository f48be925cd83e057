#!/bin/sh
# Regenerates tests/score-input/fixtures/ with the harnesses' own writers (see harness-fixtures.py).
# VK and LMMS are git directories of open-compass/VLMEvalKit and EvolvingLMMs-Lab/lmms-eval (the `fetch` tool's mirrors).
set -eu
VK=${VK:-/work/.mirror/open-compass+VLMEvalKit/repo}
LMMS=${LMMS:-/work/.mirror/EvolvingLMMs-Lab+lmms-eval/repo}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git --git-dir="$VK" show e8e78f05f3080fe28154f2130321f17951c3be94:vlmeval/smp/file.py >"$tmp/vk_file.py"
set -- "$tmp/vk_file.py"
for pair in v0.7:75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3 v0.4:b7b4b1d9163c7e6cbc131cc11eca2695a018a032 v0.3:754640a70ba2d8030b9321fb8e021eaa8c0aee3e; do
  label=${pair%%:*} commit=${pair#*:}
  git --git-dir="$LMMS" show "$commit:lmms_eval/loggers/evaluation_tracker.py" >"$tmp/tracker_$label.py"
  git --git-dir="$LMMS" show "$commit:lmms_eval/utils.py" >"$tmp/utils_$label.py"
  set -- "$@" "$label" "$tmp/tracker_$label.py" "$tmp/utils_$label.py"
done
rm -rf "$(dirname "$0")/fixtures"
mkdir -p "$(dirname "$0")/fixtures"
/usr/bin/python3 "$(dirname "$0")/harness-fixtures.py" "$@"
