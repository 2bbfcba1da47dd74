# Developer entry points. `make demo` and `make test` each set up everything they need first.
SHELL := /bin/bash
ROOT := $(CURDIR)
export PATH := $(ROOT)/.venv/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.venv/collections
export MOUNTKIT_CACHE ?= /var/cache/mountkit
SCENARIO ?= default

.PHONY: setup setup-demo setup-python testbed-image testbed-image-trixie testbed-vm-image testbed-mount-s3 \
	demo test pytest unit integration sanity lint build changelog molecule scenario clean

# Everything the tests use: what the demo needs, plus the Debian 13 image and the NFS VM image (which
# installs QEMU itself), side by side.
setup: setup-demo
	$(MAKE) --no-print-directory -j2 testbed-image-trixie testbed-vm-image

# What the demo needs. Debian packages first (one apt run); then the venv, the Debian 12 image and the
# mount-s3 build side by side: the build is the longest and uses the cores, the other two mostly wait on
# the network and the disk.
setup-demo:
	bash tools/setup.sh system
	$(MAKE) --no-print-directory -j3 setup-python testbed-image testbed-mount-s3

setup-python:
	bash tools/setup.sh python

testbed-image:
	bash tools/testbed/build-image.sh >/dev/null

testbed-image-trixie:
	bash tools/testbed/build-image.sh trixie >/dev/null

testbed-vm-image:
	bash tools/testbed/build-vm-image.sh >/dev/null

testbed-mount-s3:
	bash tools/testbed/build-mount-s3.sh >/dev/null

demo: setup-demo
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

# Opt-in, never part of `make test`: the platform scenario on Debian sid, which changes daily
# (molecule/opt-in/README.md).
.PHONY: scenario-sid
scenario-sid: setup-demo
	bash tools/testbed/build-image.sh sid >/dev/null
	MOLECULE_GLOB='molecule/opt-in/*/molecule.yml' molecule test -s platform_sid

clean:
	rm -rf build reports
