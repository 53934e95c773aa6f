#!/usr/bin/env bash
# Installs what EmoMusik needs on a Debian machine, and nothing that is already there.
# Idempotent: when everything is present it only runs dpkg-query (well under a second).
#   scripts/setup.sh          what building and running need
#   scripts/setup.sh --test   also what the test suite needs (mido, to check our MIDI files in
#                             the reader musicians' Python tools use; Chromium and its WebDriver,
#                             to drive the study rating page in a real headless browser)
set -euo pipefail

packages=(
  pkg-config
  libfluidsynth-dev     # the synthesiser (CFluidSynth)
  libsndfile1-dev       # WAV/FLAC output (CSndFile)
  libopenblas-dev       # tensor kernels (COpenBLAS)
  libasound2-dev        # live output (CALSA)
  libv4l-dev            # camera capture (CV4L2)
  timgm6mb-soundfont    # a small General MIDI soundfont (6 MB, GPL-2)
  fluidsynth            # the reference player: compatibility tests and `emomusik bench render`
  libsqlite3-dev        # rating studies' ratings store (CSQLite)
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(
    chromium            # the rating page's browser test (headless)
    chromium-driver     # WebDriver for it (chromedriver)
  )
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "setup: swift is at /opt/swift/usr/bin but not on PATH; add it: export PATH=/opt/swift/usr/bin:\$PATH" >&2
  else
    echo "setup: Swift 6 is required (https://www.swift.org/install/linux/)" >&2
  fi
  exit 1
fi

if [[ "${1:-}" == "--test" ]] && ! python3 -c "import mido" >/dev/null 2>&1; then
  echo "setup: installing mido (Python MIDI reader used by the compatibility tests)" >&2
  python3 -m pip install --quiet "mido==1.3.3"
fi
