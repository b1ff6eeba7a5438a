#!/usr/bin/env python3
"""Print a GET /v1/index JSON response (on stdin) as a small text table."""
import json
import sys

r = json.load(sys.stdin)
print("%-8s %8s %6s %4s %6s %11s %6s %6s" % ("month", "articles", "CN-US", "esc", "de-esc", "net_tension", "share", "index"))
for b in r["buckets"]:
    if b["articles"] == 0:
        continue
    bar = "#" * int(round(b["tension_index"] / 25))
    print("%-8s %8d %6d %4d %6d %+11.3f %6.2f %6.0f  %s" % (
        b["start"][:7], b["articles"], b["dyad_articles"], b["escalating"], b["deescalating"],
        b["net_tension"], b["tension_share"], b["tension_index"], bar))
