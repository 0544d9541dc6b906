#!/usr/bin/env bash
# Screenshots of the default job's report for docs/img/: the top of output/default/report.html at
# 1400 px (a laptop) and at 400 px (a phone). Chromium's headless window is at least 500 px wide,
# so the phone view is the page in a 400 px iframe on a grey ground. Run `cargo run --release`
# first; needs Chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
report="$PWD/output/default/report.html"
[ -f "$report" ] || { echo "no $report: run cargo run --release first" >&2; exit 1; }
browser="${NEGSIM_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
profile="$(mktemp -d)"
trap 'rm -rf "$profile" output/default/phone_view.html' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --allow-file-access-from-files --hide-scrollbars --virtual-time-budget=10000
  "--user-data-dir=$profile")
"$browser" "${flags[@]}" --window-size=1400,2400 --screenshot="$PWD/docs/img/report_1400.png" \
  "file://$report" 2>/dev/null
cat > output/default/phone_view.html <<'HTML'
<!DOCTYPE html><html><body style="margin:0;background:#777">
<iframe src="report.html" style="width:400px;height:2400px;border:0;background:#fff;margin-left:50px"></iframe>
</body></html>
HTML
"$browser" "${flags[@]}" --window-size=500,2400 --screenshot="$PWD/docs/img/report_400.png" \
  "file://$PWD/output/default/phone_view.html" 2>/dev/null
ls -l docs/img/report_1400.png docs/img/report_400.png
