#!/usr/bin/env bash
# Writes the bundled demo recording, examples/demo-session.jsonl: one SYNTHETIC child (seeded
# generator, child domain) filmed for about two minutes at 15 frames per second, whose expression
# changes every 15-25 seconds (anger, anger, sadness, no face for 10 s, neutral, happiness,
# neutral). Coordinates have one decimal so the file stays small. Reproducible: same seed, same file.
#
# `emomusik demo` replays it. It is not a recording of a real child.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product emomusik
.build/release/emomusik demo --make-recording examples/demo-session.jsonl --recording-seed "${SEED:-5}"
