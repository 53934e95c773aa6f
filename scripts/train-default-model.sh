#!/usr/bin/env bash
# Trains the shipped default recognizer, models/emomusik-net.safetensors, from seeded synthetic
# data: 1400 posed-adult sequences (pre-training) and 1400 child sequences (fine-tuning).
# Reproducible: the seeds below fix the data, the splits, the initialisation and the shuffling,
# and --threads 2 fixes how OpenBLAS splits its sums. The weights are bit-identical for the same
# build, thread count and machine; another thread count, another build or other OpenBLAS kernels
# give other weights of similar quality (docs/recognition-ceiling.md section 6.10).
# Takes about 15 minutes on this project's 2-core machine (measured 2026-12-04: release build 1 min,
# pre-training 5 min with the expression augmentation of docs/recognition-ceiling.md while another
# training shared the cores, fine-tuning 8 min: all 60 epochs run, as the model keeps the mean of
# the last 20). SCRATCH picks the build directory (default .build).
#
# It is trained on SYNTHETIC faces only: it shows the pipeline working end to end, and it is not
# a model of real children's expressions.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product emomusik
bin=$scratch/release/emomusik
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
$bin dataset synth --domain posed-adult --count 1400 --seed 11 --out "$data/adult"
$bin dataset synth --domain child --count 1400 --seed 12 --out "$data/child"
$bin train --source "$data/adult" --target "$data/child" --seed 13 --threads 2 -o models/emomusik-net.safetensors
# Score it on children it has never seen (other subjects, other seed).
$bin dataset synth --domain child --count 420 --seed 14 --out "$data/child-test"
$bin evaluate models/emomusik-net.safetensors "$data/child-test" --confusion models/emomusik-net-confusion.svg
