# EmoMusik: the two commands a new machine needs are `make run` and `make test`.
SWIFT ?= swift
RELEASE_BIN := .build/release/emomusik

.PHONY: setup build run test bench plugins clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product emomusik

## Installs what is missing, builds a release binary and runs the demo: a recorded (synthetic)
## child session replayed through the recognizer, a strategy and a preset, to out/.
run: build
	$(RELEASE_BIN) demo

## Runs the whole test suite.
test:
	@scripts/setup.sh --test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

## Prints the render benchmark (release build).
bench: build
	$(RELEASE_BIN) bench render

## Builds the example plugins in plugins/ as dynamic libraries (release).
plugins: build
	$(RELEASE_BIN) plugins build

clean:
	rm -rf .build out plugins/*/.build
