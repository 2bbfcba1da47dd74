# Developer entry points. `make demo` and `make test` each set up everything they need first.
SHELL := /bin/bash
ROOT := $(CURDIR)
export PATH := $(ROOT)/.venv/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.venv/collections
export MOUNTKIT_CACHE ?= /var/cache/mountkit
SCENARIO ?= default

.PHONY: setup demo test pytest unit integration sanity lint build changelog molecule scenario clean

setup:
	bash tools/setup.sh
	bash tools/testbed/build-image.sh >/dev/null
	bash tools/testbed/build-mount-s3.sh >/dev/null
	bash tools/testbed/build-vm-image.sh >/dev/null

demo: setup
	bash tools/demo.sh

# The full suite, in order: Python tests (unit, then real mounts), sanity, lint, build, molecule scenarios.
test: setup
	$(MAKE) pytest sanity lint build changelog molecule

pytest:
	pytest tests/unit tests/integration

unit:
	pytest tests/unit

integration:
	pytest tests/integration

sanity:
	bash tools/sanity.sh

lint:
	ansible-lint --nocolor

changelog:
	antsibull-changelog lint

build:
	bash tools/build-collection.sh

molecule:
	molecule test --all

# One scenario, e.g. `make scenario SCENARIO=s3fs`.
scenario: setup
	molecule test -s $(SCENARIO)

clean:
	rm -rf build reports
